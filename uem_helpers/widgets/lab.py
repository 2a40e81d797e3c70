"""JupyterLab on the workbench's notebooks, in the workbench's environment: ``uem lab`` and ``make lab``.

:func:`lab_command` and :func:`lab_environment` say how JupyterLab is started;
:func:`run_lab` installs the workbench's kernel spec (:mod:`uem_helpers.pipeline.kernel`)
and replaces the calling process with JupyterLab. The end-to-end test starts
JupyterLab with the same two functions.

- JupyterLab runs on this Python (``sys.executable -m jupyterlab``), with the
  environment's kernel specs preferred over a user's (``JUPYTER_PREFER_ENV_PATH``),
  so the notebooks' ``python3`` kernel is this environment's Python; new
  notebooks get the ``uem`` kernel.
- Its root is the folder holding ``notebooks/`` and ``uem.yml`` (the repository),
  so a notebook, which runs in its own folder, finds ``config_path = "../uem.yml"``.
- It does not reach out to the network: no news feed, no update check, a
  read-only extension manager (no PyPI queries).
- ``UEM_HEADLESS`` is removed from its environment: in JupyterLab the explorers show.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from uem_helpers.pipeline.kernel import KERNEL_NAME, install_kernelspec
from uem_helpers.widgets.headless import HEADLESS_ENV

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])

#: Options that keep JupyterLab off the network.
OFFLINE = (
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    "--LabApp.extension_manager=readonly",
)


def lab_command(
    root: str | Path = ".",
    *,
    port: int | None = None,
    ip: str | None = None,
    open_browser: bool = True,
    extra: Sequence[str] = (),
) -> list[str]:
    """The command line that starts JupyterLab for the workbench.

    Parameters
    ----------
    root : str or Path
        Folder JupyterLab shows: the one holding ``notebooks/`` and the config.
    port : int, optional
        Port to listen on; JupyterLab's default (8888, or the next free one) when None.
    ip : str, optional
        Address to listen on; JupyterLab's default (localhost) when None.
    open_browser : bool
        Open a browser tab on start.
    extra : sequence of str
        More ``jupyter lab`` options, passed as given (e.g. ``--ServerApp.token=...``).

    Returns
    -------
    list of str
    """
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(root).resolve()}", *OFFLINE,
            f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}"]
    if port is not None:
        argv.append(f"--ServerApp.port={port}")
    if ip is not None:
        argv.append(f"--ServerApp.ip={ip}")
    if not open_browser:
        argv.append("--no-browser")
    return argv + list(extra)


def lab_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment JupyterLab runs in: the environment's kernels first, the package importable, no UEM_HEADLESS.

    Parameters
    ----------
    environ : mapping, optional
        The environment to start from; ``os.environ`` when None.

    Returns
    -------
    dict
    """
    env = dict(os.environ if environ is None else environ)
    env.pop(HEADLESS_ENV, None)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.get("PYTHONPATH")]))
    return env


def run_lab(root: str | Path = ".", **options) -> None:
    """Install the ``uem`` kernel spec and replace this process with JupyterLab (never returns).

    Parameters
    ----------
    root : str or Path
        As in :func:`lab_command`.
    **options
        ``port``, ``ip``, ``open_browser``, ``extra`` as in :func:`lab_command`.
    """
    install_kernelspec()
    argv = lab_command(root, **options)
    os.execve(argv[0], argv, lab_environment())

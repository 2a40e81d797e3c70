"""The workbench's own Jupyter kernel: always the Python that runs the workbench.

A report must run on the interpreter (and so the packages) of the workbench's
environment, whatever kernels the machine has: a user's ``~/.local`` may hold
a ``python3`` kernel spec pointing at another Python, and Jupyter looks there
before the environment's own specs. The report pipeline therefore does not
look a kernel up by name: it hands papermill :class:`UEMKernelManager`, whose
spec always launches ``sys.executable``. :func:`install_kernelspec` writes the
same spec as a named kernel (``uem``) for opening the notebooks in JupyterLab.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager

#: Name of the kernel spec :func:`install_kernelspec` writes.
KERNEL_NAME = "uem"


def kernel_spec() -> KernelSpec:
    """The spec of a kernel running this process's Python (``sys.executable``).

    Returns
    -------
    jupyter_client.kernelspec.KernelSpec
    """
    return KernelSpec(
        argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name="Python (UEM Workbench)",
        language="python",
        metadata={"debugger": True},
    )


class UEMKernelManager(AsyncKernelManager):
    """A kernel manager that always starts :func:`kernel_spec`, ignoring the kernel name."""

    @property
    def kernel_spec(self) -> KernelSpec:
        """The workbench's kernel spec (never looked up by name)."""
        return kernel_spec()


def install_kernelspec(prefix: str | Path = sys.prefix) -> Path:
    """Install or refresh the ``uem`` kernel spec under ``<prefix>/share/jupyter/kernels``.

    Idempotent: the file is rewritten (atomically) only when its content changes,
    e.g. after the environment moved to another Python.

    Parameters
    ----------
    prefix : str or Path
        Environment prefix; the running environment's by default.

    Returns
    -------
    Path
        The kernel spec's folder.
    """
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    content = json.dumps(kernel_spec().to_dict(), indent=1, sort_keys=True) + "\n"
    target = folder / "kernel.json"
    if target.is_file() and target.read_text(encoding="utf-8") == content:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".kernel.json.{os.getpid()}.tmp"
    tmp.write_text(content, encoding="utf-8")
    os.replace(tmp, target)
    return folder

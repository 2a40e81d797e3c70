"""Whether anyone can see a widget: the test the notebooks' "Explore" cells rely on.

A report run (``uem run``/``uem report``, papermill run by hand, ``jupyter
nbconvert --execute``) and the notebook tests (nbval) execute cells through a
client with no person behind it. They all say so in every request: they send
``execute_request`` with ``allow_stdin`` false, because nobody could answer an
``input()`` prompt (nbclient, which papermill and nbconvert use, sets it on its
kernel client; nbval passes it per cell). JupyterLab, Jupyter Notebook and VS Code
send ``allow_stdin`` true. The kernel keeps the request it is running
(``kernel.get_parent("shell")``), so a cell can read the flag of its own request.

Other signals were considered and rejected:

- The widget control comm (``jupyter.widget.control``) that JupyterLab's widget
  manager opens when it connects to a kernel: it reaches the kernel only if
  ``ipywidgets`` was imported before the frontend connected, which is not the
  case when a notebook imports the workbench in its first cell, so it misses
  real frontends.
- The parent process of the kernel (jupyter-server vs a papermill process):
  depends on how each tool launches kernels (VS Code, JupyterHub, remote kernels).

The environment variable ``UEM_HEADLESS`` overrides the test either way
(``1``/``true``: never show widgets; ``0``/``false``: always show them, e.g. for Voila,
which executes without stdin but does show widgets).
"""

from __future__ import annotations

import os

#: Environment variable that forces the answer of :func:`headless`.
HEADLESS_ENV = "UEM_HEADLESS"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def headless(environ=None) -> bool:
    """True when no person can see or use a widget in the running cell.

    In order: ``UEM_HEADLESS`` when set (``1``/``true`` or ``0``/``false``); True outside a
    Jupyter kernel (a script, the IPython terminal); else True when the request being executed
    does not allow stdin, which is how papermill, nbconvert and nbval run cells (see the module
    docstring).

    Parameters
    ----------
    environ : mapping, optional
        Environment to read ``UEM_HEADLESS`` from; ``os.environ`` when None.

    Returns
    -------
    bool
    """
    flag = (os.environ if environ is None else environ).get(HEADLESS_ENV, "").strip().lower()
    if flag in _TRUE:
        return True
    if flag in _FALSE:
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        return True
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return True
    request = kernel.get_parent("shell") or {}
    return not bool(request.get("content", {}).get("allow_stdin", False))

"""Finding a notebook: beside the company's config first, then the ones bundled with the workbench;
and the period a notebook's parameters describe.
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import Mapping
from pathlib import Path

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.period import Period, parse_period
from uem_helpers.pipeline.params import declared_parameters


#: The notebooks that ship with the workbench.
BUNDLED_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


#: Bundled notebooks that need a section of the config, by name: a default batch leaves them out without it.
NEEDS_SECTION = {"churn_warning": "churn"}


def batch_notebooks(cfg: UEMConfig) -> tuple[list[str], list[str]]:
    """The default batch (``report.notebooks`` that exist) and, in words, the ones left out for a missing section."""
    folders = notebook_folders(cfg)
    present = [n for n in cfg.report.notebooks if any((f / f"{n}.ipynb").is_file() for f in folders)]
    missing = {n: NEEDS_SECTION[n] for n in present if n in NEEDS_SECTION and getattr(cfg, NEEDS_SECTION[n]) is None}
    notes = [f"{name} was not run: the config has no '{section}:' section" for name, section in missing.items()]
    return [n for n in present if n not in missing], notes


def notebook_folders(cfg: UEMConfig) -> list[Path]:
    """Where notebooks are looked up, in order: ``notebooks/`` beside the config, then the bundled ones."""
    folders = [cfg.resolve("notebooks"), BUNDLED_NOTEBOOKS]
    return [f for i, f in enumerate(folders) if f.resolve() not in {g.resolve() for g in folders[:i]}]


def find_notebook(notebook: str | Path, cfg: UEMConfig) -> Path:
    """The notebook file for a name or a path.

    A name is looked up as ``<name>.ipynb`` in :func:`notebook_folders`: a company's
    own ``notebooks/`` beside its config wins over the bundled notebook of that name.

    Raises
    ------
    ParameterError
        No such notebook; the message lists the available names.
    """
    text = str(notebook)
    is_path = isinstance(notebook, Path) or text.endswith(".ipynb") or os.sep in text or "/" in text
    folders = notebook_folders(cfg)
    candidates = [Path(text)] if is_path else [folder / f"{text}.ipynb" for folder in folders]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        available = sorted({p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.ipynb")})
        raise ParameterError(
            f"notebook '{text}' not found (looked for {', '.join(str(c) for c in candidates)}); "
            f"available notebooks: {', '.join(available) or 'none'}"
        )
    _check_is_notebook(found)
    return found


def _check_is_notebook(path: Path) -> None:
    """Refuse a file that is not a Jupyter notebook, saying what it is instead (never echoing its bytes)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise ParameterError(f"{path} is not a Jupyter notebook: it is not text (a binary file?)") from None
    except OSError as exc:
        raise ParameterError(f"{path} cannot be read: {exc.strerror}") from None
    try:
        nb = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise ParameterError(f"{path} is not a Jupyter notebook: it is not JSON (line {line})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or "nbformat" not in nb:
        raise ParameterError(f"{path} is not a Jupyter notebook: its JSON has no 'cells' and 'nbformat'") from None


def _period_from_parameters(notebook: Path, values: Mapping[str, object]) -> Period:
    """The period a run covers when none was given: from ``month`` or ``period_start``/``period_end``."""
    effective = {}
    for key, spec in declared_parameters(notebook).items():
        try:
            effective[key] = ast.literal_eval(spec.get("default") or "None")
        except (ValueError, SyntaxError):
            continue
    effective.update(values)
    if isinstance(effective.get("month"), str):
        return parse_period(effective["month"])
    start, end = effective.get("period_start"), effective.get("period_end")
    if isinstance(start, str) and isinstance(end, str):
        first, last = start[:7], end[:7]
        return parse_period(first if first == last else f"{first}..{last}")
    raise ParameterError(
        f"notebook '{notebook.stem}': no period given and none in its parameters; pass a period such as 2026-10"
    )

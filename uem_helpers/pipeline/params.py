"""Notebook parameters: what a notebook declares, and safe, typed values to inject.

papermill only warns about a parameter the notebook does not declare and
writes values as Python literals without checking them. Here a name must be
declared (the error lists the valid names), a value converts to the type of
the notebook's default (``"007"`` stays a string where the default is one,
``"12"`` becomes 12 where it is an int), and the injected cell is parsed back
and refused unless it is only ``name = literal`` lines giving those values.
"""

from __future__ import annotations

import ast
import json
import keyword
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import nbformat
import papermill
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from uem_helpers.core.config import UEMConfig
from uem_helpers.core.errors import ParameterError
from uem_helpers.core.i18n import check_language
from uem_helpers.pipeline.kernel import KERNEL_NAME
from uem_helpers.core.period import Period

_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict}
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


def declared_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares in its ``parameters`` cell (papermill's inspection).

    Returns
    -------
    dict
        name -> ``{name, inferred_type_name, default, help}``.
    """
    return papermill.inspect_notebook(str(notebook))


def effective_parameters(notebook: Path, injected: Mapping[str, object]) -> dict[str, object]:
    """Every parameter the notebook ran with: its declared defaults, overridden by what was injected.

    Defaults are shown as the notebook writes them when they are not plain literals.
    """
    values: dict[str, object] = {}
    for name, spec in declared_parameters(notebook).items():
        try:
            values[name] = ast.literal_eval(spec["default"])
        except (ValueError, SyntaxError):
            values[name] = spec["default"]
    return {**values, **injected}


def resolve_parameters(
    notebook: Path,
    explicit: Mapping[str, object],
    defaults: Mapping[str, object],
    period: Period | None,
    config_path: Path,
) -> dict[str, object]:
    """The parameters a run injects: period-derived < config defaults < explicit, type-checked.

    Only parameters the notebook declares are filled from the period
    (``period_start``, ``period_end``, ``month``) and from ``config_path``.
    A value converts to the type of the notebook's default (or its annotation):
    ``"007"`` stays a string where the default is a string, ``"12"`` becomes 12
    where it is an int; ``true``/``false``/``1``/``0`` for bools; JSON or
    comma-separated text for lists; dates become ISO strings.

    Parameters
    ----------
    notebook : Path
        The notebook.
    explicit : mapping
        Parameters given by the caller (win over everything).
    defaults : mapping
        The config's ``report.parameters.<notebook>``.
    period : Period or None
        The period asked for.
    config_path : Path
        The config file, passed to notebooks that declare ``config_path``.

    Returns
    -------
    dict
        name -> value, in injection order.

    Raises
    ------
    ParameterError
        A name the notebook does not declare (the message lists the valid names) or a value
        that does not convert to the declared type.
    """
    declared = declared_parameters(notebook)
    for origin, given in (("config report.parameters", defaults), ("parameters", explicit)):
        for key in given:
            if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key) or key not in declared:
                raise ParameterError(
                    f"notebook '{notebook.stem}' has no parameter {key!r} (from {origin}); "
                    f"its parameters are: {', '.join(declared) or 'none'}"
                )
    values: dict[str, object] = {}
    if period is not None:
        derived = {"period_start": period.start.isoformat(), "period_end": period.end.isoformat(), "month": period.month}
        values.update({k: v for k, v in derived.items() if k in declared})
    if "config_path" in declared:
        values["config_path"] = str(config_path)
    values.update(defaults)
    values.update(explicit)
    return {k: _convert(notebook.stem, k, v, declared[k]) for k, v in values.items()}


def report_language(cfg: UEMConfig, language: object = None) -> str:
    """The language a run writes its report in: ``language`` when given, else the config's ``report.language``.

    Raises
    ------
    ParameterError
        ``language`` is not one of :data:`~uem_helpers.core.i18n.LANGUAGES`.
    """
    if not language:
        return cfg.report.language
    try:
        return check_language(str(language), "parameter 'language'")
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


def parameterize(notebook: Path, values: Mapping[str, object]) -> nbformat.NotebookNode:
    """The notebook with its ``injected-parameters`` cell, verified to assign exactly ``values``.

    papermill writes each value as a Python literal; this parses the injected
    code back and refuses to run it unless it is only ``name = literal`` lines
    giving the same values (so no value, whatever quotes or newlines it holds,
    can become code).

    Raises
    ------
    ParameterError
        The injected code would not give back the values (a value papermill cannot write safely).
    """
    nb = load_notebook_node(str(notebook))
    nb = parameterize_notebook(nb, dict(values), kernel_name=KERNEL_NAME, language="python")
    cell = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    try:
        tree = ast.parse(cell.source)
        assigned = {}
        for stmt in tree.body:
            if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
                raise ValueError(ast.unparse(stmt))
            assigned[stmt.targets[0].id] = ast.literal_eval(stmt.value)
    except (SyntaxError, ValueError) as exc:
        raise ParameterError(f"notebook '{notebook.stem}': parameters cannot be injected safely ({exc})") from None
    for key, value in values.items():
        if key not in assigned or repr(assigned[key]) != repr(value):
            raise ParameterError(
                f"notebook '{notebook.stem}': parameter '{key}' value {value!r} cannot be injected safely"
            )
    return nb


def _convert(notebook: str, name: str, value: object, spec: Mapping) -> object:
    """``value`` converted to the type the notebook declares for ``name``."""
    if isinstance(value, (date, datetime)):
        value = value.isoformat()
    if value is None:
        return None
    kind = _declared_type(spec)
    fail = ParameterError(
        f"notebook '{notebook}': parameter '{name}' expects {kind.__name__ if kind else 'a literal'} "
        f"(default {spec.get('default')}), got {value!r}"
    )
    if kind is None or isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool):
        result = value
    elif kind is str and isinstance(value, int) and not isinstance(value, bool):
        result = str(value)  # an id given as a number stays the id's digits
    elif kind is float and isinstance(value, int) and not isinstance(value, bool):
        result = float(value)
    elif isinstance(value, str):
        result = _from_text(value, kind, fail)
    else:
        raise fail
    if not _is_literal(result):
        raise fail
    return result


def _from_text(text: str, kind: type, fail: ParameterError) -> object:
    """Convert command-line text to ``kind`` (int, float, bool, list or dict)."""
    stripped = text.strip()
    try:
        if kind is bool:
            if stripped.lower() in _TRUE | _FALSE:
                return stripped.lower() in _TRUE
            raise ValueError(text)
        if kind is int:
            return int(stripped)
        if kind is float:
            return float(stripped)
        if kind is list:
            if stripped.startswith("["):
                parsed = json.loads(stripped)
                if isinstance(parsed, list):
                    return parsed
                raise ValueError(text)
            return [part.strip() for part in stripped.split(",") if part.strip()]
        parsed = json.loads(stripped)
        if isinstance(parsed, kind):
            return parsed
    except ValueError:
        pass
    raise fail


def _declared_type(spec: Mapping) -> type | None:
    """The declared type: the annotation, else the type of the default literal; None if unknown."""
    if spec.get("inferred_type_name") in _TYPES:
        return _TYPES[spec["inferred_type_name"]]
    try:
        default = ast.literal_eval(spec.get("default") or "None")
    except (ValueError, SyntaxError):
        return None
    return next((t for t in _TYPES.values() if type(default) is t), None)


def _is_literal(value: object) -> bool:
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(_is_literal(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_literal(v) for k, v in value.items())
    return False

"""The state of every report on disk: the per-report lock (a second run fails fast),
``<notebook>.status.json`` (running, ok, no data, failed; interrupted when the running process is
gone; the run's language, and the title, first finding and date of the last good report), and
``reports/index.html`` built from those files (:mod:`uem_helpers.pipeline.index_page`); safe path components and atomic writes.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from uem_helpers.core.errors import EnvironmentFault, ParameterError
from uem_helpers.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from uem_helpers.pipeline.index_page import index_html
from uem_helpers.pipeline.failures import AlreadyRunningError


STATUS_OK, STATUS_NO_DATA, STATUS_FAILED, STATUS_RUNNING = "ok", "no data", "failed", "running"


#: Status shown for a run whose status says "running" but whose process is gone.
STATUS_INTERRUPTED = "interrupted"


def build_index(output_dir: str | Path = "reports", language: str | None = None) -> Path:
    """Write ``<output_dir>/index.html``: the landing page, every report by period with its first finding and status.

    Parameters
    ----------
    output_dir : str or Path
        The reports folder.
    language : str, optional
        The page's language (the run building it); the language of the latest run recorded when omitted.

    Returns
    -------
    Path
        The index file.
    """
    root = Path(output_dir)
    root.mkdir(parents=True, exist_ok=True)
    records = [_read_status(p) for p in sorted(root.glob("*/*.status.json"))]
    records = [r for r in records if r is not None]
    for record in records:  # a status file written before runs recorded when their report was made
        report = root / record["folder"] / str(record.get("html") or "")
        if record.get("html") and not record.get("good_at") and report.is_file():
            record["good_at"] = datetime.fromtimestamp(report.stat().st_mtime).isoformat(timespec="seconds")
    if language is None:
        latest = max(records, key=lambda r: str(r.get("started_at", "")), default={})
        language = latest.get("language") if latest.get("language") in LANGUAGES else DEFAULT_LANGUAGE
    path = root / "index.html"
    _write_atomic(path, index_html(records, language))
    return path


@contextmanager
def _report_lock(folder: Path, name: str, label: str) -> Iterator[None]:
    """Hold ``<folder>/.<name>.lock`` exclusively, or raise AlreadyRunningError naming the holder."""
    path = folder / f".{name}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise EnvironmentFault.from_os_error(exc, "creating the report lock") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunningError(name, label, holder, path) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _safe_component(text: str, what: str) -> str:
    """``text`` if it is one harmless path component, else a ParameterError."""
    if not text or text[0] in ".-" or any(ch in text for ch in "/\\\0") or not all(ch.isalnum() or ch in "_.-" for ch in text):
        raise ParameterError(f"{what} {text!r} cannot be used in a report path (letters, digits, '_', '.', '-' only)")
    return text


def _inside(root: Path, component: str) -> Path:
    """``root / component``, refusing anything that would resolve outside ``root``."""
    path = root / _safe_component(component, "period")
    if not path.resolve().is_relative_to(root.resolve()):
        raise ParameterError(f"report path {path} would leave the output folder {root}")
    return path


def _set_status(root: Path, folder: Path, name: str, record: dict) -> None:
    _write_atomic(folder / f"{name}.status.json", json.dumps(record, ensure_ascii=False, indent=1))
    build_index(root, record.get("language"))


def _read_status(path: Path) -> dict | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    if record.get("status") == STATUS_RUNNING and not _alive(record.get("pid")):
        record["status"] = STATUS_INTERRUPTED
    record["folder"] = path.parent.name
    return record


def _alive(pid: object) -> bool:
    """Whether process ``pid`` exists (only a positive int names one process for os.kill)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path`` and ``os.replace`` it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)

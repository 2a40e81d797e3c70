"""End-to-end tests of the report pipeline: papermill runs, HTML export, failures, locking, index.

The fixture notebooks in ``notebooks/`` import nothing heavy (matplotlib at
most), so a run takes a few seconds. ``ok_report`` declares one parameter of
each type and can fail on demand (``fail = "raise" | "kill" | "sleep" | "pull" | "memory"``) in
its third cell; ``silent_report`` records no run facts.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import fcntl
import io
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from uem_helpers import __version__
from uem_helpers.pipeline import runfacts
from uem_helpers.core.errors import ParameterError
from uem_helpers.pipeline.export import RunInfo, export_html
from uem_helpers.pipeline.page import RUNTIME_CLASS
from uem_helpers.pipeline.kernel import install_kernelspec, kernel_spec
from uem_helpers.pipeline.failures import AlreadyRunningError, CellTimeoutError, KernelDiedError, NotebookCellError, RunTimeoutError
from uem_helpers.pipeline.status import build_index
from uem_helpers.core.period import parse_period
from uem_helpers.pipeline.params import resolve_parameters
from uem_helpers.pipeline.progress import Progress
from uem_helpers.pipeline.run import run_notebook, run_period

FIXTURES = Path(__file__).parent / "notebooks"
CONFIG = """\
sources:
  events: {path: events.parquet}
report:
  notebooks: [ok_report, silent_report, not_written_yet]
  parameters:
    ok_report: {top_n: 7}
"""
# A value that would break out of a naively quoted string literal, and markup that must stay inert.
INJECTION = '"; import pathlib; pathlib.Path("pwned").touch(); x = "\\\n<script>alert(1)</script><img src=x onerror=alert(2)>'
CLI_PARAMETERS = {"user_id": "007", "ratio": "0.25", "show_details": "true", "segments": "a,b", "note": INJECTION}
FAILED_CELL = "cell 3 (import os, sys, time)"  # markdown title, parameters, then the failing cell


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder (config, notebooks/) whose Jupyter path holds decoy kernels that cannot start."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(FIXTURES, root / "notebooks")
    (root / "uem.yml").write_text(CONFIG, encoding="utf-8")
    tiny_events(root / "events.parquet")
    for name in ("python3", "uem"):  # another "python3" (and a stale "uem") must not be used
        folder = root / "jupyter" / "kernels" / name
        folder.mkdir(parents=True)
        spec = {"argv": ["/bin/false", "{connection_file}"], "display_name": "decoy", "language": "python"}
        (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    patch = pytest.MonkeyPatch()
    patch.setenv("JUPYTER_PATH", str(root / "jupyter"))
    patch.setenv("MPLBACKEND", "Agg")  # a headless caller; reports must still embed figures
    yield root
    patch.undo()


def tiny_events(path: Path) -> Path:
    """A four-row event log that meets the data contract (the check before every run loads it)."""
    import pandas as pd

    pd.DataFrame({
        "user_id": ["007", "007", "042", "042"],
        "event": ["app_open", "page_view", "app_open", "page_view"],
        "timestamp": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 09:01", "2026-02-03 10:00", "2026-04-01 11:00"]),
    }).to_parquet(path)
    return path


def _run(project: Path, parameters: dict | None = None, period: str = "2026-01", **kwargs):
    return run_notebook(
        "ok_report",
        parameters,
        config_path=project / "uem.yml",
        period=period,
        output_dir=project / "reports",
        **kwargs,
    )


@pytest.fixture(scope="module")
def published(project):
    """The same report published twice for 2026-01; returns the two HTML texts and the last result."""
    first = _run(project, CLI_PARAMETERS)
    html_1 = first.html.read_text(encoding="utf-8")
    second = _run(project, CLI_PARAMETERS)
    return html_1, second.html.read_text(encoding="utf-8"), second


def _snapshot(result) -> tuple[bytes, bytes]:
    return result.html.read_bytes(), result.ipynb.read_bytes()


# --------------------------------------------------------------------------- a successful run


def test_report_is_one_inert_offline_file_with_header(published):
    _, page, result = published
    assert result.status == "ok" and result.rows == {"events": 3, "users": 2}
    assert result.html == result.html.parent.parent / "2026-01" / "ok_report.html"
    assert not (result.html.parent / ".runs").exists()  # the successful run folder is gone
    assert "UEM_FIXTURE_CODE_MARKER" not in page  # code input hidden
    assert "STDERR_NOISE_MARKER" not in page  # stderr dropped
    assert "data:image/png;base64," in page  # the figure is embedded
    assert "<script" not in page.lower()  # no CDN script, no script from outputs
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page)
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", page, re.IGNORECASE)  # no event handler attribute
    assert all("src=" not in tag or 'src="data:image/' in tag for tag in re.findall(r"<img[^>]*>", page))
    assert '<b id="shown">bold output</b>' in page  # harmless markup survives sanitising
    header = page[page.index('<header class="uem-header">') : page.index("</header>")]
    assert "<h1>Tiny report for pipeline tests</h1>" in header
    assert '<code>user_id</code></td><td><code>"007"</code>' in header  # a string, shown quoted
    assert "<code>top_n</code></td><td><code>7</code>" in header  # config default
    assert "2026-01; data 2026-01-01 to 2026-01-31" in header
    assert "events: 3, users: 2" in header and "fp-0123abcd" in header
    assert f"uem-workbench {__version__}" in header
    assert f'<tr class="{RUNTIME_CLASS}"><th>Run</th><td>started ' in header
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in header  # a parameter value is data, not markup


def test_attached_files_are_published_beside_the_report_not_in_it(published):
    _, page, result = published
    attached = result.html.parent / "ok_report.md"
    assert attached.read_text(encoding="utf-8") == "# ATTACHMENT_MARKER\n" + INJECTION
    assert "ATTACHMENT_MARKER" not in page
    index = (result.html.parent.parent / "index.html").read_text(encoding="utf-8")
    assert '<a href="2026-01/ok_report.md">ok_report.md</a>' in index


def test_attachment_names_cannot_leave_the_report_folder():
    from uem_helpers.pipeline import attachments

    for name in ("../evil.md", "/etc/passwd.md", "a/b.md", "x.html", "x.py", ".md", ""):
        with pytest.raises(ParameterError, match="not allowed"):
            attachments.check_name(name)
    assert attachments.check_name("monthly_retro.md") == "monthly_retro.md"


def test_parameters_keep_their_types_and_cannot_inject_code(project, published):
    _, _, result = published
    nb = nbformat.read(result.ipynb, as_version=4)
    line = next(o.text for c in nb.cells for o in c.get("outputs", []) if o.get("text", "").startswith("PARAMS="))
    seen = ast.literal_eval(line.removeprefix("PARAMS="))
    assert seen["user_id"] == "007"
    assert seen["top_n"] == 7 and seen["ratio"] == 0.25 and seen["show_details"] is True
    assert seen["segments"] == ["a", "b"]
    assert seen["note"] == INJECTION
    assert seen["python"] == sys.executable  # our kernel, not the decoy "python3"
    assert not (project / "notebooks" / "pwned").exists()


def test_two_runs_differ_only_in_the_run_time_line(published):
    first, second, _ = published
    strip = lambda page: [ln for ln in page.splitlines() if RUNTIME_CLASS not in ln]  # noqa: E731
    # The run line (started at, to the minute; how long it took) may differ between the two runs ...
    assert all(any(RUNTIME_CLASS in line for line in page.splitlines()) for page in (first, second))
    changed = [line[:200] for line in difflib.unified_diff(strip(first), strip(second), lineterm="", n=0)]
    assert strip(first) == strip(second), "\n".join(changed[:20])  # ... and nothing else


def test_resolve_parameters_converts_to_declared_types(project):
    nb = project / "notebooks" / "ok_report.ipynb"
    explicit = {"user_id": 12345678901234567, "top_n": "12", "show_details": "0", "segments": '["x", 1]', "ratio": 1}
    values = resolve_parameters(nb, explicit, {"top_n": 7}, parse_period("2026-01..2026-03"), Path("/x/uem.yml"))
    assert values == {
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
        "month": "2026-03",
        "config_path": "/x/uem.yml",
        "top_n": 12,
        "user_id": "12345678901234567",
        "show_details": False,
        "segments": ["x", 1],
        "ratio": 1.0,
    }
    assert type(values["ratio"]) is float
    with pytest.raises(ParameterError, match=r"parameter 'top_n' expects int \(default 5\), got 'twelve'"):
        resolve_parameters(nb, {"top_n": "twelve"}, {}, None, Path("uem.yml"))
    with pytest.raises(ParameterError, match="parameter 'show_details' expects bool"):
        resolve_parameters(nb, {"show_details": "maybe"}, {}, None, Path("uem.yml"))


# --------------------------------------------------------------------------- refused before running


@pytest.mark.parametrize(
    ("parameters", "origin"),
    [({"star_date": "2026-01-01"}, "parameters"), ({"a-b": 1}, "parameters"), ({"class": 1}, "parameters")],
)
def test_unknown_parameter_lists_the_valid_names_and_writes_nothing(project, parameters, origin):
    with pytest.raises(ParameterError) as info:
        _run(project, parameters, period="2026-05")
    message = str(info.value)
    assert f"has no parameter {next(iter(parameters))!r} (from {origin})" in message
    assert "its parameters are: period_start, period_end, month, config_path, user_id" in message
    assert not (project / "reports" / "2026-05").exists()


def test_unknown_parameter_in_config_defaults_is_refused(project, tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text(CONFIG.replace("{top_n: 7}", "{topn: 7}"), encoding="utf-8")
    with pytest.raises(ParameterError, match=r"no parameter 'topn' \(from config report.parameters\)"):
        run_notebook(project / "notebooks" / "ok_report.ipynb", config_path=config, period="2026-01", output_dir=tmp_path)


@pytest.mark.parametrize(
    ("period", "parameters", "match"),
    [
        ("../2026-01", None, "expected YYYY-MM"),
        ("2026-01/../../x", None, "expected YYYY-MM"),
        ("/etc", None, "expected YYYY-MM"),
        ("2026-01\n", None, "expected YYYY-MM"),
        (None, {"month": "../../etc"}, "expected YYYY-MM"),
        ("2026-03..2026-01", None, "ends before it starts"),
    ],
)
def test_report_paths_cannot_leave_the_output_folder(project, tmp_path, period, parameters, match):
    with pytest.raises(ParameterError, match=match):
        run_notebook("ok_report", parameters, config_path=project / "uem.yml", period=period, output_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_notebook_name_must_be_a_plain_file_name(project, tmp_path):
    odd = tmp_path / "$(touch x);.ipynb"
    shutil.copy(project / "notebooks" / "silent_report.ipynb", odd)
    with pytest.raises(ParameterError, match=r"notebook name '\$\(touch x\);' cannot be used in a report path"):
        run_notebook(odd, config_path=project / "uem.yml", period="2026-01", output_dir=tmp_path / "out")
    with pytest.raises(ParameterError, match="notebook 'no_such' not found.*available notebooks: .*ok_report.*silent_report"):
        run_notebook("no_such", config_path=project / "uem.yml", period="2026-01", output_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_concurrent_run_is_refused_and_writes_nothing(project, published):
    _, _, result = published
    folder = result.html.parent
    files = lambda: {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".lock"}  # noqa: E731
    before = files()
    with open(folder / ".ok_report.lock", "r+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.seek(0), holder.truncate(), holder.write("4242"), holder.flush()
        with pytest.raises(AlreadyRunningError, match=r"'ok_report' for period 2026-01 is already running \(pid 4242"):
            _run(project, CLI_PARAMETERS)
    assert files() == before
    assert not (folder / ".runs").exists()


# --------------------------------------------------------------------------- failed runs


@pytest.mark.parametrize(
    ("fail", "timeouts", "error", "cause"),
    [
        ("raise", {}, NotebookCellError, "ValueError: boom <b>预期的失败</b>"),
        ("kill", {}, KernelDiedError, "the kernel died"),
        ("sleep", {"cell_timeout": 2}, CellTimeoutError, "the cell ran longer than the cell timeout of 2 s; for a large log raise report.cell_timeout"),
        ("sleep", {"cell_timeout": 60, "run_timeout": 10}, RunTimeoutError, "the run took longer than the run timeout of 10 s and was stopped; for a large log raise report.run_timeout"),
    ],
    ids=["cell-error", "killed-kernel", "cell-timeout", "run-timeout"],
)
def test_failed_run_keeps_the_last_good_report(project, published, fail, timeouts, error, cause):
    _, _, good = published
    before = _snapshot(good)
    with pytest.raises(error) as info:
        _run(project, {**CLI_PARAMETERS, "fail": fail}, **timeouts)
    message = str(info.value)
    assert f"report 'ok_report' failed at {FAILED_CELL}: {cause}" in message
    kept = info.value.kept
    assert str(kept) in message and kept.is_file()
    assert kept.parent.parent.name == ".runs" and kept.parent.parent.parent == good.html.parent
    assert _snapshot(good) == before  # byte-identical
    status = json.loads((good.html.parent / "ok_report.status.json").read_text(encoding="utf-8"))
    assert status["status"] == "failed" and status["message"] == message and status["html"] == "ok_report.html"
    assert status["attachments"] == ["ok_report.md"]  # the last good run's wiki page stays linked too
    if error is NotebookCellError:
        assert (info.value.error_name, info.value.cell_number) == ("ValueError", 3)
    assert _processes_in(project / "notebooks") == []  # runner and kernel are gone


def test_the_row_guard_reaches_the_notebook_kernel(project, tmp_path, monkeypatch):
    """``UEM_MAX_RESULT_ROWS`` set for ``uem report`` is inherited by the runner and the kernel it starts."""
    monkeypatch.setenv("UEM_MAX_RESULT_ROWS", "5")
    with pytest.raises(NotebookCellError) as info:
        run_notebook("ok_report", {"fail": "pull"}, config_path=project / "uem.yml", period="2026-01",
                     output_dir=tmp_path)
    assert (info.value.error_name, info.value.cell_number) == ("ResultTooLargeError", 3)
    assert "a notebook cell (line 10) brought back more than 5 rows into memory" in str(info.value)
    assert "the row guard (UEM_MAX_RESULT_ROWS) allows 5" in str(info.value)


def _processes_in(folder: Path, grace_s: float = 5.0) -> list:
    """Processes whose working directory is ``folder`` (runs execute there), after a short grace."""
    deadline = time.monotonic() + grace_s
    while True:
        found = []
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if proc.status() != psutil.STATUS_ZOMBIE and Path(proc.cwd()) == folder:
                    found.append(proc)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


# --------------------------------------------------------------------------- batches and the index


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_run_period_continues_and_the_index_shows_every_run(project):
    screen = _Terminal()
    results = run_period(
        "2026-02",
        config_path=project / "uem.yml",
        output_dir=project / "reports",
        parameters={"events_read": "0", "value": "9"},
        progress=Progress(screen, width=200),
    )
    assert [(r.notebook, r.status) for r in results] == [("ok_report", "no data"), ("silent_report", "ok")]
    # a terminal: one line redrawn with the cell the kernel is on (its last one at least), one kept per notebook
    cells = len(nbformat.read(FIXTURES / "ok_report.ipynb", as_version=4).cells)
    drawn = screen.getvalue().split("\r")
    assert any(re.fullmatch(rf"\[1/2\] ok_report  cell {cells}/{cells}  0:\d\d *", line) for line in drawn), drawn
    assert re.search(r"\[1/2\] ok_report  no data  \d+ s *\n", screen.getvalue())
    assert re.search(r"\[2/2\] silent_report  ok  \d+ s *\n$", screen.getvalue())
    for result in results:  # the time each notebook took, in its status file and on the index
        status = json.loads((result.html.parent / f"{result.notebook}.status.json").read_text(encoding="utf-8"))
        assert status["duration_s"] == round(result.duration_s, 1) and status["duration_s"] > 0
        slowest = status["slowest_cells"]  # where the time went, cells numbered as failures number them
        assert slowest and [c["seconds"] for c in slowest] == sorted((c["seconds"] for c in slowest), reverse=True)
        assert all(isinstance(c["cell"], int) and c["cell"] > 1 and c["line"] for c in slowest)
    silent = results[1].html.read_text(encoding="utf-8")
    assert "<tr><th>Rows read</th><td>not recorded</td></tr>" in silent
    assert "<tr><th>Data fingerprint</th><td>not recorded</td></tr>" in silent
    assert "<code>value</code></td><td><code>9</code>" in silent  # each notebook got only its own parameters
    index = (project / "reports" / "index.html").read_text(encoding="utf-8")
    assert index.index("2026-02") < index.index("2026-01")  # newest period first
    assert '<span class="no-data">no data in this period, run on 2026-' in index
    assert len(re.findall(r'<span class="uem-took">took \d+ s</span>', index)) >= 2
    assert '<a href="2026-02/silent_report.html">Silent report</a>' in index  # its title, linking its report


def test_run_period_reports_a_failure_and_goes_on(project, tmp_path):
    results = run_period(
        "2026-04",
        config_path=project / "uem.yml",
        notebooks=["no_such", "silent_report"],
        output_dir=tmp_path,
        progress=Progress(log := io.StringIO()),
    )
    assert [(r.notebook, r.status) for r in results] == [("no_such", "failed"), ("silent_report", "ok")]
    # not a terminal (a cron log): a time-stamped line when each notebook starts and one when it ends
    lines = [line[20:] for line in log.getvalue().splitlines()]
    assert "\r" not in log.getvalue()
    assert [re.sub(r"\d+ s$", "N s", line) for line in lines[:5]] == [
        "checking the data and the config started", "checking the data and the config done in N s",
        "[1/2] no_such started", "[1/2] no_such failed in N s", "[2/2] silent_report started"]
    assert re.fullmatch(r"\[2/2\] silent_report ok in \d+ s", lines[-1]) and all(
        re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S", line) for line in log.getvalue().splitlines())
    assert isinstance(results[0].error, ParameterError) and not results[0].ok
    with pytest.raises(ParameterError, match="no notebook of this batch has a parameter 'star_date'.*month"):
        run_period("2026-04", config_path=project / "uem.yml", parameters={"star_date": "x"}, output_dir=tmp_path)


def test_index_escapes_names_and_messages(tmp_path):
    folder = tmp_path / "2026-01"
    folder.mkdir()
    record = {
        "notebook": "<img src=x onerror=alert(1)>",
        "period": "2026-01",
        "status": "failed",
        "message": "ValueError: <script>alert(2)</script>",
        "html": "a b.html",
    }
    (folder / "x.status.json").write_text(json.dumps(record), encoding="utf-8")
    (folder / "y.status.json").write_text(json.dumps({**record, "status": "running", "pid": -1}), encoding="utf-8")
    page = build_index(tmp_path).read_text(encoding="utf-8")
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert '<a href="2026-01/a%20b.html">&lt;img src=x onerror=alert(1)&gt;</a>' in page
    assert '<span class="interrupted">interrupted' in page  # "running" but its process is gone


# --------------------------------------------------------------------------- export, run facts, kernel


def test_export_sanitises_markdown_and_html_outputs():
    out = nbformat.v4.new_output
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title\n<script>alert(1)</script> [x](javascript:alert(2)) ![](/etc/x.png)"),
        nbformat.v4.new_code_cell(
            "SECRET = 1",
            outputs=[
                out("display_data", data={"text/html": "<img src=x onerror=alert(3)><a href='https://e.x'>ok</a>"}),
                out("display_data", data={"application/javascript": "alert(4)"}),
                out("display_data", data={"text/markdown": "**md** <iframe src='https://e.x'></iframe>"}),
                out("stream", name="stderr", text="noise"),
            ],
        ),
    ]
    info = RunInfo("t", {}, None, __import__("datetime").datetime(2026, 1, 1), 1.0)
    page = export_html(nb, info)
    body = page[page.index("</header>") :]
    assert "<script" not in body and "<iframe" not in body and 'href="javascript' not in body
    assert not re.search(r"<[a-z][^>]*\son\w+\s*=", body, re.IGNORECASE)
    assert re.findall(r"<img[^>]*>", body) == ['<img alt="No description has been provided for this image"/>']
    assert "alert(4)" not in body and "noise" not in body and "SECRET" not in body
    assert '<a href="https://e.x">ok</a>' in body
    assert "<strong>md</strong>" in body
    assert "<tr><th>Period</th><td>not given</td></tr>" in page
    assert "<tr><th>Parameters</th><td>none</td></tr>" in page


def test_runfacts_merge_and_no_data():
    rows = lambda n: {"data": {runfacts.MIME_TYPE: {"rows": {"events": n}}}}  # noqa: E731
    cells = [
        {"outputs": [rows(5), {"data": {"text/plain": "x"}}]},
        {"outputs": [{"data": {runfacts.MIME_TYPE: {"rows": {"users": 0}, "fingerprint": "f", "period": ["a", "b"]}}}]},
    ]
    facts = runfacts.read(cells)
    assert facts == runfacts.RunFacts(rows={"events": 5, "users": 0}, fingerprint="f", period=("a", "b"))
    assert not facts.no_data
    assert runfacts.read([{"outputs": [rows(0)]}]).no_data
    assert runfacts.read([{"outputs": [{"data": {"text/plain": "x"}}]}]) is None
    for bad in (-1, True, 1.5):
        with pytest.raises(ParameterError, match=f"rows for table 'events' must be a non-negative integer, got {bad!r}"):
            runfacts.record(rows={"events": bad})


def test_kernel_is_this_python_and_install_is_idempotent(tmp_path):
    assert kernel_spec().argv[0] == sys.executable
    folder = install_kernelspec(tmp_path)
    spec = folder / "kernel.json"
    assert json.loads(spec.read_text(encoding="utf-8"))["argv"][0] == sys.executable
    stamp = spec.stat().st_mtime_ns
    os.utime(spec, ns=(stamp - 10**9, stamp - 10**9))
    assert install_kernelspec(tmp_path) == folder
    assert spec.stat().st_mtime_ns == stamp - 10**9  # unchanged content: not rewritten

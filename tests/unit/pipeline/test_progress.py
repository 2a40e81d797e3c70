"""Progress on long work: the terminal's one updating line, the log's time-stamped lines, the runner's step file."""

from __future__ import annotations

import io
import subprocess
import time
from datetime import datetime, timedelta

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from uem_helpers.pipeline import execute
from uem_helpers.pipeline.progress import (
    STEP_EVERY,
    STILL_EVERY,
    Progress,
    cell_numbers,
    is_injected,
    read_step,
    slowest_cells,
    write_step,
)


class FakeClock:
    """Monotonic seconds and wall-clock time that move only when a test says so."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def now(self) -> datetime:
        return datetime(2026, 11, 2, 6, 0, 0) + timedelta(seconds=self.seconds)


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(stream, clock, **kwargs) -> Progress:
    return Progress(stream, clock=clock, now=clock.now, **kwargs)


def test_a_terminal_gets_one_updating_line_and_a_line_that_stays_per_notebook():
    clock, out = FakeClock(), Tty()
    shown = _progress(out, clock, total=5, width=80)
    assert shown.live  # a terminal: the line is redrawn
    shown.start("onboarding_funnel")
    shown.finish("ok", 31.2)
    shown.start("cart_abandonment")
    clock.seconds = 90
    shown.step("cell 14/31")
    clock.seconds = 102.4
    shown.tick()
    assert out.getvalue().split("\r")[1:] == [
        "[1/5] onboarding_funnel  0:00",
        "[1/5] onboarding_funnel  ok  31 s\n",
        "[2/5] cart_abandonment  0:00",
        "[2/5] cart_abandonment  cell 14/31  1:30",
        "[2/5] cart_abandonment  cell 14/31  1:42",
    ]
    assert "\n" not in out.getvalue().split("ok  31 s\n")[1]  # one line, redrawn in place


def test_a_shorter_line_blanks_what_the_longer_one_left_and_no_line_is_wider_than_the_terminal():
    clock, out = FakeClock(), Tty()
    shown = _progress(out, clock, total=2, width=30)
    shown.start("a_notebook_with_a_very_long_name")
    shown.finish("failed", 4)
    assert all(len(part.rstrip("\n")) <= 29 for part in out.getvalue().split("\r"))
    out.truncate(0)
    out.seek(0)
    shown.start("b")
    shown.step("cell 2/9")
    shown.step("x")
    assert out.getvalue() == "\r[2/2] b  0:00" + "\r[2/2] b  cell 2/9  0:00" + "\r[2/2] b  x  0:00" + " " * 7


def test_a_log_gets_time_stamped_lines_at_a_sensible_rate_and_no_carriage_return():
    clock, out = FakeClock(), io.StringIO()  # not a terminal: a cron job's log
    shown = _progress(out, clock, total=2)
    assert not shown.live
    shown.start("checking the data", counted=False)  # outside the count of notebooks
    shown.finish("done")
    shown.start("journey_map")
    for second in range(0, 600):  # a cell a second for ten minutes, and a tick every second
        clock.seconds = second
        shown.step(f"cell {second // 20 + 1}/31")
        shown.tick()
    clock.seconds = 700  # the last cell goes on: said again after STILL_EVERY seconds
    shown.tick()
    clock.seconds = 1000
    shown.tick()
    shown.finish("ok")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[:2] == ["2026-11-02 06:00:00 checking the data started", "2026-11-02 06:00:00 checking the data done in 0 s"]
    lines = lines[2:]
    assert lines[0] == "2026-11-02 06:00:00 [1/2] journey_map started"
    assert lines[1] == "2026-11-02 06:00:30 [1/2] journey_map cell 2/31 (0:30)"
    assert lines[-3] == "2026-11-02 06:11:40 [1/2] journey_map cell 30/31 (11:40)"
    assert lines[-2] == "2026-11-02 06:16:40 [1/2] journey_map cell 30/31 (16:40)"  # still on it, said again
    assert lines[-1] == "2026-11-02 06:16:40 [1/2] journey_map ok in 16.7 min"
    start = clock.now() - timedelta(seconds=1000)
    offsets = [(datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S") - start).seconds for line in lines[1:-1]]
    # one step line per STEP_EVERY seconds at most (not one per cell), then the last cell again after STILL_EVERY
    assert offsets == [*range(int(STEP_EVERY), 600, int(STEP_EVERY)), 700, 700 + int(STILL_EVERY)]


def test_one_notebook_alone_has_no_counter_and_disabled_progress_writes_nothing():
    clock, out = FakeClock(), io.StringIO()
    shown = _progress(out, clock)
    shown.start("monthly_retro")
    clock.seconds = 5
    shown.finish("no data")
    assert out.getvalue().splitlines() == ["2026-11-02 06:00:00 monthly_retro started",
                                           "2026-11-02 06:00:05 monthly_retro no data in 5 s"]
    quiet, tty = _progress(io.StringIO(), clock, enabled=False), Tty()
    loud = _progress(tty, clock, enabled=False)
    for each in (quiet, loud):
        each.start("x")
        each.step("cell 1/2")
        each.tick()
        each.finish("ok")
    assert quiet.stream.getvalue() == "" and tty.getvalue() == ""


def test_a_dumb_terminal_gets_plain_lines(monkeypatch):
    monkeypatch.setenv("TERM", "dumb")
    assert not Progress(Tty()).live
    monkeypatch.setenv("TERM", "xterm-256color")
    assert Progress(Tty()).live


def test_ticking_redraws_in_the_background_and_ends_an_unfinished_line():
    out = Tty()
    shown = Progress(out, width=80)
    with shown.ticking(every=0.01):
        shown.start("x")
        for _wait in range(200):  # until the thread has drawn at least once more
            if out.getvalue().count("\r") > 1:
                break
            time.sleep(0.01)
    assert out.getvalue().count("\r") > 1 and out.getvalue().endswith("\n")


def test_cells_are_numbered_as_error_messages_number_them():
    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                             new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
                             new_code_cell("print(x)")])
    numbers, total = cell_numbers(nb.cells, is_injected)
    assert (numbers, total) == ([1, 2, 2, 3], 3)


def test_the_slowest_cells_are_named_as_error_messages_name_them():
    timed = [new_markdown_cell("# t"), new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
             new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
             new_code_cell("\nanalysis = analyse_journey(data)\nprint(1)"), new_code_cell("report.show(analysis)"),
             new_code_cell("never_ran()")]
    for cell, seconds in zip(timed[1:5], [0.01, 99.0, 62.34, 1.5]):
        cell.metadata["papermill"] = {"duration": seconds}
    assert slowest_cells(timed, count=2) == [{"cell": 3, "seconds": 62.3, "line": "analysis = analyse_journey(data)"},
                                             {"cell": 4, "seconds": 1.5, "line": "report.show(analysis)"}]


def test_the_runner_records_each_cell_it_starts_in_the_run_folder(tmp_path, monkeypatch):
    from papermill.engines import NBClientEngine, NotebookExecutionManager

    nb = new_notebook(cells=[new_markdown_cell("# t"), new_code_cell("x = 2", metadata={"tags": ["injected-parameters"]}),
                             new_code_cell("print(x)")])
    nb.metadata.papermill = {}  # as papermill.execute_notebook prepares it
    seen = []

    def fake_execute(cls, nb_man, kernel_name, **kwargs):  # papermill's loop, without a kernel
        for index, cell in enumerate(nb_man.nb.cells):
            nb_man.cell_start(cell, index)
            seen.append(read_step(tmp_path))

    monkeypatch.setattr(NBClientEngine, "execute_managed_notebook", classmethod(fake_execute))
    manager = NotebookExecutionManager(nb, output_path=str(tmp_path / "x.ipynb"), progress_bar=False)
    manager.notebook_start()
    execute._StepEngine.execute_managed_notebook(manager, "python3")
    assert seen == ["cell 1/2", "cell 1/2", "cell 2/2"]
    assert manager.nb.cells[2].metadata.papermill.start_time  # papermill's own record goes on


class FakeRunner:
    """A runner process that ends after ``polls`` looks, writing a new cell into the run folder each time."""

    def __init__(self, run_dir, polls: int) -> None:
        self.run_dir, self.polls, self.looks = run_dir, polls, 0

    def wait(self, timeout: float) -> int:
        self.looks += 1
        write_step(self.run_dir, f"cell {self.looks}/{self.polls}")
        if self.looks < self.polls:
            raise subprocess.TimeoutExpired("runner", timeout)
        return 0


def test_the_waiting_process_hands_on_each_step_and_the_last_one(tmp_path):
    assert read_step(tmp_path) == ""  # before the runner's first cell
    steps: list[str] = []
    code = execute._wait(FakeRunner(tmp_path, 3), tmp_path, deadline=float("inf"), on_step=steps.append)
    assert code == 0 and steps == ["cell 1/3", "cell 2/3", "cell 3/3"]
    with pytest.raises(subprocess.TimeoutExpired):
        execute._wait(FakeRunner(tmp_path, 3), tmp_path, deadline=0.0, on_step=steps.append)

"""Progress on long work: which notebook (or table, or check) is running, how far it is, for how long.

``uem report``, ``uem run`` and ``uem validate`` tell a person what they are doing while they do it:

- on a terminal, **one updating line**, ``[2/5] cart_abandonment  cell 14/31  1:42``, redrawn twice a
  second, and one line that stays when a notebook (or the whole check) ends:
  ``[2/5] cart_abandonment  ok  1.7 min``;
- anywhere else (a cron job's log, a pipe), **plain time-stamped lines**: one when a notebook starts,
  one when it ends with the time it took, and between them the step it is on, at most one line every
  :data:`STEP_EVERY` seconds (and one every :data:`STILL_EVERY` seconds while one step goes on), never
  a carriage return.

The line has no colour in either form (``NO_COLOR`` has nothing to turn off), a terminal whose
``TERM`` is ``dumb`` gets the plain lines, and times read as :func:`uem_helpers.core.formats.clock`
(ticking) and :func:`uem_helpers.core.formats.duration` (done). The messages stay English, like every
CLI message.

A notebook runs on a kernel in another process, so its step (the cell it is on) comes from the runner
process: papermill's engine hook writes ``cell N/M`` to a small file in the run folder
(:func:`write_step`), and the waiting ``uem`` process reads it (:func:`read_step`) and hands it to
:meth:`Progress.step`. Cells are numbered as the error messages number them: the notebook's cells,
Markdown included, without the injected parameters.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TextIO

from uem_helpers.core import formats

#: Least seconds between two step lines in the plain (not a terminal) form.
STEP_EVERY = 30.0
#: Seconds after which the plain form repeats a step that is still going on.
STILL_EVERY = 300.0
#: Seconds between two redraws of the terminal line.
REDRAW_EVERY = 0.5
#: The file in a run folder where the runner writes the cell it is on.
STEP_FILE = "step.txt"


class Progress:
    """Progress of a batch of items (notebooks, or the steps of one check) on a stream.

    Parameters
    ----------
    stream : text stream, optional
        Where the lines go; ``sys.stderr`` when omitted.
    total : int, optional
        Items in the batch; with more than one, each line starts ``[i/total]``.
    live : bool, optional
        One updating line (a terminal) rather than plain time-stamped lines; by default, whether the
        stream is a terminal and ``TERM`` is not ``dumb``.
    enabled : bool
        False prints nothing (``--no-progress``).
    clock : callable
        Seconds, monotonic (``time.monotonic``); tests pass a fake one.
    now : callable
        The wall-clock time of a plain line (``datetime.now``).
    width : int, optional
        Columns of the terminal line; the terminal's width when omitted.
    """

    def __init__(self, stream: TextIO | None = None, *, total: int | None = None, live: bool | None = None,
                 enabled: bool = True, clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = datetime.now, width: int | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total = total
        self.live = _is_terminal(self.stream) if live is None else live
        self.enabled = enabled
        self._clock, self._now, self._width = clock, now, width
        self._lock = threading.RLock()
        self._index = 0
        self._name: str | None = None
        self._started = self._step_since = self._last_line = 0.0
        self._step = ""
        self._shown_step = ""
        self._drawn = 0  # characters of the terminal line now on screen
        self._counted = True

    def start(self, name: str, counted: bool = True) -> None:
        """An item begins: the next notebook, or (``counted=False``, outside the ``[i/total]`` count) a check."""
        with self._lock:
            self._index += counted
            self._counted = counted
            self._name, self._step, self._shown_step = name, "", ""
            self._started = self._step_since = self._clock()
            if self.live:
                self._draw()
            else:
                self._plain("started")

    def step(self, text: str) -> None:
        """The item is on a new step (``"cell 14/31"``, ``"loading events"``); repeating the current one does nothing."""
        with self._lock:
            if self._name is None or text == self._step:
                return
            self._step, self._step_since = text, self._clock()
            self.tick()

    def tick(self) -> None:
        """Redraw the terminal line (its clock moves), or write a step line when one is due."""
        with self._lock:
            if self._name is None:
                return
            if self.live:
                self._draw()
                return
            now = self._clock()
            changed = self._step and self._step != self._shown_step and now - self._last_line >= STEP_EVERY
            still = self._step and self._step == self._shown_step and now - self._last_line >= STILL_EVERY
            if changed or still:
                self._shown_step = self._step
                self._plain(f"{self._step} ({formats.clock(now - self._started)})")

    def finish(self, outcome: str, seconds: float | None = None) -> None:
        """The item ended with ``outcome`` (``"ok"``, ``"failed"``...) after ``seconds`` (measured here when omitted)."""
        with self._lock:
            if self._name is None:
                return
            took = formats.duration(self._clock() - self._started if seconds is None else seconds)
            if self.live:
                self._write_line(f"{self._prefix()}  {outcome}  {took}", end="\n")
            else:
                self._plain(f"{outcome} in {took}")
            self._name = None

    @contextmanager
    def ticking(self, every: float | None = None) -> Iterator[Progress]:
        """Call :meth:`tick` from a background thread while the block runs (the terminal clock, the plain heartbeat)."""
        if not self.enabled:
            yield self
            return
        stop = threading.Event()
        pause = every if every is not None else (REDRAW_EVERY if self.live else 1.0)

        def loop() -> None:
            while not stop.wait(pause):
                self.tick()

        thread = threading.Thread(target=loop, name="uem-progress", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join()
            with self._lock:
                if self.live and self._drawn:  # an item left unfinished (Ctrl-C): end its line
                    self.stream.write("\n")
                    self.stream.flush()
                    self._drawn = 0

    def _prefix(self) -> str:
        counter = f"[{self._index}/{self.total}] " if self._counted and self.total and self.total > 1 else ""
        return f"{counter}{self._name}"

    def _draw(self) -> None:
        step = f"  {self._step}" if self._step else ""
        self._write_line(f"{self._prefix()}{step}  {formats.clock(self._clock() - self._started)}")

    def _write_line(self, text: str, end: str = "") -> None:
        """Overwrite the terminal line with ``text`` (cut to the width, so that it never wraps)."""
        if not self.enabled:
            return
        width = self._width or shutil.get_terminal_size((100, 24)).columns
        text = text[: max(width - 1, 10)]
        self.stream.write("\r" + text + " " * max(self._drawn - len(text), 0) + end)
        self.stream.flush()
        self._drawn = 0 if end else len(text)

    def _plain(self, what: str) -> None:
        self._last_line = self._clock()
        if not self.enabled:
            return
        self.stream.write(f"{self._now():%Y-%m-%d %H:%M:%S} {self._prefix()} {what}\n")
        self.stream.flush()


def _is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal that can redraw a line."""
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def cell_numbers(cells: list, skip: Callable[[object], bool]) -> tuple[list[int], int]:
    """Each cell's number as error messages give it (cells ``skip`` leaves out share the number before them), and how many.

    >>> cell_numbers(["md", "params", "injected", "code"], lambda c: c == "injected")
    ([1, 2, 2, 3], 3)
    """
    numbers, count = [], 0
    for cell in cells:
        if not skip(cell):
            count += 1
        numbers.append(max(count, 1))
    return numbers, count


def slowest_cells(cells: list, count: int = 3) -> list[dict]:
    """The ``count`` cells of an executed notebook that took longest, as papermill timed them, slowest first.

    Each is ``{"cell": number (as error messages number it), "seconds": ..., "line": its first line}``; a run's
    status file keeps them, so that a slow report says where its time went.
    """
    numbers, _total = cell_numbers(cells, is_injected)
    timed = []
    for cell, number in zip(cells, numbers):
        seconds = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.get("cell_type") == "code" and not is_injected(cell) and isinstance(seconds, (int, float)):
            line = next((ln.strip() for ln in str(cell.get("source", "")).splitlines() if ln.strip()), "")
            timed.append({"cell": number, "seconds": round(float(seconds), 1), "line": line[:100]})
    return sorted(timed, key=lambda c: -c["seconds"])[:count]


def is_injected(cell) -> bool:
    """Whether ``cell`` holds the parameters papermill injected (not a cell of the notebook as written)."""
    return "injected-parameters" in cell.get("metadata", {}).get("tags", [])


def write_step(run_dir: Path, text: str) -> None:
    """Record the step a runner is on (``"cell 14/31"``) in its run folder, atomically, for :func:`read_step`."""
    path = run_dir / STEP_FILE
    tmp = run_dir / f".{STEP_FILE}.{os.getpid()}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def read_step(run_dir: Path) -> str:
    """The step the runner in ``run_dir`` last recorded; empty before its first."""
    try:
        return (run_dir / STEP_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return ""

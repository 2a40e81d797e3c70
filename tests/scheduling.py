"""How ``make test`` shares the tests between two pytest-xdist workers (``-n 2 --dist loadgroup``).

A work unit is a test file, so a file's module fixtures run once and a notebook's nbval cells
run in order on one worker; the tests of a group (tests/conftest.py: ``spark`` for every test
on the Spark session, ``reliability`` for the catalogue's one project) form one unit of their
own, whatever their file. Units go out slowest first, so no long file is left for the end
while the other worker idles.

Each worker writes the groups of the tests it collected into a folder the controller names
in its ``workerinput``; the scheduler reads them once every worker has collected. (xdist's
own ``xdist_group`` mark works by rewriting node ids, which pytest 9 no longer allows.)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

#: The ``workerinput`` key naming the folder where each worker writes its groups.
GROUPS_DIR = "uem_groups_dir"
#: The controller's record of that folder.
GROUPS_DIR_KEY = pytest.StashKey[str]()
#: Where the slow units live (notebook runs, the CLI, Chromium, the Spark session), slowest first.
SLOW_FIRST = ("@", "tests/notebooks/generated/", "tests/e2e/", "tests/reliability/")


def name_groups_dir(node) -> None:
    """(controller) Give each worker the one folder, made for this run, to write its groups into."""
    stash = node.config.stash
    if GROUPS_DIR_KEY not in stash:
        stash[GROUPS_DIR_KEY] = tempfile.mkdtemp(prefix="uem-xdist-groups-")
    node.workerinput[GROUPS_DIR] = stash[GROUPS_DIR_KEY]


def write_groups(config, groups: dict[str, str]) -> None:
    """(worker) Write ``{node id: group}`` of the collected tests where the controller said, atomically
    (nothing when the controller named no folder: another ``--dist`` mode)."""
    if GROUPS_DIR not in config.workerinput:
        return
    folder = Path(config.workerinput[GROUPS_DIR])
    folder.mkdir(parents=True, exist_ok=True)
    worker = config.workerinput["workerid"]
    part = folder / f"{worker}.part"
    part.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(part, folder / f"{worker}.json")


def _rank(scope: str) -> int:
    """Position of the first entry of :data:`SLOW_FIRST` in the unit's scope (a group's scope starts with ``@``)."""
    return next((i for i, mark in enumerate(SLOW_FIRST) if mark in scope), len(SLOW_FIRST))


class FileOrGroupScheduling(LoadScopeScheduling):
    """xdist's scope scheduling with one unit per group and otherwise one per file."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.groups: dict[str, str] = {}

    def schedule(self) -> None:
        if self.collection is None:  # the first call: every worker has collected and written its groups
            folder = Path(self.config.stash[GROUPS_DIR_KEY])
            for path in sorted(folder.glob("*.json")):
                self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            shutil.rmtree(folder, ignore_errors=True)
        super().schedule()

    def _split_scope(self, nodeid: str) -> str:
        group = self.groups.get(nodeid)
        return f"@{group}" if group else nodeid.split("::", 1)[0]

    def _assign_work_unit(self, node) -> None:
        # The queue is ordered by test count; send the first unit of the slowest rank instead.
        scope = min(self.workqueue, key=_rank)
        self.workqueue.move_to_end(scope, last=False)
        super()._assign_work_unit(node)

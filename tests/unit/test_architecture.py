"""The tree shows the architecture (docs/architecture.md), and the code is held to it.

- import-linter's contracts in pyproject.toml pass on the package, and fail when an
  analysis imports a chart (proved on a copy of the package with one bad import);
- no module is over 600 lines, and only a handful of modules sit at the top;
- docs/architecture.md names every subpackage, and every package path it names exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "uem_helpers"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
MAX_LINES = 600
MAX_TOP_LEVEL_MODULES = 3  # __init__ (version), cli, and room for one more entry point


def _lint(folder: Path) -> subprocess.CompletedProcess:
    """Run lint-imports on the package and pyproject.toml in ``folder`` (that copy, not the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)


def test_import_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("layers")
    shutil.copytree(PACKAGE, folder / "uem_helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", folder / "pyproject.toml")
    return folder


@pytest.mark.parametrize(
    ("importer", "bad_import", "contract"),
    [
        ("analyses/funnel.py", "from uem_helpers.present import plots", "Layers: imports only go down"),
        ("analyses/cart/abandonment.py", "from uem_helpers.pipeline import runfacts", "Analyses never import"),
        ("stats/__init__.py", "from uem_helpers.core import errors", "Statistics are pure numbers"),
        ("stories/cart.py", "from uem_helpers.stories import journey", "Stories are independent"),
        ("analyses/sessions.py", "from uem_helpers.analyses import funnel", "Analyses in tiers"),
    ],
)
def test_a_wrong_arrow_breaks_a_contract(package_copy, importer, bad_import, contract):
    module = package_copy / "uem_helpers" / importer
    original = module.read_text(encoding="utf-8")
    module.write_text(original + f"\n{bad_import}  # the wrong arrow under test\n", encoding="utf-8")
    try:
        result = _lint(package_copy)
    finally:
        module.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken
    assert "uem_helpers." + importer.removesuffix(".py").removesuffix("/__init__").replace("/", ".") in broken


def test_no_module_is_over_600_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")}
    assert {path: n for path, n in sizes.items() if n > MAX_LINES} == {}


def test_only_a_handful_of_modules_at_the_top():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, top


def test_architecture_map_matches_the_tree():
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted(str(p.parent.relative_to(ROOT)) for p in PACKAGE.rglob("__init__.py"))
    missing = [p for p in packages if f"{p.removeprefix('uem_helpers/')}/" not in doc]
    assert missing == [], f"docs/architecture.md does not name these packages: {missing}"
    named = set(re.findall(r"uem_helpers/[\w/]+\.py|uem_helpers/[\w/]+/", doc))
    assert named, "docs/architecture.md names no paths"
    assert sorted(p for p in named if not (ROOT / p).exists()) == [], "docs/architecture.md names paths that do not exist"

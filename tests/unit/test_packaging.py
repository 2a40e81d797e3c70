"""The pinned working set is declared twice (pyproject.toml for pip, environment.yml for conda): keep them equal."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import ROOT

# conda-forge names that differ from the PyPI names.
CONDA_NAMES = {"python-duckdb": "duckdb"}
NOT_PYTHON_PACKAGES = {"python", "openjdk"}


def _pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]
    pins = {}
    for spec in specs:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]+\])?==([^;\s]+)", spec)
        assert match, f"pyproject.toml: '{spec}' is not pinned with =="
        pins[match.group(1).lower()] = match.group(2)
    return pins


def _conda_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    pins = {}
    for spec in env["dependencies"]:
        name, _, version = re.split(r"(==|>=|=)", spec, maxsplit=1)
        name = CONDA_NAMES.get(name.strip(), name.strip()).lower()
        if name not in NOT_PYTHON_PACKAGES:
            pins[name] = version.strip()
    return pins


def test_environment_yml_and_pyproject_list_the_same_pins():
    pip, conda = _pip_pins(), _conda_pins()
    assert sorted(set(pip) - set(conda)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(conda) - set(pip)) == [], "in environment.yml but not pyproject.toml"
    assert {n: v for n, v in pip.items() if conda[n] != v} == {}, "versions differ"


def test_named_packages_are_declared():
    pip = _pip_pins()
    for name in ["jupyterlab", "papermill", "pandas", "seaborn", "ipywidgets", "nbval", "pytest",
                 "ibis-framework", "duckdb", "pyarrow", "pandera", "pydantic", "pyyaml", "typer", "rich", "pyspark"]:
        assert name in pip, name


def test_environment_python_is_311_or_newer():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "python>=3.11" in env["dependencies"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make reports" in readme and "make test" in readme


def test_the_licence_is_apache_2_in_pyproject_and_in_full_in_license():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.lstrip().startswith("Apache License\n") and "Version 2.0, January 2004" in text
    assert "9. Accepting Warranty or Additional Liability." in text and "END OF TERMS AND CONDITIONS" in text

"""A run's language: chosen from the run, the notebook parameter or the config; Markdown cells translated."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import nbformat
import pytest

from uem_helpers.core.config import load_config
from uem_helpers.core.errors import ParameterError
from uem_helpers.pipeline.markdown_cells import extract_markdown, translate_markdown
from uem_helpers.pipeline.params import report_language

ROOT = Path(__file__).resolve().parents[3]
ONBOARDING = ROOT / "notebooks" / "onboarding_funnel.ipynb"


def test_the_run_the_parameter_then_the_config_choose_the_language(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text("sources:\n  events: {path: e.parquet}\nreport:\n  language: zh\n", encoding="utf-8")
    cfg = load_config(config)
    assert report_language(cfg) == "zh"
    assert report_language(cfg, "") == "zh"
    assert report_language(cfg, "en") == "en"
    with pytest.raises(ParameterError, match=r"parameter 'language': unknown language 'de'; use one of en, zh"):
        report_language(cfg, "de")


def test_an_unknown_config_language_names_the_key(tmp_path):
    config = tmp_path / "uem.yml"
    config.write_text("sources:\n  events: {path: e.parquet}\nreport:\n  language: fr\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"report\.language"):
        load_config(config)


def test_extraction_yields_each_markdown_cell_once_with_its_position():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nWhat this is."), nbformat.v4.new_code_cell("x = 1"),
                nbformat.v4.new_markdown_cell("   "), nbformat.v4.new_markdown_cell("## Section")]
    found = list(extract_markdown(io.BytesIO(json.dumps(nb).encode()), None, None, {}))
    assert [(line, text) for line, _func, text, _comments in found] == [(1, "# Title\n\nWhat this is."),
                                                                       (4, "## Section")]


def test_a_chinese_run_translates_every_markdown_cell_and_leaves_code_alone():
    source = nbformat.read(ONBOARDING, as_version=4)
    translated = translate_markdown(nbformat.read(ONBOARDING, as_version=4), "zh")
    for before, after in zip(source.cells, translated.cells, strict=True):
        if before.cell_type == "markdown":
            assert re.search(r"[\u4e00-\u9fff]", after.source), f"not translated: {before.source[:60]!r}"
            assert after.source.startswith("#") == before.source.startswith("#")  # headings stay headings
        else:
            assert after.source == before.source
    english = translate_markdown(nbformat.read(ONBOARDING, as_version=4), "en")
    assert [c.source.strip() for c in english.cells] == [c.source.strip() for c in source.cells]


def test_papermill_alone_translates_with_the_uem_engine(tmp_path):
    """``papermill ... -p language zh --engine uem``: the Markdown cells come out in Chinese, the code runs."""
    import papermill

    from uem_helpers.pipeline.kernel import KERNEL_NAME, UEMKernelManager

    heading = next(c.source.strip() for c in nbformat.read(ONBOARDING, as_version=4).cells
                   if c.cell_type == "markdown" and c.source.startswith("## "))
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('language = ""')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(heading), parameters, nbformat.v4.new_code_cell("print(language)")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), parameters={"language": "zh"},
                               engine_name="uem", kernel_name=KERNEL_NAME, language="python", kernel_manager_class=UEMKernelManager,
                               progress_bar=False, cwd=str(tmp_path))
    out = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    assert out.cells[0].source.startswith("## ") and re.search(r"[\u4e00-\u9fff]", out.cells[0].source)
    assert out.cells[-1].outputs[0]["text"] == "zh\n"

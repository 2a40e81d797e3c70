"""Notebooks are found beside the company's config first, then among the bundled ones."""

import nbformat
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ParameterError
from uem_helpers.pipeline import attachments
from uem_helpers.pipeline.notebooks import batch_notebooks, BUNDLED_NOTEBOOKS, find_notebook

RAW = {"sources": {"events": {"path": "events.parquet"}}}


def test_a_config_elsewhere_still_finds_the_bundled_notebooks(tmp_path):
    cfg = config_from_dict(RAW, base_dir=tmp_path)
    assert find_notebook("onboarding_funnel", cfg) == BUNDLED_NOTEBOOKS / "onboarding_funnel.ipynb"


def test_a_companys_own_notebook_wins(tmp_path):
    (tmp_path / "notebooks").mkdir()
    own = tmp_path / "notebooks" / "onboarding_funnel.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), own)
    assert find_notebook("onboarding_funnel", config_from_dict(RAW, base_dir=tmp_path)) == own


def test_an_unknown_name_lists_what_exists(tmp_path):
    with pytest.raises(ParameterError, match="notebook 'onbording' not found.*available notebooks: .*onboarding_funnel"):
        find_notebook("onbording", config_from_dict(RAW, base_dir=tmp_path))


def test_the_default_batch_leaves_out_the_churn_report_without_a_churn_section(tmp_path):
    names, notes = batch_notebooks(config_from_dict(RAW, base_dir=tmp_path))
    assert "churn_warning" not in names and "monthly_retro" in names
    assert notes == ["churn_warning was not run: the config has no 'churn:' section"]
    with_churn = {**RAW, "churn": {"active_events": ["app_open"]}}
    names, notes = batch_notebooks(config_from_dict(with_churn, base_dir=tmp_path))
    assert names[-1] == "churn_warning" and notes == []


def test_published_attachments_leave_no_copy_in_the_kept_notebook():
    cell = {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {
        attachments.MIME_TYPE: {"filename": "churn_warning.outreach.csv", "text": "user_id\n0000042\n"}}}]}
    assert attachments.read([cell]) == {"churn_warning.outreach.csv": "user_id\n0000042\n"}
    attachments.strip([cell])
    assert "0000042" not in str(cell)
    assert cell["outputs"][0]["data"][attachments.MIME_TYPE]["filename"] == "churn_warning.outreach.csv"

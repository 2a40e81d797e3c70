"""Notebooks are found beside the company's config first, then among the bundled ones."""

import nbformat
import pytest

from uem_helpers.core.config import config_from_dict
from uem_helpers.core.errors import ParameterError
from uem_helpers.pipeline.notebooks import BUNDLED_NOTEBOOKS, find_notebook

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

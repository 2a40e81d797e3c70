"""The churn features and the survival table have the same values on Spark as on DuckDB (the sample)."""

from __future__ import annotations

import pandas as pd
import pytest

from uem_helpers.analyses.churn import ChurnRule, as_of_instant, cutoffs, survival_table, user_features
from uem_helpers.core.config import load_config
from uem_helpers.data.sources import load
from tests.conftest import CONFIG_PATH


@pytest.mark.spark
def test_features_and_lifetimes_are_identical_on_duckdb_and_spark(duckdb_con, spark_con):
    config = load_config(CONFIG_PATH)
    rule = ChurnRule.from_config(config)
    results = {}
    for name, con in (("duckdb", duckdb_con), ("spark", spark_con)):
        # the contract checks have their own backend tests; here only the churn expressions are compared
        data = load(config, con=con, tables=["events", "users", "carts", "nps", "feedback"], validate=False)
        points = cutoffs(data, rule, as_of_instant("2026-10-31"))
        features = user_features(data, rule, points.validate, config)
        results[name] = (features.to_frame(), features.missing, survival_table(data, rule, points.as_of, config))
    (duck, duck_missing, duck_lives), (spark, spark_missing, spark_lives) = results["duckdb"], results["spark"]
    assert len(duck) > 100 and duck_missing == spark_missing == {}
    pd.testing.assert_frame_equal(duck, spark, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(duck_lives, spark_lives, check_exact=False, rtol=1e-9, check_dtype=False)
    assert duck_lives["churned"].any() and not duck_lives["churned"].all()

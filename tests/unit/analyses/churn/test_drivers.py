"""Drivers and reasons (analyses/churn/drivers.py): planted relative risks recovered, reasons that add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import logit

from tests.unit.analyses.churn import synthetic
from tests.unit.analyses.churn.synthetic import churn_frame
from uem_helpers.analyses.churn import contributions, drivers, reasons, score, train_and_validate
from uem_helpers.stats import relative_risk

pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(scope="module")
def planted():
    train, validate = churn_frame(3000, 11), churn_frame(3000, 12, start=3000)
    result = train_and_validate(train, validate)
    return validate, result, drivers(result, validate, n_repeats=10)


def _row(table: pd.DataFrame, feature: str) -> pd.Series:
    return table.set_index("feature").loc[feature]


@pytest.mark.parametrize(
    ("feature", "planted_rr"),
    [("payment_errors_recent", synthetic.PAYMENT_RR), ("detractor", synthetic.DETRACTOR_RR),
     ("segment=returning", synthetic.RETURNING_RR)],
)
def test_planted_relative_risks_lie_inside_their_katz_intervals(planted, feature, planted_rr):
    _, _, table = planted
    row = _row(table, feature)
    assert row["condition"] == "flag"
    assert row["rr_low"] < planted_rr < row["rr_high"]
    assert (row["relative_risk"] > 1) == (planted_rr > 1)  # direction
    assert row["importance_low"] > 0  # shuffling a planted driver always costs AUC


def test_the_planted_drivers_rank_above_the_noise(planted):
    _, _, table = planted
    top = set(table["feature"].head(6))
    assert {"payment_errors_recent", "detractor", "segment=returning"} <= top
    noise = table.set_index("feature").loc[["complaint_price", "tenure_days", "sessions"], "importance"]
    assert (noise < _row(table, "payment_errors_recent")["importance"] / 5).all()
    assert table["importance"].is_monotonic_decreasing
    segment = table[table["column"] == "segment"]
    assert segment["feature"].iloc[0] == "segment=returning"  # the level farthest from RR 1 leads its column
    assert list(segment.index) == list(range(segment.index[0], segment.index[0] + 3))  # levels stay together
    assert (table["column"] == table["feature"].str.split("=").str[0]).all()


def test_driver_counts_and_thresholds_by_hand(planted):
    validate, _, table = planted
    y = validate["churned"]
    errors = validate["payment_errors_recent"] > 0
    row = _row(table, "payment_errors_recent")
    assert (row["users_with"], row["users_without"]) == (errors.sum(), (~errors).sum())
    assert row["churn_with"] == pytest.approx(y[errors].mean())
    assert row["churn_without"] == pytest.approx(y[~errors].mean())
    assert (row["relative_risk"], row["rr_low"], row["rr_high"]) == pytest.approx(
        relative_risk(y[errors].sum(), errors.sum(), y[~errors].sum(), (~errors).sum()))
    recency = _row(table, "days_since_active")
    q = np.quantile(validate["days_since_active"], 0.75)
    assert (recency["condition"], recency["threshold"]) == ("top quarter", q)
    assert recency["users_with"] == (validate["days_since_active"] >= q).sum()
    nps = _row(table, "nps_last")  # users without an answer are in neither group
    assert nps["users_with"] + nps["users_without"] == validate["nps_last"].notna().sum()
    assert np.isnan(row["threshold"])
    levels = table[table["feature"].str.startswith("platform=")]["feature"]
    assert "platform=tv" not in set(levels)  # fewer than MIN_LEVEL_USERS users: no row of its own
    assert {"platform=ios", "platform=android", "platform=web"} <= set(levels)


def test_drivers_are_deterministic(planted):
    validate, result, table = planted
    pd.testing.assert_frame_equal(drivers(result, validate, n_repeats=10), table)


def test_above_the_cap_each_shuffle_scores_a_draw_of_users_and_the_planted_drivers_still_lead(planted, monkeypatch):
    import importlib

    module = importlib.import_module("uem_helpers.analyses.churn.drivers")

    validate, result, whole = planted
    monkeypatch.setattr(module, "IMPORTANCE_USERS", 1000)
    drawn = drivers(result, validate, n_repeats=10)
    assert not np.allclose(drawn["importance"], whole["importance"])  # scored on a third of the users
    assert {"payment_errors_recent", "detractor", "segment=returning"} <= set(drawn["feature"].head(6))
    for column in ("relative_risk", "rr_low", "rr_high", "users_with", "churn_with"):  # on every user still
        assert drawn.set_index("feature")[column].sort_index().equals(whole.set_index("feature")[column].sort_index())
    pd.testing.assert_frame_equal(drivers(result, validate, n_repeats=10), drawn)  # the draw is seeded


def test_contributions_add_up_to_the_calibrated_log_odds(planted):
    validate, result, _ = planted
    c = contributions(result, validate)
    constant = logit(score(result, validate).to_numpy()) - c.sum(axis=1).to_numpy()
    assert np.ptp(constant) < 1e-9  # the same intercept for every user: nothing left out


def test_reasons_are_the_largest_positive_contributions(planted):
    validate, result, _ = planted
    users = validate.head(200).assign(risk=0.5)  # the story passes its scored frame, risk included
    table = reasons(result, users, k=2)
    assert list(table.columns) == ["user_id", "rank", "feature", "value", "contribution"]
    assert (table["contribution"] > 0).all()
    assert table.groupby("user_id")["rank"].apply(list).map(lambda r: r in ([1], [1, 2])).all()
    assert list(dict.fromkeys(table["user_id"])) == [u for u in users.index if u in set(table["user_id"])]
    c = contributions(result, users)
    for user, rows in table.groupby("user_id"):
        expected = c.loc[user][c.loc[user] > 0].sort_values(ascending=False).head(2)
        names = [f.split("=")[0] for f in rows["feature"]]
        assert names == list(expected.index)
        assert rows["contribution"].to_numpy() == pytest.approx(expected.to_numpy())


def test_a_payment_error_is_a_reason_and_segments_read_as_levels(planted):
    validate, result, _ = planted
    table = reasons(result, validate, k=3)
    hit = validate.index[(validate["payment_errors_recent"] > 0) & (validate["segment"] == "new")][:20]
    mine = table[table["user_id"].isin(hit)]
    assert (mine.groupby("user_id")["feature"].apply(lambda f: "payment_errors_recent" in set(f))).all()
    level = table[table["feature"].str.startswith("segment=")]
    assert set(level["feature"]) <= {"segment=new", "segment=occasional"}  # returning lowers the score
    row = level.iloc[0]
    assert row["value"] == validate.at[row["user_id"], "segment"]
    assert reasons(result, validate.head(0)).empty

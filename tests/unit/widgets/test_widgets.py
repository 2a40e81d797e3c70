"""Explorers driven through their widget values (no browser): known answers, caching, messages, headless."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cache

import pandas as pd
import pytest
from typer.testing import CliRunner

from uem_helpers.analyses.sessions import prepare_sessions
from uem_helpers.present import cart as cart_report, privacy
from uem_helpers.stories.cart import analyse_carts
from uem_helpers.cli import app
from uem_helpers.core.config import PrivacyConfig, config_from_dict, load_config
from uem_helpers.core.errors import ParameterError, SourceError
from uem_helpers.analyses.funnel import funnel
from uem_helpers.analyses.kpis import KPIS, kpi_values
from uem_helpers.data.sources import from_frames, load
from uem_helpers.widgets import CartExplorer, FunnelExplorer, JourneyExplorer, KPIExplorer, SelectionCache, explore, headless
from uem_helpers.widgets.base import SPINNER
from uem_helpers.widgets.controls import duration_text, months_between
from uem_helpers.widgets.lab import OFFLINE, lab_command, lab_environment

from tests.conftest import CONFIG_PATH, SAMPLE_DIR

T0 = datetime(2026, 10, 1, 9, 0, 0)
STEPS = ["a", "b", "c"]


@pytest.fixture(autouse=True)
def default_policy():
    """Every test starts from the default privacy policy (minimum group of 10 users)."""
    privacy.use(PrivacyConfig(key_env="UEM_TEST_NO_SUCH_VARIABLE"))
    yield
    privacy._ACTIVE.clear()


@pytest.fixture
def interactive(monkeypatch):
    """Explorers show, as in JupyterLab."""
    monkeypatch.setenv("UEM_HEADLESS", "0")


@cache
def tiny_dataset():
    """Four users; the answers below are counted by hand from these rows.

    u1 a -> b (1 min) -> c (10 min after a)      ios
    u2 a -> b (2 min)                           android
    u3 a                                        web
    u4 a -> c (30 s) -> b (60 s), on Oct 20     ios
    ordered a,b,c: 4, 3, 1 (u4's c comes before its b)
    strict a,b,c:  4, 2, 1 (u4's next funnel event after a is c, not b)
    any order:     4, 3, 2 (u4 did b and c within the hour)
    window 5min:   4, 3, 0 (u1's c is 10 min after entry)
    period Oct 1-10: 3, 2, 1 (u4 entered on Oct 20)
    Built once (the explorers only read it).
    """
    later = T0 + timedelta(days=19)
    rows = [
        ("u1", T0, "a", "ios"), ("u1", T0 + timedelta(seconds=60), "b", "ios"),
        ("u1", T0 + timedelta(seconds=600), "c", "ios"),
        ("u2", T0, "a", "android"), ("u2", T0 + timedelta(seconds=120), "b", "android"),
        ("u3", T0, "a", "web"),
        ("u4", later, "a", "ios"), ("u4", later + timedelta(seconds=30), "c", "ios"),
        ("u4", later + timedelta(seconds=60), "b", "ios"),
    ]
    events = pd.DataFrame(rows, columns=["user_id", "timestamp", "event", "platform"])
    users = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u4"], "signup_at": [T0 - timedelta(days=1)] * 4,
                          "region": ["north", "south", "north", "south"]})
    return from_frames({"events": events, "users": users})


@pytest.fixture
def explorer(interactive):
    return FunnelExplorer(tiny_dataset(), steps=STEPS, window="1h", period_start="2026-10-01",
                          period_end="2026-10-31")


def reached(ex) -> list[int]:
    return ex.view.data["reached"].tolist()


def png(ex) -> str:
    return next(o["data"]["image/png"] for o in ex.view.outputs if "image/png" in o["data"])


# --------------------------------------------------------------------------- funnel explorer


def test_funnel_explorer_shows_the_funnel_readout_as_chart_table_and_sentence(explorer):
    assert reached(explorer) == [4, 3, 1]
    assert explorer.view.table["Users"].tolist() == ["4", "3", "1"]
    assert explorer.view.table.index.tolist() == ["1. a", "2. b", "3. c"]
    assert "Of **4** users who did 'a'" in explorer.view.text and "**1** (25%)" in explorer.view.text
    kinds = [sorted(o["data"]) for o in explorer.output.outputs]
    assert kinds == [["text/markdown", "text/plain"], ["image/png", "text/plain"], ["text/html", "text/plain"]]


@pytest.mark.parametrize(("control", "value", "expected"), [
    ("mode", "strict", [4, 2, 1]),
    ("mode", "any_order", [4, 3, 2]),
    ("window", "5min", [4, 3, 0]),
    ("period_end", date(2026, 10, 10), [3, 2, 1]),
    ("steps", ["a", "c"], [4, 2]),
])
def test_each_control_changes_the_readout_as_counted_by_hand(explorer, control, value, expected):
    before = png(explorer)
    explorer.controls[control].value = value
    assert reached(explorer) == expected
    assert png(explorer) != before  # the chart was redrawn in place
    assert len(explorer.output.outputs) == 3  # replaced, not appended


def test_the_explorer_uses_the_report_funnel_helper(explorer):
    explorer.controls["mode"].value = "strict"
    ds = tiny_dataset()
    expected = funnel(ds["events"], STEPS, window="1h", mode="strict", period_start="2026-10-01",
                      period_end="2026-10-31", users=ds["users"])
    pd.testing.assert_frame_equal(explorer.view.data, expected)


def test_going_back_to_a_selection_is_served_from_the_cache(explorer):
    first = explorer.view
    explorer.controls["mode"].value = "strict"
    misses = explorer.analyses.misses
    explorer.controls["mode"].value = "ordered"
    assert explorer.view is first and explorer.output.outputs == first.outputs
    assert explorer.analyses.misses == misses and explorer.views.hits == 1


def test_a_spinner_shows_while_computing_and_goes_when_done(explorer):
    seen = []
    original = explorer.analyse

    def watched(**selection):
        seen.append(explorer.status.value)
        return original(**selection)

    explorer.analyse = watched
    explorer.controls["window"].value = "2h"
    assert seen == [SPINNER] and "Computing" in SPINNER
    assert "Computing" not in explorer.status.value


def test_a_selection_without_entries_says_so_plainly(explorer):
    explorer.controls["period_start"].value = date(2026, 11, 1)
    explorer.controls["period_end"].value = date(2026, 11, 30)
    assert explorer.view.message == "No data for this selection: nobody did 'a' between 2026-11-01 and 2026-11-30."
    assert [sorted(o["data"]) for o in explorer.output.outputs] == [["text/markdown", "text/plain"]]


def test_selections_that_cannot_be_analysed_say_why(explorer):
    explorer.controls["steps"].value = ["a"]
    assert explorer.view.message == "Pick at least two steps: users enter the funnel at the first one."
    explorer.controls["steps"].value = STEPS
    explorer.controls["period_start"].value = date(2026, 12, 1)
    assert "after its end" in explorer.view.message


def test_segments_are_folded_under_the_privacy_minimum(explorer):
    explorer.controls["segment_by"].value = "platform"
    assert explorer.view.table.index.tolist() == [privacy.OTHER]  # 4 users in all: below the minimum of 10
    assert explorer.view.table["Started"].tolist() == ["4"]
    privacy.use(PrivacyConfig(min_cell_size=1, key_env="UEM_TEST_NO_SUCH_VARIABLE"))
    explorer.controls["segment_by"].value = "region"  # a users column
    table = explorer.view.table
    assert dict(zip(table.index, table["Completed"])) == {"north": "1", "south": "0"}


def test_segment_choices_come_from_the_data():
    options = [v for _, v in FunnelExplorer(tiny_dataset(), steps=STEPS).controls["segment_by"].options]
    assert options == ["", "platform", "region"]


def test_steps_are_picked_from_the_events_present_most_frequent_first(explorer):
    assert explorer.controls["steps"].allowed_tags == ["a", "b", "c"]


def test_an_analysis_error_shows_its_message_and_a_bug_says_it_failed(explorer):
    def fails(**_):
        raise ParameterError("segment_by='x' is not a column")

    explorer.analyse = fails
    explorer.controls["window"].value = "2h"
    assert explorer.view.message == "segment_by='x' is not a column"

    def bug(**_):
        raise RuntimeError("boom")

    explorer.analyse = bug
    explorer.controls["window"].value = "6h"
    assert explorer.view.message == "Could not compute this selection (RuntimeError: boom)."
    assert len(explorer.views) == 2  # the failure was not cached: the next try computes again


# --------------------------------------------------------------------------- cart explorer


def tiny_carts():
    """Four carts in October, one checked out: abandonment 3 / 4 = 75%."""
    carts = pd.DataFrame({
        "cart_id": ["c1", "c2", "c3", "c4"],
        "user_id": ["u1", "u2", "u3", "u4"],
        "created_at": [T0 + timedelta(days=d) for d in (0, 1, 2, 3)],
        "cart_value": [50.0, 95.0, 120.0, 80.0],
        "shipping_fee": [10.0, 10.0, 0.0, 10.0],
        "checked_out_at": [T0 + timedelta(hours=1), None, None, None],
    })
    return from_frames({"carts": carts})


def test_cart_explorer_known_answer_and_empty_period(interactive):
    ex = CartExplorer(tiny_carts(), period_start="2026-10-01", period_end="2026-10-31", show="trend")
    assert "abandonment rate of **75.0%**" in ex.view.text
    assert ex.view.table["Carts"].astype(int).sum() == 4
    ex.controls["show"].value = "threshold"
    assert ex.view.message == ("No data for this selection: No launch date was given, so there is no before/after "
                               "comparison.")
    ex.controls["period_start"].value = date(2026, 11, 1)
    assert ex.view.message == ("The period starts on 2026-11-01, after its end on 2026-10-31: pick a start "
                               "before the end.")
    ex.controls["period_end"].value = date(2026, 11, 30)
    assert ex.view.message == "No data for this selection: no cart was created between 2026-11-01 and 2026-11-30."


@pytest.fixture(scope="module")
def sample():
    return load(load_config(CONFIG_PATH), tables=["carts", "users"])


def test_cart_explorer_threshold_recovers_the_planted_policy_effect(sample, interactive):
    truth = json.loads((SAMPLE_DIR / "ground_truth.json").read_text(encoding="utf-8"))["cart"]["realised"]
    ex = CartExplorer(sample, launch_date="2026-09-01", threshold=99, period_start="2026-05-01",
                      period_end="2026-10-31")
    before, after = (truth[g]["checked_out"] / truth[g]["carts"] for g in ("before", "after"))
    row = ex.view.table.loc["Cart conversion"]
    assert (row["Before"], row["After"]) == (f"{before:.1%}", f"{after:.1%}")
    expected = analyse_carts(sample, None, launch_date="2026-09-01", threshold=99, period_start="2026-05-01",
                             period_end="2026-10-31", min_users=10)
    assert cart_report.bunching_finding(expected) in ex.view.text
    first, chart = ex.view, png(ex)

    ex.controls["threshold"].value = 79
    assert "Carts valued 79 to 89" in ex.view.text and png(ex) != chart
    assert ex.view.data["bin_low"].min() < first.data["bin_low"].min()

    ex.controls["threshold"].value = 99
    assert ex.view is first and ex.analyses.misses == 2


def test_cart_explorer_shows_what_the_changed_control_is_about(sample, interactive):
    ex = CartExplorer(sample, launch_date="2026-09-01", period_start="2026-05-01", period_end="2026-10-31")
    ex.controls["segment_by"].value = "platform"
    assert ex.controls["show"].value == "segment"
    assert set(ex.view.table.index) == {"android", "ios", "mini_program", "web"}
    misses = ex.analyses.misses
    for show in ("trend", "fee", "segment"):
        ex.controls["show"].value = show
        assert ex.view.has_data and ex.view.figure is not None and ex.view.table is not None
    assert ex.analyses.misses == misses  # changing the picture never reruns the analysis
    ex.controls["threshold"].value = 89
    assert ex.controls["show"].value == "threshold"


# --------------------------------------------------------------------------- explore() and headless


def test_explore_returns_nothing_headless_before_reading_any_data(monkeypatch):
    config = config_from_dict({"sources": {"events": {"path": "nowhere/events.csv"}}})
    monkeypatch.setenv("UEM_HEADLESS", "1")
    assert explore("funnel", config, steps=STEPS) is None
    monkeypatch.setenv("UEM_HEADLESS", "0")
    with pytest.raises(SourceError):
        explore("funnel", config, steps=STEPS)


def test_explore_refuses_an_unknown_kind_even_headless(monkeypatch):
    monkeypatch.setenv("UEM_HEADLESS", "1")
    with pytest.raises(ParameterError, match="kind='funnels' is not an explorer; explorers are: funnel, cart, journey"):
        explore("funnels", config_from_dict({"sources": {"events": {"path": "e.csv"}}}))


def test_explore_takes_the_notebook_parameters(interactive):
    config = config_from_dict({"sources": {"events": {"path": "e.csv"}},
                               "funnels": {"f": {"steps": ["a", "b"], "window": "30min", "mode": "strict"}}})
    ex = explore("funnel", config, tiny_dataset(), funnel="f", window="", segment_by="", period_start="2026-10-01",
                 period_end="")
    assert ex.selection() == {"steps": ("a", "b"), "mode": "strict", "window": "30min", "segment_by": "",
                              "period_start": "2026-10-01", "period_end": None}
    assert reached(ex) == [4, 3]  # strict, steps a, b: u4's c is not a step, so it does not break the chain
    assert "application/vnd.jupyter.widget-view+json" in ex._repr_mimebundle_()


class _Kernel:
    def __init__(self, allow_stdin):
        self.allow_stdin = allow_stdin

    def get_parent(self, channel=None):
        return {"content": {"code": "", "allow_stdin": self.allow_stdin}}


class _Shell:
    def __init__(self, allow_stdin):
        self.kernel = _Kernel(allow_stdin)


@pytest.mark.parametrize(("allow_stdin", "expected"), [(True, False), (False, True)])
def test_headless_when_the_request_allows_no_stdin(monkeypatch, allow_stdin, expected):
    import IPython

    monkeypatch.delenv("UEM_HEADLESS", raising=False)
    monkeypatch.setattr(IPython, "get_ipython", lambda: _Shell(allow_stdin))
    assert headless() is expected  # JupyterLab sends allow_stdin=True; papermill, nbconvert and nbval False


def test_headless_outside_a_kernel_and_the_override(monkeypatch):
    monkeypatch.delenv("UEM_HEADLESS", raising=False)
    assert headless() is True  # pytest: no kernel
    assert headless({"UEM_HEADLESS": "0"}) is False
    assert headless({"UEM_HEADLESS": "true"}) is True


# --------------------------------------------------------------------------- pieces


def test_selection_cache_drops_the_least_recently_used():
    cache, calls = SelectionCache(maxsize=2), []

    def compute(key):
        return lambda: calls.append(key) or key.upper()

    assert [cache.get(k, compute(k)) for k in ("a", "b", "a", "c", "a", "b")] == ["A", "B", "A", "C", "A", "B"]
    assert calls == ["a", "b", "c", "b"] and (cache.hits, cache.misses) == (2, 4)


def test_controls_helpers():
    assert [duration_text(v) for v in ("60min", 90, "1d", timedelta(hours=36))] == ["1h", "90s", "1d", "36h"]
    assert months_between(date(2026, 11, 15), date(2027, 2, 1)) == ["2026-11", "2026-12", "2027-01", "2027-02"]


def test_lab_command_is_offline_on_this_python(tmp_path):
    argv = lab_command(tmp_path, port=8899, ip="127.0.0.1", open_browser=False, extra=["--allow-root"])
    assert argv[1:3] == ["-m", "jupyterlab"] and f"--ServerApp.root_dir={tmp_path.resolve()}" in argv
    assert set(OFFLINE) <= set(argv) and "--LabApp.news_url=None" in OFFLINE
    assert argv[-4:] == ["--ServerApp.port=8899", "--ServerApp.ip=127.0.0.1", "--no-browser", "--allow-root"]
    env = lab_environment({"UEM_HEADLESS": "1", "PYTHONPATH": "/x"})
    assert "UEM_HEADLESS" not in env and env["JUPYTER_PREFER_ENV_PATH"] == "1" and env["PYTHONPATH"].endswith("/x")


def test_uem_lab_passes_its_options_and_jupyters_through(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("uem_helpers.widgets.lab.run_lab", lambda root, **kw: calls.append((root, kw)))
    (tmp_path / "notebooks").mkdir()
    result = CliRunner().invoke(app, ["lab", "--root", str(tmp_path), "--no-browser", "--port", "8899",
                                      "--ServerApp.token=t"])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, {"port": 8899, "ip": None, "open_browser": False, "extra": ["--ServerApp.token=t"]})]


# --------------------------------------------------------------------------- journey and KPI explorers


@pytest.fixture(scope="module")
def sample_events():
    return load(load_config(CONFIG_PATH), tables=["events", "users", "nps"])


def test_journey_explorer_paths_then_segment_a_vs_b(sample_events, interactive):
    from uem_helpers.analyses import journey

    ex = JourneyExplorer(sample_events, start_event="app_open", depth=3, period_start="2026-10-01",
                         period_end="2026-10-31")
    expected = journey.paths(prepare_sessions(sample_events["events"], period_start="2026-10-01", period_end="2026-10-31"), "app_open", max_steps=3)
    pd.testing.assert_frame_equal(ex.view.data, expected)
    assert any("application/vnd.plotly.v1+json" in o["data"] for o in ex.view.outputs)  # the report's Sankey
    ex.controls["depth"].value = 2
    assert ex.view.data["path"].str.count(" → ").max() == 2  # start, one step, and the session end marker
    ex.controls["segment_by"].value = "platform"
    assert (ex.controls["segment_a"].value, ex.controls["segment_b"].value) == ("android", "ios")  # largest two
    assert {"share_a", "share_b", "q_value"} <= set(ex.view.data.columns)
    ex.controls["segment_b"].value = "android"
    assert ex.view.message == "Pick two different values of platform to compare as A and B."


def test_kpi_explorer_metric_months_and_segment(sample_events, interactive):
    from uem_helpers.analyses import metrics

    ex = KPIExplorer(sample_events, metric="nps", months=("2026-09", "2026-10"))
    expected = metrics.nps(sample_events["nps"], by="month", period_start="2026-09-01", period_end="2026-10-31")
    pd.testing.assert_frame_equal(ex.view.data, expected.reset_index(drop=True))
    assert ex.view.table.index.tolist() == ["2026-09", "2026-10"]
    ex.controls["metric"].value = "stickiness"
    assert "platform" in [v for _, v in ex.controls["segment_by"].options]  # the events table's columns now
    ex.controls["segment_by"].value = "platform"
    assert set(ex.view.data["platform"]) == {"android", "ios", "mini_program", "web"}
    ex.controls["months"].value = ("2026-05", "2026-05")
    assert ex.view.table.index.get_level_values("Month").unique().tolist() == ["2026-05"]


@pytest.fixture(scope="module")
def retro_sample():
    """Every sample table, the sample config, and the retro's KPI values for 2026-09 and 2026-10."""
    config = load_config(CONFIG_PATH)
    data = load(config)
    return data, config, kpi_values(data, config, "2026-10", months=2)


def test_kpi_explorer_offers_every_retro_kpi_with_the_config(retro_sample, interactive):
    data, config, _ = retro_sample
    ex = explore("kpi", config, data, month="2026-10")
    assert [v for _, v in ex.controls["metric"].options] == list(KPIS)
    assert ex.selection()["months"] == ("2026-10", "2026-10")


@pytest.mark.parametrize("metric", KPIS)
def test_each_kpi_by_month_is_the_retros_own_value(retro_sample, interactive, metric):
    """The explorer's months are kpi_values' rows of the metric (same helper, same settings, same intervals)."""
    data, config, retro = retro_sample
    ex = explore("kpi", config, data, metric=metric, months=("2026-09", "2026-10"))
    shown = ex.view.data
    shown = shown[shown["value"].notna()].reset_index(drop=True)
    expected = retro.series(metric)
    assert list(expected["month"]) == ["2026-09", "2026-10"]
    pd.testing.assert_frame_equal(shown[["month", "value", "low", "high"]], expected[["month", "value", "low", "high"]])
    assert ex.view.table.index.tolist() == ["2026-09", "2026-10"]


def test_kpi_segments_split_the_retros_counts(retro_sample, interactive):
    data, config, retro = retro_sample
    ex = explore("kpi", config, data, metric="cart_conversion", months=("2026-09", "2026-10"))
    assert {"platform", "region"} <= {v for _, v in ex.controls["segment_by"].options}  # users columns for carts
    ex.controls["segment_by"].value = "platform"
    by_month = ex.view.data.groupby("month")[["successes", "trials"]].sum()
    expected = retro.series("cart_conversion").set_index("month")
    assert by_month["trials"].tolist() == expected["trials"].tolist()  # every cart in exactly one platform
    assert by_month["successes"].tolist() == expected["successes"].tolist()
    ex.controls["metric"].value = "first_success_rate"
    assert not ex.controls["segment_by"].disabled and "channel" in [v for _, v in ex.controls["segment_by"].options]
    ex.controls["segment_by"].value = "channel"
    totals = ex.view.data.groupby("month")[["successes", "trials"]].sum()
    assert totals["trials"].tolist() == retro.series("first_success_rate")["trials"].tolist()


@pytest.mark.parametrize("metric", ["account_opening_completion", "feedback_sla"])
def test_kpis_without_segments_disable_the_segment_and_say_so(retro_sample, interactive, metric):
    data, config, _ = retro_sample
    ex = explore("kpi", config, data, metric="task_completion", months=("2026-09", "2026-10"),
                 segment_by="platform")
    assert set(ex.view.data["platform"]) >= {"android", "ios"}
    ex.controls["metric"].value = metric
    assert ex.controls["segment_by"].disabled and ex.controls["segment_by"].options == (("(none)", ""),)
    assert "by month" in ex.view.text and "no segments" not in ex.view.text
    ex = explore("kpi", config, data, metric=metric, months=("2026-09", "2026-10"), segment_by="platform")
    assert ex.controls["segment_by"].disabled
    assert "has no segments: shown for everyone." in ex.view.text
    assert list(ex.view.data.columns)[:2] == ["month", "successes"]


def test_kpi_explorer_without_a_config_offers_only_the_config_free_metrics(retro_sample, interactive):
    data, _, retro = retro_sample
    ex = KPIExplorer(data, metric="cart_conversion", months=("2026-09", "2026-10"))
    assert [v for _, v in ex.controls["metric"].options] == ["nps", "stickiness", "bounce_rate", "cart_conversion"]
    pd.testing.assert_frame_equal(ex.view.data[["month", "value"]], retro.series("cart_conversion")[["month", "value"]])
    with pytest.raises(ParameterError, match=r"metric='task_completion' is not offered: it needs the events table "
                                             r"and metrics.task_completion .* Offered here: nps, stickiness"):
        KPIExplorer(data, metric="task_completion")
    with pytest.raises(ParameterError, match="metric='dau' is not a KPI; KPIs are: nps, stickiness"):
        KPIExplorer(data, metric="dau")


def test_kpis_whose_table_or_setting_is_missing_are_not_offered(interactive):
    config = config_from_dict({"sources": {"events": {"path": "e.csv"}},
                               "metrics": {"task_completion": {"start": "a", "success": "c", "window": "1h"}}})
    ex = KPIExplorer(tiny_dataset(), config=config, metric="task_completion")
    # no nps, carts or feedback table; no first_success setting; no account-opening funnel
    assert [v for _, v in ex.controls["metric"].options] == ["stickiness", "bounce_rate", "task_completion"]
    # Oct 1: u1 a -> c after 10 min (done), u2 and u3 never c; Oct 20: u4 a -> c after 30 s (done) -> 2 of 4
    assert ex.view.data[["month", "started", "completed"]].values.tolist() == [["2026-10", 4, 2]]

"""The cart report's words, charts and tables, generated from a :class:`~uem_helpers.stories.cart.CartAnalysis`.

Sentences are Markdown built from results (data text through
:func:`uem_helpers.present.narrative.md_escape`); charts take an optional ``ax=`` and
return the Axes (:mod:`uem_helpers.present.plots` conventions, data text through
:func:`uem_helpers.present.plots.plain`); tables are display strings with readable
column names, data text in them masked (pandas escapes it when rendering).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from uem_helpers.core.formats import percent, signed_percent, with_minus
from uem_helpers.present import privacy
from uem_helpers.analyses.cart.abandonment import with_rates
from uem_helpers.stories.cart import CartAnalysis
from uem_helpers.present.narrative import framing, funnel_title, md_escape, period_words
from uem_helpers.present.plots import ACCENT, MAIN, PALETTE, daily_rate, new_axes, percent_axis, plain, rate_bars

def _period(a: CartAnalysis) -> str:
    return f"{md_escape(a.period_start or 'the first day of data')} and {md_escape(a.period_end or 'the last')}"


# --- words -----------------------------------------------------------------------------


def no_carts(a: CartAnalysis) -> str:
    """The sentence shown in every section when no cart was created in the period."""
    return (f"**No data:** no cart was created between {_period(a)}, so this section has nothing to show. "
            "Check the period and the carts source.")


def overview_finding(a: CartAnalysis) -> str:
    """Carts, checkouts and the abandonment rate with its interval."""
    if not a.has_data:
        return no_carts(a)
    o = a.outcomes.iloc[0]
    text = (f"Of **{a.carts:,}** carts created between {_period(a)}, **{a.checked_out:,}** were checked out and "
            f"**{int(o['abandoned']):,}** abandoned: an abandonment rate of **{percent(o['abandonment_rate'], 1)}** "
            f"(95% CI {percent(o['abandonment_low'], 1)} to {percent(o['abandonment_high'], 1)}).")
    if a.checked_out == 0:
        text += " **No cart was checked out at all**: check that the carts source fills `checked_out_at`."
    if a.notes.get("source"):
        text += " " + md_escape(a.notes["source"])
    return text


def shown_segments(a: CartAnalysis) -> pd.DataFrame | None:
    """The segment breakdown as a report may show it: segments of too few users folded into "other".

    The minimum comes from the privacy settings in force (:func:`uem_helpers.present.privacy.use`); the
    folded rows' carts, checkouts and users are added up and the rate and its interval recomputed.
    """
    if a.by_segment is None:
        return None
    folded = privacy.active().fold_small_groups(
        a.by_segment, a.segment_by, size="users", sums=["carts", "checked_out", "abandoned"]
    )
    return with_rates(folded.copy())


def segment_finding(a: CartAnalysis) -> str:
    """Highest and lowest abandonment by segment (small segments folded into "other")."""
    seg = shown_segments(a)
    if seg is None:
        return md_escape(a.notes.get("segment", "")) if a.has_data else no_carts(a)
    seg = seg.sort_values("abandonment_rate")
    low, high = seg.iloc[0], seg.iloc[-1]
    col = a.segment_by
    if len(seg) == 1:
        return f"All carts share one {md_escape(col)}: '{md_escape(low[col])}'."
    overlap = low["abandonment_high"] >= high["abandonment_low"]
    return (f"By {md_escape(col)}, abandonment ranges from {percent(low['abandonment_rate'])} ('{md_escape(low[col])}', "
            f"{int(low['carts']):,} carts) to {percent(high['abandonment_rate'])} ('{md_escape(high[col])}', "
            f"{int(high['carts']):,} carts); "
            + ("the intervals overlap, so the difference may be noise." if overlap else "the intervals do not overlap."))


def segment_chart(a: CartAnalysis, *, ax=None):
    """Abandonment per segment with Wilson 95% intervals and cart counts (small segments folded)."""
    seg = shown_segments(a).sort_values("abandonment_rate", ascending=False)
    notes = [f"{r:.0%} of {n:,} carts" for r, n in zip(seg["abandonment_rate"], seg["carts"])]
    return rate_bars(seg[a.segment_by].astype(str), seg["abandonment_rate"], seg["abandonment_low"],
                     seg["abandonment_high"], notes, xlabel="Abandonment rate (95% CI)",
                     title=f"Cart abandonment by {a.segment_by}", ax=ax)


def checkout_finding(a: CartAnalysis) -> str:
    """The checkout step that loses the most users."""
    if a.checkout is None:
        return md_escape(a.notes.get("checkout", "")) if a.has_data else no_carts(a)
    steps = a.checkout.iloc[1:]
    if a.checkout["entered"].iloc[0] == 0:
        return "Nobody entered the checkout funnel in the period."
    worst = steps.loc[steps["lost"].idxmax()]
    last = a.checkout.iloc[-1]
    return (f"Of **{int(last['entered']):,}** users who viewed a cart, **{percent(last['conversion'])}** "
            f"(95% CI {percent(last['conversion_low'])} to {percent(last['conversion_high'])}) completed an order. "
            f"The largest drop is before '{md_escape(worst['step'])}': {int(worst['lost']):,} users lost, "
            f"{percent(1 - worst['step_conversion'])} of those who reached the step before.")


def fee_finding(a: CartAnalysis) -> str:
    """Abandonment in the lowest and highest fee-share bins, and the logistic fit."""
    if a.fee_bins is None:
        return md_escape(a.notes["fee"]) if a.has_data and "fee" in a.notes else no_carts(a)
    bins = a.fee_bins[a.fee_bins["carts"] > 0]
    first, last = bins.iloc[0], bins.iloc[-1]
    scope = "before the launch" if a.launch_date else "in the period"
    text = (f"For carts created {scope}, abandonment rises from {percent(first['abandonment_rate'])} when shipping is "
            f"{md_escape(first['bin'])} of the cart value to {percent(last['abandonment_rate'])} when it is "
            f"{md_escape(last['bin'])}.")
    fit = md_escape(a.fee_fit.sentence()) if a.fee_fit else md_escape(a.notes.get("fee", ""))
    return f"{text} {fit}"


def bunching_finding(a: CartAnalysis) -> str:
    """Excess mass just above the threshold."""
    if a.bunching is None:
        return md_escape(a.notes.get("bunching", "")) if a.has_data else no_carts(a)
    return md_escape(a.bunching.sentence())


def impact_finding(a: CartAnalysis) -> str:
    """Conversion, AOV and revenue per cart before vs after (or control vs treatment), each with its intervals.

    In A/B mode the sample-ratio-mismatch check comes first: a broken split voids the comparison.
    """
    if a.impact is None:
        return md_escape(a.notes.get("impact", "")) if a.has_data else no_carts(a)
    if a.impact.srm is not None:
        c = a.impact.conversion
        lines = [(f"Carts created at or after each user's assignment to the experiment **{md_escape(a.experiment)}**, "
                  f"{md_escape(c.group_b)} vs {md_escape(c.group_a)} (intervals clustered by user). "
                  f"{md_escape(a.impact.srm.sentence())}")]
    else:
        lines = [f"Carts created before vs on or after the launch on **{a.launch_date}**:"]
    lines += [f"- {md_escape(r.sentence())}" for r in a.impact.readouts()]
    return "\n".join(lines)


def drivers_finding(a: CartAnalysis) -> str:
    """The events most associated with abandonment (significant ones only)."""
    if a.drivers is None or a.drivers.empty:
        return md_escape(a.notes.get("drivers", "")) if a.has_data else no_carts(a)
    strong = a.drivers[(a.drivers["odds_ratio_low"] > 1)]
    if strong.empty:
        return "No event before the cart goes with significantly more abandonment (every interval includes 1)."
    parts = [f"'{md_escape(r.event)}' (abandonment {percent(r.abandonment_with)} with vs {percent(r.abandonment_without)} "
             f"without; odds ratio {r.odds_ratio:.2f}, 95% CI {r.odds_ratio_low:.2f} to {r.odds_ratio_high:.2f})"
             for r in strong.head(3).itertuples()]
    return ("Carts are abandoned more often after " + "; ".join(parts)
            + ". These are associations, not causes: test a change before believing one.")


def introduction(config, *, period_start: object = None, period_end: object = None, launch_date: object = None,
                 threshold: float | None = None, experiment: str | None = None) -> str:
    """The report's title heading and introduction, from the config and this run's parameters.

    Parameters
    ----------
    config : UEMConfig
        The loaded config: the ``checkout`` funnel's ``title`` (when there is one) and the tables configured.
    period_start, period_end : str, optional
        The report's period.
    launch_date : str, optional
        The day the shipping policy went live (``policy_launch_date``); none: no policy comparison.
    threshold : float, optional
        The cart value from which shipping is free under the policy.
    experiment : str, optional
        The A/B experiment the policy is read from instead of before/after the launch.

    Returns
    -------
    str
        Markdown: ``# <title>`` and one paragraph, in the config's and the parameters' words only.
    """
    policy = experiment or launch_date
    title = "Carts: why are they left" + (", and what did the shipping policy do?" if policy else "?")
    parts = [f"counts the carts created {period_words(period_start, period_end)} and how many were checked out"]
    if "checkout" in config.funnels:
        parts.append(f"follows users through the {md_escape(funnel_title(config, 'checkout'))} funnel")
    parts.append("measures how the shipping fee's share of the cart value drives abandonment")
    if policy:
        how = (f"in the A/B test '{md_escape(experiment)}'" if experiment
               else f"launched on {md_escape(launch_date)} (carts before against after)")
        rule = f" (free shipping from {threshold:g})" if threshold else ""
        parts.append(f"judges the shipping policy{rule} {how} on cart conversion, average order value and the "
                     "bunching of cart values just above the threshold")
    else:
        parts.append("makes no policy comparison (no policy launch date or experiment is set)")
    body = (f"For e-commerce product and user-engineering leads. The report {', '.join(parts[:-1])}, and {parts[-1]}. "
            "Every rate and effect comes with its 95% confidence interval.")
    return framing(title, body)


def next_tests(a: CartAnalysis) -> str:
    """Recommended next tests, each resting on a finding above: the fee-share fit, bunching, the checkout funnel,
    the drivers (each only when its analysis ran on the tables this report read)."""
    if not a.has_data:
        return no_carts(a)
    tests = []
    if a.fee_fit is not None and a.fee_fit.odds_ratio_high < 1:
        tests.append("Test a lower threshold or a flat low fee for carts where shipping is a large share of the "
                     "value (the fit says the fee share drives abandonment); A/B it on a share of users.")
    if a.bunching is not None and a.bunching.excess.significant:
        tests.append(f"Test a 'you are ¥X away from free shipping' nudge with add-on suggestions near "
                     f"{a.threshold:g}: carts bunch just above the threshold, so customers do top up.")
    if a.checkout is not None and a.has_data and a.checkout["entered"].iloc[0] > 0 and a.checkout.iloc[1:]["lost"].max() > 0:
        worst = a.checkout.iloc[1:].loc[a.checkout.iloc[1:]["lost"].idxmax()]
        tests.append(f"Simplify the checkout step '{md_escape(worst['step'])}', which loses the most users "
                     f"({int(worst['lost']):,} of those who reached the step before).")
    if a.drivers is not None and not a.drivers.empty and (a.drivers["odds_ratio_low"] > 1).any():
        top = a.drivers[a.drivers["odds_ratio_low"] > 1].iloc[0]
        tests.append(f"Look into carts that follow '{md_escape(top['event'])}', the event most associated with "
                     "abandonment.")
    if not tests:
        keep = " keep the policy and" if a.impact is not None and a.impact.conversion.verdict != "worse" else ""
        tests.append(f"No clear lever stands out;{keep} re-run this report next month.")
    return "\n".join(f"- {t}" for t in tests)


def key_findings(a: CartAnalysis) -> str:
    """The report's opening: the findings in a few bullet points."""
    if not a.has_data:
        return no_carts(a)
    points = [overview_finding(a), fee_finding(a)]
    points += [impact_finding(a).replace("\n- ", "\n  - ")] if a.impact else [md_escape(a.notes.get("impact", ""))]
    if a.bunching is not None:
        points.append(bunching_finding(a))
    return "\n".join(f"- {p}" for p in points)


def headline(a: CartAnalysis) -> str:
    """Plain-text headline numbers (stable across runs of the same data, for regression checks)."""
    lines = [f"carts: {a.carts}", f"checked out: {a.checked_out}"]
    if a.impact is not None:
        c, v = a.impact.conversion, a.impact.aov
        lines += [f"conversion {c.group_a}: {c.value_a:.4f} {c.group_b}: {c.value_b:.4f}",
                  f"aov {v.group_a}: {v.value_a:.2f} {v.group_b}: {v.value_b:.2f}"]
    if a.bunching is not None:
        lines.append(f"share in band before: {a.bunching.excess.value_a:.4f} after: {a.bunching.excess.value_b:.4f}")
    return "\n".join(lines)


# --- charts ----------------------------------------------------------------------------


def abandonment_trend(a: CartAnalysis, *, ax=None):
    """Daily abandonment and the pooled 7-day rate, with the launch marked (:func:`uem_helpers.present.plots.daily_rate`)."""
    return daily_rate(a.daily, launch_date=a.launch_date, title="Cart abandonment by day of cart creation",
                      ylabel="Abandonment rate", ax=ax)


def fee_share_chart(fee_bins: pd.DataFrame, *, title: str = "Abandonment by shipping fee as a share of cart value",
                    ax=None):
    """Bars of abandonment per fee-share bin, with Wilson 95% intervals and cart counts."""
    bins = fee_bins[fee_bins["carts"] > 0]
    ax = new_axes(ax)
    x = np.arange(len(bins))
    rate = bins["abandonment_rate"].to_numpy(float)
    err = np.vstack([rate - bins["abandonment_low"], bins["abandonment_high"] - rate])
    ax.bar(x, rate, color=MAIN, width=0.65)
    ax.errorbar(x, rate, yerr=err, fmt="none", ecolor="black", capsize=4, lw=1)
    for xi, r, hi, n in zip(x, rate, bins["abandonment_high"], bins["carts"]):
        ax.text(xi, hi + 0.02, f"{r:.0%}\n{n:,} carts", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, bins["bin"])
    ax.set_ylim(0, 1.18)
    ax.set_yticks(np.linspace(0, 1, 6))
    percent_axis(ax.yaxis)
    ax.set_xlabel("Shipping fee / cart value")
    ax.set_ylabel("Abandonment rate (95% CI)")
    ax.set_title(title)
    ax.grid(axis="x", visible=False)
    return ax


def bunching_chart(bunching, *, title: str | None = None, ax=None):
    """Share of carts per value bin around the threshold, before vs after, the threshold and band marked."""
    ax = new_axes(ax)
    h = bunching.histogram
    width = float(np.diff(np.sort(h["bin_low"].unique()))[0]) if h["bin_low"].nunique() > 1 else 1.0
    for group in ("before", "after"):
        part = h[h["group"] == group]
        ax.step(part["bin_low"], part["share"], where="post", color=PALETTE[group], lw=2,
                label=f"{group} launch (n={bunching.excess.n_a if group == 'before' else bunching.excess.n_b:,})")
    ax.axvspan(bunching.threshold, bunching.threshold + bunching.band, color=ACCENT, alpha=0.12,
               label=f"band {bunching.threshold:g} to {bunching.threshold + bunching.band:g}")
    ax.axvline(bunching.threshold, color=ACCENT, ls="--", lw=1.5)
    ax.set_xlim(h["bin_low"].min(), h["bin_low"].max() + width)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.1%}"))
    ax.set_xlabel(f"Cart value (bins of {width:g})")
    ax.set_ylabel("Share of the group's carts")
    ax.set_title(title or f"Cart values around the free-shipping threshold of {bunching.threshold:g}")
    ax.legend(loc="upper right", fontsize=9)
    return ax


def drivers_chart(drivers: pd.DataFrame, *, top: int = 10, title: str = "Events before the cart and abandonment",
                  ax=None):
    """Odds ratios of abandonment per event (log scale, 95% CI), most associated first."""
    d = drivers.head(top)
    ax = new_axes(ax, (9, 0.45 * len(d) + 1.8))
    y = np.arange(len(d))
    orr = d["odds_ratio"].to_numpy(float)
    err = np.vstack([orr - d["odds_ratio_low"], d["odds_ratio_high"] - orr])
    colors = [ACCENT if lo > 1 else (MAIN if hi < 1 else PALETTE["before"])
              for lo, hi in zip(d["odds_ratio_low"], d["odds_ratio_high"])]
    ax.errorbar(orr, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1, zorder=1)
    ax.scatter(orr, y, color=colors, s=40, zorder=2)
    ax.axvline(1, color="black", lw=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_yticks(y, [f"{plain(e)} ({n:,} carts)" for e, n in zip(d["event"], d["carts_with"])])
    ax.invert_yaxis()
    ax.set_xlabel("Odds ratio of abandonment, with vs without the event (95% CI; >1 = more abandonment)")
    ax.set_title(title)
    return ax


# --- tables ----------------------------------------------------------------------------


def impact_table(a: CartAnalysis) -> pd.DataFrame:
    """Before, after (or control, treatment), absolute and relative change with 95% CIs, per metric."""
    rows = {}
    for r in a.impact.readouts():
        def fmt(x: float, r=r) -> str:
            return f"{x:.1%}" if r.kind == "rate" else f"{r.unit}{x:,.2f}"

        def signed(x: float, r=r) -> str:
            text = f"{100 * x:+.1f} pts" if r.kind == "rate" else f"{x:+,.2f}"
            return with_minus(text)

        rows[r.metric[:1].upper() + r.metric[1:]] = {
            r.group_a[:1].upper() + r.group_a[1:]: fmt(r.value_a), r.group_b[:1].upper() + r.group_b[1:]: fmt(r.value_b),
            "Change": signed(r.abs_effect),
            "95% CI": f"{signed(r.ci_low)} to {signed(r.ci_high)}", "Relative": signed_percent(r.rel_effect),
            "95% CI (relative)": f"{signed_percent(r.rel_ci_low)} to {signed_percent(r.rel_ci_high)}",
            "p-value": "< 0.001" if r.p_value < 0.001 else f"{r.p_value:.3f}",
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("Metric")


def drivers_table(drivers: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The top drivers: carts with the event, abandonment with and without, odds ratio with 95% CI.

    Rows are labelled by event name with personal data masked (active privacy policy); pandas
    escapes the labels when it renders HTML.
    """
    d = drivers.head(top)
    mask = privacy.active().mask_text
    return pd.DataFrame({
        "Carts with the event": d["carts_with"].map("{:,}".format),
        "Abandonment with": d["abandonment_with"].map(lambda x: percent(x, 1)),
        "Abandonment without": d["abandonment_without"].map(lambda x: percent(x, 1)),
        "Odds ratio": d["odds_ratio"].map("{:.2f}".format),
        "95% CI": [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(d["odds_ratio_low"], d["odds_ratio_high"])],
        "p-value": d["p_value"].map(lambda p: "< 0.001" if p < 0.001 else f"{p:.3f}"),
    }).set_axis(pd.Index([mask(e) for e in d["event"]], name="Event before the cart"))

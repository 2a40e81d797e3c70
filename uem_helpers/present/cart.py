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

from uem_helpers.core.formats import (
    between, number, percent, percent_interval, signed_percent, signed_points, with_minus,
)
from uem_helpers.core.i18n import N_, _, clauses, label, sentences
from uem_helpers.present import privacy
from uem_helpers.analyses.cart.abandonment import with_rates
from uem_helpers.analyses.experiment import AFTER, BEFORE, group_name
from uem_helpers.stories.cart import CartAnalysis
from uem_helpers.analyses.experiment.readout import srm_sentence
from uem_helpers.present.narrative import framing, funnel_title, md_escape, period_words
from uem_helpers.present.plots import ACCENT, MAIN, PALETTE, daily_rate, new_axes, percent_axis, plain, rate_bars
from uem_helpers.present.sentences import day_of, name, period_ends

#: Default chart titles (translated where drawn).
FEE_SHARE_TITLE = N_("Abandonment by shipping fee as a share of cart value")
DRIVERS_TITLE = N_("Events before the cart and abandonment")


def _ends(a: CartAnalysis) -> dict[str, str]:
    return period_ends(a.period_start, a.period_end)


def _group(group: str) -> str:
    """A readout's group as a column header: "Before"/"After" translated, a variant by its display name."""
    shown = label(group_name(group))
    return shown[:1].upper() + shown[1:]


# --- words -----------------------------------------------------------------------------


def no_carts(a: CartAnalysis) -> str:
    """The sentence shown in every section when no cart was created in the period."""
    return _("**No data:** no cart was created between {start} and {end}, so this section has nothing to show. "
             "Check the period and the carts source.").format(**_ends(a))


def overview_finding(a: CartAnalysis) -> str:
    """Carts, checkouts and the abandonment rate with its interval."""
    if not a.has_data:
        return no_carts(a)
    o = a.outcomes.iloc[0]
    text = _("Of **{carts}** carts created between {start} and {end}, **{checked_out}** were checked out and "
             "**{abandoned}** abandoned: an abandonment rate of **{rate}** ({interval}).").format(
        carts=number(a.carts, 0), checked_out=number(a.checked_out, 0), abandoned=number(o["abandoned"], 0),
        rate=percent(o["abandonment_rate"], 1),
        interval=percent_interval(o["abandonment_low"], o["abandonment_high"], 1), **_ends(a))
    none_checked = _("**No cart was checked out at all**: check that the carts source fills `checked_out_at`.")
    return sentences(text, none_checked if a.checked_out == 0 else "", md_escape(a.notes.get("source", "")))


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
        return _("All carts share one {segment}: '{value}'.").format(segment=name(col), value=name(low[col]))
    overlap = low["abandonment_high"] >= high["abandonment_low"]
    text = (_("By {segment}, abandonment ranges from {low} ('{lowest}', {low_carts} carts) to {high} ('{highest}', "
              "{high_carts} carts); the intervals overlap, so the difference may be noise.") if overlap else
            _("By {segment}, abandonment ranges from {low} ('{lowest}', {low_carts} carts) to {high} ('{highest}', "
              "{high_carts} carts); the intervals do not overlap."))
    return text.format(segment=name(col), low=percent(low["abandonment_rate"]), lowest=name(low[col]),
                       low_carts=number(low["carts"], 0), high=percent(high["abandonment_rate"]),
                       highest=name(high[col]), high_carts=number(high["carts"], 0))


def segment_chart(a: CartAnalysis, *, ax=None):
    """Abandonment per segment with Wilson 95% intervals and cart counts (small segments folded)."""
    seg = shown_segments(a).sort_values("abandonment_rate", ascending=False)
    notes = [_("{rate} of {carts} carts").format(rate=percent(r), carts=number(n, 0))
             for r, n in zip(seg["abandonment_rate"], seg["carts"])]
    return rate_bars([label(v) for v in seg[a.segment_by].astype(str)], seg["abandonment_rate"],
                     seg["abandonment_low"], seg["abandonment_high"], notes, xlabel=_("Abandonment rate (95% CI)"),
                     title=_("Cart abandonment by {segment}").format(segment=label(a.segment_by)), ax=ax)


def checkout_finding(a: CartAnalysis) -> str:
    """The checkout step that loses the most users."""
    if a.checkout is None:
        return md_escape(a.notes.get("checkout", "")) if a.has_data else no_carts(a)
    steps = a.checkout.iloc[1:]
    if a.checkout["entered"].iloc[0] == 0:
        return _("Nobody entered the checkout funnel in the period.")
    worst = steps.loc[steps["lost"].idxmax()]
    last = a.checkout.iloc[-1]
    return _("Of **{users}** users who viewed a cart, **{share}** ({interval}) completed an order. The largest drop "
             "is before '{step}': {lost} users lost, {step_share} of those who reached the step before.").format(
        users=number(last["entered"], 0), share=percent(last["conversion"]),
        interval=percent_interval(last["conversion_low"], last["conversion_high"]), step=name(worst["step"]),
        lost=number(worst["lost"], 0), step_share=percent(1 - worst["step_conversion"]))


def fee_finding(a: CartAnalysis) -> str:
    """Abandonment in the lowest and highest fee-share bins, and the logistic fit."""
    if a.fee_bins is None:
        return md_escape(a.notes["fee"]) if a.has_data and "fee" in a.notes else no_carts(a)
    bins = a.fee_bins[a.fee_bins["carts"] > 0]
    first, last = bins.iloc[0], bins.iloc[-1]
    text = (_("For carts created before the launch, abandonment rises from {low} when shipping is {low_bin} of the "
              "cart value to {high} when it is {high_bin}.") if a.launch_date else
            _("For carts created in the period, abandonment rises from {low} when shipping is {low_bin} of the cart "
              "value to {high} when it is {high_bin}."))
    text = text.format(low=percent(first["abandonment_rate"]), low_bin=md_escape(first["bin"]),
                       high=percent(last["abandonment_rate"]), high_bin=md_escape(last["bin"]))
    fit = md_escape(a.fee_fit.sentence()) if a.fee_fit else md_escape(a.notes.get("fee", ""))
    return sentences(text, fit)


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
        lines = [_("Carts created at or after each user's assignment to the experiment **{experiment}**, {treatment} "
                   "vs {control} (intervals clustered by user). {srm}").format(
            experiment=md_escape(a.experiment), treatment=name(c.group_b), control=name(c.group_a),
            srm=md_escape(srm_sentence(a.impact.srm)))]
    else:
        lines = [_("Carts created before vs on or after the launch on **{date}**:").format(
            date=day_of(a.launch_date, "launch_date"))]
    lines += [f"- {md_escape(r.sentence())}" for r in a.impact.readouts()]
    return "\n".join(lines)


def drivers_finding(a: CartAnalysis) -> str:
    """The events most associated with abandonment (significant ones only)."""
    if a.drivers is None or a.drivers.empty:
        return md_escape(a.notes.get("drivers", "")) if a.has_data else no_carts(a)
    strong = a.drivers[(a.drivers["odds_ratio_low"] > 1)]
    if strong.empty:
        return _("No event before the cart goes with significantly more abandonment (every interval includes 1).")
    parts = [_("'{event}' (abandonment {with_event} with vs {without_event} without; odds ratio {ratio}, 95% CI "
               "{low} to {high})").format(event=name(r.event), with_event=percent(r.abandonment_with),
                                         without_event=percent(r.abandonment_without), ratio=f"{r.odds_ratio:.2f}",
                                         low=f"{r.odds_ratio_low:.2f}", high=f"{r.odds_ratio_high:.2f}")
             for r in strong.head(3).itertuples()]
    return _("Carts are abandoned more often after {events}. These are associations, not causes: test a change "
             "before believing one.").format(events=clauses(parts))


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
    policy = "experiment" if experiment else "launch" if launch_date else "none"
    if policy == "none":
        title = _("Carts: why are they left?")
    else:
        title = _("Carts: why are they left, and what did the shipping policy do?")
    body = _INTRODUCTIONS["checkout" in config.funnels, policy]
    fields = dict(level="95%", period=period_words(period_start, period_end),
                  rule=_(" (free shipping from {threshold})").format(threshold=f"{threshold:g}") if threshold else "")
    if "checkout" in config.funnels:
        fields["funnel"] = md_escape(funnel_title(config, "checkout"))
    if experiment:
        fields["experiment"] = md_escape(experiment)
    elif launch_date:
        fields["date"] = md_escape(day_of(launch_date, "policy_launch_date"))
    return framing(title, _(body).format(**fields))


#: The introduction's paragraph by (a checkout funnel is configured, how the policy is judged).
_INTRODUCTIONS = {
    (True, "experiment"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, follows users through the {funnel} funnel, measures how the shipping fee's share of "
        "the cart value drives abandonment, and judges the shipping policy{rule} in the A/B test '{experiment}' on "
        "cart conversion, average order value and the bunching of cart values just above the threshold. Every rate "
        "and effect comes with its {level} confidence interval."),
    (True, "launch"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, follows users through the {funnel} funnel, measures how the shipping fee's share of "
        "the cart value drives abandonment, and judges the shipping policy{rule} launched on {date} (carts before "
        "against after) on cart conversion, average order value and the bunching of cart values just above the "
        "threshold. Every rate and effect comes with its {level} confidence interval."),
    (True, "none"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, follows users through the {funnel} funnel, measures how the shipping fee's share of "
        "the cart value drives abandonment, and makes no policy comparison (no policy launch date or experiment is "
        "set). Every rate and effect comes with its {level} confidence interval."),
    (False, "experiment"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, measures how the shipping fee's share of the cart value drives abandonment, and "
        "judges the shipping policy{rule} in the A/B test '{experiment}' on cart conversion, average order value and "
        "the bunching of cart values just above the threshold. Every rate and effect comes with its {level} confidence "
        "interval."),
    (False, "launch"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, measures how the shipping fee's share of the cart value drives abandonment, and "
        "judges the shipping policy{rule} launched on {date} (carts before against after) on cart conversion, "
        "average order value and the bunching of cart values just above the threshold. Every rate and effect comes "
        "with its {level} confidence interval."),
    (False, "none"): N_(
        "For e-commerce product and user-engineering leads. The report counts the carts created {period} and how "
        "many were checked out, measures how the shipping fee's share of the cart value drives abandonment, and "
        "makes no policy comparison (no policy launch date or experiment is set). Every rate and effect comes with "
        "its {level} confidence interval."),
}


def next_tests(a: CartAnalysis) -> str:
    """Recommended next tests, each resting on a finding above: the fee-share fit, bunching, the checkout funnel,
    the drivers (each only when its analysis ran on the tables this report read)."""
    if not a.has_data:
        return no_carts(a)
    tests = []
    if a.fee_fit is not None and a.fee_fit.odds_ratio_high < 1:
        tests.append(_("Test a lower threshold or a flat low fee for carts where shipping is a large share of the "
                       "value (the fit says the fee share drives abandonment); A/B it on a share of users."))
    if a.bunching is not None and a.bunching.excess.significant:
        tests.append(_("Test a 'you are ¥X away from free shipping' nudge with add-on suggestions near {threshold}: "
                       "carts bunch just above the threshold, so customers do top up.").format(
            threshold=f"{a.threshold:g}"))
    if a.checkout is not None and a.has_data and a.checkout["entered"].iloc[0] > 0 and a.checkout.iloc[1:]["lost"].max() > 0:
        worst = a.checkout.iloc[1:].loc[a.checkout.iloc[1:]["lost"].idxmax()]
        tests.append(_("Simplify the checkout step '{step}', which loses the most users ({lost} of those who reached "
                       "the step before).").format(step=name(worst["step"]), lost=number(worst["lost"], 0)))
    if a.drivers is not None and not a.drivers.empty and (a.drivers["odds_ratio_low"] > 1).any():
        top = a.drivers[a.drivers["odds_ratio_low"] > 1].iloc[0]
        tests.append(_("Look into carts that follow '{event}', the event most associated with abandonment.").format(
            event=name(top["event"])))
    if not tests:
        keep = a.impact is not None and a.impact.conversion.verdict != "worse"
        tests.append(_("No clear lever stands out; keep the policy and re-run this report next month.") if keep
                     else _("No clear lever stands out; re-run this report next month."))
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


def checkout_chart_title(config) -> str:
    """The checkout funnel chart's title: ``"Checkout funnel"``, the funnel by its ``title`` in the config."""
    return _("{funnel} funnel").format(funnel=funnel_title(config, "checkout"))


def abandonment_trend(a: CartAnalysis, *, ax=None):
    """Daily abandonment and the pooled 7-day rate, with the launch marked (:func:`uem_helpers.present.plots.daily_rate`)."""
    return daily_rate(a.daily, launch_date=a.launch_date, title=_("Cart abandonment by day of cart creation"),
                      ylabel=_("Abandonment rate"), ax=ax)


def fee_share_chart(fee_bins: pd.DataFrame, *, title: str = FEE_SHARE_TITLE, ax=None):
    """Bars of abandonment per fee-share bin, with Wilson 95% intervals and cart counts."""
    bins = fee_bins[fee_bins["carts"] > 0]
    ax = new_axes(ax)
    x = np.arange(len(bins))
    rate = bins["abandonment_rate"].to_numpy(float)
    err = np.vstack([rate - bins["abandonment_low"], bins["abandonment_high"] - rate])
    ax.bar(x, rate, color=MAIN, width=0.65)
    ax.errorbar(x, rate, yerr=err, fmt="none", ecolor="black", capsize=4, lw=1)
    for xi, r, hi, n in zip(x, rate, bins["abandonment_high"], bins["carts"]):
        ax.text(xi, hi + 0.02, _("{rate}\n{carts} carts").format(rate=percent(r), carts=number(n, 0)),
                ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, bins["bin"])
    ax.set_ylim(0, 1.18)
    ax.set_yticks(np.linspace(0, 1, 6))
    percent_axis(ax.yaxis)
    ax.set_xlabel(_("Shipping fee / cart value"))
    ax.set_ylabel(_("Abandonment rate (95% CI)"))
    ax.set_title(_(title))
    ax.grid(axis="x", visible=False)
    return ax


def bunching_chart(bunching, *, title: str | None = None, ax=None):
    """Share of carts per value bin around the threshold, before vs after, the threshold and band marked."""
    ax = new_axes(ax)
    h = bunching.histogram
    width = float(np.diff(np.sort(h["bin_low"].unique()))[0]) if h["bin_low"].nunique() > 1 else 1.0
    legends = {BEFORE: _("before launch (n={n})").format(n=number(bunching.excess.n_a, 0)),
               AFTER: _("after launch (n={n})").format(n=number(bunching.excess.n_b, 0))}
    for group in (BEFORE, AFTER):
        part = h[h["group"] == group]
        ax.step(part["bin_low"], part["share"], where="post", color=PALETTE[group], lw=2, label=legends[group])
    ax.axvspan(bunching.threshold, bunching.threshold + bunching.band, color=ACCENT, alpha=0.12,
               label=_("band {low} to {high}").format(low=f"{bunching.threshold:g}",
                                                      high=f"{bunching.threshold + bunching.band:g}"))
    ax.axvline(bunching.threshold, color=ACCENT, ls="--", lw=1.5)
    ax.set_xlim(h["bin_low"].min(), h["bin_low"].max() + width)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: percent(v, 1)))
    ax.set_xlabel(_("Cart value (bins of {width})").format(width=f"{width:g}"))
    ax.set_ylabel(_("Share of the group's carts"))
    ax.set_title(title or _("Cart values around the free-shipping threshold of {threshold}").format(
        threshold=f"{bunching.threshold:g}"))
    ax.legend(loc="upper right", fontsize=9)
    return ax


def drivers_chart(drivers: pd.DataFrame, *, top: int = 10, title: str = DRIVERS_TITLE, ax=None):
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
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_formatter(plt.FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.set_yticks(y, [_("{event} ({carts} carts)").format(event=plain(label(e)), carts=number(n, 0))
                      for e, n in zip(d["event"], d["carts_with"])])
    ax.invert_yaxis()
    ax.set_xlabel(_("Odds ratio of abandonment, with vs without the event (95% CI; >1 = more abandonment)"))
    ax.set_title(_(title))
    return ax


# --- tables ----------------------------------------------------------------------------


def impact_table(a: CartAnalysis) -> pd.DataFrame:
    """Before, after (or control, treatment), absolute and relative change with 95% CIs, per metric."""
    rows = {}
    for r in a.impact.readouts():
        def fmt(x: float, r=r) -> str:
            return percent(x, 1) if r.kind == "rate" else f"{r.unit}{x:,.2f}"

        def signed(x: float, r=r) -> str:
            return signed_points(x) if r.kind == "rate" else with_minus(f"{x:+,.2f}")

        metric = _(r.metric)
        rows[metric[:1].upper() + metric[1:]] = {
            _group(r.group_a): fmt(r.value_a), _group(r.group_b): fmt(r.value_b),
            _("Change"): signed(r.abs_effect),
            _("95% CI"): between(signed(r.ci_low), signed(r.ci_high)), _("Relative"): signed_percent(r.rel_effect),
            _("95% CI (relative)"): between(signed_percent(r.rel_ci_low), signed_percent(r.rel_ci_high)),
            _("p-value"): "< 0.001" if r.p_value < 0.001 else f"{r.p_value:.3f}",
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis(_("Metric"))


def drivers_table(drivers: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """The top drivers: carts with the event, abandonment with and without, odds ratio with 95% CI.

    Rows are labelled by the event's display name with personal data masked (active privacy policy);
    pandas escapes the labels when it renders HTML.
    """
    d = drivers.head(top)
    mask = privacy.active().mask_text
    return pd.DataFrame({
        _("Carts with the event"): d["carts_with"].map(lambda n: number(n, 0)),
        _("Abandonment with"): d["abandonment_with"].map(lambda x: percent(x, 1)),
        _("Abandonment without"): d["abandonment_without"].map(lambda x: percent(x, 1)),
        _("Odds ratio"): d["odds_ratio"].map("{:.2f}".format),
        _("95% CI"): [between(f"{lo:.2f}", f"{hi:.2f}") for lo, hi in zip(d["odds_ratio_low"], d["odds_ratio_high"])],
        _("p-value"): d["p_value"].map(lambda p: "< 0.001" if p < 0.001 else f"{p:.3f}"),
    }).set_axis(pd.Index([mask(label(e)) for e in d["event"]], name=_("Event before the cart")))

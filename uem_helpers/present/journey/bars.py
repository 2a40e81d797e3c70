"""Ranked bars with intervals: loops against their no-loop baseline, bottlenecks, segment differences."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from uem_helpers.core.errors import ParameterError
from uem_helpers.present import privacy
from uem_helpers.core.formats import duration
from uem_helpers.core.i18n import _, label
from uem_helpers.present.journey._style import GREY, HOURS_FROM, _empty, _positive_int, _require, chain
from uem_helpers.present.plots import ACCENT, MAIN, new_axes, plain, rate_bars


def loop_bars(loops: pd.DataFrame, *, top_n: int = 10, title: str | None = None, ax=None):
    """The loops in rank order: how often sessions with each loop convert, against comparable sessions without one.

    One bar per loop, in the order of the frame (:func:`uem_helpers.analyses.journey.loops`
    ranks the loops that cost most conversions first; rotations of a loop already shown, rows
    with ``same_cycle_as``, are left out): the conversion of sessions that made the loop, with
    its 95% interval clustered by user; an orange diamond (with its interval) marks the loop's
    own baseline, sessions that reached the loop's first event but made no loop at all. A bar
    left of its diamond is what the loop costs. Without a conversion event the bars count
    users instead. Loops of fewer users than the privacy minimum are not shown.

    Parameters
    ----------
    loops : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.loops` output (``loop``, ``users``, ``sessions``,
        ``session_conversion`` with ``_low``/``_high``, ``baseline_conversion``,
        ``baseline_low``, ``baseline_high``; optional ``same_cycle_as``).
    top_n : int
        Most loops shown.
    title : str, optional
        Chart title; by default the top loop's conversion against its baseline.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(loops, ["loop", "users"], "loops", "uem_helpers.analyses.journey.loops")
    _positive_int(top_n, "top_n")
    minimum = privacy.active().min_cell_size
    if "same_cycle_as" in loops:
        loops = loops[loops["same_cycle_as"].isna()]
    large = pd.to_numeric(loops["users"], errors="coerce").fillna(0) >= minimum
    shown = loops[large].head(top_n)
    note = "" if large.all() else _(" (loops of fewer than {minimum} users not shown)").format(minimum=minimum)
    if shown.empty:
        return _empty(new_axes(ax), _("No loop made by at least {minimum} users in the period.").format(minimum=minimum),
                      title or _("Loops in the journey"))
    rate = pd.to_numeric(shown.get("session_conversion", pd.Series(np.nan, index=shown.index)), errors="coerce")
    top = shown.iloc[0]
    if rate.isna().all():
        ax = new_axes(ax, (9, 0.55 * len(shown) + 1.6))
        y = np.arange(len(shown))
        ax.barh(y, shown["users"].astype(float), color=MAIN, height=0.6)
        for yi, n in zip(y, shown["users"]):
            ax.text(float(n), yi, f"  {int(n):,}", va="center", fontsize=10)
        ax.set_yticks(y, [plain(chain(loop)) for loop in shown["loop"]])
        ax.invert_yaxis()
        ax.margins(x=0.15)
        ax.xaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel(_("Users who made the loop{note}").format(note=note))
        ax.grid(axis="y", visible=False)
        common = shown.loc[pd.to_numeric(shown["users"]).idxmax()]
        ax.set_title(plain(title or _("Most common loop: '{loop}' ({users} users)").format(
            loop=chain(common["loop"]), users=f"{int(common['users']):,}")))
        return ax
    base = pd.to_numeric(shown["baseline_conversion"], errors="coerce").to_numpy(dtype=float)
    notes = [_("{rate} of {sessions} sessions (no loop: {baseline})").format(
        rate=f"{c:.0%}", sessions=f"{int(n):,}", baseline=f"{b:.0%}") for c, n, b in zip(rate, shown["sessions"], base)]
    ax = rate_bars([chain(loop) for loop in shown["loop"]], rate, shown["session_conversion_low"],
                   shown["session_conversion_high"], notes,
                   xlabel=_("Sessions converting: with the loop (bars) and without any loop (diamonds), "
                            "95% CI{note}").format(note=note),
                   title="", ax=ax)
    y = np.arange(len(shown))
    low = base - pd.to_numeric(shown["baseline_low"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(shown["baseline_high"], errors="coerce").to_numpy(dtype=float) - base
    ax.errorbar(base, y, xerr=[low, high], fmt="D", color=ACCENT, markersize=6, capsize=3, lw=1.2, zorder=4)
    title = title or _("Sessions with '{loop}' convert at {rate} vs {baseline} without a loop").format(
        loop=chain(top["loop"]), rate=f"{rate.iloc[0]:.0%}", baseline=f"{base[0]:.0%}")
    ax.set_title(plain(title), pad=12)
    return ax


def bottleneck_chart(bottlenecks: pd.DataFrame, *, top_n: int = 10, title: str | None = None, ax=None):
    """Ranked bottlenecks: exit rate (bars, 95% CI) and mean dwell (dots, 95% CI, right panel).

    Touchpoints keep their rank order top to bottom; beside each exit-rate bar
    the users lost there. The dwell panel is drawn to the right of ``ax``
    (sharing its rows) and is reachable as ``ax.dwell_axes``.

    Parameters
    ----------
    bottlenecks : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.map.bottlenecks` output (``rank``, ``touchpoint``, ``exit_rate``,
        ``exit_low``, ``exit_high``, ``mean_dwell_seconds``, ``dwell_low``, ``dwell_high``, ``users_lost``).
    top_n : int
        Most touchpoints shown.
    title : str, optional
        Chart title; by default it names the first-ranked touchpoint with its exit rate and dwell.
    ax : matplotlib Axes, optional
        Axes of the exit-rate panel.

    Returns
    -------
    matplotlib Axes
        The exit-rate panel.
    """
    needed = ["touchpoint", "exit_rate", "exit_low", "exit_high", "mean_dwell_seconds", "dwell_low", "dwell_high"]
    _require(bottlenecks, needed, "bottlenecks", "uem_helpers.analyses.journey.map.bottlenecks")
    _positive_int(top_n, "top_n")
    rows = bottlenecks.sort_values("rank", kind="stable") if "rank" in bottlenecks.columns else bottlenecks
    rows = rows.head(top_n)
    if rows.empty:
        return _empty(new_axes(ax), _("No touchpoint to rank in the period."), title or _("Bottlenecks"))
    lost = rows["users_lost"] if "users_lost" in rows.columns else pd.Series(np.nan, index=rows.index)
    notes = [_("{rate}  ({users} users lost)").format(rate=f"{r:.0%}", users=f"{int(n):,}") if pd.notna(n)
             else f"{r:.0%}" for r, n in zip(rows["exit_rate"], lost)]
    ax = new_axes(ax, (11, 0.55 * len(rows) + 1.8))
    rate_bars([label(t) for t in rows["touchpoint"]], rows["exit_rate"], rows["exit_low"], rows["exit_high"], notes,
              xlabel=_("Exit rate: share of its events that end the session (95% CI)"), title="", ax=ax)
    dwell = ax.inset_axes([1.04, 0, 0.55, 1], sharey=ax)
    minutes = rows[["mean_dwell_seconds", "dwell_low", "dwell_high"]].astype(float).to_numpy() / 60
    y = np.arange(len(rows))
    dwell.errorbar(minutes[:, 0], y, xerr=np.vstack([minutes[:, 0] - minutes[:, 1], minutes[:, 2] - minutes[:, 0]]),
                   fmt="D", color=ACCENT, ecolor=ACCENT, capsize=4, lw=1.2, ms=6)
    for yi, m in zip(y, minutes[:, 2]):
        if np.isfinite(m):
            dwell.text(m, yi, f"  {duration(60 * minutes[yi, 0], hours_from=HOURS_FROM)}", va="center", fontsize=9, color=ACCENT)
    dwell.set_xlim(0, np.nanmax(np.append(minutes[:, 2], 0.1)) * 1.35)
    dwell.tick_params(axis="y", labelleft=False, length=0)
    dwell.set_xlabel(_("Mean dwell, minutes (95% CI)"))
    dwell.grid(axis="y", visible=False)
    ax.dwell_axes = dwell
    if title is None:
        first = rows.iloc[0]
        title = _("Bottleneck #1: '{touchpoint}', {rate} of its events end the session, mean dwell {dwell}").format(
            touchpoint=label(first["touchpoint"]), rate=f"{first['exit_rate']:.0%}",
            dwell=duration(first["mean_dwell_seconds"], hours_from=HOURS_FROM))
    ax.set_title(plain(title), loc="left")
    return ax


def segment_diff_chart(diff: pd.DataFrame, *, labels: Sequence[str] = ("A", "B"), top_n: int = 15,
                       title: str | None = None, ax=None):
    """Transitions whose share differs between two segments: difference (B − A) with its 95% CI.

    The significant differences (after the Benjamini-Hochberg correction) are
    drawn in colour and listed first, largest first; the others in grey. Beside
    each row: the share of the source's next steps in A and in B.

    Parameters
    ----------
    diff : pandas.DataFrame
        :func:`uem_helpers.analyses.journey.segment_diff` output (``source``, ``target``, ``share_a``,
        ``share_b``, ``difference`` = ``share_b - share_a``, ``ci_low``, ``ci_high``, ``significant``).
    labels : pair of str
        Names of segments a and b, as the reader knows them.
    top_n : int
        Most transitions shown.
    title : str, optional
        Chart title; by default how many transitions differ significantly.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    _require(diff, ["source", "target", "share_a", "share_b", "difference", "ci_low", "ci_high", "significant"],
             "segment diff", "uem_helpers.analyses.journey.segment_diff")
    _positive_int(top_n, "top_n")
    if len(labels) != 2:
        raise ParameterError(f"labels must name the two segments (a, b); got {list(labels)!r}")
    a, b = (str(x) for x in labels)
    if diff.empty:
        return _empty(new_axes(ax), _("No transition made often enough in both {a} and {b} to compare.").format(a=a, b=b),
                      title or _("{a} vs {b}").format(a=a, b=b))
    rows = diff.assign(_sig=diff["significant"].fillna(False).astype(bool), _size=diff["difference"].abs())
    rows = rows.sort_values(["_sig", "_size"], ascending=[False, False], kind="stable").head(top_n)
    ax = new_axes(ax, (11, 0.5 * len(rows) + 1.8))
    y = np.arange(len(rows))
    d = rows["difference"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    sig = rows["_sig"].to_numpy()
    for mask, color, legend in ((sig, ACCENT, _("significant (BH-corrected)")), (~sig, GREY, _("not significant"))):
        if mask.any():
            ax.errorbar(d[mask], y[mask], xerr=np.vstack([d[mask] - low[mask], high[mask] - d[mask]]), fmt="o",
                        color=color, ecolor=color, capsize=4, lw=1.3, ms=6, label=legend)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(y, [f"{plain(label(s))} → {plain(label(t))}" for s, t in zip(rows["source"], rows["target"])])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    reach = max(float(np.nanmax(np.abs(np.concatenate([low, high])))), 0.01)
    ax.set_xlim(-reach * 1.1, reach * 1.1)
    shares = ax.twinx()  # the two shares, as labels on the right
    shares.set_ylim(ax.get_ylim())
    shares.set_yticks(y, [plain(f"{a} {sa:.0%} · {b} {sb:.0%}") for sa, sb in zip(rows["share_a"], rows["share_b"])],
                      fontsize=9)
    shares.tick_params(length=0)
    shares.grid(False)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(
        lambda v, _pos: _("{value} pp").format(value=f"{v * 100:+.0f}") if round(v * 100) else "0"))
    ax.set_xlabel(plain(_("Difference in the share of the source's next steps, {b} − {a} "
                          "(percentage points, 95% CI)").format(a=a, b=b)))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=9, frameon=False)
    if title is None:
        k = int(diff["significant"].fillna(False).astype(bool).sum())
        title = _("{k} of {n} transitions differ significantly between {a} and {b}").format(k=k, n=len(diff), a=a, b=b)
        if k:
            top = rows.iloc[0]
            title = _("{k} of {n} transitions differ significantly between {a} and {b}; largest: {source} → {target} "
                      "({difference} pp)").format(k=k, n=len(diff), a=a, b=b, source=label(top["source"]),
                                                 target=label(top["target"]),
                                                 difference=f"{top['difference'] * 100:+.0f}")
    ax.set_title(plain(title))
    return ax

"""Charts for the reports: one function per picture.

Every function takes a small result frame from an analysis helper and an
optional ``ax=``, draws on it and returns the Axes, so a caller can keep
styling. Charts say what they show in their title, axis labels with units,
and percentages where the number is a share, in the reader's language
(:mod:`uem_helpers.core.i18n`; steps by their display names, :func:`~uem_helpers.core.i18n.label`).
Dates on a time axis are written for the reader too (:func:`date_axis`).
Chinese labels render: every installed CJK font is in matplotlib's fallback list, first
(the Makefile installs WenQuanYi Micro Hei), so no Chinese glyph is ever missing. Text
that comes from data, and every title, is drawn literally (a ``$`` never starts
matplotlib math) with personal data masked (:func:`plain`).
Segment charts fold segments of fewer users than the privacy minimum into
"other" (:mod:`uem_helpers.present.privacy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

from uem_helpers.analyses.experiment import AFTER, BEFORE, group_name
from uem_helpers.core.formats import day, duration, duration_unit, month, number, percent
from uem_helpers.core.i18n import N_, _, label, ngettext
from uem_helpers.core.period import to_datetime
from uem_helpers.present import privacy

CJK_FONTS = ("WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC")
PALETTE = {"before": "#9aa5b1", "after": "#2a7ab0", "control": "#9aa5b1", "treatment": "#2a7ab0"}
ACCENT = "#d1495b"
MAIN = "#2a7ab0"


#: Where the font files of :data:`CJK_FONTS` are named, for a font cache built before they were installed.
_CJK_FILES = ("wqy-microhei", "wqy-zenhei", "NotoSansCJK", "SourceHanSans")

#: Chart words, translated where drawn.
FUNNEL_TITLE = N_("Funnel: share of entered users reaching each step")
STEP_TIMES_TITLE = N_("Time spent on each step")
BEFORE_AFTER_TITLE = N_("Time to complete, before vs after the launch")
DAILY_TITLE = N_("Completion rate by day of entry")
DAILY_YLABEL = N_("Completion rate")
COMPARE_TITLE = N_("Step conversion before vs after the launch (95% CI)")
#: The x axis of :func:`completion_time_before_after`, by the unit its size calls for.
_COMPLETION_XLABEL = {
    "s": N_("Time from first step to completion, s (completers)"),
    "min": N_("Time from first step to completion, min (completers)"),
    "h": N_("Time from first step to completion, h (completers)"),
    "days": N_("Time from first step to completion, days (completers)"),
}


@lru_cache(maxsize=1)
def cjk_fonts() -> tuple[str, ...]:
    """Names of the installed fonts that have Chinese glyphs, in the order of :data:`CJK_FONTS`.

    A font installed after matplotlib built its font cache is found among the system's font files
    and added, so it is used without clearing the cache.
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    if not installed.intersection(CJK_FONTS):
        for path in font_manager.findSystemFonts():
            if any(name.lower() in path.lower() for name in _CJK_FILES):
                font_manager.fontManager.addfont(path)
        installed = {f.name for f in font_manager.fontManager.ttflist}
    return tuple(name for name in CJK_FONTS if name in installed)


def cjk_font() -> str | None:
    """Name of the first installed font that has Chinese glyphs, or None."""
    return next(iter(cjk_fonts()), None)


def use_report_style() -> None:
    """Seaborn's clean style, readable sizes, and a font stack that covers Chinese.

    ``font.sans-serif`` lists every installed CJK font first, then DejaVu Sans; matplotlib falls
    back along the list glyph by glyph, so Chinese labels never render as boxes and the rest
    keeps DejaVu's glyphs where the CJK font has none.
    """
    sns.set_theme(style="whitegrid", context="notebook")
    families = [*cjk_fonts(), "DejaVu Sans"]
    plt.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": families,
            "axes.unicode_minus": False,
            "figure.figsize": (9, 4.5),
            "figure.dpi": 110,
            "axes.titlesize": 13,
            "axes.labelsize": 11,
        }
    )


def plain(text: object) -> str:
    """Data text drawn literally: personal data masked (active privacy policy), ``$`` escaped against math."""
    return privacy.active().mask_text(text).replace("$", r"\$")


def new_axes(ax: plt.Axes | None, size: tuple[float, float] | None = None) -> plt.Axes:
    """``ax`` itself, or a new figure's Axes of ``size`` inches (the report default when None)."""
    if ax is not None:
        return ax
    _figure, ax = plt.subplots(figsize=size or plt.rcParams["figure.figsize"], layout="constrained")
    return ax


def percent_axis(axis) -> None:
    """Label an axis holding shares (0 to 1) as percentages."""
    axis.set_major_formatter(mticker.PercentFormatter(xmax=1, decimals=0))


def date_axis(axis) -> None:
    """Write an axis's dates for the reader's language: days and months through :mod:`uem_helpers.core.formats`
    ("2026-10-05" / "2026年10月5日", "2026-10" / "2026年10月"), at the scale matplotlib chose for the ticks."""
    locator = axis.get_major_locator()
    if not isinstance(locator, mdates.AutoDateLocator):
        return
    formatter = mdates.AutoDateFormatter(locator)
    formatter.scaled[mdates.DAYS_PER_MONTH] = lambda x, pos=None: month(mdates.num2date(x))
    formatter.scaled[1.0] = lambda x, pos=None: day(mdates.num2date(x))
    axis.set_major_formatter(formatter)


def _share_axis(axis, set_limits, room: float) -> None:
    """A 0-100% axis with ``room`` beyond 100% for value labels, but no tick past 100%."""
    set_limits(0, 1 + room)
    axis.set_major_locator(mticker.FixedLocator(np.linspace(0, 1, 6)))
    percent_axis(axis)


def funnel_chart(readout: pd.DataFrame, *, title: str | None = None, ax=None):
    """Horizontal bars of conversion from entry, with Wilson 95% intervals and counts.

    Parameters
    ----------
    readout : pandas.DataFrame
        :func:`uem_helpers.analyses.funnel.funnel` output without segments.
    title : str, optional
        Chart title; "Funnel: share of entered users reaching each step" when None.
    ax : matplotlib Axes, optional
    """
    labels = [f"{i}. {label(s)}" for i, s in zip(readout["step_index"], readout["step"])]
    notes = [ngettext("{share}  ({n} user)", "{share}  ({n} users)", int(n)).format(share=percent(c), n=number(n, 0))
             for c, n in zip(readout["conversion"], readout["reached"])]
    return rate_bars(labels, readout["conversion"], readout["conversion_low"], readout["conversion_high"], notes,
                     xlabel=_("Share of entered users (95% CI)"), title=title or _(FUNNEL_TITLE), ax=ax)


def rate_bars(labels, rate, low, high, notes, *, xlabel: str, title: str, ax=None):
    """Horizontal bars of rates (shares, 0 to 1) with their intervals and a note beside each bar.

    The shared picture of the funnel, segment and other "rate per group" charts: one bar per
    label, top to bottom in the given order, a 0-100% axis, the note (e.g. "67% (1,082 users)")
    just right of the interval. Labels and notes come from data, so they are drawn literally.

    Parameters
    ----------
    labels : sequence of str
        One label per bar.
    rate, low, high : array-like
        The rates and the bounds of their intervals.
    notes : sequence of str
        Text beside each bar (skipped where the rate is missing).
    xlabel, title : str
        Axis label and chart title.
    ax : matplotlib Axes, optional
    """
    rate, low, high = (np.asarray(v, dtype=float) for v in (rate, low, high))
    ax = new_axes(ax, (9, 0.55 * len(rate) + 1.6))
    y = np.arange(len(rate))
    ax.barh(y, rate, color=MAIN, alpha=0.9, height=0.6)
    ax.errorbar(rate, y, xerr=np.vstack([rate - low, high - rate]), fmt="none", ecolor="black", capsize=4, lw=1)
    for yi, r, hi, note in zip(y, rate, high, notes):
        if np.isfinite(r):
            ax.text(hi + 0.015, yi, plain(note), va="center", fontsize=10)
    ax.set_yticks(y, [plain(label) for label in labels])
    ax.invert_yaxis()
    _share_axis(ax.xaxis, ax.set_xlim, room=0.3)
    ax.set_xlabel(xlabel)
    ax.set_title(plain(title))
    ax.grid(axis="y", visible=False)
    return ax


def step_times(times: pd.DataFrame, steps: Sequence[str], *, title: str | None = None, ax=None):
    """Box plots of minutes from the previous step, per step (log scale), among users who reached it.

    Parameters
    ----------
    times : pandas.DataFrame
        :func:`uem_helpers.analyses.funnel.completion_times` output.
    steps : sequence of str
        The funnel's steps, in order.
    """
    ax = new_axes(ax)
    long = pd.concat(
        [
            pd.DataFrame({"step": f"{i}. {plain(label(step))}", "minutes": times[f"seconds_from_previous_{i}"] / 60})
            for i, step in enumerate(steps, start=1)
            if i >= 2
        ],
        ignore_index=True,
    ).dropna()
    long["minutes"] = long["minutes"].clip(lower=1 / 60)  # same-second steps shown at 1 s on the log axis
    sns.boxplot(data=long, x="minutes", y="step", ax=ax, color=MAIN, fliersize=1.5, whis=(5, 95), log_scale=True)
    ax.set_xlabel(_("Minutes from the previous step (log scale; whiskers 5th-95th percentile)"))
    ax.set_ylabel("")
    ax.set_title(plain(title or _(STEP_TIMES_TITLE)))
    return ax


def completion_time_before_after(
    times: pd.DataFrame, launch_date: object, *, title: str | None = None, ax=None
):
    """Histograms (density) of the time to complete, before vs after the launch, in the unit its size calls for."""
    ax = new_axes(ax)
    launch = pd.Timestamp(to_datetime(launch_date, "launch_date"))
    done = times[times["completed"]].copy()
    upper_seconds = float(np.nanpercentile(done["seconds_to_complete"], 99)) if len(done) else 60.0
    one, unit = duration_unit(upper_seconds)
    done["time"] = done["seconds_to_complete"] / one
    done["group"] = np.where(done["entered_at"] < launch, BEFORE, AFTER)
    bins = np.linspace(0, max(upper_seconds / one, 1.0), 40)
    legends = {BEFORE: N_("before launch (n={n}, median {median})"), AFTER: N_("after launch (n={n}, median {median})")}
    for group in (BEFORE, AFTER):
        part = done.loc[done["group"] == group, "time"]
        if len(part):
            ax.hist(part.clip(upper=bins[-1]), bins=bins, density=True, alpha=0.6, color=PALETTE[group],
                    label=_(legends[group]).format(n=number(len(part), 0), median=duration(part.median() * one)))
    ax.set_xlabel(_(_COMPLETION_XLABEL[unit]))
    ax.set_ylabel(_("Share of completers (density)"))
    ax.set_title(plain(title or _(BEFORE_AFTER_TITLE)))
    ax.legend()
    return ax


def daily_rate(
    daily: pd.DataFrame,
    *,
    launch_date: object = None,
    title: str | None = None,
    ylabel: str | None = None,
    ax=None,
):
    """Daily rate as faint points, the pooled 7-day rate as a line with its 95% band, the launch marked.

    Parameters
    ----------
    daily : pandas.DataFrame
        ``date``, ``rate``, ``rate_7d``, ``rate_7d_low``, ``rate_7d_high``
        (:func:`uem_helpers.analyses.funnel.daily_completion`).
    launch_date : date-like, optional
        Drawn as a vertical line.
    title, ylabel : str, optional
        Chart title and y-axis label; "Completion rate by day of entry" and "Completion rate" when None.
    """
    ax = new_axes(ax)
    ax.scatter(daily["date"], daily["rate"], s=8, color=PALETTE["before"], alpha=0.7, label=_("daily"))
    ax.fill_between(daily["date"], daily["rate_7d_low"], daily["rate_7d_high"], color=MAIN, alpha=0.2, lw=0,
                    label=_("7-day 95% CI"))
    ax.plot(daily["date"], daily["rate_7d"], color=MAIN, lw=2, label=_("7-day rate"))
    if launch_date is not None:
        launch = pd.Timestamp(to_datetime(launch_date, "launch_date"))
        ax.axvline(launch, color=ACCENT, ls="--", lw=1.5)
        ax.annotate(_("launch"), (launch, 1.0), xycoords=("data", "axes fraction"), xytext=(4, -14),
                    textcoords="offset points", color=ACCENT,
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})
    ax.set_ylim(0, 1.02)
    percent_axis(ax.yaxis)
    date_axis(ax.xaxis)
    ax.set_ylabel(ylabel or _(DAILY_YLABEL))
    ax.set_xlabel("")
    ax.set_title(plain(title or _(DAILY_TITLE)))
    ax.legend(loc="lower left", ncols=3, fontsize=9, framealpha=0.9)
    ax.figure.autofmt_xdate()
    return ax


def compare_steps(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    labels: tuple[str, str] = (BEFORE, AFTER),
    title: str | None = None,
    ax=None,
):
    """Grouped bars of each step's conversion from the previous step, two periods side by side.

    ``labels`` name the two groups in the legend ("before"/"after" in the reader's language, other names as
    they are); ``title`` is "Step conversion before vs after the launch (95% CI)" when None.
    """
    ax = new_axes(ax)
    steps = before[before["step_index"] >= 2]
    x = np.arange(len(steps))
    width = 0.38
    for offset, frame, group in ((-width / 2, before, labels[0]), (width / 2, after, labels[1])):
        part = frame[frame["step_index"] >= 2]
        rate = part["step_conversion"].to_numpy(dtype=float)
        err = np.vstack([rate - part["step_conversion_low"], part["step_conversion_high"] - rate])
        ax.bar(x + offset, rate, width, color=PALETTE.get(group, MAIN), label=plain(group_name(group)))
        ax.errorbar(x + offset, rate, yerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xticks(x, [f"{i}. {plain(label(s))}" for i, s in zip(steps["step_index"], steps["step"])], rotation=15)
    ax.set_ylim(0, 1.05)
    percent_axis(ax.yaxis)
    ax.set_ylabel(_("Conversion from the previous step"))
    ax.set_title(plain(title or _(COMPARE_TITLE)))
    ax.legend()
    return ax


def segment_conversion(readout: pd.DataFrame, segment_by: str, *, title: str | None = None, ax=None):
    """Overall conversion (entry to last step) per segment, with Wilson 95% intervals and sizes.

    Segments of fewer starters than the active privacy policy's ``min_cell_size`` are folded into
    "other" first (:func:`uem_helpers.present.privacy.fold_funnel_segments`).

    Parameters
    ----------
    readout : pandas.DataFrame
        :func:`uem_helpers.analyses.funnel.funnel` output with ``segment_by``.
    segment_by : str
        The segment column.
    title : str, optional
        Chart title; "Completion by <segment_by>" (its display name) when None.
    ax : matplotlib Axes, optional
    """
    readout = privacy.active().fold_funnel_segments(readout, segment_by)
    last = readout[readout["step_index"] == readout["step_index"].max()].sort_values("conversion", ascending=False)
    notes = [_("{share} of {n}").format(share=percent(c), n=number(n, 0)) for c, n in zip(last["conversion"], last["entered"])]
    return rate_bars(last[segment_by].astype(str).map(privacy.group_label), last["conversion"], last["conversion_low"],
                     last["conversion_high"], notes, xlabel=_("Completed the funnel (share of entered users, 95% CI)"),
                     title=title or _("Completion by {segment}").format(segment=label(segment_by)), ax=ax)

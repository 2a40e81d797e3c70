"""The shared vocabulary of the journey charts: end markers, colours, the plotly font, data text made
inert for plotly, value kinds and their formats, and argument checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from uem_helpers.analyses.journey import ARROW, OTHER, USER_END
from uem_helpers.analyses.sessions import CUT_OFF, SESSION_END
from uem_helpers.core.formats import duration
from uem_helpers.core.errors import ContractError, ParameterError
from uem_helpers.core.i18n import N_, _, label
from uem_helpers.present import privacy
from uem_helpers.present.plots import plain


GREY = "#9aa5b1"


#: Fonts plotly asks the reader's browser for, Chinese-capable ones included.
PLOTLY_FONT = ("Open Sans, verdana, arial, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', "
               "'WenQuanYi Micro Hei', sans-serif")


#: The end markers of transitions, paths and the Sankey (a session's end, a user's last event, a cut-off session).
_ENDS = (SESSION_END, USER_END, CUT_OFF)
#: Seconds from which chart labels show durations in hours (90 minutes).
HOURS_FROM = 90 * 60


def plotly_text(text: object) -> str:
    """Data text for a plotly label, title or hover text: personal data masked, ``&``, ``<``, ``>`` escaped.

    Plotly shows ``&amp;``, ``&lt;`` and ``&gt;`` as the characters, so the reader sees the text
    as it is, while nothing in it can become a tag (``<a href>``, ``<span style>``, ``<br>``).

    Parameters
    ----------
    text : object
        The text (None and NaN become an empty string).

    Returns
    -------
    str
    """
    masked = privacy.active().mask_text("" if _missing(text) else text)
    return masked.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


#: What a journey-map column is called on a chart (translated where shown).
_VALUE_NAMES = {
    "exit_rate": N_("exit rate"), "stage_share": N_("share of the stage's users"),
    "median_dwell_seconds": N_("median dwell"), "mean_dwell_seconds": N_("mean dwell"),
    "p90_dwell_seconds": N_("90th percentile dwell"), "nps": N_("NPS"), "users": N_("users"),
    "stage_users": N_("users in the stage"), "feedback_items": N_("feedback items"),
    "nps_responses": N_("NPS responses"),
}


def value_name(value: str) -> str:
    """What a journey-map column is called on a chart, in the reader's language (``"exit rate"``)."""
    return _(_VALUE_NAMES[value]) if value in _VALUE_NAMES else value.replace("_", " ")


def joined(items, pattern: str, fields: tuple[str, str] = ("items", "item")) -> str:
    """``items`` in one sentence, each added by ``pattern``, a message with the two ``fields`` (the items so far,
    the next one), e.g. ``"{items}; {item}"``, so a language picks its own separator ("；", "、").
    """
    items = list(items)
    done, more = fields
    return reduce(lambda text, item: _(pattern).format(**{done: text, more: item}), items[1:],
                  items[0] if items else "")


def chain(text: object) -> str:
    """Events joined by arrows (a path, a loop, a funnel step), each by its display name (:func:`label`).

    >>> chain("cart → checkout → (session end)")
    'cart → checkout → (session end)'
    """
    return ARROW.join(label(part) for part in str(text).split(ARROW))


def _value_kind(value: str) -> str:
    if value in ("nps", "nps_low", "nps_high"):
        return "nps"
    if value.endswith(("_rate", "_share", "_low", "_high")) or value in ("share", "conversion"):
        return "share"
    if value.endswith("_seconds"):
        return "seconds"
    return "count"


def _format_value(v: float, kind: str) -> str:
    if pd.isna(v):
        return ""
    if kind == "share":
        return f"{v:.0%}"
    if kind == "nps":
        return f"{v:+.0f}"
    if kind == "seconds":
        return duration(v, hours_from=HOURS_FROM)
    return f"{v:,.0f}"


def _colorbar_format(kind: str):
    if kind == "share":
        return mticker.PercentFormatter(xmax=1, decimals=0)
    if kind == "seconds":
        return mticker.FuncFormatter(lambda v, _pos: _("{value} min").format(value=f"{v:g}"))
    return mticker.StrMethodFormatter("{x:,.0f}")


def _empty(ax, message: str, title: str):
    """An Axes that says there is nothing to draw."""
    ax.text(0.5, 0.5, plain(message), ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(plain(title))
    return ax


def _require(frame: object, columns: Sequence[str], what: str, source: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"the {what} must be a pandas DataFrame from {source}; got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ContractError(what, missing[0], f"missing column(s) {', '.join(missing)}: pass the frame returned "
                            f"by {source}; columns given: {', '.join(map(str, frame.columns)) or 'none'}")


def _positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ParameterError(f"{name} must be a positive whole number; got {value!r}")


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))

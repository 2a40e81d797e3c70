""""You said, we did": resolved feedback of the month, by theme, with what was done."""

from __future__ import annotations

import pandas as pd

from uem_helpers.analyses.feedback._common import _month
from uem_helpers.analyses.feedback.classify import Classified
from uem_helpers.analyses.feedback.themes import _representative
from uem_helpers.core.errors import ContractError


def you_said_we_did(classified: Classified, month: str | None = None, *, note: str = "resolution") -> pd.DataFrame:
    """What users said and what was changed: resolved items that carry a resolution note.

    An item counts when ``resolved_at`` is set (in ``month`` when given: the changes
    delivered that month, whenever the item was created; classify a span that includes the
    earlier months) and its ``note`` column is not blank. Items are grouped by category and
    note; the quote is the group's most typical text (as in :func:`top_themes`), raw.

    Parameters
    ----------
    classified : Classified
        Result of :func:`classify`.
    month : str, optional
        ``"YYYY-MM"`` of ``resolved_at``; every resolved item when omitted.
    note : str
        Column holding what was done (the sample's ``resolution``; map yours in the config).

    Returns
    -------
    pandas.DataFrame
        ``category, we_did, items, you_said, first_resolved, last_resolved``; most items first,
        ties in taxonomy order then by the note.
    """
    items = classified.items
    for column in (note, "resolved_at"):
        if column not in items.columns:
            raise ContractError("feedback", column, f"is missing; 'you said, we did' needs '{note}' (what was done) "
                                "and 'resolved_at'. Map your columns under sources.feedback.columns in the config")
    resolved = items[items["resolved_at"].notna()]
    if month is not None:
        resolved = resolved[pd.to_datetime(resolved["resolved_at"]).dt.strftime("%Y-%m") == _month(month)]
    notes = resolved[note].map(lambda v: "" if pd.isna(v) else str(v).strip())
    resolved = resolved.assign(we_did=notes)[notes != ""]
    order = {c: i for i, c in enumerate(classified.categories)}
    rows = []
    for (category, we_did), group in resolved.groupby(["category", "we_did"], sort=False):
        quote = _representative(group.sort_values("created_at")["text"], 1)
        rows.append({"category": category, "we_did": we_did, "items": len(group),
                     "you_said": quote[0] if quote else None,
                     "first_resolved": group["resolved_at"].min(), "last_resolved": group["resolved_at"].max(),
                     "_order": order.get(category, len(order))})
    cols = ["category", "we_did", "items", "you_said", "first_resolved", "last_resolved"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c.endswith("resolved") else
                                          "int64" if c == "items" else object) for c in cols})
    out = pd.DataFrame(rows).sort_values(["items", "_order", "we_did"], ascending=[False, True, True], kind="stable")
    return out[cols].reset_index(drop=True)

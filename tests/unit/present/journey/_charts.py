"""Shared names for the journey chart tests: the end marker, a hostile label, and text readers for axes.

Frames in these tests are written in the shape of the journey analyses' outputs
(uem_helpers.analyses.journey), so the tests do not run them.
"""

from __future__ import annotations

END = "(session end)"
HOSTILE = '<a href="javascript:alert(1)">x</a> 13800138000'


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def ticks(labels) -> list[str]:
    return [t.get_text() for t in labels]

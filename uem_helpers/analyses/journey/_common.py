"""What the journey's flow analyses share: the arrow between events, and parameter checks."""

from __future__ import annotations

import numpy as np

from uem_helpers.core.errors import ParameterError

#: Separator of the events of a path or loop.
ARROW = " → "


def _check_event(value: object, name: str) -> None:
    if not isinstance(value, str) or not value:
        raise ParameterError(f"{name}={value!r}: give an event name, e.g. 'app_open'")


def _check_int(value: object, name: str, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ParameterError(f"{name}={value!r}: expected a whole number of at least {minimum}")

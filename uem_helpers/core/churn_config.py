"""The ``churn:`` section of the config: what "a user left" means for this company's data.

Churn is defined in the config, not in code (rule in :mod:`uem_helpers.analyses.churn.definition`):
a user **churns** at the start of their first gap of ``inactive_days`` without one of the
``active_events``. The section is optional; the churn analysis asks for it with
:func:`require_churn`, which says what to add when it is missing.

Example
-------
.. code-block:: yaml

    churn:
      inactive_days: 30
      active_events: [app_open, open_start]
      min_tenure_days: 14
      trend_days: 14
      payment_error: {attempt: payment, success: order_success}
      support_events: [customer_service]
      complaint_max_rating: 2
      segments: [segment, platform, channel]
      top_k: 50
      outreach: {experiment: churn_outreach, treatment: outreach, holdout: holdout, holdout_share: 0.2}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from uem_helpers.core.errors import ConfigError

#: What a missing ``churn:`` section should look like, for the error message.
EXAMPLE = "churn: {inactive_days: 30, active_events: [app_open], min_tenure_days: 14}"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaymentErrorConfig(_Section):
    """What a payment error is: an explicit error event, or an attempt with no success after it.

    Give either ``event`` alone, or ``attempt`` and ``success`` together.
    """

    event: str | None = None
    """An event that is itself the error, e.g. ``payment_failed``."""
    attempt: str | None = None
    """The payment attempt, e.g. ``payment``: an error when no ``success`` follows it (at the same instant
    or later) in the same session."""
    success: str | None = None
    """The event that means the payment went through, e.g. ``order_success``."""

    @model_validator(mode="after")
    def _one_form(self) -> PaymentErrorConfig:
        pair = (self.attempt is not None, self.success is not None)
        if self.event is not None and any(pair):
            raise ValueError("either {event: payment_failed} or {attempt: payment, success: order_success}, not both")
        if self.event is None and pair != (True, True):
            raise ValueError("an explicit error event {event: payment_failed}, or both an attempt and a success, "
                             "e.g. {attempt: payment, success: order_success}")
        return self

    def named_events(self) -> list[tuple[str, str]]:
        """``(key, event)`` of every event this section names, keys relative to ``payment_error``."""
        return [(key, value) for key, value in (("event", self.event), ("attempt", self.attempt),
                                                ("success", self.success)) if value is not None]


class OutreachConfig(_Section):
    """A past outreach campaign to at-risk users, recorded in the assignments table."""

    experiment: str
    """The experiment's name in the assignments table, e.g. ``churn_outreach``."""
    treatment: str = "outreach"
    """The variant of users who were reached out to."""
    holdout: str = "holdout"
    """The variant of users deliberately left alone (the comparison group)."""
    holdout_share: float = Field(default=0.2, gt=0, lt=1)
    """The designed share of the holdout (the sample-ratio check compares against it)."""


class ChurnConfig(_Section):
    """How churn is defined and measured (``churn:``)."""

    inactive_days: int = Field(default=30, ge=1)
    """A user churns at the start of their first gap of this many days without an active event."""
    active_events: list[str]
    """Events that mean the user is active (required, at least one), e.g. ``[app_open, open_start]``."""
    min_tenure_days: int = Field(default=14, ge=0)
    """Users younger than this at a cutoff are neither scored nor trained on."""
    trend_days: int = Field(default=14, ge=1)
    """The "recent" window of the features; the whole feature window is twice this."""
    payment_error: PaymentErrorConfig | None = None
    """What a payment error is; without it the payment-error features are left out."""
    support_events: list[str] = Field(default_factory=list)
    """Events that are a contact with support, e.g. ``[customer_service]``."""
    complaint_max_rating: int = Field(default=2, ge=0)
    """Feedback rated at most this counts as a complaint; feedback without a rating counts when its text
    falls in a ``feedback_taxonomy`` theme."""
    segments: list[str] = Field(default_factory=list)
    """Columns of the users (or events) table to compare survival by and to give the model, e.g.
    ``[segment, platform, channel]``."""
    top_k: int = Field(default=50, ge=1)
    """How many at-risk users the risk list shows."""
    outreach: OutreachConfig | None = None
    """A past outreach campaign to read out; optional."""

    @field_validator("active_events")
    @classmethod
    def _some_active_events(cls, value: list[str]) -> list[str]:
        cleaned = [v for v in value if isinstance(v, str) and v.strip()]
        if not cleaned:
            raise ValueError("at least one event that means the user is active, e.g. [app_open]")
        return cleaned

    def named_events(self) -> list[tuple[str, str]]:
        """``(key path, event)`` of every event the section names, in its order."""
        found = [(f"churn.active_events[{i}]", e) for i, e in enumerate(self.active_events)]
        found += [(f"churn.support_events[{i}]", e) for i, e in enumerate(self.support_events)]
        if self.payment_error is not None:
            found += [(f"churn.payment_error.{key}", e) for key, e in self.payment_error.named_events()]
        return found


def require_churn(config: Any, source: str | None = None) -> ChurnConfig:
    """The config's ``churn:`` section, or a ConfigError saying what to add.

    Parameters
    ----------
    config : UEMConfig
        The validated config.
    source : str, optional
        The config file, for the message.

    Raises
    ------
    ConfigError
        The config has no ``churn:`` section.
    """
    section = getattr(config, "churn", None)
    if section is None:
        raise ConfigError("churn", None, "the churn analysis needs a 'churn' section saying which events mean a user "
                          f"is active and how long a gap means they left, e.g. {EXAMPLE}", source)
    return section

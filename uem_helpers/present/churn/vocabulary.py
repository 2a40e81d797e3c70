"""How the churn report names its features: who has a driver, and a user's reasons, in the reader's language.

A driver sentence opens with *who* has it ("Users with a payment error in the last 14 days");
a user's reasons name the feature shortly ("payment errors, last 14 days"). Features the
catalogue does not know (a company's own columns, ``column=value`` levels) fall back to their
name through :func:`~uem_helpers.core.i18n.label`.
"""

from __future__ import annotations

from uem_helpers.core.formats import fixed, number, number_interval
from uem_helpers.core.i18n import N_, _, label

#: Who has a flag (or a count above zero), by feature; ``{recent}`` and ``{window}`` are days.
_WHO_HAS = {
    "payment_errors_recent": N_("Users with a payment error in the last {recent} days"),
    "payment_errors": N_("Users with a payment error in the last {window} days"),
    "detractor": N_("Detractors (last NPS score 0 to 6)"),
    "funnel_failures": N_("Users who gave up a funnel in the last {window} days"),
    "carts_abandoned": N_("Users who abandoned a cart in the last {window} days"),
    "complaints": N_("Users who complained in the last {window} days"),
    "support_contacts": N_("Users who contacted support in the last {window} days"),
}
#: Who is in the top quarter of a number, by feature; ``{threshold}`` is the quarter's lower end.
_WHO_TOP = {
    "days_since_active": N_("Users inactive for {threshold} days or more"),
    "active_days": N_("Users active on {threshold} or more of the last {window} days"),
    "active_days_recent": N_("Users active on {threshold} or more of the last {recent} days"),
    "active_days_prior": N_("Users active on {threshold} or more days in the {recent} days before the last {recent}"),
    "activity_trend": N_("Users whose active days rose by {threshold} or more in the last {recent} days"),
    "sessions": N_("Users with {threshold} or more sessions in the last {window} days"),
    "session_minutes": N_("Users whose sessions last {threshold} minutes or more on average"),
    "tenure_days": N_("Users who joined {threshold} days ago or earlier"),
    "nps_last": N_("Users whose last NPS score is {threshold} or more"),
}
#: A user's reason, shortly, by feature.
_REASON = {
    "days_since_active": N_("inactive for a while"),
    "active_days": N_("few active days"),
    "active_days_recent": N_("few active days lately"),
    "active_days_prior": N_("active days before"),
    "activity_trend": N_("activity falling"),
    "sessions": N_("sessions"),
    "session_minutes": N_("session length"),
    "tenure_days": N_("tenure"),
    "funnel_failures": N_("gave up a funnel"),
    "payment_errors": N_("payment errors"),
    "payment_errors_recent": N_("recent payment errors"),
    "carts_abandoned": N_("abandoned carts"),
    "nps_last": N_("NPS score"),
    "detractor": N_("detractor"),
    "complaints": N_("complaints"),
    "support_contacts": N_("support contacts"),
}
COMPLAINT_PREFIX = "complaint_"


def _days(rule) -> dict[str, str]:
    return {"recent": number(rule.trend.days, 0), "window": number(rule.window.days, 0)}


def who(feature: str, condition: str, threshold: float, rule) -> str:
    """The users a driver is about, e.g. "Users with a payment error in the last 14 days".

    Parameters
    ----------
    feature : str
        The feature's name (a column of the features frame, or ``column=value`` for a segment level).
    condition : str
        ``"flag"`` (has it / a count above zero) or ``"top quarter"`` (at or above ``threshold``).
    threshold : float
        The top quarter's lower end.
    rule : ChurnRule
        For the windows' lengths in days.
    """
    days = _days(rule)
    if "=" in feature:
        column, value = feature.split("=", 1)
        return _("Users with {column} '{value}'").format(column=label(column), value=label(value))
    if feature.startswith(COMPLAINT_PREFIX):
        return _("Users who complained about {theme} in the last {window} days").format(
            theme=label(feature.removeprefix(COMPLAINT_PREFIX)), **days)
    if condition == "flag":
        text = _WHO_HAS.get(feature)
        return _(text).format(**days) if text else _("Users with '{feature}'").format(feature=label(feature))
    text = _WHO_TOP.get(feature)
    shown = number(threshold, 0 if float(threshold).is_integer() else 1)
    if text:
        return _(text).format(threshold=shown, **days)
    return _("Users with '{feature}' of {threshold} or more").format(feature=label(feature), threshold=shown)


def reason(feature: str) -> str:
    """A user's reason, shortly, e.g. "recent payment errors"."""
    if "=" in feature:
        column, value = feature.split("=", 1)
        return _("{column} '{value}'").format(column=label(column), value=label(value))
    if feature.startswith(COMPLAINT_PREFIX):
        return _("complaints about {theme}").format(theme=label(feature.removeprefix(COMPLAINT_PREFIX)))
    text = _REASON.get(feature)
    return _(text) if text else label(feature)


def hazard_name(covariate: str, level: object = "", reference: object = "") -> str:
    """A hazard ratio's row as a reader reads it: the time-varying flags by name, a segment level as
    "column: value (vs reference)"."""
    if covariate == "payment_error":
        return _("After a payment error")
    if covariate == "detractor":
        return _("After a detractor NPS score")
    if isinstance(level, str) and level:
        if isinstance(reference, str) and reference:
            return _("{column}: {value} (vs {reference})").format(column=label(covariate), value=label(level),
                                                                  reference=label(reference))
        return _("{column}: {value}").format(column=label(covariate), value=label(level))
    return label(covariate)


def ratio_with_interval(ratio: float, low: float, high: float) -> tuple[str, str]:
    """A relative risk or hazard ratio and its interval, with two decimals when all of it is below 1.

    One decimal would print a ratio of 0.08 (0.05 to 0.13) as "0.1 (0.1 to 0.1)"; the ends keep
    their trailing zeros so they read alike.

    >>> ratio_with_interval(5.93, 4.98, 7.1), ratio_with_interval(0.08, 0.05, 0.13)
    (('5.9', '95% CI 5.0 to 7.1'), ('0.08', '95% CI 0.05 to 0.13'))
    """
    decimals = 2 if max(ratio, high) < 1 else 1
    return fixed(ratio, decimals), number_interval(low, high, decimals)

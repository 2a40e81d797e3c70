"""The churn report in words: the definition, the findings, the drivers as sentences and what to do next.

Every rate carries its interval; when the model does not beat the recency-only baseline,
the report's first finding says so (the risk list is then no better than sorting by the
last visit).
"""

from __future__ import annotations

import math

import pandas as pd
from babel.lists import format_list

from uem_helpers.core.formats import day, fixed, number, number_interval, percent, rate_with_interval, signed
from uem_helpers.core.i18n import _, babel_locale, clauses, label, sentences
from uem_helpers.present.churn.vocabulary import ratio_with_interval, reason, who
from uem_helpers.present.narrative import md_escape
from uem_helpers.present.sentences import name
from uem_helpers.stories.churn import NO_ASSIGNMENTS, NO_OUTREACH_CONFIGURED, ChurnAnalysis

#: Name of the file with the at-risk users' real ids, published beside the report (not for sharing).
OUTREACH_FILE = "churn_warning.outreach.csv"


def title() -> str:
    """The report's title."""
    return _("Churn early warning")


def introduction(analysis: ChurnAnalysis) -> str:
    """Title, the question and the definition the numbers rest on, from the config and this run."""
    return "\n\n".join([
        f"# {title()}",
        _("Who is about to leave, why, and did reaching out help? Data up to {as_of} (not included).").format(
            as_of=md_escape(day(analysis.as_of))),
        definition(analysis),
    ])


def definition(analysis: ChurnAnalysis) -> str:
    """The churn definition and its consequence for recent users (right-censoring), in words."""
    rule = analysis.rule
    events = format_list([name(e) for e in rule.active_events], style="unit", locale=babel_locale())
    return sentences(
        _("A user churns at the start of their first gap of {days} days without an active event ({events}).").format(
            days=number(rule.inactive.days, 0), events=events),
        _("Whether a user seen in the last {days} days has churned is not known yet, so the model learns from "
          "users at {train} (trained) and {validate} (validated on what happened next) and then scores the "
          "{users} users active at {as_of}; users younger than {tenure} days are not scored.").format(
            days=number(rule.inactive.days, 0), train=day(analysis.train_cutoff),
            validate=day(analysis.validate_cutoff), users=number(analysis.eligible, 0), as_of=day(analysis.as_of),
            tenure=number(rule.min_tenure.days, 0)),
    )


def model_finding(analysis: ChurnAnalysis) -> str:
    """How well the model ranks users, against sorting by the last visit (the recency baseline)."""
    if analysis.model is None:
        return not_enough_finding(analysis)
    model, v, b = analysis.model, analysis.model.validation, analysis.model.baseline
    auc = _("AUC {auc} ({interval})").format(auc=fixed(v.auc, 2), interval=number_interval(v.auc_low, v.auc_high, 2))
    base = _("AUC {auc} ({interval})").format(auc=fixed(b.auc, 2), interval=number_interval(b.auc_low, b.auc_high, 2))
    if model.beats_baseline:
        verdict = _("The model ranks users better than their last visit alone: {auc} against {baseline} for "
                    "recency only, a difference of {difference} ({interval}), validated on {users} users at "
                    "{validate}.")
    else:
        verdict = _("The model does not rank users better than their last visit alone: {auc} against {baseline} "
                    "for recency only, a difference of {difference} ({interval}), validated on {users} users at "
                    "{validate}; use the recency list until it does.")
    top = _("Among the tenth of users it rates riskiest, {precision} churned, {lift} times the average of "
            "{base} ({lift_interval}).").format(
        precision=rate_with_interval(v.top_decile_precision, v.top_decile_precision_low,
                                     v.top_decile_precision_high, 0),
        lift=fixed(v.top_decile_lift, 1), lift_interval=number_interval(v.top_decile_lift_low, v.top_decile_lift_high, 1),
        base=percent(v.base_rate))
    return sentences(verdict.format(
        auc=auc, baseline=base, difference=signed(model.auc_difference, 2),
        interval=_("95% CI {low} to {high}").format(low=signed(model.auc_difference_low, 2),
                                                   high=signed(model.auc_difference_high, 2)),
        users=number(v.users, 0), validate=day(analysis.validate_cutoff)), top)


def not_enough_finding(analysis: ChurnAnalysis) -> str:
    """Why there is no model: too few churned users, how many there are and how many it needs."""
    gap = analysis.not_enough
    text = {
        "training": _("There is no risk model this time: {have} of the {users} users at the training cutoff "
                      "({cutoff}) churned, and training needs at least {need}."),
        "validation": _("There is no risk model this time: {have} of the {users} users at the validation cutoff "
                        "({cutoff}) churned, and validating needs at least {need}."),
    }[gap.which]
    cutoff = analysis.train_cutoff if gap.which == "training" else analysis.validate_cutoff
    return sentences(
        text.format(have=number(gap.churned, 0), users=number(gap.users, 0), cutoff=day(cutoff),
                    need=number(gap.needed, 0)),
        _("The survival view below still shows how fast users leave; data over a longer period or a shorter "
          "churn.inactive_days gives the model more to learn from."))


def driver_sentences(analysis: ChurnAnalysis, top: int = 3) -> list[str]:
    """The report's top drivers as sentences (see :func:`driver_lines`)."""
    return [] if analysis.drivers is None else driver_lines(analysis.drivers, analysis.rule, top)


def driver_lines(drivers: pd.DataFrame, rule, top: int = 3) -> list[str]:
    """The top drivers as sentences: who has it, how many times as likely to churn, with the interval.

    Parameters
    ----------
    drivers : pandas.DataFrame
        :func:`uem_helpers.analyses.churn.drivers` output, most important first.
    rule : ChurnRule
        For the windows' lengths the sentences name.
    top : int
        How many sentences.
    """
    rows = drivers.dropna(subset=["relative_risk"]).head(top)
    return [
        _("{who} are {ratio}× ({interval}) as likely to churn as other users: {with_rate} of {users} against "
          "{without_rate}.").format(
            who=md_escape(who(r.feature, r.condition, r.threshold, rule)), ratio=shown[0], interval=shown[1],
            with_rate=percent(r.churn_with), users=number(r.users_with, 0), without_rate=percent(r.churn_without))
        for r in rows.itertuples() for shown in [ratio_with_interval(r.relative_risk, r.rr_low, r.rr_high)]
    ]


def drivers_finding(analysis: ChurnAnalysis) -> str:
    """The drivers section's words: a list of sentences, or why there are none."""
    lines = driver_sentences(analysis)
    if not lines:
        return _("Without a risk model there are no drivers to show (why: see the key findings).") \
            if analysis.model is None else ""
    return "\n".join(f"- {line}" for line in lines)


def survival_finding(analysis: ChurnAnalysis) -> str:
    """How fast users leave, and the strongest hazard ratio with its interval."""
    table = analysis.survival
    churned = int(table["churned"].sum())
    text = [_("By {as_of}, {n} users had churned; {m} are still active or too recent to tell.").format(
        as_of=day(analysis.as_of), n=number(churned, 0), m=number(analysis.censored, 0))]
    significant = analysis.hazards[(analysis.hazards["lower"] > 1) | (analysis.hazards["upper"] < 1)]
    if not significant.empty:
        strongest = significant.loc[(significant["hazard_ratio"].map(lambda x: abs(_log(x)))).idxmax()]
        text.append(hazard_sentence(strongest))
    return sentences(*text)


def at_risk_note(analysis: ChurnAnalysis) -> str:
    """Under the risk list: pseudonyms here; the real ids only in the outreach file, not for sharing."""
    if analysis.at_risk is None:
        return _("Without a risk model there is no risk list this time (why: see the key findings).")
    return _("Users are shown under pseudonyms. The list with real user ids, for the team that reaches out, is the "
             "file {file} next to this report: it is not for sharing.").format(file=f"`{OUTREACH_FILE}`")


def outreach_finding(analysis: ChurnAnalysis) -> str:
    """The past campaign: churn of treated vs holdout users, with the interval and the sample-ratio check."""
    readout = analysis.outreach
    if readout is None:
        return {
            NO_OUTREACH_CONFIGURED: _("No past outreach to read out: the config names no outreach campaign "
                                      "(churn.outreach)."),
            NO_ASSIGNMENTS: _("No past outreach to read out: the data have no assignments table."),
        }[analysis.outreach_note]
    return sentences(readout.readout.sentence(), readout.srm_sentence())


def design_finding(analysis: ChurnAnalysis) -> str:
    """The next campaign: who gets it, the holdout, and what effect it can detect."""
    d = analysis.design
    if d is None:
        return ""
    return _("Reaching out to the {users} users on the list with a {holdout} holdout can detect a drop in churn of "
             "{detectable} or more ({confidence} confidence, {power} power); detecting {mde} needs {needed} users in "
             "all ({holdout_users} in the holdout).").format(
        users=number(d.users, 0), holdout=percent(d.holdout_share), detectable=percent(d.detectable_effect, 1),
        confidence=percent(1 - d.alpha), power=percent(d.power), mde=percent(d.mde, 1),
        needed=number(d.users_needed, 0), holdout_users=number(d.users_per_arm, 0))


def key_findings(analysis: ChurnAnalysis) -> str:
    """The report's opening findings; the model's verdict against the baseline comes first."""
    points = [model_finding(analysis)]
    points += driver_sentences(analysis, top=2)
    points.append(survival_finding(analysis))
    if analysis.outreach is not None:
        points.append(analysis.outreach.readout.sentence())
    return "\n".join(f"- {p}" for p in points if p)


def next_steps(analysis: ChurnAnalysis) -> str:
    """What to do next, each resting on a finding above."""
    steps = []
    if analysis.model is not None and analysis.model.beats_baseline and analysis.at_risk is not None:
        steps.append(_("Reach out to the {k} users on the risk list this week, keeping the holdout in the outreach "
                       "file so next month's report can tell whether it worked.").format(
            k=number(len(analysis.at_risk), 0)))
    elif analysis.model is not None:
        steps.append(_("Prioritise by the last visit until the model beats it; add features that carry signal "
                       "(payment errors, complaints) to the data."))
    first = driver_sentences(analysis, top=1)
    if first:
        steps.append(_("Fix the first driver: {driver}").format(driver=first[0]))
    readout = analysis.outreach
    if readout is not None and readout.readout.significant and readout.readout.verdict == "better":
        steps.append(_("Keep the outreach: it lowered churn, and the holdout shows by how much."))
    elif readout is not None:
        steps.append(_("Do not credit the outreach yet: its effect on churn is not significant."))
    return "\n".join(f"- {s}" for s in steps) or "- " + _("Nothing stands out; re-run this report next month.")


def reasons_text(features: list[str]) -> str:
    """A user's reasons in a row, e.g. "recent payment errors, detractor"."""
    return clauses([reason(f) for f in features]) if features else ""


def headline(analysis: ChurnAnalysis) -> str:
    """Plain-text headline numbers (stable across runs of the same data, for regression checks): the past
    outreach's users and churned users per arm, holdout first; the users scored and churned otherwise."""
    readout = analysis.outreach
    if readout is None:
        return "\n".join([f"eligible: {analysis.eligible}", f"churned: {int(analysis.survival['churned'].sum())}"])
    r = readout.readout
    return "\n".join(f"outreach {group}: users {n} churned {round(value * n)}"
                     for group, n, value in ((r.group_a, r.n_a, r.value_a), (r.group_b, r.n_b, r.value_b)))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else 0.0


def hazard_sentence(row) -> str:
    """One hazard ratio in words: how much faster users leave after an event, or in a segment level than in
    its reference level, with the interval."""
    ratio, interval = ratio_with_interval(row["hazard_ratio"], row["lower"], row["upper"])
    if row["covariate"] == "payment_error":
        return _("After a payment error, users leave {ratio}× as fast as before ({interval}).").format(
            ratio=ratio, interval=interval)
    if row["covariate"] == "detractor":
        return _("After a detractor NPS score, users leave {ratio}× as fast as before ({interval}).").format(
            ratio=ratio, interval=interval)
    return _("Users with {column} '{value}' leave {ratio}× as fast as those with '{reference}' ({interval}).").format(
        column=label(row["covariate"]), value=md_escape(label(row["level"])),
        reference=md_escape(label(row["reference"])), ratio=ratio, interval=interval)

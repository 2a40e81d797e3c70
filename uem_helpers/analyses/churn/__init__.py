"""Churn early warning: who is about to leave, why, and whether reaching out kept them.

A user *churns* at the start of their first gap of ``churn.inactive_days`` without an
active event (``churn.active_events``); everything is computed as of a cutoff and sees
only events strictly before it.
"""

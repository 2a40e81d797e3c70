"""Hand-made tables shared by the experiment tests: assignments of two experiments, per-user outcomes, a backend table."""

from __future__ import annotations

import ibis
import pandas as pd


# Assignments of two experiments and per-user outcomes.
ASSIGNMENTS = pd.DataFrame(
    [(f"u{i}", "free_ship", "control") for i in range(1, 7)]
    + [(f"u{i}", "free_ship", "treatment") for i in range(7, 11)]
    + [("u2", "free_ship", "control"), ("u11", "free_ship", "control"), ("u1", "other", "treatment")],
    columns=["user_id", "experiment", "variant"],
).assign(assigned_at=pd.Timestamp("2026-08-01"))


OUTCOMES = pd.DataFrame(
    {
        "user_id": ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "u10", "u12"],
        "converted": pd.array([True, False, False, True, False, None, True, True, False, True, True], dtype="boolean"),
    }
)
# free_ship control: u1 T, u2 F (assigned twice, same variant: counted once), u3 F, u4 T, u5 F,
#   u6 missing outcome, u11 no outcome row -> n 5, converted 2.
# free_ship treatment: u7 T, u8 T, u9 F, u10 T -> n 4, converted 3. u12 is not assigned.


def table(con, name: str, df: pd.DataFrame) -> ibis.Table:
    """The frame as a table of the backend (an ibis.memtable on the default DuckDB)."""
    if con is None:
        return ibis.memtable(df)
    return con.create_table(name, df, overwrite=True)

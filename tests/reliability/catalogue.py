"""The catalogue of what a user can get wrong: one case per bad config, bad argument, bad file and bad
value, each with the exit code, the words that name the culprit, and the phrase that
docs/troubleshooting.md explains.

A case edits a copy of the project's config (a dict) and may write files into its own folder; the
test runs the ``uem`` command on it and checks the answer (see test_catalogue.py). Faults of the
machine (read-only folders, a full disk, killed runs) need real processes and live in test_faults.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Exit codes (the README's table).
USAGE, DATA, RUN_FAILED, ENVIRONMENT = 2, 3, 1, 4

SECRET = "13812345678"  # a phone number planted in damaged files: never echoed


@dataclass(frozen=True)
class Case:
    """One thing a user can get wrong and the answer they must get.

    Attributes
    ----------
    id : str
        The case's name.
    prepare : callable
        ``prepare(folder, config)`` edits the config dict in place and may write files into ``folder``.
    code : int
        The exit code.
    names : tuple of str
        Words the message must contain: the key, file, column or value at fault (``{dir}`` is the case folder).
    doc : str
        The message's stable phrase, which docs/troubleshooting.md must list.
    command : str
        ``validate``, ``run`` (the fixture report) or ``report``.
    args : tuple of str
        Extra arguments for the command.
    """

    id: str
    prepare: Callable[[Path, dict], None]
    code: int
    names: tuple[str, ...]
    doc: str
    command: str = "run"
    args: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers

def setting(path: str, value: object) -> Callable[[Path, dict], None]:
    """Set ``a.b.c`` in the config to ``value``."""

    def prepare(folder: Path, config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return prepare


def dropped(path: str) -> Callable[[Path, dict], None]:
    """Remove ``a.b`` from the config."""

    def prepare(folder: Path, config: dict) -> None:
        *parents, last = path.split(".")
        node = config
        for key in parents:
            node = node[key]
        del node[last]

    return prepare


def source_file(table: str, name: str, content: bytes | Callable[[Path], bytes]) -> Callable[[Path, dict], None]:
    """Point ``sources.<table>`` at a file ``name`` in the case folder holding ``content``."""

    def prepare(folder: Path, config: dict) -> None:
        path = folder / name
        original = Path(config["base"]) / config["sources"][table]["path"]
        path.write_bytes(content(original) if callable(content) else content)
        config["sources"][table]["path"] = str(path)

    return prepare


def edited(table: str, edit: Callable[[pd.DataFrame], pd.DataFrame], keep: str = "csv") -> Callable[[Path, dict], None]:
    """Point ``sources.<table>`` at a copy of the sample table changed by ``edit`` (read as text)."""

    def prepare(folder: Path, config: dict) -> None:
        source = config["sources"][table]
        original = Path(config["base"]) / source["path"]
        frame = (pd.read_parquet(original) if original.suffix == ".parquet"
                 else pd.read_csv(original, dtype=str, encoding=_encoding(original), keep_default_na=False))
        frame = edit(frame)
        path = folder / f"{table}.{keep}"
        if keep == "parquet":
            frame.to_parquet(path)
        else:
            frame.to_csv(path, index=False, encoding="utf-8")
        source["path"], source["encoding"] = str(path), "auto"
        source.pop("columns", None)

    return prepare


def both(*steps: Callable[[Path, dict], None]) -> Callable[[Path, dict], None]:
    def prepare(folder: Path, config: dict) -> None:
        for step in steps:
            step(folder, config)

    return prepare


def _encoding(path: Path) -> str:
    raw = path.read_bytes()[:4096]
    try:
        raw.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"


def _lines(edit: Callable[[list[str]], list[str]]) -> Callable[[Path], bytes]:
    def content(original: Path) -> bytes:
        lines = original.read_text(encoding=_encoding(original)).splitlines()
        return ("\n".join(edit(lines)) + "\n").encode("utf-8")

    return content


def _line(number: int, change: Callable[[str], str]) -> Callable[[Path], bytes]:
    return _lines(lambda lines: [change(x) if i == number - 1 else x for i, x in enumerate(lines)])


def _truncated(original: Path) -> bytes:
    whole = original.read_bytes()
    return whole[: len(whole) // 2] + SECRET.encode()


def _as_parquet(original: Path) -> bytes:
    buffer = io.BytesIO()
    pd.read_csv(original, dtype=str, encoding=_encoding(original)).to_parquet(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the cases

CONFIG_CASES = [
    Case("unknown-top-key", setting("timezon", "UTC"), USAGE, ("timezon",), "unknown key"),
    Case("unknown-nested-key", setting("sessions.gapp", "30min"), USAGE, ("sessions.gapp",), "unknown key"),
    Case("bad-timezone", setting("timezone", "Mars/Base"), USAGE, ("timezone", "Mars/Base"), "time zone"),
    Case("bad-duration", setting("sessions.gap", "half an hour"), USAGE, ("sessions.gap", "half an hour"), "config key"),
    Case("bad-backend", setting("engine.backend", "oracle"), USAGE, ("engine.backend", "oracle"), "config key"),
    Case("bad-format", setting("sources.carts.format", "xlsx"), USAGE, ("sources.carts.format", "xlsx"), "config key"),
    Case("bad-encoding", setting("sources.feedback.encoding", "latin-9"), USAGE, ("sources.feedback.encoding",),
         "config key"),
    Case("no-events-source", dropped("sources.events"), USAGE, ("sources", "events"), "config key"),
    Case("min-cell-size-zero", setting("privacy.min_cell_size", 0), USAGE, ("privacy.min_cell_size",), "config key"),
    Case("overlap-above-one", setting("validate.min_id_overlap", 1.5), USAGE, ("validate.min_id_overlap",),
         "config key"),
    Case("unknown-threshold", setting("validate.thresholds", {"duplicates": 0.1}), USAGE,
         ("validate.thresholds", "duplicates"), "config key"),
    Case("funnel-one-step", setting("funnels.checkout.steps", ["cart_view"]), USAGE, ("funnels.checkout.steps",),
         "config key"),
    Case("misspelled-funnel-step",
         setting("funnels.account_opening.steps", ["open_start", "info_submitted", "id_verfied", "card_bound",
                                                   "open_success"]),
         USAGE, ("funnels.account_opening.steps[2]", "id_verfied", "did you mean 'id_verified'"),
         "is not in the events table"),
    Case("misspelled-funnel-step-report",
         setting("funnels.account_opening.steps", ["open_start", "info_submited", "id_verified", "card_bound",
                                                   "open_success"]),
         USAGE, ("funnels.account_opening.steps[1]", "info_submited", "info_submitted"), "is not in the events table",
         command="report"),
    Case("misspelled-funnel-step-validate",
         setting("funnels.checkout.steps", ["cart_view", "shiping_info", "payment", "order_success"]),
         USAGE, ("funnels.checkout.steps[1]", "shiping_info", "shipping_info"), "is not in the events table",
         command="validate"),
    Case("misspelled-stage-event", setting("journey.stages.discover", ["app_open", "home_veiw"]), USAGE,
         ("journey.stages.discover[1]", "home_veiw", "home_view"), "is not in the events table"),
    Case("misspelled-start-event", setting("journey.start_event", "app_opened"), USAGE,
         ("journey.start_event", "app_opened", "app_open"), "is not in the events table"),
    Case("misspelled-task-event", setting("metrics.task_completion", {"start": "open_start", "success": "open_sucess"}),
         USAGE, ("metrics.task_completion.success", "open_sucess", "open_success"), "is not in the events table"),
    Case("misspelled-first-success", setting("metrics.first_success", {"event": "order_succes", "days": 7}), USAGE,
         ("metrics.first_success.event", "order_succes"), "is not in the events table"),
    Case("unknown-funnel-name", setting("metrics.account_opening_funnel", "account_openning"), USAGE,
         ("metrics.account_opening_funnel", "account_openning", "account_opening"), "is not in the config's funnels"),
    Case("unknown-experiment", setting("rollouts", {"one_tap_checkuot": {}}), USAGE,
         ("rollouts.one_tap_checkuot", "one_tap_checkout"), "is not in the assignments table"),
    Case("unknown-variant", setting("rollouts", {"one_tap_checkout": {"treatment": "treatmnet"}}), USAGE,
         ("rollouts.one_tap_checkout.treatment", "treatmnet", "treatment"), "of the assignments table"),
    Case("unknown-segment-column", setting("report.parameters", {"onboarding_funnel": {"segment_by": "chanel"}}),
         USAGE, ("report.parameters.onboarding_funnel.segment_by", "chanel", "channel"),
         "is not in the events table or the users table"),
    Case("mapped-column-missing", setting("sources.events.columns", {"uid": "user_id"}), DATA,
         ("events", "user_id", "uid"), "required column"),
    Case("event-name-map-to-unknown", setting("sources.events.event_names", {"open_start": "begin_open"}), USAGE,
         ("open_start",), "is not in the events table"),
    Case("cache-dir-is-a-file", both(source_file("feedback", "fb.csv", lambda p: p.read_bytes()),
                                     lambda folder, config: config.update(cache_dir=str(folder / "fb.csv"))),
         ENVIRONMENT, ("fb.csv", "cache_dir"), "A file stands where a folder is expected"),
]

ARGUMENT_CASES = [
    Case("bad-period", lambda f, c: None, USAGE, ("2026-13",), "expected YYYY-MM", args=("--period", "2026-13")),
    Case("reversed-period", lambda f, c: None, USAGE, ("2026-10..2026-05",), "ends before it starts",
         args=("--period", "2026-10..2026-05")),
    Case("unknown-notebook", lambda f, c: None, USAGE, ("onbording_funnel",), "not found", command="run-named",
         args=("onbording_funnel",)),
    Case("unknown-parameter", lambda f, c: None, USAGE, ("top_m", "top_n"), "has no parameter",
         args=("-p", "top_m=3")),
    Case("parameter-wrong-type", lambda f, c: None, USAGE, ("top_n", "three"), "expects int", args=("-p", "top_n=three")),
    Case("parameter-not-key-value", lambda f, c: None, USAGE, ("top_n",), "key=value", args=("-p", "top_n")),
    Case("binary-notebook", lambda f, c: (f / "x.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe" + SECRET.encode()),
         USAGE, ("x.ipynb",), "is not a Jupyter notebook", command="run-named", args=("{dir}/x.ipynb",)),
    Case("json-not-notebook", lambda f, c: (f / "y.ipynb").write_text('{"cells": 3', encoding="utf-8"), USAGE,
         ("y.ipynb",), "is not a Jupyter notebook", command="run-named", args=("{dir}/y.ipynb",)),
    Case("report-unknown-parameter", lambda f, c: None, USAGE, ("star_date",), "no notebook of this batch",
         command="report", args=("-p", "star_date=2026-10-01")),
    Case("missing-config", lambda f, c: c.update(_missing=True), USAGE, ("nowhere.yml",), "the config file does not exist",
         command="validate"),
    Case("config-not-yaml", lambda f, c: c.update(_raw="sources: [events: {path: x}\n  - :"), USAGE,
         ("case-config-not-yaml.yml", "line 2"), "is not valid YAML", command="validate"),
]

FILE_CASES = [
    Case("missing-file", setting("sources.carts.path", "nowhere/carts.csv"), DATA, ("carts", "nowhere/carts.csv"),
         "no csv file at"),
    Case("glob-matches-nothing", setting("sources.events.path", "data/part-*.parquet"), DATA,
         ("events", "part-*.parquet"), "no parquet file at"),
    Case("unknown-suffix", setting("sources.carts.path", "data/carts.xlsx"), DATA, ("carts.xlsx",),
         "cannot tell the format"),
    Case("binary-as-parquet", source_file("events", "events.parquet", b"\x89PNG\r\n\x1a\n" + SECRET.encode() * 50),
         DATA, ("events.parquet",), "is a PNG image, not a Parquet file"),
    Case("truncated-parquet", source_file("events", "events.parquet", _truncated), DATA, ("events.parquet",),
         "is not a readable Parquet file"),
    Case("csv-as-parquet", source_file("events", "events.parquet", b"user_id,event\n" + SECRET.encode() + b",x\n"),
         DATA, ("events.parquet",), "is a text (CSV) file, not a Parquet file"),
    Case("binary-as-csv", source_file("carts", "carts.csv", bytes(range(256)) * 40), DATA, ("carts.csv",),
         "holds binary data, not a text (CSV) file"),
    Case("parquet-named-csv", source_file("carts", "carts.csv", lambda p: _as_parquet(p)), DATA,
         ("carts.csv", "sources.carts.format"), "is a Parquet file, not a text (CSV) file"),
    Case("excel-named-csv", source_file("carts", "carts.csv", b"PK\x03\x04" + bytes(100) + SECRET.encode()), DATA,
         ("carts.csv",), "an Excel .xlsx workbook"),
    Case("utf16-csv", source_file("carts", "carts.csv", lambda p: p.read_text(encoding="utf-8-sig").encode("utf-16")),
         DATA, ("carts.csv",), "a UTF-16 text file"),
    Case("csv-broken-quote", source_file("carts", "carts.csv", _line(40, lambda x: x.replace(",", ',"', 1))), DATA,
         ("carts.csv", "line 40"), "a quoted field opens and is never closed"),
    Case("csv-ragged-row", source_file("carts", "carts.csv", _line(25, lambda x: x + ",1,2")), DATA,
         ("carts.csv", "line 25"), "fields where the header has"),
    Case("csv-empty", source_file("carts", "carts.csv", b""), DATA, ("carts.csv",), "is an empty file (0 bytes)"),
    Case("csv-header-only", source_file("carts", "carts.csv", _lines(lambda lines: lines[:1])), DATA, ("carts",),
         "the table is empty"),
    Case("csv-wrong-delimiter", setting("sources.carts.delimiter", ";"), DATA, ("carts", "cart_id", "delimiter"),
         "is sources.carts.delimiter right?"),
    Case("undecodable-text", source_file("feedback", "feedback.csv",
                                         lambda p: p.read_bytes()[:2000] + b"\xff\xfe\xfa\x80" * 30 + SECRET.encode()),
         DATA, ("feedback.csv",), "cannot decode"),
    Case("duckdb-not-a-database", both(source_file("carts", "carts.duckdb", b"not a database " + SECRET.encode()),
                                       setting("sources.carts.table", "carts")),
         DATA, ("carts.duckdb",), "is a text (CSV) file, not a DuckDB database"),
    Case("folder-without-files", lambda folder, config: (folder / "empty").mkdir() or config["sources"]["events"]
         .update(path=str(folder / "empty"), format="parquet"), DATA, ("events", "empty"), "no parquet file at"),
]

VALUE_CASES = [
    Case("missing-required-column", edited("carts", lambda f: f.drop(columns=["created_at"])), DATA,
         ("carts", "created_at"), "required column"),
    Case("unparseable-timestamps", edited("carts", lambda f: f.assign(created_at="yesterday")), DATA,
         ("carts", "created_at", "yesterday"), "has values that are not times"),
    Case("null-user-ids", edited("events", lambda f: f.assign(user_id=None), keep="parquet"), DATA,
         ("events", "user_id"), "has missing values"),
    Case("empty-events", edited("events", lambda f: f.iloc[:0], keep="parquet"), DATA, ("events",),
         "the table is empty"),
    Case("duplicate-cart-ids", edited("carts", lambda f: pd.concat([f, f.iloc[:5]])), DATA, ("carts", "cart_id"),
         "has duplicate ids"),
    Case("negative-cart-value", edited("carts", lambda f: f.assign(cart_value="-5")), DATA,
         ("carts", "cart_value"), "has values below 0"),
    Case("nps-out-of-range", edited("nps", lambda f: f.assign(score="11")), DATA, ("nps", "score"),
         "has values outside the range"),
    Case("ids-do-not-join", edited("carts", lambda f: f.assign(user_id="X" + f.user_id)), DATA,
         ("carts", "events"), "found in the events table"),
    Case("ids-lost-their-zeros", edited("nps", lambda f: f.assign(user_id=f.user_id.str.lstrip("0"))), DATA,
         ("nps", "events", "id_width"), "found in the events table"),
    Case("strict-duplicates", both(edited("events", lambda f: pd.concat([f] * 2), keep="parquet"),
                                   setting("validate.strict", True)), DATA, ("duplicate", "events"),
         "above their thresholds"),
    Case("strict-checkout-before-cart",
         both(edited("carts", lambda f: f.assign(checked_out_at=f.checked_out_at.where(f.checked_out_at == "",
                                                                                     "2001-01-01 00:00:00"))),
              setting("validate.strict", True)),
         DATA, ("checkouts", "carts"), "above their thresholds"),
    Case("strict-two-variants",
         both(edited("assignments", lambda f: pd.concat([f, f[f.variant.isin(["control", "treatment"])].iloc[:3].pipe(
             lambda g: g.assign(variant=g.variant.map({"control": "treatment", "treatment": "control"})))])),
              setting("validate.strict", True)),
         DATA, ("more than one variant", "assignments"), "above their thresholds"),
    Case("strict-hidden-characters",
         both(edited("feedback", lambda f: f.assign(text=f.text + "\u202e")), setting("validate.strict", True)),
         DATA, ("invisible", "feedback"), "above their thresholds"),
    Case("strict-early-times",
         both(edited("nps", lambda f: f.assign(answered_at="1970-01-01 08:00:00")), setting("validate.strict", True)),
         DATA, ("before 2000", "nps"), "above their thresholds"),
]

CASES = [*CONFIG_CASES, *ARGUMENT_CASES, *FILE_CASES, *VALUE_CASES]

#: What the machine faults of test_faults.py print: each must be in docs/troubleshooting.md too.
FAULT_MESSAGES = [
    "You may not write there",
    "No space left on device",
    "interrupted",
    "the kernel died",
    "DuckDB ran out of its memory limit",
    "the cell ran longer than the cell timeout",
    "the run took longer than the run timeout",
    "is already running",
    "internal error",
]

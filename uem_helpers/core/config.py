"""The workbench config (``uem.yml``): how a company's data maps onto the workbench.

The config names the data sources, maps the company's column and event names
onto the canonical ones of the data contract, and defines the time zone,
funnels, journey stages, feedback taxonomy, privacy settings and report
defaults. It is validated with pydantic; any wrong key or value raises
:class:`~uem_helpers.core.errors.ConfigError` naming the key, the value and what
is allowed.

Example
-------
>>> cfg = load_config("uem.yml")            # doctest: +SKIP
>>> cfg.funnels["account_opening"].steps    # doctest: +SKIP
['open_start', 'info_submitted', 'id_verified', 'card_bound', 'open_success']
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from uem_helpers.core.churn_config import ChurnConfig
from uem_helpers.core.errors import ConfigError

#: Canonical tables of the data contract. Only ``events`` is required.
TABLES = ("events", "users", "carts", "feedback", "nps", "assignments")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|min|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: Any) -> timedelta:
    """Read a duration such as ``"90s"``, ``"30min"``, ``"1h"``, ``"7d"`` or a number of seconds.

    Parameters
    ----------
    value : str, int, float or timedelta
        The duration as written in the config or passed as a notebook parameter.

    Returns
    -------
    datetime.timedelta
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise ValueError("a duration such as '90s', '30min', '1h' or '7d'")
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value.lower())):
        seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    else:
        raise ValueError("a duration such as '90s', '30min', '1h' or '7d'")
    if seconds <= 0:
        raise ValueError("a positive duration such as '90s', '30min', '1h' or '7d'")
    return timedelta(seconds=seconds)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LifecycleConfig(_Strict):
    """How a process log's lifecycle column becomes events (rule in :mod:`uem_helpers.data.lifecycle`)."""

    column: str
    """The lifecycle column as the file names it, e.g. ``lifecycle:transition``."""
    mode: Literal["activity", "activity+lifecycle"] = "activity"
    """``activity``: keep the rows whose lifecycle is in ``keep``; ``activity+lifecycle``: every row, as the event
    ``<activity>+<lifecycle>``."""
    keep: list[str] = Field(default_factory=lambda: ["complete"], min_length=1)
    """Lifecycle values kept in ``activity`` mode (case-insensitive)."""


#: strptime directives a ``time_format`` may use (the data layer turns each into a pattern).
TIME_DIRECTIVES = "YymdHIMSfpbBz%"


class SourceConfig(_Strict):
    """Where one canonical table comes from and how its columns are named."""

    path: str | None = None
    """File, glob (``events/*.parquet``) or directory; relative to the config file."""
    format: Literal["auto", "csv", "parquet", "duckdb"] = "auto"
    """``auto`` infers from the file suffix."""
    encoding: Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"] = "auto"
    """CSV text encoding; ``auto`` tries UTF-8 (with or without BOM), then GB18030."""
    delimiter: str = ","
    table: str | None = None
    """Table name inside a DuckDB database file or the engine's catalog."""
    columns: dict[str, str] = Field(default_factory=dict)
    """Company column name -> canonical column name."""
    event_names: dict[str, str] = Field(default_factory=dict)
    """Company event name -> canonical event name (events table only)."""
    timezone: str | None = None
    """Zone of timestamps written without an offset; defaults to the config's ``timezone``."""
    time_format: str | None = None
    """strptime layout of this source's text times when detection cannot read them, e.g. ``"%d/%m/%Y %H:%M"``
    (``%Y %m %d %H %M %S %f %y %b %p %z`` and literal characters); a value that does not match is counted
    as an error naming the table, column, value and format."""
    lifecycle: LifecycleConfig | None = None
    """Events table of a process log: how rows per lifecycle transition become events."""
    id_width: int | None = Field(default=None, ge=1, le=64)
    """Ids this source stores as numbers are written as text zero-padded to this width (7: ``56`` ->
    ``"0000056"``), to join with sources that keep them as text. Ids are never padded otherwise."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else _check_zone(value)

    @field_validator("time_format")
    @classmethod
    def _known_directives(cls, value: str | None) -> str | None:
        unknown = sorted({d for d in re.findall(r"%(.)", value or "") if d not in TIME_DIRECTIVES})
        if unknown:
            raise ValueError(f"a strptime layout using {' '.join('%' + d for d in TIME_DIRECTIVES)} "
                             f"(not {' '.join('%' + d for d in unknown)}), e.g. '%d/%m/%Y %H:%M'")
        return value


class EngineConfig(_Strict):
    """Which Ibis backend runs the expressions."""

    backend: Literal["duckdb", "spark"] = "duckdb"
    database: str | None = None
    """DuckDB database file to keep tables in; in memory when absent."""
    threads: int | None = Field(default=None, ge=1)
    memory_limit: str | None = None
    """DuckDB's memory limit, e.g. ``"20GB"`` (DuckDB's default: 80% of the machine's memory). Past it,
    large sorts, joins and windows spill to ``temp_directory``."""
    temp_directory: str | None = None
    """Where DuckDB spills when a query outgrows ``memory_limit`` (created if missing; DuckDB's default
    is ``<database>.tmp`` next to a database file, and no spilling for an in-memory database)."""
    spark_master: str = "local[2]"
    spark_remote: str | None = None
    """A running Spark Connect server (``sc://host:15002``) to run on; when absent, ``uem report`` starts one
    for the run on ``spark_master`` (:mod:`uem_helpers.data.spark_server`)."""
    spark_conf: dict[str, str] = Field(default_factory=dict)

    @field_validator("memory_limit")
    @classmethod
    def _a_size(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", value):
            raise ValueError("a size with its unit, e.g. '20GB' or '512MB'")
        return value if value is None else value.replace(" ", "")


class FunnelConfig(_Strict):
    """A named funnel: ordered steps and a conversion window from entry."""

    steps: list[str] = Field(min_length=2)
    window: Duration = timedelta(hours=1)
    mode: Literal["ordered", "strict", "any_order"] = "ordered"
    exclude: list[str] = Field(default_factory=list)
    title: str | None = None


class JourneyConfig(_Strict):
    """Journey stages in order, each with its touchpoint events."""

    stages: dict[str, list[str]] = Field(default_factory=dict)
    start_event: str | None = None
    bottleneck_candidates: list[str] = Field(default_factory=list)
    alarm_events: list[str] = Field(default_factory=list)
    """Error-like events (e.g. ``payment_error``, ``support_chat``) whose daily share of sessions the incident
    watch follows for sustained rises: per event, sessions with at least one of it / sessions that day."""
    goal_events: list[str] | None = None
    """Events that mean the journey succeeded (e.g. ``payment_ok``, ``signup_done``): leaving after one is not
    a loss (the bottleneck ranking leaves them out) and a loop through one is not a loop users are stuck in
    (the loop ranking leaves it out). When absent, the last step of every configured funnel."""

    def goals(self, funnels: Mapping[str, FunnelConfig]) -> list[str]:
        """The goal events: ``goal_events`` when set, else the last step of every funnel in ``funnels``."""
        if self.goal_events is not None:
            return list(self.goal_events)
        return list(dict.fromkeys(f.steps[-1] for f in funnels.values()))


class SessionConfig(_Strict):
    """How events are grouped into sessions when the source has no session_id."""

    gap: Duration = timedelta(minutes=30)


class TaskConfig(_Strict):
    """A task for the task-completion KPI: a start event and the success event that completes it."""

    start: str
    success: str
    window: Duration = timedelta(hours=1)
    """A success counts when it comes within this time of the (last) start."""


class FirstSuccessConfig(_Strict):
    """The key action of the first-success KPI: new users doing it within ``days`` of signup."""

    event: str
    days: int = Field(default=7, ge=1)


class MetricsConfig(_Strict):
    """How the plan's KPIs are computed from this company's data (see uem_helpers.analyses.kpis)."""

    task_completion: TaskConfig | None = None
    first_success: FirstSuccessConfig | None = None
    account_opening_funnel: str | None = None
    """Name of the funnel (under ``funnels``) whose completion is ``account_opening_completion``."""
    feedback_sla_hours: float = Field(default=24, gt=0)
    """A first reply within this many hours meets the feedback SLA."""


class RolloutConfig(_Strict):
    """A staged rollout in the assignments table, read out in the monthly retro."""

    expected_shares: dict[str, float] | None = None
    """Designed share of each variant, e.g. ``{control: 0.95, treatment: 0.05}``; 50/50 when absent."""
    control: str = "control"
    treatment: str = "treatment"


class CartEventsConfig(_Strict):
    """How carts are derived from events when there is no carts table (``carts:``; rule in
    :mod:`uem_helpers.data.derived_carts`)."""

    cart_event: str
    """The event that puts something in the cart (e.g. ``add_to_cart``): opens a cart, or adds to the open one."""
    checkout_event: str
    """The event that completes the purchase (e.g. ``payment_ok``): checks the open cart out."""
    value_column: str | None = None
    """Events column holding an amount: a cart's value is its sum over the cart events, the order's value the
    checkout event's; without it carts are counted only and value analyses are skipped."""
    window: Duration = timedelta(days=1)
    """How long a cart stays open after its last addition; a checkout later than that does not count."""


class PrivacyConfig(_Strict):
    """What a shared report may show about people."""

    key_env: str = "UEM_PRIVACY_KEY"
    """Environment variable holding the pseudonymisation key (kept out of the repo)."""
    key: str | None = None
    """The key itself; prefer ``key_env`` so the key stays out of version control."""
    min_cell_size: int = Field(default=10, ge=1)
    mask: list[Literal["phone", "landline", "email", "id_number", "bank_card", "ip"]] = Field(
        default_factory=lambda: ["phone", "landline", "email", "id_number", "bank_card", "ip"]
    )


class ValidateConfig(_Strict):
    """Checks on loading that stop a run whose numbers could not be trusted."""

    min_id_overlap: float = Field(default=0.5, ge=0, le=1)
    """Least share of a table's user ids (carts, nps, feedback, assignments) that must be found in the
    events table; below it the tables do not join (e.g. ids as numbers in one, zero-padded text in
    the other) and loading stops with both tables' example ids."""
    thresholds: dict[
        Literal["duplicate_rows", "early_times", "checkout_before_cart", "nps_before_first_event",
                "several_variants", "shared_sessions", "cut_off_sessions", "hidden_characters", "lifecycle_rows"],
        float,
    ] = Field(default_factory=dict)
    """Data-quality check -> share (0 to 1) above which the report's findings open with what it means
    (defaults in :data:`uem_helpers.data.quality.DEFAULT_THRESHOLDS`)."""
    strict: bool = False
    """Stop, instead of warning, when a data-quality finding is above its threshold."""


class ReportConfig(_Strict):
    """Defaults for scheduled report runs."""

    output_dir: str = "reports"
    notebooks: list[str] = Field(
        default_factory=lambda: [
            "onboarding_funnel",
            "cart_abandonment",
            "journey_analysis",
            "monthly_retro",
            "churn_warning",
        ]
    )
    """The notebooks ``uem report`` runs, in order; one whose config section is missing (``churn_warning``
    without ``churn:``) is left out of the batch and the run says so."""
    cell_timeout: int = Field(default=600, ge=1)
    """Seconds one notebook cell may run."""
    run_timeout: int = Field(default=3600, ge=1)
    """Seconds one notebook run may take in all."""
    parameters: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-notebook default parameters, e.g. ``{onboarding_funnel: {launch_date: 2026-08-15}}``."""
    language: Literal["en", "zh"] = "en"
    """The language reports, the index and the wiki page are written in: ``en`` or ``zh``
    (``uem report --language`` and the notebooks' ``language`` parameter override it)."""


class UEMConfig(_Strict):
    """The whole config. Build it with :func:`load_config`."""

    timezone: str = "Asia/Shanghai"
    engine: EngineConfig = Field(default_factory=EngineConfig)
    sources: dict[Literal[TABLES], SourceConfig]
    plan: str | None = None
    """Path of the annual plan (YAML), relative to the config file."""
    funnels: dict[str, FunnelConfig] = Field(default_factory=dict)
    journey: JourneyConfig = Field(default_factory=JourneyConfig)
    sessions: SessionConfig = Field(default_factory=SessionConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    rollouts: dict[str, RolloutConfig] = Field(default_factory=dict)
    """Staged rollouts by experiment name (as in the assignments table)."""
    carts: CartEventsConfig | None = None
    """Derive the carts table from events when ``sources`` has no ``carts`` entry."""
    feedback_taxonomy: dict[str, list[str]] = Field(default_factory=dict)
    """Feedback category -> keywords (Chinese and English)."""
    churn: ChurnConfig | None = None
    """How churn is defined (:mod:`uem_helpers.core.churn_config`); needed only by the churn analysis."""
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    labels: dict[str, dict[Literal["en", "zh"], str]] = Field(default_factory=dict)
    """Display names of events and steps per language, e.g. ``{open_start: {en: Open started, zh: 开始开户}}``;
    every chart and sentence uses them, falling back to the event name."""
    cache_dir: str | None = None
    """Folder for transcoded copies of non-UTF-8 CSV files; by default ``data/cache`` beside the
    config where it can be written, else the user's cache folder (read-only data folders work)."""
    checks: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")
    """The ``validate:`` section (named ``checks`` in Python: pydantic models own ``validate``)."""
    base_dir: Path = Field(default=Path("."), exclude=True)
    """Folder relative paths are resolved against (the config file's folder)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return _check_zone(value)

    @field_validator("sources")
    @classmethod
    def _events_required(cls, value: dict) -> dict:
        if "events" not in value:
            raise ValueError("an 'events' source is required (the other tables are optional)")
        return value

    def resolve(self, path: str | Path) -> Path:
        """Resolve a path from the config against the config file's folder."""
        path = Path(path).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def cache_folder(self) -> Path:
        """Where caches go: ``cache_dir`` if set, else ``data/cache`` beside the config if writable,
        else ``$XDG_CACHE_HOME/uem`` (``~/.cache/uem``)."""
        if self.cache_dir:
            return self.resolve(self.cache_dir)
        beside = self.resolve("data/cache")
        return beside if _writable(beside) else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uem"

    def funnel(self, name: str) -> FunnelConfig:
        """The funnel called ``name``, with an error listing the defined funnels."""
        if name not in self.funnels:
            raise ConfigError(f"funnels.{name}", name, f"defined funnels are: {', '.join(self.funnels) or 'none'}")
        return self.funnels[name]


def _writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (made if missing): tried, not guessed from permissions."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError("an IANA time zone name such as 'Asia/Shanghai' or 'UTC'") from None
    return name


def load_config(path: str | Path) -> UEMConfig:
    """Read and validate a config file.

    Parameters
    ----------
    path : str or Path
        The YAML config, e.g. ``uem.yml``.

    Returns
    -------
    UEMConfig
        The validated config; relative paths in it resolve against the file's folder.

    Raises
    ------
    ConfigError
        The file is missing, is not YAML, or a key or value is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError("(file)", str(path), "the config file does not exist; pass --config with the path of your uem.yml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError("(file)", str(path), f"the file is not valid YAML: {exc}") from None
    return config_from_dict(raw, base_dir=path.resolve().parent, source=str(path))


def config_from_dict(raw: dict, base_dir: str | Path = ".", source: str | None = None) -> UEMConfig:
    """Validate a config given as a dict (as read from YAML).

    Parameters
    ----------
    raw : dict
        The config's content.
    base_dir : str or Path
        Folder that relative paths resolve against.
    source : str, optional
        Where the dict came from, for error messages.
    """
    if not isinstance(raw, dict):
        raise ConfigError("(top level)", raw, "the config must be a mapping of keys to values", source)
    try:
        return UEMConfig.model_validate({**raw, "base_dir": Path(base_dir)})
    except ValidationError as exc:
        raise _config_error(exc, raw, source) from None


def _config_error(exc: ValidationError, raw: dict, source: str | None) -> ConfigError:
    """Turn pydantic's first complaint into a ConfigError that names key, value and what is allowed."""
    err = exc.errors()[0]
    loc = [str(part) for part in err["loc"]]
    # pydantic adds the tag of a Literal/union branch or function-validator to loc; drop those.
    loc = [p for p in loc if not p.startswith("function-") and p not in {"literal", "str", "int", "[key]"}]
    key = ".".join(loc) or "(top level)"
    value = err.get("input")
    if err["type"] == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return ConfigError(key, value, f"unknown key; allowed keys here are: {', '.join(allowed)}", source)
    if err["type"] == "missing":
        return ConfigError(key, None, "this key is required", source)
    if err["type"] == "literal_error" and len(loc) == 2 and loc[0] == "sources":
        return ConfigError(key, loc[1], f"unknown table; tables are: {', '.join(TABLES)}", source)
    message = err["msg"].removeprefix("Value error, ")
    if "expected" in err.get("ctx", {}):
        message = f"expected {err['ctx']['expected']}"
    return ConfigError(key, value, message, source)


def _allowed_keys(loc: list[str]) -> list[str]:
    """Field names of the config model found at a key path (for 'unknown key' errors)."""
    model: Any = UEMConfig
    for part in loc:
        fields = {f.alias or n: f for n, f in (getattr(model, "model_fields", None) or {}).items()}
        if part in fields:
            model = _section_model(fields[part].annotation)
        else:  # a dict value: sources.events -> SourceConfig, funnels.x -> FunnelConfig
            args = [a for a in getattr(model, "__args__", ()) if isinstance(a, type) and issubclass(a, BaseModel)]
            if args:
                model = args[-1]
            else:
                return []
    fields = getattr(model, "model_fields", {})
    return [field.alias or name for name, field in fields.items() if name != "base_dir"]


def _section_model(annotation: Any) -> Any:
    """The model of an optional section (``CartEventsConfig | None`` -> ``CartEventsConfig``); else as given."""
    if isinstance(annotation, type):
        return annotation
    inner = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    return inner[0] if len(inner) == 1 and isinstance(inner[0], type) and issubclass(inner[0], BaseModel) \
        else annotation

"""Typed metadata: one frozen dataclass per control-table row type, validated once at load.

Field names are the control table's column names (docs/control-table.md). ``TableSpec.from_dict``
accepts a YAML mapping or a control-table row; :mod:`framework.metadata.validation` collects *every* problem
across all specs, each naming table and field, and fails once. The rules a spec must follow live in
:mod:`framework.metadata.validation`; those that need Spark's parser (expressions, types) in
:mod:`framework.engine.probe`, so metadata stays JVM-free.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from framework.errors import SpecError, SpecIssue
from framework.metadata.vetting import check_fragment
from framework.platform.control_columns import AUDIT_COLUMNS, STATE_COLUMNS
from framework.platform.sqltext import is_plain_identifier

# What a failed check does with the rows that fail it (the ``severity`` field; SPEC §3, decision 125):
# keep them (counted in the audit row), move them to gold_quarantine, or fail the table.
KEEP, QUARANTINE, FAIL = "keep", "quarantine", "fail"
ACTIONS = (KEEP, QUARANTINE, FAIL)
# The names users know, each one of the three: this project's first two severities, Lakeflow
# expectations (sdp-meta) and DQX.
ACTION_ALIASES = {
    "warn": QUARANTINE, "error": FAIL,
    "expect": KEEP, "expect_or_drop": QUARANTINE, "expect_or_quarantine": QUARANTINE, "expect_or_fail": FAIL,
}
DEFAULT_ACTION = QUARANTINE  # SPEC §6: a few dirty rows never stop a table by default
ROW_POLICIES = (QUARANTINE, FAIL)  # on_null, on_key_conflict
# on_schema_change: when the metadata adds Gold columns (dbt's name for the default)
APPEND_NEW_COLUMNS, BACKFILL = "append_new_columns", "backfill"
SCHEMA_CHANGES = (APPEND_NEW_COLUMNS, BACKFILL, FAIL)


def action_of(value) -> str:
    """The action a ``severity`` (or policy) value names, lower case, aliases resolved."""
    if value is None or value == "":
        return DEFAULT_ACTION
    text = str(value).strip().lower()
    return ACTION_ALIASES.get(text, text)


@dataclass(frozen=True)
class QuarantineLimit:
    """``quarantine_limit``: the table fails once a batch sets aside more than ``rows`` rows, or
    more than ``percent`` % of the rows it read."""

    rows: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str | None) -> QuarantineLimit | None:
        """``"100"`` (rows) or ``"5%"``; None when unset; ValueError when malformed."""
        if text is None or str(text).strip() == "":
            return None
        value = str(text).strip()
        if value.endswith("%"):
            percent = float(value[:-1].strip())
            if not 0 <= percent < 100:
                raise ValueError(f"a percentage must be at least 0 and below 100, found {value!r}")
            return cls(percent=percent)
        if not value.isdigit():
            raise ValueError(f"must be a number of rows (e.g. 100) or a percentage of the rows read (e.g. 5%), found {value!r}")
        return cls(rows=int(value))

    def exceeded(self, quarantined: int, rows_read: int) -> bool:
        if self.rows is not None:
            return quarantined > self.rows
        return quarantined * 100 > self.percent * rows_read
JOIN_TYPES = ("left", "inner")
SPEC_VERSION = 1

# check name -> what its JSON ``args`` must be (None = no args)
CHECK_ARGS = {
    "not_null": None,
    "unique": None,
    "isin": "list",
    "notin": "list",
    "ge": "scalar",
    "gt": "scalar",
    "le": "scalar",
    "lt": "scalar",
    "between": "pair",
    "str_matches": "string",
    "expr": "string",
}

TECHNICAL_PREFIX = "_hm_"


@dataclass(frozen=True)
class ColumnSpec:
    """One Gold column: a Spark SQL expression over the source row (and joins), its type."""

    name: str
    expr: str
    type: str
    nullable: bool = True
    comment: str | None = None

    @classmethod
    def from_dict(cls, raw: dict) -> ColumnSpec:
        nullable = raw.get("nullable")
        return cls(
            name=raw.get("name"),
            expr=raw.get("expr") if raw.get("expr") is not None else raw.get("name"),
            type=str(raw.get("type") or "").strip(),
            nullable=True if nullable is None else bool(nullable),
            comment=raw.get("comment"),
        )


@dataclass(frozen=True)
class JoinSpec:
    """A lookup joined to the source (aliased ``s``) before columns are mapped."""

    table: str
    alias: str
    on: str
    how: str = "left"

    @classmethod
    def from_dict(cls, raw: dict) -> JoinSpec:
        # YAML 1.1 reads an unquoted `on:` key as the boolean True
        on = raw.get("on", raw.get(True))
        return cls(
            table=raw.get("table"),
            alias=raw.get("alias"),
            on=on,
            how=str(raw.get("how") or "left").lower(),
        )


@dataclass(frozen=True)
class ExplodeSpec:
    """One source row per element of an array, before joins and columns see the rows.

    Gold tables at a finer grain than their source (one row per lineage entity, per served
    entity) need the array's elements as rows; the element is visible to every later expression
    as ``alias`` (and its 0-based index as ``position``, when named). ``outer`` keeps a row whose
    array is empty or NULL, with a NULL element, instead of dropping it (Spark's ``explode_outer``).
    """

    expr: str
    alias: str
    outer: bool = False
    position: str | None = None

    @classmethod
    def from_dict(cls, raw: dict) -> ExplodeSpec:
        outer = raw.get("outer")
        return cls(
            expr=raw.get("expr"),
            alias=raw.get("alias"),
            outer=False if outer is None else bool(outer),
            position=raw.get("position"),
        )


@dataclass(frozen=True)
class CheckSpec:
    """A data check on the mapped batch, run through pandera; ``args`` is JSON text."""

    column: str | None
    check: str
    args: str | None = None
    severity: str = DEFAULT_ACTION  # the action: keep | quarantine | fail (ACTION_ALIASES resolved at load)
    name: str | None = None

    @classmethod
    def from_dict(cls, raw: dict) -> CheckSpec:
        args = raw.get("args")
        if args is not None and not isinstance(args, str):
            args = json.dumps(args)
        elif isinstance(args, str) and raw.get("check") in ("str_matches", "expr"):
            # a bare string is accepted for the two string-valued checks
            try:
                json.loads(args)
            except ValueError:
                args = json.dumps(args)
        return cls(
            column=raw.get("column"),
            check=raw.get("check"),
            args=args,
            severity=action_of(raw.get("severity")),
            name=raw.get("name"),
        )

    @property
    def value(self) -> Any:
        return None if self.args is None else json.loads(self.args)

    @property
    def check_name(self) -> str:
        """Stable name used in audit and quarantine rows, e.g. ``job_id_not_null``."""
        if self.name:
            return self.name
        return f"{self.column}_{self.check}" if self.column else self.check


@dataclass(frozen=True)
class TableSpec:
    """One control-table row: everything the engine needs to hydrate one Gold table."""

    table_name: str
    domain: str
    source_table: str
    load_type: str
    primary_keys: tuple[str, ...]
    columns: tuple[ColumnSpec, ...]
    enabled: bool = True
    source_filter: str | None = None
    sequence_by: str | None = None
    watermark_column: str | None = None
    lookback: str | None = None
    joins: tuple[JoinSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    depends_on: tuple[str, ...] = ()
    delete_condition: str | None = None
    track_columns: tuple[str, ...] | None = None
    aggregate: bool = False
    freshness_sla: str | None = None
    description: str | None = None
    spec_version: int = SPEC_VERSION
    explode: ExplodeSpec | None = None
    # physical layout of the Gold table (None: the defaults of engine.target.physical_layout)
    cluster_by: tuple[str, ...] | None = None  # Gold columns, or ("AUTO",); () = not clustered
    deletion_vectors: bool | None = None
    # the source may be absent in a workspace (a preview system table): absent, the run is SKIPPED
    source_optional: bool = False
    # dirty rows (SPEC §6): a NULL in a NOT NULL column, differing rows of one key at one sequence
    # value; and how many set-aside rows fail the table after all (QuarantineLimit's text)
    on_null: str = QUARANTINE
    on_key_conflict: str = QUARANTINE
    quarantine_limit: str | None = None
    # how long a deleted key's tombstone keeps older versions out ('<n> <unit>'; None: for good)
    tombstone_retention: str | None = None
    # the metadata added Gold columns: append them (old rows NULL), backfill them, or fail
    on_schema_change: str = APPEND_NEW_COLUMNS

    @classmethod
    def from_dict(cls, raw: dict) -> TableSpec:
        """Build from a YAML mapping or ``Row.asDict(recursive=True)``; state columns ignored."""
        issues = shape_issues(raw)
        if issues:
            raise SpecError(issues)
        try:
            return cls(
                table_name=raw.get("table_name"),
                domain=raw.get("domain"),
                source_table=raw.get("source_table"),
                load_type=str(raw.get("load_type") or "").lower(),
                primary_keys=tuple(raw.get("primary_keys") or ()),
                columns=tuple(ColumnSpec.from_dict(c) for c in raw.get("columns") or ()),
                enabled=True if raw.get("enabled") is None else bool(raw.get("enabled")),
                source_filter=raw.get("source_filter"),
                sequence_by=raw.get("sequence_by"),
                watermark_column=raw.get("watermark_column"),
                lookback=raw.get("lookback"),
                joins=tuple(JoinSpec.from_dict(j) for j in raw.get("joins") or ()),
                checks=tuple(CheckSpec.from_dict(c) for c in raw.get("checks") or ()),
                depends_on=tuple(raw.get("depends_on") or ()),
                delete_condition=raw.get("delete_condition"),
                track_columns=None if raw.get("track_columns") is None else tuple(raw["track_columns"]),
                aggregate=bool(raw.get("aggregate") or False),
                freshness_sla=raw.get("freshness_sla"),
                description=raw.get("description"),
                spec_version=int(raw.get("spec_version") or SPEC_VERSION),
                explode=None if raw.get("explode") is None else ExplodeSpec.from_dict(raw["explode"]),
                cluster_by=_cluster_by(raw.get("cluster_by")),
                deletion_vectors=None if raw.get("deletion_vectors") is None else bool(raw["deletion_vectors"]),
                source_optional=bool(raw.get("source_optional") or False),
                on_null=action_of(raw.get("on_null")),
                on_key_conflict=action_of(raw.get("on_key_conflict")),
                quarantine_limit=None if raw.get("quarantine_limit") is None else str(raw["quarantine_limit"]).strip(),
                tombstone_retention=raw.get("tombstone_retention"),
                on_schema_change=str(raw.get("on_schema_change") or APPEND_NEW_COLUMNS).strip().lower(),
            )
        except (AttributeError, TypeError, ValueError) as exc:
            raise SpecError(
                [SpecIssue(str(raw.get("table_name")), "(row)", f"malformed metadata row: {exc}")]
            ) from exc

    def to_row(self) -> dict:
        """The control-table representation (lists instead of tuples)."""
        row = asdict(self)
        for key, value in row.items():
            if isinstance(value, tuple):
                row[key] = list(value)
        return row

    # -- derived views the engine uses ------------------------------------------------------
    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def non_key_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name not in self.primary_keys]

    @property
    def limit(self) -> QuarantineLimit | None:
        """The parsed ``quarantine_limit`` (validated at load)."""
        return QuarantineLimit.parse(self.quarantine_limit)

    @property
    def tracked_columns(self) -> list[str]:
        """scd2: the columns whose change opens a new version."""
        return list(self.track_columns) if self.track_columns else self.non_key_columns


CLUSTER_AUTO = "AUTO"
MAX_CLUSTER_COLUMNS = 4  # Delta's limit for liquid clustering


def _cluster_by(value) -> tuple[str, ...] | None:
    """``auto`` (YAML scalar) or a list of Gold columns; ``AUTO`` is kept upper case."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    return tuple(CLUSTER_AUTO if str(v).upper() == CLUSTER_AUTO else v for v in items)


def _keys_of(cls) -> set[str]:
    return {f.name for f in fields(cls)}


# Fields that hold lists, and the keys allowed in the mappings of the list-of-mapping fields.
LIST_FIELDS = ("primary_keys", "columns", "joins", "checks", "depends_on", "track_columns")
ITEM_KEYS = {"columns": ("name", "expr", "type", "nullable", "comment"), "joins": ("table", "alias", "on", "how"),
             "checks": ("column", "check", "args", "severity", "name")}
EXPLODE_KEYS = ("expr", "alias", "outer", "position")
# fields that hold text when given (a number, list or mapping there is a wrong shape, named as such)
TEXT_FIELDS = ("table_name", "domain", "source_table", "load_type", "source_filter", "sequence_by", "watermark_column", "lookback",
               "delete_condition", "freshness_sla", "description", "on_null", "on_key_conflict", "tombstone_retention", "on_schema_change")
ITEM_TEXT = {"columns": ("name", "expr", "type", "comment"), "joins": ("table", "alias", "on", "how"),
             "checks": ("column", "check", "severity", "name")}
FLAG_FIELDS = ("deletion_vectors", "source_optional", "enabled", "aggregate")
# A ``columns`` entry with a ``flatten`` key stands for one column per field of a source struct;
# onboarding expands it (framework.onboarding.flatten), so control rows hold explicit columns only.
FLATTEN_KEYS = ("flatten", "prefix", "except", "depth", "json", "json_suffix", "comments")


def flatten_entry_issues(table: str, where: str, item: dict) -> list[SpecIssue]:
    """Wrong keys or shapes in one ``{flatten: ...}`` columns entry (before it is expanded)."""
    issues = [
        SpecIssue(table, f"{where}.{key}", f"unknown key; valid keys of a flatten entry are: {', '.join(FLATTEN_KEYS)}")
        for key in sorted(set(map(str, item)) - set(FLATTEN_KEYS))
    ]
    struct = item.get("flatten")
    if not isinstance(struct, str) or not struct.strip():
        issues.append(SpecIssue(table, f"{where}.flatten", f"must name a source struct column (e.g. usage_metadata), found {struct!r}"))
    else:
        reason = check_fragment(struct)
        if reason:
            issues.append(SpecIssue(table, f"{where}.flatten", reason))
    prefix = item.get("prefix")
    if prefix is not None and not (isinstance(prefix, str) and (prefix == "" or is_plain_identifier(prefix))):
        issues.append(SpecIssue(table, f"{where}.prefix", f"must be empty or start an identifier (e.g. usage_), found {prefix!r}"))
    skipped = item.get("except")
    if skipped is not None and not (isinstance(skipped, (list, tuple)) and all(isinstance(x, str) and x for x in skipped)):
        issues.append(SpecIssue(table, f"{where}.except", f"must be a list of field names (e.g. [job_id]), found {skipped!r}"))
    depth = item.get("depth")
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        issues.append(SpecIssue(table, f"{where}.depth", f"must be a whole number >= 1 (1: nested structs stay STRUCT columns), found {depth!r}"))
    return issues + _flatten_json_issues(table, where, item)


def _flatten_json_issues(table: str, where: str, item: dict) -> list[SpecIssue]:
    """Wrong shapes of a flatten entry's ``json``, ``json_suffix`` and ``comments``."""
    issues = []
    as_json = item.get("json")
    if as_json is not None and not isinstance(as_json, bool):
        issues.append(SpecIssue(table, f"{where}.json", f"must be true or false (true: arrays, maps and unwalked structs become JSON text), found {as_json!r}"))
    suffix = item.get("json_suffix")
    if suffix is not None and not (isinstance(suffix, str) and (suffix == "" or is_plain_identifier("x" + suffix))):
        issues.append(SpecIssue(table, f"{where}.json_suffix", f"must be empty or letters, digits and underscores (e.g. _json), found {suffix!r}"))
    comments = item.get("comments")
    if comments is not None and not (isinstance(comments, dict) and all(isinstance(k, str) and k and isinstance(v, str) for k, v in comments.items())):
        issues.append(SpecIssue(table, f"{where}.comments", f"must map generated column names to their comments (e.g. {{usage_job_id: The job.}}), found {comments!r}"))
    return issues


def shape_issues(raw: dict) -> list[SpecIssue]:
    """Typos and wrong shapes in a raw mapping, before anything is built from it.

    Users writing onboarding files make typos: an unknown key (``severty: warn``) or a scalar where
    a list belongs (``primary_keys: record_id``) must be an error naming the field, not a silently
    ignored key or one error per character of a string.
    """
    table = str(raw.get("table_name"))
    known = _keys_of(TableSpec)
    issues = [
        SpecIssue(table, key, f"unknown field; valid fields are: {', '.join(sorted(known))}")
        for key in sorted(set(map(str, raw)) - known - set(STATE_COLUMNS) - set(AUDIT_COLUMNS))
    ]
    for name in LIST_FIELDS:
        value = raw.get(name)
        if value is not None and not isinstance(value, (list, tuple)):
            issues.append(SpecIssue(table, name, f"must be a list (e.g. [{value!r}]), found {type(value).__name__} {value!r}"))
            continue
        for i, item in enumerate(value or ()):
            allowed = ITEM_KEYS.get(name)
            if allowed is None:
                if not isinstance(item, str):
                    issues.append(SpecIssue(table, f"{name}[{i}]", f"must be a name, found {item!r}"))
                continue
            if not isinstance(item, dict):
                issues.append(SpecIssue(table, f"{name}[{i}]", f"must be a mapping with keys {', '.join(allowed)}, found {item!r}"))
                continue
            if name == "columns" and "flatten" in item:
                found = flatten_entry_issues(table, f"{name}[{i}]", item)
                issues.extend(found or [SpecIssue(
                    table, f"{name}[{i}].flatten",
                    "is expanded into explicit columns by onboarding (healthmon onboard); a control row must list the columns",
                )])
                continue
            keys = {"on" if k is True else str(k) for k in item}  # YAML 1.1 reads a bare `on:` as True
            for key in sorted(keys - set(allowed)):
                issues.append(SpecIssue(table, f"{name}[{i}].{key}", f"unknown key; valid keys are: {', '.join(allowed)}"))
            for key in ITEM_TEXT.get(name, ()):
                value = item.get(True if key == "on" and True in item else key)
                if value is not None and not isinstance(value, str):
                    issues.append(SpecIssue(table, f"{name}[{i}].{key}", f"must be text, found {type(value).__name__} {value!r}"))
    explode = raw.get("explode")
    if explode is not None:
        if not isinstance(explode, dict):
            issues.append(SpecIssue(table, "explode", f"must be a mapping with keys {', '.join(EXPLODE_KEYS)}, found {explode!r}"))
        else:
            for key in sorted(set(map(str, explode)) - set(EXPLODE_KEYS)):
                issues.append(SpecIssue(table, f"explode.{key}", f"unknown key; valid keys are: {', '.join(EXPLODE_KEYS)}"))
    return issues + _scalar_issues(table, raw)


def _scalar_issues(table: str, raw: dict) -> list[SpecIssue]:
    """Scalars of the wrong shape: cluster_by, the true/false flags, the text fields."""
    issues = []
    cluster_by = raw.get("cluster_by")
    if cluster_by is not None and not (
        (isinstance(cluster_by, str) and cluster_by.upper() == CLUSTER_AUTO)
        or (isinstance(cluster_by, (list, tuple)) and all(isinstance(c, str) and c for c in cluster_by))
    ):
        issues.append(SpecIssue(table, "cluster_by", f"must be a list of Gold columns (e.g. [usage_date]) or auto, found {cluster_by!r}"))
    for flag in FLAG_FIELDS:
        value = raw.get(flag)
        if value is not None and not isinstance(value, bool):
            issues.append(SpecIssue(table, flag, f"must be true or false, found {value!r}"))
    for name in TEXT_FIELDS:
        value = raw.get(name)
        if value is not None and not isinstance(value, str):
            issues.append(SpecIssue(table, name, f"must be text, found {type(value).__name__} {value!r}"))
    return issues


def parse_specs(raws: list[dict]) -> list[TableSpec]:
    """Build specs from raw mappings, collecting construction errors across all of them."""
    specs: list[TableSpec] = []
    issues: list[SpecIssue] = []
    for raw in raws:
        if not isinstance(raw, dict):
            issues.append(SpecIssue("?", "(row)", f"each table spec must be a mapping, found {raw!r}"))
            continue
        try:
            specs.append(TableSpec.from_dict(raw))
        except SpecError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SpecError(issues)
    return specs

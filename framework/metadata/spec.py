"""Typed metadata: one frozen dataclass per control-table row type, validated once at load.

Field names are the control table's column names (docs/control-table.md). ``TableSpec.from_dict``
accepts a YAML mapping or a control-table row; :func:`validate_specs` collects *every* problem
across all specs, each naming table and field, and fails once. Checks that need Spark's parser
(expressions, types) live in :mod:`framework.metadata.probe` so this module stays JVM-free.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

from framework.errors import SpecError, SpecIssue, UnsafeSqlError
from framework.metadata.graph import dependency_cycles
from framework.metadata.load_types import LOAD_TYPES, LoadType, load_type
from framework.metadata.vetting import check_fragment, parse_lookback
from framework.platform.params import unknown_placeholders
from framework.platform.sqltext import is_plain_identifier, split_table_name

SEVERITIES = ("error", "warn")
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
    severity: str = "error"
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
            severity=str(raw.get("severity") or "error").lower(),
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
    def load(self) -> LoadType | None:
        """What the load type means (None for an unknown one, which validation reports)."""
        return load_type(self.load_type)

    @property
    def recomputes_key_history(self) -> bool:
        """Whether a batch re-reads the whole (filtered) source history of the keys it touches.

        scd2 re-sorts a key's versions (a late one may fall between collapsed ones); an aggregate
        regroups a key's rows (a group's rows may arrive over several batches, and a group of
        only the window's rows would overwrite the complete one).
        """
        return self.aggregate or bool(self.load and self.load.keeps_history)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def non_key_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.name not in self.primary_keys]

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
# A ``columns`` entry with a ``flatten`` key stands for one column per field of a source struct;
# onboarding expands it (framework.metadata.flatten), so control rows hold explicit columns only.
FLATTEN_KEYS = ("flatten", "prefix", "except", "depth")


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
    explode = raw.get("explode")
    if explode is not None:
        if not isinstance(explode, dict):
            issues.append(SpecIssue(table, "explode", f"must be a mapping with keys {', '.join(EXPLODE_KEYS)}, found {explode!r}"))
        else:
            for key in sorted(set(map(str, explode)) - set(EXPLODE_KEYS)):
                issues.append(SpecIssue(table, f"explode.{key}", f"unknown key; valid keys are: {', '.join(EXPLODE_KEYS)}"))
    cluster_by = raw.get("cluster_by")
    if cluster_by is not None and not (
        (isinstance(cluster_by, str) and cluster_by.upper() == CLUSTER_AUTO)
        or (isinstance(cluster_by, (list, tuple)) and all(isinstance(c, str) and c for c in cluster_by))
    ):
        issues.append(SpecIssue(table, "cluster_by", f"must be a list of Gold columns (e.g. [usage_date]) or auto, found {cluster_by!r}"))
    deletion_vectors = raw.get("deletion_vectors")
    if deletion_vectors is not None and not isinstance(deletion_vectors, bool):
        issues.append(SpecIssue(table, "deletion_vectors", f"must be true or false, found {deletion_vectors!r}"))
    return issues


STATE_COLUMNS = ("watermark_value", "last_run_id", "last_status", "last_run_at", "input_versions")
AUDIT_COLUMNS = ("updated_at", "updated_by")


def _issues_for(spec: TableSpec) -> list[SpecIssue]:
    """Every structural problem of one spec (no Spark needed)."""
    issues: list[SpecIssue] = []
    table = str(spec.table_name)

    def add(field_name: str, message: str) -> None:
        issues.append(SpecIssue(table, field_name, message))

    if not is_plain_identifier(spec.table_name):
        add("table_name", f"must be an identifier ([A-Za-z_][A-Za-z0-9_]*), found {spec.table_name!r}")
    if not spec.domain or not isinstance(spec.domain, str):
        add("domain", f"is required, found {spec.domain!r}")
    load = spec.load
    if load is None:
        add("load_type", f"must be one of {', '.join(LOAD_TYPES)}, found {spec.load_type!r}")
        load = LoadType("?", "unknown")  # keep checking the rest against neutral rules

    # source table: placeholders first, then the shape of the name they produce
    if not spec.source_table or not isinstance(spec.source_table, str):
        add("source_table", f"is required, found {spec.source_table!r}")
    else:
        for name in unknown_placeholders(spec.source_table):
            add("source_table", f"unknown placeholder ${{{name}}}; valid: ${{catalog}}, ${{bronze_schema}}, ${{gold_schema}}, ${{control_schema}}")
        probe = spec.source_table.replace("${", "").replace("}", "")
        try:
            split_table_name(probe)
        except UnsafeSqlError as exc:
            add("source_table", str(exc))

    # columns
    names = [c.name for c in spec.columns]
    if not spec.columns:
        add("columns", "at least one column is required")
    seen: set[str] = set()
    for col in spec.columns:
        where = f"columns[{col.name}]"
        if not is_plain_identifier(col.name):
            add("columns", f"column name must be an identifier, found {col.name!r}")
            continue
        if col.name.lower() in seen:
            add(where, "duplicate column name")
        seen.add(col.name.lower())
        if col.name.startswith(TECHNICAL_PREFIX):
            add(where, f"names starting with {TECHNICAL_PREFIX!r} are reserved for the framework")
        if col.name in load.added_columns:
            add(where, f"{col.name!r} is added by {load.name} itself; remove it from columns")
        if not col.type:
            add(where + ".type", "is required (a Spark SQL type, e.g. STRING, DECIMAL(18,6))")
        reason = check_fragment(col.expr)
        if reason:
            add(where + ".expr", reason)

    # keys
    if not spec.primary_keys:
        add("primary_keys", "at least one key column is required")
    for key in spec.primary_keys:
        if key not in names:
            add("primary_keys", f"key {key!r} is not among the columns; columns are: {', '.join(names)}")

    # incremental read
    if spec.lookback is not None:
        if spec.watermark_column is None:
            add("lookback", "needs a watermark_column (lookback is re-read behind the watermark)")
        try:
            parse_lookback(spec.lookback)
        except UnsafeSqlError as exc:
            add("lookback", str(exc))
    if spec.freshness_sla is not None:
        try:
            parse_lookback(spec.freshness_sla)
        except UnsafeSqlError:
            add("freshness_sla", f"must look like '<n> <unit>' (unit: minute, hour, day, week), e.g. '1 day', found {spec.freshness_sla!r}")
    if spec.watermark_column is not None and not is_plain_identifier(spec.watermark_column):
        add("watermark_column", f"must be a source column name, found {spec.watermark_column!r}")
    if not load.takes_watermark and spec.watermark_column is not None:
        add("watermark_column", f"must be empty for {load.name}: keys absent from the read are deleted, so the read must be the whole source")

    for field_name in ("source_filter", "sequence_by", "delete_condition"):
        value = getattr(spec, field_name)
        if value is not None:
            reason = check_fragment(value)
            if reason:
                add(field_name, reason)
            for name in unknown_placeholders(value):
                add(field_name, f"unknown placeholder ${{{name}}}")

    # load-type combinations
    if load.sequence_required and not spec.sequence_by:
        add("sequence_by", f"is required for {load.name} (it orders versions and becomes valid_from)")
    if spec.delete_condition and not load.takes_delete_condition:
        add("delete_condition", f"is not supported for {load.name} (fact_insert never deletes; snapshot deletes absent keys)")
    if spec.track_columns is not None:
        if not load.keeps_history:
            add("track_columns", "applies to scd2 only")
        for col in spec.track_columns:
            if col not in names or col in spec.primary_keys:
                add("track_columns", f"{col!r} is not a non-key column; non-key columns are: {', '.join(spec.non_key_columns)}")
    if spec.cluster_by:
        gold_columns = names + list(load.added_columns)
        if CLUSTER_AUTO in spec.cluster_by and len(spec.cluster_by) > 1:
            add("cluster_by", "AUTO lets Databricks choose the columns; list columns or AUTO, not both")
        for col in spec.cluster_by:
            if col != CLUSTER_AUTO and col not in gold_columns:
                add("cluster_by", f"{col!r} is not a Gold column; Gold columns are: {', '.join(gold_columns)}")
        if len(spec.cluster_by) > MAX_CLUSTER_COLUMNS:
            add("cluster_by", f"lists {len(spec.cluster_by)} columns; Delta clusters by at most {MAX_CLUSTER_COLUMNS}")
        if len(set(spec.cluster_by)) < len(spec.cluster_by):
            add("cluster_by", "lists a column twice")
    if spec.aggregate and not load.takes_aggregate:
        add("aggregate", f"cannot be combined with {load.name} (versions need one source row each)")
    if spec.aggregate and spec.sequence_by:
        add("sequence_by", "must be empty when aggregate is true (a group yields one row per key)")

    # joins
    aliases = {"s"}
    for i, join in enumerate(spec.joins):
        where = f"joins[{i}]"
        if not join.table:
            add(where + ".table", "is required")
        else:
            for name in unknown_placeholders(join.table):
                add(where + ".table", f"unknown placeholder ${{{name}}}")
        if not is_plain_identifier(join.alias) or join.alias in aliases:
            add(where + ".alias", f"must be a unique identifier other than 's', found {join.alias!r}")
        aliases.add(join.alias)
        reason = check_fragment(join.on)
        if reason:
            add(where + ".on", reason)
        gold_prefix = "${catalog}.${gold_schema}."
        if isinstance(join.table, str) and join.table.startswith(gold_prefix) and join.table[len(gold_prefix):] not in spec.depends_on:
            add(where + ".table", f"joins the Gold table {join.table[len(gold_prefix):]!r}, which must then be in depends_on (so it is hydrated first)")
        if join.how not in JOIN_TYPES:
            add(where + ".how", f"must be one of {', '.join(JOIN_TYPES)}, found {join.how!r}")

    if spec.explode is not None:
        explode = spec.explode
        if not isinstance(explode.expr, str) or not explode.expr.strip():
            add("explode.expr", f"is required (an array expression over the source), found {explode.expr!r}")
        else:
            reason = check_fragment(explode.expr)
            if reason:
                add("explode.expr", reason)
        for key in ("alias", "position"):
            value = getattr(explode, key)
            if value is None and key == "position":
                continue
            if not is_plain_identifier(value) or value in aliases or value.startswith(TECHNICAL_PREFIX):
                add(f"explode.{key}", f"must be an identifier other than 's', the join aliases and {TECHNICAL_PREFIX}*, found {value!r}")
            aliases.add(value)

    # checks
    check_names: set[str] = set()
    for i, chk in enumerate(spec.checks):
        where = f"checks[{i}]"
        if chk.check not in CHECK_ARGS:
            add(where + ".check", f"must be one of {', '.join(CHECK_ARGS)}, found {chk.check!r}")
            continue
        if chk.check != "expr" and chk.column not in names:
            add(where + ".column", f"{chk.column!r} is not a Gold column; columns are: {', '.join(names)}")
        if chk.severity not in SEVERITIES:
            add(where + ".severity", f"must be one of {', '.join(SEVERITIES)}, found {chk.severity!r}")
        if chk.check_name in check_names:
            add(where + ".name", f"duplicate check name {chk.check_name!r}; give one of them a name")
        check_names.add(chk.check_name)
        problem = _args_problem(chk)
        if problem:
            add(where + ".args", problem)

    for dep in spec.depends_on:
        if dep == spec.table_name:
            add("depends_on", "a table cannot depend on itself")
    return issues


def _args_problem(chk: CheckSpec) -> str | None:
    kind = CHECK_ARGS[chk.check]
    try:
        value = chk.value
    except ValueError:
        return f"must be JSON, found {chk.args!r}"
    if kind is None:
        return None if value is None else f"{chk.check} takes no args, found {chk.args!r}"
    if kind == "list" and not (isinstance(value, list) and value):
        return f"{chk.check} needs a non-empty JSON list, e.g. [\"A\", \"B\"], found {chk.args!r}"
    if kind == "scalar" and not isinstance(value, (int, float, str)):
        return f"{chk.check} needs one JSON number or string, e.g. 0, found {chk.args!r}"
    if kind == "pair" and not (isinstance(value, list) and len(value) == 2):
        return f"{chk.check} needs a JSON pair [min, max], e.g. [0, 100], found {chk.args!r}"
    if kind == "string" and not (isinstance(value, str) and value):
        return f"{chk.check} needs a JSON string, found {chk.args!r}"
    if chk.check == "expr":
        return check_fragment(value)
    return None


def find_issues(specs: list[TableSpec], known_tables: set[str] | None = None) -> list[SpecIssue]:
    """All problems of a set of specs, including cross-table ones (unknown deps, duplicates, cycles)."""
    issues: list[SpecIssue] = []
    names = [s.table_name for s in specs]
    for name in {n for n in names if names.count(n) > 1}:
        issues.append(SpecIssue(str(name), "table_name", "appears more than once"))
    universe = set(names) | set(known_tables or ())
    for spec in specs:
        issues.extend(_issues_for(spec))
        for dep in spec.depends_on:
            if dep not in universe:
                issues.append(
                    SpecIssue(spec.table_name, "depends_on", f"unknown table {dep!r}; known tables are: {', '.join(sorted(universe))}")
                )
    for cycle in dependency_cycles({s.table_name: list(s.depends_on) for s in specs}):
        for table in cycle:
            issues.append(SpecIssue(table, "depends_on", "dependency cycle: " + " -> ".join(cycle + [cycle[0]])))
    return issues


def validate_specs(specs: list[TableSpec], known_tables: set[str] | None = None) -> None:
    """Raise one SpecError listing every problem, or return when all specs are runnable."""
    issues = find_issues(specs, known_tables)
    if issues:
        raise SpecError(issues)


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

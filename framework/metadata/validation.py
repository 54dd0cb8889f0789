"""The rules a set of specs must follow before anything runs, each problem naming table and field.

Pure Python: no Spark, no I/O. What only Spark can tell (does an expression parse, is a type a
type) is :mod:`framework.engine.probe`'s; what a load type allows is the load type's own
(:class:`LoadRules`, given by the caller: :func:`framework.engine.loads.find_issues`), so this module
knows no load type by name. Every rule family is one small function; :func:`find_issues` runs
them all and adds the cross-table ones (duplicates, unknown dependencies, cycles).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from framework.errors import SpecError, SpecIssue, UnsafeSqlError
from framework.metadata.graph import dependency_cycles
from framework.metadata.spec import (
    ACTION_ALIASES,
    ACTIONS,
    CHECK_ARGS,
    CLUSTER_AUTO,
    JOIN_TYPES,
    MAX_CLUSTER_COLUMNS,
    ROW_POLICIES,
    SCHEMA_CHANGES,
    TECHNICAL_PREFIX,
    CheckSpec,
    QuarantineLimit,
    TableSpec,
)
from framework.metadata.vetting import check_fragment, parse_lookback
from framework.platform.params import unknown_placeholders
from framework.platform.sqltext import is_plain_identifier, split_table_name

Add = Callable[[str, str], None]
GOLD_PREFIX = "${catalog}.${gold_schema}."


class LoadRules(Protocol):
    """What metadata validation needs to know of a load type (its entry in the registry)."""

    name: str
    added_columns: tuple[str, ...]

    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]: ...


def _identity(spec: TableSpec, add: Add) -> None:
    if not is_plain_identifier(spec.table_name):
        add("table_name", f"must be an identifier ([A-Za-z_][A-Za-z0-9_]*), found {spec.table_name!r}")
    if not spec.domain or not isinstance(spec.domain, str):
        add("domain", f"is required, found {spec.domain!r}")


def _source(spec: TableSpec, add: Add) -> None:
    """Placeholders first, then the shape of the name they produce."""
    if not spec.source_table or not isinstance(spec.source_table, str):
        add("source_table", f"is required, found {spec.source_table!r}")
        return
    for name in unknown_placeholders(spec.source_table):
        add("source_table", f"unknown placeholder ${{{name}}}; valid: ${{catalog}}, ${{bronze_schema}}, ${{gold_schema}}, ${{control_schema}}")
    try:
        split_table_name(spec.source_table.replace("${", "").replace("}", ""))
    except UnsafeSqlError as exc:
        add("source_table", str(exc))


def _columns(spec: TableSpec, add: Add, added: tuple[str, ...], load_name: str) -> None:
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
        if col.name in added:
            add(where, f"{col.name!r} is added by {load_name} itself; remove it from columns")
        if not col.type:
            add(where + ".type", "is required (a Spark SQL type, e.g. STRING, DECIMAL(18,6))")
        reason = check_fragment(col.expr)
        if reason:
            add(where + ".expr", reason)


def _keys(spec: TableSpec, add: Add) -> None:
    names = spec.column_names
    if not spec.primary_keys:
        add("primary_keys", "at least one key column is required")
    for key in spec.primary_keys:
        if key not in names:
            add("primary_keys", f"key {key!r} is not among the columns; columns are: {', '.join(names)}")


def _incremental_read(spec: TableSpec, add: Add) -> None:
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
    if spec.tombstone_retention is not None:
        try:
            parse_lookback(spec.tombstone_retention)
        except UnsafeSqlError:
            add("tombstone_retention", f"must look like '<n> <unit>' (unit: day, week, month, year), e.g. '90 days', found {spec.tombstone_retention!r}")
    if spec.watermark_column is not None and not is_plain_identifier(spec.watermark_column):
        add("watermark_column", f"must be a source column name, found {spec.watermark_column!r}")


def _fragments(spec: TableSpec, add: Add) -> None:
    for field_name in ("source_filter", "sequence_by", "delete_condition"):
        value = getattr(spec, field_name)
        if value is None:
            continue
        reason = check_fragment(value)
        if reason:
            add(field_name, reason)
        for name in unknown_placeholders(value):
            add(field_name, f"unknown placeholder ${{{name}}}")


def _tracked_and_grouped(spec: TableSpec, add: Add) -> None:
    for col in spec.track_columns or ():
        if col not in spec.column_names or col in spec.primary_keys:
            add("track_columns", f"{col!r} is not a non-key column; non-key columns are: {', '.join(map(str, spec.non_key_columns))}")
    if spec.aggregate and spec.sequence_by:
        add("sequence_by", "must be empty when aggregate is true (a group yields one row per key)")


def _clustering(spec: TableSpec, add: Add, added: tuple[str, ...]) -> None:
    if not spec.cluster_by:
        return
    gold_columns = spec.column_names + list(added)
    if CLUSTER_AUTO in spec.cluster_by and len(spec.cluster_by) > 1:
        add("cluster_by", "AUTO lets Databricks choose the columns; list columns or AUTO, not both")
    for col in spec.cluster_by:
        if col != CLUSTER_AUTO and col not in gold_columns:
            add("cluster_by", f"{col!r} is not a Gold column; Gold columns are: {', '.join(map(str, gold_columns))}")
    if len(spec.cluster_by) > MAX_CLUSTER_COLUMNS:
        add("cluster_by", f"lists {len(spec.cluster_by)} columns; Delta clusters by at most {MAX_CLUSTER_COLUMNS}")
    if len(set(spec.cluster_by)) < len(spec.cluster_by):
        add("cluster_by", "lists a column twice")


def _joins(spec: TableSpec, add: Add) -> set[str]:
    """Problems of the joins; returns the aliases taken (the source's ``s`` and each join's)."""
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
        if isinstance(join.table, str) and join.table.startswith(GOLD_PREFIX) and join.table[len(GOLD_PREFIX):] not in spec.depends_on:
            add(where + ".table", f"joins the Gold table {join.table[len(GOLD_PREFIX):]!r}, which must then be in depends_on (so it is hydrated first)")
        if join.how not in JOIN_TYPES:
            add(where + ".how", f"must be one of {', '.join(JOIN_TYPES)}, found {join.how!r}")
    return aliases


def _explode(spec: TableSpec, add: Add, aliases: set[str]) -> None:
    explode = spec.explode
    if explode is None:
        return
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


def _checks(spec: TableSpec, add: Add) -> None:
    names = spec.column_names
    check_names: set[str] = set()
    for i, chk in enumerate(spec.checks):
        where = f"checks[{i}]"
        if chk.check not in CHECK_ARGS:
            add(where + ".check", f"must be one of {', '.join(CHECK_ARGS)}, found {chk.check!r}")
            continue
        if chk.check != "expr" and chk.column not in names:
            add(where + ".column", f"{chk.column!r} is not a Gold column; columns are: {', '.join(names)}")
        if chk.severity not in ACTIONS:
            add(where + ".severity", f"must be one of {', '.join(ACTIONS)} (or {', '.join(ACTION_ALIASES)}), found {chk.severity!r}")
        if chk.check_name in check_names:
            add(where + ".name", f"duplicate check name {chk.check_name!r}; give one of them a name")
        check_names.add(chk.check_name)
        problem = _args_problem(chk)
        if problem:
            add(where + ".args", problem)


def _dirty_rows(spec: TableSpec, add: Add) -> None:
    """The policies for rows no check names (NULLs in NOT NULL columns, conflicting keys) and the limit."""
    for field_name in ("on_null", "on_key_conflict"):
        value = getattr(spec, field_name)
        if value not in ROW_POLICIES:
            add(field_name, f"must be one of {', '.join(ROW_POLICIES)}, found {value!r}")
    try:
        QuarantineLimit.parse(spec.quarantine_limit)
    except ValueError as exc:
        add("quarantine_limit", str(exc))
    if spec.on_schema_change not in SCHEMA_CHANGES:
        add("on_schema_change", f"must be one of {', '.join(SCHEMA_CHANGES)}, found {spec.on_schema_change!r}")


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


def spec_issues(spec: TableSpec, rules: Mapping[str, LoadRules]) -> list[SpecIssue]:
    """Every structural problem of one spec (no Spark needed); its load type's rules included."""
    issues: list[SpecIssue] = []
    table = str(spec.table_name)

    def add(field_name: str, message: str) -> None:
        issues.append(SpecIssue(table, field_name, message))

    load = rules.get(spec.load_type)
    if load is None:
        add("load_type", f"must be one of {', '.join(rules)}, found {spec.load_type!r}")
    added = load.added_columns if load else ()
    _identity(spec, add)
    _source(spec, add)
    _columns(spec, add, added, spec.load_type)
    _keys(spec, add)
    _incremental_read(spec, add)
    _fragments(spec, add)
    _tracked_and_grouped(spec, add)
    _clustering(spec, add, added)
    _explode(spec, add, _joins(spec, add))
    _checks(spec, add)
    _dirty_rows(spec, add)
    if spec.table_name in spec.depends_on:
        add("depends_on", "a table cannot depend on itself")
    if load is not None:
        issues.extend(load.spec_issues(spec))
    return issues


def find_issues(specs: list[TableSpec], rules: Mapping[str, LoadRules], known_tables: set[str] | None = None) -> list[SpecIssue]:
    """All problems of a set of specs, including cross-table ones (unknown deps, duplicates, cycles)."""
    issues: list[SpecIssue] = []
    names = [s.table_name for s in specs]
    for name in {n for n in names if names.count(n) > 1}:
        issues.append(SpecIssue(str(name), "table_name", "appears more than once"))
    universe = set(names) | set(known_tables or ())
    for spec in specs:
        issues.extend(spec_issues(spec, rules))
        for dep in spec.depends_on:
            if dep not in universe:
                issues.append(
                    SpecIssue(spec.table_name, "depends_on", f"unknown table {dep!r}; known tables are: {', '.join(sorted(universe))}")
                )
    for cycle in dependency_cycles({s.table_name: list(s.depends_on) for s in specs}):
        for table in cycle:
            issues.append(SpecIssue(table, "depends_on", "dependency cycle: " + " -> ".join(cycle + [cycle[0]])))
    return issues


def raise_issues(issues: list[SpecIssue]) -> None:
    """One SpecError listing every problem, or nothing when there is none."""
    if issues:
        raise SpecError(issues)

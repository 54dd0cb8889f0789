"""The control table: metadata rows in, typed specs and per-table state out.

Metadata columns are written only by onboarding; state columns (watermark, last run) only by
the runner, after the Gold commit. Re-onboarding a table replaces its metadata and keeps its state.
"""

from __future__ import annotations

import getpass
import uuid
from dataclasses import dataclass
from datetime import datetime

from framework.errors import SpecError, SpecIssue
from framework.metadata.probe import specs_sql_issues
from framework.metadata.spec import STATE_COLUMNS, TableSpec, find_issues
from framework.platform.commit_retry import retry_on_conflict
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_ident, quote_table, sql_string, sql_timestamp

CONTROL_TABLE = "gold_table_control"
METADATA_COLUMNS = tuple(f for f in TableSpec.__dataclass_fields__)


@dataclass(frozen=True)
class TableState:
    """What the last successful run left behind for one table."""

    watermark_value: str | None = None
    last_run_id: str | None = None
    last_status: str | None = None
    last_run_at: datetime | None = None
    input_versions: str | None = None  # framework.engine.fingerprint JSON of the last success


@dataclass(frozen=True)
class ControlSnapshot:
    """Everything read from the control table at the start of a run."""

    specs: dict[str, TableSpec]
    states: dict[str, TableState]
    invalid: dict[str, list[SpecIssue]]  # table -> why it cannot run
    domains: dict[str, str]  # table -> domain, for invalid rows too


def control_table(lakehouse: Lakehouse) -> str:
    return lakehouse.params.control(CONTROL_TABLE)


def read_control(lakehouse: Lakehouse) -> ControlSnapshot:
    """Parse every control row; rows that do not validate are kept apart with their issues."""
    rows = [r.asDict(recursive=True) for r in lakehouse.spark.table(control_table(lakehouse)).collect()]
    specs: dict[str, TableSpec] = {}
    states: dict[str, TableState] = {}
    invalid: dict[str, list[SpecIssue]] = {}
    domains: dict[str, str] = {}
    for raw in rows:
        name = raw["table_name"]
        domains[name] = raw.get("domain")
        states[name] = TableState(**{c: raw.get(c) for c in STATE_COLUMNS})
        metadata = {k: v for k, v in raw.items() if k in METADATA_COLUMNS}
        try:
            specs[name] = TableSpec.from_dict(metadata)
        except SpecError as exc:
            invalid[name] = exc.issues
    for issue in find_issues(list(specs.values()), known_tables=set(domains)):
        invalid.setdefault(issue.table, []).append(issue)
    for name, problems in specs_sql_issues(list(specs.values()), lakehouse.spark).items():
        invalid.setdefault(name, []).extend(problems)
    for name in invalid:
        specs.pop(name, None)
    return ControlSnapshot(specs, states, invalid, domains)


def upsert_specs(lakehouse: Lakehouse, specs: list[TableSpec], *, now: datetime, user: str | None = None) -> None:
    """Write metadata rows in one MERGE: new tables inserted, existing ones replaced, state kept."""
    spark = lakehouse.spark
    target = control_table(lakehouse)
    schema = spark.table(target).schema
    user = user or getpass.getuser()
    rows = []
    for spec in specs:
        row = spec.to_row()
        row.update({c: None for c in STATE_COLUMNS})
        row.update(updated_at=now, updated_by=user)
        rows.append(tuple(row.get(f.name) for f in schema.fields))
    source = spark.createDataFrame(rows, schema)
    view = f"__hm_onboarding_{uuid.uuid4().hex}"
    source.createOrReplaceTempView(view)
    metadata = [c for c in METADATA_COLUMNS] + ["updated_at", "updated_by"]
    sets = ", ".join(f"t.{quote_ident(c)} = s.{quote_ident(c)}" for c in metadata)
    spark.sql(
        f"MERGE INTO {quote_table(target)} t USING {view} s ON t.table_name = s.table_name "
        f"WHEN MATCHED THEN UPDATE SET {sets} WHEN NOT MATCHED THEN INSERT *"
    )
    spark.catalog.dropTempView(view)


@dataclass(frozen=True)
class StateUpdate:
    """The outcome of one table in one run; ``watermark`` is None when it must not move."""

    table_name: str
    status: str
    run_id: str
    at: datetime
    watermark: str | None
    input_versions: str | None = None  # stored on success only


def _literal(value) -> str:
    """A SQL literal of a state value: NULL, a string, or a timestamp (as its UTC instant)."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return sql_timestamp(value)
    return sql_string(str(value))


def _case(column: str, values: dict[str, object]) -> str:
    """``CASE table_name WHEN 'a' THEN <value a> ... ELSE <column> END``: per-table values, the
    column kept for tables without one."""
    if not values:
        return column
    branches = " ".join(f"WHEN {sql_string(table)} THEN {_literal(value)}" for table, value in values.items())
    return f"CASE table_name {branches} ELSE {column} END"


def state_statement(control: str, updates: list[StateUpdate]) -> str:
    """One ``UPDATE`` of the run's tables' state columns, values written as literals.

    An UPDATE, not a MERGE from a frame of the outcomes: the same one commit, two Spark jobs fewer
    (measured on the control table: 0.85 s against 1.2 s), paid by every run.
    """
    sets = {
        "last_status": _case("last_status", {u.table_name: u.status for u in updates}),
        "last_run_id": _case("last_run_id", {u.table_name: u.run_id for u in updates}),
        "last_run_at": _case("last_run_at", {u.table_name: u.at for u in updates}),
        "watermark_value": _case("watermark_value", {u.table_name: u.watermark for u in updates if u.watermark is not None}),
        "input_versions": _case("input_versions", {u.table_name: u.input_versions for u in updates if u.status == "SUCCEEDED"}),
    }
    names = ", ".join(sql_string(u.table_name) for u in updates)
    assignments = ", ".join(f"{column} = {value}" for column, value in sets.items())
    return f"UPDATE {quote_table(control)} SET {assignments} WHERE table_name IN ({names})"


def record_states(lakehouse: Lakehouse, updates: list[StateUpdate], *, attempts: int = 6) -> None:
    """Store the outcomes of a run in one UPDATE (one commit, however many tables ran).

    Called after the Gold commits and audit rows, so a watermark never runs ahead of the data.
    A crash before this point only means the next run re-reads a window it already merged, which
    the idempotent MERGE turns into no change. Parallel job tasks each update their own rows of
    the same table; Delta reports those as conflicts, and the UPDATE (which only sets values) is
    retried against the new snapshot.
    """
    if not updates:
        return
    statement = state_statement(control_table(lakehouse), updates)
    retry_on_conflict(lambda: lakehouse.spark.sql(statement), what=f"recording state of {', '.join(u.table_name for u in updates)}", attempts=attempts)

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
from framework.platform.sqltext import quote_ident, quote_table

CONTROL_TABLE = "gold_table_control"
METADATA_COLUMNS = tuple(f for f in TableSpec.__dataclass_fields__)


@dataclass(frozen=True)
class TableState:
    """What the last successful run left behind for one table."""

    watermark_value: str | None = None
    last_run_id: str | None = None
    last_status: str | None = None
    last_run_at: datetime | None = None
    input_versions: str | None = None  # framework.fingerprint JSON of the last success


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


def record_states(lakehouse: Lakehouse, updates: list[StateUpdate], *, attempts: int = 6) -> None:
    """Store the outcomes of a run in one MERGE (one commit, however many tables ran).

    Called after the Gold commits and audit rows, so a watermark never runs ahead of the data.
    A crash before this point only means the next run re-reads a window it already merged, which
    the idempotent MERGE turns into no change. Parallel job tasks each MERGE their own rows into
    the same table; Delta reports those as conflicts, and the MERGE (which only sets values) is
    retried against the new snapshot.
    """
    if not updates:
        return
    spark = lakehouse.spark
    rows = [(u.table_name, u.status, u.run_id, u.at, u.watermark, u.watermark is not None, u.input_versions) for u in updates]
    schema = "table_name STRING, status STRING, run_id STRING, at TIMESTAMP, watermark STRING, advance BOOLEAN, input_versions STRING"
    view = f"__hm_state_updates_{uuid.uuid4().hex}"  # unique: sessions may run tables in threads
    spark.createDataFrame(rows, schema).createOrReplaceTempView(view)
    statement = (
        f"MERGE INTO {quote_table(control_table(lakehouse))} t USING {view} s ON t.table_name = s.table_name "
        "WHEN MATCHED THEN UPDATE SET last_status = s.status, last_run_id = s.run_id, last_run_at = s.at, "
        "watermark_value = CASE WHEN s.advance THEN s.watermark ELSE t.watermark_value END, "
        "input_versions = CASE WHEN s.status = 'SUCCEEDED' THEN s.input_versions ELSE t.input_versions END"
    )
    try:
        retry_on_conflict(lambda: spark.sql(statement), what=f"recording state of {', '.join(u.table_name for u in updates)}", attempts=attempts)
    finally:
        spark.catalog.dropTempView(view)

"""The control table behind one door: its rows read, metadata rows written, state recorded.

Everything that reads or writes ``gold_table_control`` goes through :class:`ControlStore`, so
the rules of who writes which column (:mod:`framework.platform.control_columns`) hold in one
place: onboarding replaces metadata columns and keeps state; the runner sets state columns only.
Rows travel as plain dicts: parsing them into specs is metadata's job, not the store's.

Reads are cheap to repeat: :meth:`ControlStore.read` returns the rows together with the Delta
version they were read at, and :meth:`ControlStore.unchanged_since` says (from the table's history
alone, no scan) whether a later read would give the same rows, counting the store's own state
updates as known changes. The engine keeps its parsed snapshot per process on that basis.
"""

from __future__ import annotations

import getpass
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from framework.platform.commit_retry import retry_on_conflict
from framework.platform.control_columns import CONTROL_TABLE, STATE_COLUMNS
from framework.platform.lakehouse import Lakehouse
from framework.platform.local_rows import rows_frame
from framework.platform.sqltext import quote_ident, quote_table, sql_string, sql_timestamp

USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"


@dataclass(frozen=True)
class TableState:
    """What the last run left behind for one table."""

    watermark_value: str | None = None
    last_run_id: str | None = None
    last_status: str | None = None
    last_run_at: datetime | None = None
    input_versions: str | None = None  # framework.engine.fingerprint JSON of the last success


@dataclass(frozen=True)
class StateUpdate:
    """The outcome of one table in one run; ``watermark`` is None when it must not move."""

    table_name: str
    status: str
    run_id: str
    at: datetime
    watermark: str | None
    input_versions: str | None = None  # stored on success only

    def applied_to(self, state: TableState) -> TableState:
        """``state`` after this update, as the UPDATE statement computes it."""
        return TableState(
            watermark_value=self.watermark if self.watermark is not None else state.watermark_value,
            last_run_id=self.run_id,
            last_status=self.status,
            last_run_at=self.at,
            input_versions=self.input_versions if self.status == "SUCCEEDED" else state.input_versions,
        )


@dataclass(frozen=True)
class ControlRows:
    """The control table's rows as read at one Delta version."""

    version: int | None
    rows: tuple[dict, ...]


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

    An UPDATE, not a MERGE from a frame of the outcomes: the same one commit, two Spark jobs fewer.
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


class ControlStore:
    """Reads and writes of one lakehouse's control table."""

    def __init__(self, lakehouse: Lakehouse):
        self.lakehouse = lakehouse
        self.table = lakehouse.params.control(CONTROL_TABLE)
        self._token = uuid.uuid4().hex  # marks this store's own state commits in the table history

    @property
    def spark(self):
        return self.lakehouse.spark

    def read(self, *, with_version: bool = True) -> ControlRows:
        """Every row, with the version it was read at (the history's latest, read first: a commit
        landing in between makes the version older than the rows, which only costs a re-read);
        ``with_version=False`` spares the history read (version None)."""
        version = self._latest_version() if with_version else None
        rows = tuple(r.asDict(recursive=True) for r in self.spark.table(quote_table(self.table)).collect())
        return ControlRows(version, rows)

    def _history(self, limit: int) -> list[dict]:
        return self.lakehouse.history(self.table, limit)

    def _latest_version(self) -> int | None:
        history = self._history(1)
        return history[0]["version"] if history else None

    def unchanged_since(self, version: int | None, limit: int = 20) -> tuple[bool, int | None]:
        """Whether the rows read at ``version`` are still current, but for this store's own state
        updates (which the caller applied itself); and the latest version.

        Reads the table's history only (a log read, no scan of the rows).
        """
        if version is None:
            return False, None
        history = self._history(limit)
        latest = history[0]["version"] if history else None
        for entry in history:
            if entry["version"] == version:
                return True, latest
            if entry["userMetadata"] != self._state_marker():
                return False, latest
        return False, latest

    def _state_marker(self) -> str:
        return json.dumps({"healthmon_state": self._token})

    def upsert_metadata(self, rows: list[dict], *, now: datetime, user: str | None = None, new_only: bool = False) -> None:
        """Write metadata rows in one MERGE: new tables inserted, existing ones replaced, state kept.

        A row's keys are the metadata columns it sets (a spec's ``to_row()``). ``new_only``: the
        caller read no row of these tables, so an insert-only MERGE does (Delta's cheaper plan: an
        anti join, no update pass); should another writer have added one of them meanwhile, it
        inserts fewer rows than given, and the full MERGE runs to replace that row's metadata.
        """
        if not rows:
            return
        spark = self.spark
        schema = spark.table(quote_table(self.table)).schema
        user = user or getpass.getuser()
        values = []
        for row in rows:
            row = {**row, **{c: None for c in STATE_COLUMNS}, "updated_at": now, "updated_by": user}
            values.append(tuple(row.get(f.name) for f in schema.fields))
        metadata = [c for c in dict.fromkeys(k for row in rows for k in row) if c not in STATE_COLUMNS] + ["updated_at", "updated_by"]
        view = f"__hm_onboarding_{uuid.uuid4().hex}"
        rows_frame(spark, values, schema).createOrReplaceTempView(view)  # no Python worker behind the MERGE's source
        sets = ", ".join(f"t.{quote_ident(c)} = s.{quote_ident(c)}" for c in metadata)
        merge = f"MERGE INTO {quote_table(self.table)} t USING {view} s ON t.table_name = s.table_name "
        try:
            with self.lakehouse.writing(self.table):
                if new_only:
                    done = spark.sql(merge + "WHEN NOT MATCHED THEN INSERT *").first()
                    if done is not None and done["num_inserted_rows"] == len(rows):
                        return
                spark.sql(merge + f"WHEN MATCHED THEN UPDATE SET {sets} WHEN NOT MATCHED THEN INSERT *")
        finally:
            spark.catalog.dropTempView(view)

    def record_states(self, updates: list[StateUpdate], *, attempts: int = 6) -> None:
        """Store the outcomes of a run in one UPDATE (one commit, however many tables ran).

        Parallel job tasks each update their own rows of the same table; Delta reports those as
        conflicts, and the UPDATE (which only sets values) is retried against the new snapshot.
        The commit is marked as this store's, so a cached read knows it for its own.
        """
        if not updates:
            return
        statement = state_statement(self.table, updates)

        def update() -> None:
            self.spark.conf.set(USER_METADATA, self._state_marker())
            try:
                with self.lakehouse.writing(self.table):
                    self.spark.sql(statement)
            finally:
                self.spark.conf.unset(USER_METADATA)

        retry_on_conflict(update, what=f"recording state of {', '.join(u.table_name for u in updates)}", attempts=attempts)

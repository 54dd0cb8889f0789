"""``query.history``: the statements run on each warehouse while it was up that day.

Statements start inside the warehouse sessions of ``compute.warehouse_events``; statements of the
service principal are SQL tasks of that day's job runs (``query_source.job_info`` names the run
and its first task run). Most optional columns are NULL most of the time, as upstream: error
text only on failures, ``query_parameters`` on a few statements (a minimal named literal; the
struct is thousands of characters of expression tree), ``query_tags`` NULL, empty or set.

:func:`statements` also says which tables each statement read and wrote: the lineage tables
record exactly those, under the statement's id.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from framework.demo.common import ACCOUNT_ID, rng_uuid, stable_hex, stream
from framework.demo.compute import warehouse_sessions
from framework.demo.runs import job_runs_started
from framework.demo.world import PEOPLE, SP, UC_TABLES, UcTable, user_id

_CLIENTS = (  # client application, driver
    ("Databricks SQL Editor", None),
    ("Databricks Dashboard", None),
    ("Tableau", "Databricks ODBC Driver"),
    ("Power BI", "Databricks ODBC Driver"),
    (None, "Databricks SQL Connector for Python"),
)
_ERRORS = (
    "[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`sales`.`orders_v1` cannot be found.",
    "[DIVIDE_BY_ZERO] Division by zero.",
    "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `amt` cannot be resolved.",
)


@dataclass(frozen=True)
class Statement:
    row: dict
    reads: tuple[UcTable, ...]
    writes: UcTable | None


def _named_parameter(value: str) -> dict:
    literal_type = {"type_name": "STRING", "type_ddl": "STRING", "redacted_type_ddl": None}
    return {
        "named_parameters": {
            "run_date": {"exprs": [{"tag": "literal", "data_type": literal_type,
                                    "literal": {"data_type": literal_type, "string_value": value}}]}
        },
        "pos_parameters": None,
        "truncated": False,
    }


def _text(rng: random.Random) -> tuple[str, str, tuple[UcTable, ...], UcTable | None]:
    """A statement's text, type, the tables it reads and the one it writes."""
    kind = rng.random()
    source = rng.choice(UC_TABLES)
    if kind < 0.70:
        return f"SELECT * FROM {source.full_name} LIMIT 1000", "SELECT", (source,), None
    if kind < 0.85:
        target = rng.choice([t for t in UC_TABLES if t is not source])
        return f"INSERT INTO {target.full_name} SELECT * FROM {source.full_name}", "INSERT", (source,), target
    if kind < 0.92:
        target = rng.choice([t for t in UC_TABLES if t is not source])
        return (f"MERGE INTO {target.full_name} t USING {source.full_name} s ON t.{target.columns[0][0]} = s.{target.columns[0][0]} "
                "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *", "MERGE", (source,), target)
    if kind < 0.97:
        return "SHOW TABLES IN main.sales", "SHOW", (), None
    return "<REDACTED>", "OTHER", (), None


@lru_cache(maxsize=8)
def statements(batch: int) -> tuple[Statement, ...]:
    """The day's statements, warehouse session by warehouse session: one stream, so a batch is reproducible."""
    rng = stream("query.history", batch)
    runs_by_workspace: dict[str, list] = {}
    for run in job_runs_started(batch):
        runs_by_workspace.setdefault(run.workspace_id, []).append(run)
    found = []
    for workspace, warehouse, start, stop, _ in warehouse_sessions(batch):
        found += _session_statements(rng, workspace, warehouse, start, stop, runs_by_workspace.get(workspace))
    return tuple(found)


def _session_statements(rng: random.Random, workspace: str, warehouse: str, start, stop, runs: list | None) -> list[Statement]:
    """One warehouse session's statements, in order: a cache hit reuses the warehouse's previous statement."""
    sessions = [rng_uuid(rng) for _ in range(3)]
    previous: str | None = None  # the warehouse's last statement: what a cache hit reuses
    found = []
    for _ in range(20 + rng.randrange(15)):
        begin = start + timedelta(seconds=rng.randrange(int((stop - start).total_seconds()) - 600))
        statement = _statement(rng, workspace, warehouse, begin, sessions, previous, runs)
        found.append(statement)
        previous = statement.row["statement_id"]
    return found


def _statement(rng: random.Random, workspace: str, warehouse: str, begin, sessions: list[str], previous: str | None,
               runs: list | None) -> Statement:
    """One statement's row and the tables it read and wrote (only a finished statement's count for lineage)."""
    text, statement_type, reads, writes = _text(rng)
    statement_id = rng_uuid(rng)
    principal = rng.choice((*PEOPLE, SP))
    client, driver = rng.choice(_CLIENTS)
    status = rng.choices(("FINISHED", "FAILED", "CANCELED"), weights=(85, 10, 5))[0]
    cached = status == "FINISHED" and statement_type == "SELECT" and rng.random() < 0.15 and previous is not None
    durations = _durations(rng, status, cached)
    source = _query_source(rng, workspace, principal, client, runs)
    read_rows = 0 if cached else rng.randrange(0, 50_000_000)
    written = writes is not None and status == "FINISHED"
    row = {
        "account_id": ACCOUNT_ID,
        "workspace_id": workspace,
        "statement_id": statement_id,
        "executed_by": principal,
        "session_id": rng.choice(sessions),
        "execution_status": status,
        "compute": {"type": "WAREHOUSE", "cluster_id": None, "warehouse_id": warehouse},
        "executed_by_user_id": user_id(principal),
        "statement_text": text,
        "statement_type": statement_type,
        "error_message": rng.choice(_ERRORS) if status == "FAILED" else None,
        "client_application": client,
        "client_driver": driver,
        **_timing_columns(rng, begin, durations, cached),
        **_io_columns(rng, reads, read_rows, cached, written),
        "query_source": source if any(source.values()) else None,
        "executed_as_user_id": user_id(principal),
        "executed_as": principal,
        "written_rows": rng.randrange(1, 10**6) if written else None,
        "written_files": rng.randrange(1, 50) if written else None,
        "cache_origin_statement_id": previous if cached else statement_id,
        "query_parameters": _named_parameter(begin.date().isoformat()) if rng.random() < 0.05 else None,
        "query_tags": rng.choice((None, None, None, {}, {"team": "bi", "purpose": "dashboard"})),
    }
    return Statement(row, reads if status == "FINISHED" else (), writes if written else None)


def _durations(rng: random.Random, status: str, cached: bool) -> tuple[int, int, int, int, int | None]:
    """Waits, compilation, execution and result fetch in ms: a cache hit executes nothing, an unfinished statement fetches nothing."""
    wait_compute = rng.choice((0, 0, 0, rng.randrange(1_000, 60_000)))
    wait_capacity = rng.choice((0, 0, rng.randrange(100, 5_000)))
    compile_ms = rng.randrange(50, 2_000)
    execute_ms = 0 if cached else rng.randrange(100, 300_000)
    fetch_ms = None if status != "FINISHED" else rng.randrange(0, 2_000)
    return wait_compute, wait_capacity, compile_ms, execute_ms, fetch_ms


def _query_source(rng: random.Random, workspace: str, principal: str, client: str | None, runs: list | None) -> dict:
    """What issued the statement: the service principal's are SQL tasks of a job run, else the dashboard or saved query."""
    source = {"job_info": None, "legacy_dashboard_id": None, "dashboard_id": None, "alert_id": None,
              "notebook_id": None, "sql_query_id": None, "genie_space_id": None, "pipeline_info": None}
    if principal == SP and runs:
        run = rng.choice(runs)
        task_run = run.tasks[0].run_id if run.tasks else None
        source["job_info"] = {"job_id": run.job_id, "job_run_id": run.run_id, "job_task_run_id": task_run}
    elif client == "Databricks Dashboard":
        source["dashboard_id"] = stable_hex("dashboard", workspace, rng.randrange(3), length=32)
    elif client == "Databricks SQL Editor":
        source["sql_query_id"] = str(rng_uuid(rng))
    return source


def _timing_columns(rng: random.Random, begin, durations: tuple[int, int, int, int, int | None], cached: bool) -> dict:
    """The row's duration and time columns: the end is the start plus every wait, compilation and execution."""
    wait_compute, wait_capacity, compile_ms, execute_ms, fetch_ms = durations
    total = wait_compute + wait_capacity + compile_ms + execute_ms
    end = begin + timedelta(milliseconds=total)
    return {
        "total_duration_ms": total,
        "waiting_for_compute_duration_ms": wait_compute,
        "waiting_at_capacity_duration_ms": wait_capacity,
        "execution_duration_ms": execute_ms,
        "compilation_duration_ms": compile_ms,
        "total_task_duration_ms": 0 if cached else execute_ms * rng.randrange(1, 16),
        "result_fetch_duration_ms": fetch_ms,
        "start_time": begin,
        "end_time": end,
        "update_time": end + timedelta(milliseconds=fetch_ms or 0),
    }


def _io_columns(rng: random.Random, reads: tuple[UcTable, ...], read_rows: int, cached: bool, written: bool) -> dict:
    """The row's read, cache, spill and write volumes: a cache hit reads nothing, only a finished write writes."""
    return {
        "read_partitions": None if not reads or cached else rng.randrange(1, 200),
        "pruned_files": 0 if cached else rng.randrange(0, 500),
        "read_files": 0 if cached else rng.randrange(1, 2_000),
        "read_rows": read_rows,
        "produced_rows": 0 if written else min(read_rows, 1000),
        "read_bytes": read_rows * 120,
        "read_io_cache_percent": 0 if cached else rng.randrange(0, 101),
        "from_result_cache": cached,
        "spilled_local_bytes": rng.choice((0, 0, 0, rng.randrange(10**6, 10**9))),
        "written_bytes": rng.randrange(10**5, 10**9) if written else None,
        "shuffle_read_bytes": 0 if cached else rng.randrange(0, 10**9),
    }


def query_rows(batch: int) -> list[dict]:
    return [s.row for s in statements(batch)]

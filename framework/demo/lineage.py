"""``access.table_lineage`` and ``access.column_lineage``: what read and wrote which table.

Lineage events come from what ran that day: finished SQL statements (``statement_id`` joins
``query.history``; a SELECT is a read-only event, target columns NULL), succeeded job runs
(``entity_run_id`` is the job run) and completed pipeline updates, which write along the
world's lineage edges, and a few notebook commands and reads of a raw path with no entity at
all. Column lineage repeats write events per column pair and omits events with no source,
as upstream does. ``record_id`` is unique per row; ``event_id`` groups one event's rows.
"""

from __future__ import annotations

import random
from datetime import timedelta

from framework.demo.common import ACCOUNT_ID, at, batch_day, rng_uuid, stable_digits, stream
from framework.demo.query import statements
from framework.demo.runs import job_runs_started, updates_started
from framework.demo.world import LINEAGE_EDGES, METASTORE_ID, PEOPLE, UC_TABLES, UcTable, present_workspaces


def _side(prefix: str, table: UcTable | None) -> dict:
    if table is None:
        return {f"{prefix}_table_full_name": None, f"{prefix}_table_catalog": None, f"{prefix}_table_schema": None,
                f"{prefix}_table_name": None, f"{prefix}_path": None, f"{prefix}_type": None}
    return {f"{prefix}_table_full_name": table.full_name, f"{prefix}_table_catalog": table.catalog,
            f"{prefix}_table_schema": table.schema, f"{prefix}_table_name": table.name,
            f"{prefix}_path": table.path, f"{prefix}_type": "TABLE"}


def _metadata(job=None, pipeline=None, notebook=None, sql_query=None, dashboard=None) -> dict | None:
    if not any((job, pipeline, notebook, sql_query, dashboard)):
        return None
    return {"job_info": job, "dashboard_id": dashboard, "legacy_dashboard_id": None, "notebook_id": notebook,
            "sql_query_id": sql_query, "dlt_pipeline_info": pipeline}


def _events(batch: int) -> list[dict]:
    """One dict per lineage event: the entity columns, when, who, and its (source, target) pairs."""
    rng = stream("access.lineage", batch)
    return [*_statement_events(batch), *_job_run_events(rng, batch), *_pipeline_update_events(batch), *_notebook_and_path_events(rng, batch)]


def _statement_events(batch: int) -> list[dict]:
    """A finished statement's reads and write, under its id, so lineage joins ``query.history``."""
    events = []
    for statement in statements(batch):
        row = statement.row
        if not statement.reads and statement.writes is None:
            continue
        source_meta = row["query_source"] or {}
        entity_id = source_meta.get("sql_query_id") or source_meta.get("dashboard_id")
        events.append({
            "workspace_id": row["workspace_id"],
            "entity_type": ("DBSQL_QUERY" if source_meta.get("sql_query_id") else "DASHBOARD_V3") if entity_id else None,
            "entity_id": entity_id,
            "entity_run_id": row["statement_id"] if entity_id else None,
            "statement_id": row["statement_id"],
            "entity_metadata": _metadata(sql_query=source_meta.get("sql_query_id"), dashboard=source_meta.get("dashboard_id")),
            "created_by": row["executed_by"],
            "event_time": row["end_time"],
            "pairs": [(table, statement.writes) for table in statement.reads],
        })
    return events


def _job_run_events(rng: random.Random, batch: int) -> list[dict]:
    """Some succeeded job runs writing along a lineage edge, so lineage names job runs of the timeline."""
    events = []
    for run in job_runs_started(batch):
        if run.result_state == "SUCCEEDED" and rng.random() < 0.4:
            source, target = LINEAGE_EDGES[int(run.run_id) % len(LINEAGE_EDGES)]
            events.append({
                "workspace_id": run.workspace_id, "entity_type": "JOB", "entity_id": run.job_id,
                "entity_run_id": run.run_id, "statement_id": None,
                "entity_metadata": _metadata(job={"job_id": run.job_id, "job_run_id": run.run_id}),
                "created_by": None if rng.random() < 0.2 else rng.choice(PEOPLE),
                "event_time": run.start + timedelta(minutes=1),
                "pairs": [(UC_TABLES[source], UC_TABLES[target])],
            })
    return events


def _pipeline_update_events(batch: int) -> list[dict]:
    """Each completed pipeline update writing the first lineage edge, so lineage names pipeline updates."""
    events = []
    for update in updates_started(batch):
        if update.result_state == "COMPLETED":
            source, target = LINEAGE_EDGES[0]
            events.append({
                "workspace_id": update.workspace_id, "entity_type": "PIPELINE", "entity_id": update.pipeline_id,
                "entity_run_id": update.update_id, "statement_id": None,
                "entity_metadata": _metadata(pipeline={"dlt_pipeline_id": update.pipeline_id, "dlt_update_id": update.update_id}),
                "created_by": update.run_as,
                "event_time": update.start + timedelta(minutes=2),
                "pairs": [(UC_TABLES[source], UC_TABLES[target])],
            })
    return events


def _notebook_and_path_events(rng: random.Random, batch: int) -> list[dict]:
    """Notebook commands and reads with no entity at all: events no job, pipeline or statement stands behind."""
    day = batch_day(batch)
    workspaces = present_workspaces(batch)
    events = []
    for _ in range(8):
        notebook = rng.random() < 0.6
        source, target = rng.choice(LINEAGE_EDGES)
        notebook_id = stable_digits("notebook", rng.randrange(5), digits=16)
        events.append({
            "workspace_id": rng.choice(workspaces),
            "entity_type": "NOTEBOOK" if notebook else None,
            "entity_id": notebook_id if notebook else None,
            "entity_run_id": rng_uuid(rng) if notebook else None,
            "statement_id": None,
            "entity_metadata": _metadata(notebook=notebook_id) if notebook else None,
            "created_by": rng.choice(PEOPLE),
            "event_time": at(day, rng.randrange(8 * 60, 20 * 60)),
            "pairs": [(UC_TABLES[source], UC_TABLES[target] if notebook else None)],
        })
    return events


def _base(event: dict) -> dict:
    return {
        "account_id": ACCOUNT_ID,
        "metastore_id": METASTORE_ID,
        "workspace_id": event["workspace_id"],
        "entity_type": event["entity_type"],
        "entity_id": event["entity_id"],
        "entity_run_id": event["entity_run_id"],
    }


def table_lineage_rows(batch: int) -> list[dict]:
    rng = stream("access.table_lineage", batch)
    rows = []
    for event in _events(batch):
        event_id = rng_uuid(rng)
        for source, target in event["pairs"]:
            rows.append({
                **_base(event), **_side("source", source), **_side("target", target),
                "created_by": event["created_by"], "event_time": event["event_time"],
                "event_date": event["event_time"].date(), "record_id": rng_uuid(rng), "event_id": event_id,
                "statement_id": event["statement_id"], "entity_metadata": event["entity_metadata"],
            })
    return rows


def column_lineage_rows(batch: int) -> list[dict]:
    """Per write event, the columns the target shares with the source (read-only events: none)."""
    rng = stream("access.column_lineage", batch)
    rows = []
    for event in _events(batch):
        event_id = rng_uuid(rng)
        for source, target in event["pairs"]:
            if target is None:
                continue
            target_columns = {name for name, _ in target.columns}
            for column, _ in source.columns:
                if column in target_columns:
                    rows.append({
                        **_base(event), **_side("source", source), "source_column_name": column,
                        **_side("target", target), "target_column_name": column,
                        "created_by": event["created_by"], "event_time": event["event_time"],
                        "event_date": event["event_time"].date(), "record_id": rng_uuid(rng), "event_id": event_id,
                        "statement_id": event["statement_id"], "entity_metadata": event["entity_metadata"],
                    })
    return rows

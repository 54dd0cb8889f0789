"""Deterministic, system-table-shaped Bronze data for the local demo and the tests: all 35
source system tables, one batch per day.

Why generated: there is no Databricks account on a laptop, and the cases the framework exists
for must show up on purpose and identically on every run, so results can be asserted. Rows carry
the system tables' exact columns and nested types (:mod:`framework.platform.source_schemas`) and
imitate their documented behaviour (the team's reference notes on the system tables):

- SCD2 tables (jobs, job tasks, pipelines, clusters, warehouses, served entities): several
  versions per key, no-op versions, deletions, re-creations, a version arriving a batch late
  and out of order (:mod:`.scd2`, :mod:`.jobs`);
- hourly-sliced timelines, result only on the last slice, runs crossing midnight delivered over
  two batches (:mod:`.runs`);
- usage with late rows, RETRACTION/RESTATEMENT corrections and exact duplicates, whose keys
  resolve to jobs, runs, clusters, warehouses, pipelines, endpoints and workspaces of the other
  tables (:mod:`.billing`, :mod:`.world`);
- latest-state tables updated in place, delivered as snapshots (workspaces, node types, MLflow
  experiments and runs, classification results);
- per-minute node metrics, append-only event tables (audit, lineage, network, assistant, clean
  rooms, marketplace, serving requests), NULL-heavy columns, empty maps and arrays;
- the AI Gateway payload log of the serving requests, sampled, late by up to an hour and with
  duplicates (:mod:`.payloads`).

Batch ``n`` is what the system tables delivered on day ``2026-01-01 + (n - 1)``; it is a pure
function of ``n``: every domain draws from its own random stream seeded by its name and the
batch, and state that spans batches is rebuilt by replaying batches ``1..n``. ``scale`` (an
argument of :func:`append_batch`) multiplies the event tables' volume in Spark (:mod:`.scale`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from framework.demo import access, billing, clean_rooms, compute, governance, jobs, lineage, marketplace, mlflow, network, payloads, pipelines, query, runs, serving
from framework.demo.common import BASE_DAY
from framework.demo.scale import REKEYED, amplify, check_scale
from framework.demo.writer import frame, write
from framework.errors import DemoDataError
from framework.platform.source_schemas import source_table

if TYPE_CHECKING:
    from framework.platform.lakehouse import Lakehouse

USAGE_ROWS_PER_DAY = billing.USAGE_ROWS_PER_DAY
# Rows each batch delivers a second time, exactly (no other table has any).
DUPLICATES_PER_BATCH = {"lakeflow.jobs": jobs.DUPLICATES, **billing.DUPLICATES,
                        "__internal_logging.payload_logs": payloads.DUPLICATES}

_GENERATORS: dict[str, Callable[[int], list[dict]]] = {
    "access.workspaces_latest": access.workspace_rows,
    "access.audit": access.audit_rows,
    "access.assistant_events": access.assistant_rows,
    "access.inbound_network": network.inbound_rows,
    "access.outbound_network": network.outbound_rows,
    "access.clean_room_events": clean_rooms.clean_room_rows,
    "access.table_lineage": lineage.table_lineage_rows,
    "access.column_lineage": lineage.column_lineage_rows,
    "lakeflow.jobs": jobs.job_rows,
    "lakeflow.job_tasks": jobs.job_task_rows,
    "lakeflow.pipelines": pipelines.pipeline_rows,
    "lakeflow.job_run_timeline": runs.job_run_rows,
    "lakeflow.job_task_run_timeline": runs.job_task_run_rows,
    "lakeflow.pipeline_update_timeline": runs.pipeline_update_rows,
    "compute.clusters": compute.cluster_rows,
    "compute.warehouses": compute.warehouse_rows,
    "compute.warehouse_events": compute.warehouse_event_rows,
    "compute.node_types": compute.node_type_rows,
    "compute.node_timeline": compute.node_timeline_rows,
    "query.history": query.query_rows,
    "serving.served_entities": serving.served_entity_rows,
    "serving.endpoint_usage": serving.endpoint_usage_rows,
    "__internal_logging.payload_logs": payloads.payload_rows,
    "mlflow.experiments_latest": mlflow.experiment_rows,
    "mlflow.runs_latest": mlflow.runs_latest_rows,
    "mlflow.run_metrics_history": mlflow.metrics_rows,
    "marketplace.listing_funnel_events": marketplace.funnel_rows,
    "marketplace.listing_access_events": marketplace.access_rows,
    "storage.predictive_optimization_operations_history": governance.optimization_rows,
    "data_quality_monitoring.table_results": governance.table_result_rows,
    "data_classification.results": governance.classification_rows,
    "billing.list_prices": billing.price_rows,
    "billing.account_prices": billing.account_price_rows,
    "billing.cloud_infra_cost": billing.cloud_cost_rows,
    "billing.usage": billing.usage_rows,
}
# Written in this order; usage last, because next_batch_number reads it.
DEMO_TABLES = tuple(_GENERATORS)
# Latest-state tables: each batch replaces the table's content (the rest are appended).
SNAPSHOT_TABLES = (
    "access.workspaces_latest",
    "compute.node_types",
    "mlflow.experiments_latest",
    "mlflow.runs_latest",
    "data_classification.results",
)
AMPLIFIED_TABLES = tuple(key for key in DEMO_TABLES if key in REKEYED)
WRITERS = 3  # tables written at once


def _check_batch(batch: object) -> int:
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise DemoDataError(f"demo batch must be an integer >= 1, found {batch!r}")
    return batch


def batch_rows(batch: int) -> dict[str, list[dict]]:
    """Every demo table's rows of batch ``batch`` (column name -> value), keyed like DEMO_TABLES."""
    _check_batch(batch)
    return {key: _GENERATORS[key](batch) for key in DEMO_TABLES}


def next_batch_number(lakehouse: Lakehouse) -> int:
    """1 + the last batch in Bronze, read off ``usage.ingestion_date`` (batch n ingests on its day)."""
    usage = lakehouse.params.bronze(source_table("billing.usage").name)
    if not lakehouse.exists(usage):
        return 1
    from pyspark.sql import functions as F

    last_day = lakehouse.spark.table(usage).agg(F.max("ingestion_date")).first()[0]
    return 1 if last_day is None else (last_day - BASE_DAY).days + 2


def append_batch(
    lakehouse: Lakehouse, batch: int, scale: int = 1, tables: Iterable[str] | None = None
) -> dict[str, int]:
    """Write demo batch ``batch`` to Bronze (tables created on first write); rows written per
    full table name. ``scale`` > 1 writes that many copies of each event table's rows
    (:mod:`framework.demo.scale`); dimensions, snapshots and prices are written once.
    ``tables`` (keys of DEMO_TABLES) writes only those, for callers that need a few: a Delta
    commit costs about a second locally, and a batch has 35.

    ``usage`` is always written, and last: it is what :func:`next_batch_number` reads, so a
    batch that failed half-way counts as not written, and writing it again re-delivers what it
    had written (duplicates, which Bronze must tolerate anyway).
    """
    _check_batch(batch)
    check_scale(scale)
    wanted = set(DEMO_TABLES if tables is None else tables) | {"billing.usage"}
    unknown = sorted(wanted - set(DEMO_TABLES))
    if unknown:
        raise DemoDataError(f"unknown demo tables {unknown}; valid keys are: {', '.join(DEMO_TABLES)}")
    rows_by_table = {key: _GENERATORS[key](batch) for key in DEMO_TABLES if key in wanted}
    next_batch = next_batch_number(lakehouse)
    if batch < next_batch:
        raise DemoDataError(
            f"demo batch {batch} is already in {lakehouse.params.bronze_schema!r}; "
            f"the next batch is {next_batch}"
        )

    def write_one(key: str) -> tuple[str, int]:
        table, rows = source_table(key), rows_by_table[key]
        data = amplify(frame(lakehouse.spark, table, rows), key, scale)
        full_name = write(lakehouse, table, data, replace=key in SNAPSHOT_TABLES)
        return full_name, len(rows) * (scale if key in REKEYED else 1)

    # Tables are independent: their commits overlap (the driver's share of a small Delta write
    # is most of it), which saves a fifth to a quarter of a batch locally. Usage goes last.
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        written = dict(pool.map(write_one, [key for key in rows_by_table if key != "billing.usage"]))
    written.update([write_one("billing.usage")])
    return written

"""More volume for the same cases: ``scale`` copies of a batch's event rows, made by Spark.

Why copies, and why in Spark: the cases (corrections, slices, late versions, duplicates) are
written once, in Python, at a size a test can read; volume for benchmarks and large demos
(a million usage rows) must not go through Python dicts. So each append-only table's batch is
cross-joined with ``spark.range(scale)`` and copy ``k`` gets new ids for the row's own events,
computed from the original id and ``k`` by a hash: copy 0 is the original row, and the same
(id, k) gives the same new id in every table and every batch. Hence copies stay consistent with
each other (copy ``k`` of a task run names copy ``k`` of its job run; copy ``k`` of a
RETRACTION cancels copy ``k`` of its ORIGINAL; a run spanning two batches keeps one id) and
with what is not copied: entities (workspaces, jobs, clusters, warehouses, pipelines,
endpoints, experiments, tables) keep their ids, so every copy's foreign keys still resolve.

Not copied: SCD2 and snapshot tables (the world does not grow with volume), prices, and the
event tables keyed only by their content (warehouse events, marketplace events, data quality
results), where a copy could only be a duplicate.
"""

from __future__ import annotations

from framework.errors import DemoDataError

# table -> id columns rewritten per copy; a dotted path is a field of a struct column
REKEYED: dict[str, tuple[str, ...]] = {
    "billing.usage": ("record_id", "usage_metadata.job_run_id", "usage_metadata.dlt_update_id"),
    "billing.cloud_infra_cost": ("record_id",),
    "lakeflow.job_run_timeline": ("run_id",),
    "lakeflow.job_task_run_timeline": ("run_id", "job_run_id", "parent_run_id"),
    "lakeflow.pipeline_update_timeline": ("update_id", "request_id", "trigger_details.job_task.job_task_run_id"),
    "compute.node_timeline": ("instance_id",),
    "query.history": ("statement_id", "session_id", "cache_origin_statement_id",
                      "query_source.job_info.job_run_id", "query_source.job_info.job_task_run_id"),
    "access.audit": ("event_id", "request_id", "session_id"),
    "access.assistant_events": ("event_id",),
    "access.inbound_network": ("event_id",),
    "access.outbound_network": ("event_id",),
    "access.clean_room_events": ("event_id", "run_notebook_started_metadata.run_id", "run_notebook_completed_metadata.run_id"),
    "access.table_lineage": ("record_id", "event_id", "statement_id", "entity_run_id",
                             "entity_metadata.job_info.job_run_id", "entity_metadata.dlt_pipeline_info.dlt_update_id"),
    "access.column_lineage": ("record_id", "event_id", "statement_id", "entity_run_id",
                              "entity_metadata.job_info.job_run_id", "entity_metadata.dlt_pipeline_info.dlt_update_id"),
    "serving.endpoint_usage": ("databricks_request_id", "client_request_id"),
    "__internal_logging.payload_logs": ("databricks_request_id", "client_request_id"),  # as its usage row's copy
    "mlflow.run_metrics_history": ("record_id",),
    "storage.predictive_optimization_operations_history": ("operation_id",),
}
COPIES_PER_TASK = 1000  # about 200,000 usage rows per task (and per Delta file)
_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def check_scale(scale: object) -> int:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise DemoDataError(f"demo scale must be an integer >= 1, found {scale!r}")
    return scale


def rekey_sql(column: str, copy: str = "_copy") -> str:
    """SQL for copy ``copy`` of id ``column``, in the id's own format (UUID, digits, hex)."""
    digest = f"sha2(concat({column}, '#', cast({copy} AS STRING)), 256)"
    return (
        f"CASE WHEN {copy} = 0 OR {column} IS NULL THEN {column} "
        f"WHEN {column} RLIKE '{_UUID}' THEN concat_ws('-', substr({digest}, 1, 8), substr({digest}, 9, 4), "
        f"substr({digest}, 13, 4), substr({digest}, 17, 4), substr({digest}, 21, 12)) "
        f"WHEN {column} RLIKE '^[0-9]+$' THEN substr(concat(conv(substr({digest}, 1, 15), 16, 10), "
        f"conv(substr({digest}, 16, 15), 16, 10)), 1, length({column})) "
        f"ELSE substr({digest}, 1, length({column})) END"
    )


def amplify(frame, key: str, scale: int):
    """``frame`` (one batch of table ``key``) as ``scale`` copies; unchanged for other tables."""
    from pyspark.sql import functions as F

    paths = REKEYED.get(key)
    if scale == 1 or not paths:
        return frame
    fields = frame.schema.fields
    # the copies spread over several tasks (the local session's default parallelism is 1)
    partitions = max(1, min(scale, scale // COPIES_PER_TASK + 1))
    copies = frame.sparkSession.range(0, scale, 1, partitions).withColumnRenamed("id", "_copy")
    out = copies.crossJoin(F.broadcast(frame))  # the copies' tasks each take the whole batch
    for path in paths:
        top, _, rest = path.partition(".")
        quoted = ".".join(f"`{part}`" for part in path.split("."))
        new = F.expr(rekey_sql(quoted))
        out = out.withColumn(top, new if not rest else F.col(f"`{top}`").withField(rest, new))
    # the columns in their order, with their comments (withColumn drops a column's metadata)
    return out.select([F.col(f"`{f.name}`").alias(f.name, metadata=f.metadata) for f in fields])

"""The run-audit and quarantine tables, written through one boundary each.

:class:`AuditRow` *is* the audit table's schema (field order = column order of
``control_tables/gold_run_audit.sql``); a test holds the two together.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.platform.lakehouse import Lakehouse

AUDIT_TABLE = "gold_run_audit"
QUARANTINE_TABLE = "gold_quarantine"

SUCCEEDED, FAILED, SKIPPED, VALIDATION_FAILED = "SUCCEEDED", "FAILED", "SKIPPED", "VALIDATION_FAILED"
DISABLED = "disabled in the control table"  # the one SKIPPED reason that does not skip the table's dependents
DEPENDENCY_FAILED = "dependency failed: "  # the SKIPPED reason of a table whose dependency did not succeed (names follow)


@dataclass(frozen=True)
class AuditRow:
    run_id: str
    job_run_id: str | None
    table_name: str
    domain: str | None
    load_type: str | None
    status: str
    started_at: datetime
    ended_at: datetime
    duration_seconds: float | None = None
    rows_read: int | None = None
    rows_deduplicated: int | None = None
    rows_inserted: int | None = None
    rows_updated: int | None = None
    rows_deleted: int | None = None
    rows_quarantined: int | None = None
    watermark_from: str | None = None
    watermark_to: str | None = None
    target_version: int | None = None
    full_refresh: bool | None = None
    unused_source_columns: list[str] | None = None
    failed_checks: list[str] | None = None
    error_message: str | None = None
    step_seconds: dict[str, float] | None = None



def write_audit(lakehouse: Lakehouse, rows: list[AuditRow]) -> None:
    """Append audit rows (append-only: concurrent writers never conflict)."""
    if not rows:
        return
    name = lakehouse.params.control(AUDIT_TABLE)
    schema = lakehouse.spark.table(name).schema
    df = lakehouse.spark.createDataFrame([astuple(r) for r in rows], schema)
    df.write.format("delta").mode("append").saveAsTable(name)


def write_quarantine(lakehouse: Lakehouse, table: str, run_id: str, at: datetime, rows: DataFrame) -> None:
    """Append the rows moved aside by warn checks: one row per source row and failed check."""
    name = lakehouse.params.control(QUARANTINE_TABLE)
    out = rows.select(
        F.lit(run_id).alias("run_id"),
        F.lit(table).alias("table_name"),
        F.col("check_name"),
        F.col("severity"),
        F.col("row_json"),
        F.lit(at).cast("timestamp").alias("quarantined_at"),
    )
    out.write.format("delta").mode("append").saveAsTable(name)

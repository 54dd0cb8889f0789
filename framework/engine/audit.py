"""The run-audit and quarantine tables, written through one boundary each.

:class:`AuditRow` *is* the audit table's schema (field order = column order of
``control_tables/gold_run_audit.sql``); a test holds the two together.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.platform.commit_retry import retry_on_conflict
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_ident, quote_table, sql_literal

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
    recovered_from: str | None = None  # the crashed run whose Gold commit this run found unrecorded (framework.engine.recovery)



def write_audit(lakehouse: Lakehouse, rows: list[AuditRow]) -> None:
    """Append audit rows (append-only: concurrent writers never conflict), as one ``INSERT ...
    VALUES`` of literals: no DataFrame built from Python rows, no Python worker to decode them."""
    if not rows:
        return
    name = lakehouse.params.control(AUDIT_TABLE)
    fields = lakehouse.spark.table(quote_table(name)).schema.fields
    columns = ", ".join(quote_ident(f.name) for f in fields)
    values = ", ".join("(" + ", ".join(sql_literal(v, f.dataType) for v, f in zip(astuple(r), fields, strict=True)) + ")" for r in rows)
    with lakehouse.writing(name):
        lakehouse.spark.sql(f"INSERT INTO {quote_table(name)} ({columns}) VALUES {values}")


def write_quarantine(lakehouse: Lakehouse, table: str, run_id: str, at: datetime, rows: DataFrame) -> None:
    """Add the rows set aside: one row per source row and failed rule, each once.

    Insert-only MERGE on (table, check, row): a batch read again (a re-run after a crash, the
    lookback's overlap) does not quarantine a row twice; the row keeps the run that first set it
    aside. The quarantine is small and read rarely, so the MERGE's scan of it is cheap.
    """
    name = lakehouse.params.control(QUARANTINE_TABLE)
    spark = lakehouse.spark
    out = rows.select(
        F.lit(run_id).alias("run_id"),
        F.lit(table).alias("table_name"),
        F.col("check_name"),
        F.col("severity"),
        F.col("row_json"),
        F.lit(at).cast("timestamp").alias("quarantined_at"),
    ).dropDuplicates(["check_name", "row_json"])
    view = f"__hm_quarantine_{table}"
    out.createOrReplaceTempView(view)

    def insert_new() -> None:  # insert-only: against a newer snapshot after a lost commit race, it is still right
        with lakehouse.writing(name):
            spark.sql(
                f"MERGE INTO {quote_table(name)} AS t USING {quote_ident(view)} AS s "
                "ON t.table_name = s.table_name AND t.check_name = s.check_name AND t.row_json <=> s.row_json "
                "WHEN NOT MATCHED THEN INSERT *"
            )

    try:
        retry_on_conflict(insert_new, what=f"quarantining rows of {table}")
    finally:
        spark.catalog.dropTempView(view)

"""`healthmon status`: per table, enabled, last status, watermark, freshness and rows.

Freshness is the time since the table's last SUCCEEDED run, computed against the injected clock.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import DataFrame

from framework.engine.audit import AUDIT_TABLE
from framework.platform.control_columns import CONTROL_TABLE
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table, sql_timestamp


def status_frame(lakehouse: Lakehouse, now: datetime) -> DataFrame:
    control = quote_table(lakehouse.params.control(CONTROL_TABLE))
    audit = quote_table(lakehouse.params.control(AUDIT_TABLE))
    return lakehouse.spark.sql(
        f"""
        WITH last_ok AS (
          SELECT table_name, max(ended_at) AS last_success_at
          FROM {audit} WHERE status = 'SUCCEEDED' GROUP BY table_name
        ), last_run AS (
          SELECT table_name, rows_read, rows_inserted, rows_updated, rows_deleted, rows_quarantined, error_message
          FROM (SELECT *, row_number() OVER (PARTITION BY table_name ORDER BY ended_at DESC, started_at DESC) AS rn FROM {audit})
          WHERE rn = 1
        )
        SELECT c.table_name, c.domain, c.enabled, c.load_type, c.last_status, c.watermark_value,
               c.last_run_at, o.last_success_at,
               round((unix_micros({sql_timestamp(now)}) - unix_micros(o.last_success_at)) / 3.6e9, 2) AS hours_since_success,
               r.rows_read, r.rows_inserted, r.rows_updated, r.rows_deleted, r.rows_quarantined, r.error_message
        FROM {control} c
        LEFT JOIN last_ok o ON o.table_name = c.table_name
        LEFT JOIN last_run r ON r.table_name = c.table_name
        ORDER BY c.domain, c.table_name
        """
    )

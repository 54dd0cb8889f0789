"""Rendering query results and run summaries for the terminal and for scripts.

``--format json`` prints one JSON array of objects and nothing else on stdout: timestamps and
dates as ISO-8601 strings, decimals as numbers, structs/maps/arrays as JSON. Spark's own JSON
writer does the conversion (so nested types come out exactly), with null fields kept.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine.audit import AuditRow
from framework.platform.sqltext import quote_ident

JSON_OPTIONS = {
    "ignoreNullFields": "false",
    "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "timestampNTZFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSS",
    "dateFormat": "yyyy-MM-dd",
}


def records(df: DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts in column order (one Spark pass)."""
    columns = df.columns
    packed = df.select(F.to_json(F.struct(*[F.col(quote_ident(c)) for c in columns]), JSON_OPTIONS).alias("j"))
    out = []
    for row in packed.collect():
        data = json.loads(row["j"])
        out.append({c: data.get(c) for c in columns})
    return out


def to_json(df: DataFrame) -> str:
    return json.dumps(records(df), ensure_ascii=False)


def to_csv(df: DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(df.columns)
    for rec in records(df):
        writer.writerow(["" if v is None else json.dumps(v) if isinstance(v, (dict, list)) else v for v in rec.values()])
    return buffer.getvalue()


def table(headers: list[str], rows: Iterable[list]) -> str:
    """A plain aligned text table."""
    rows = [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


SUMMARY_HEADERS = ["domain", "table", "status", "read", "dedup", "inserted", "updated", "deleted", "quarantined", "watermark", "seconds"]


def run_summary(rows: Iterable[AuditRow]) -> str:
    """One line per table, by domain then table (37 tables read as 13 groups)."""
    body = [
        [
            r.domain, r.table_name, r.status, r.rows_read, r.rows_deduplicated, r.rows_inserted, r.rows_updated,
            r.rows_deleted, r.rows_quarantined, r.watermark_to,
            None if r.duration_seconds is None else f"{r.duration_seconds:.1f}",
        ]
        for r in sorted(rows, key=lambda r: (r.domain or "", r.table_name))
    ]
    return table(SUMMARY_HEADERS, body)


PLAN_HEADERS = ["domain", "table", "status", "watermark from", "watermark to", "would read", "insert", "update", "delete", "quarantine"]


def plan_summary(rows: Iterable[AuditRow]) -> str:
    """A dry run, one line per table: the window it would read (from the stored watermark, less the
    table's lookback, to the highest watermark value of the rows it would read), the rows it would
    read, and what its write would insert, update, delete and set aside."""
    body = [
        [r.domain, r.table_name, r.status, r.watermark_from, r.watermark_to, r.rows_read, r.rows_inserted, r.rows_updated, r.rows_deleted,
         r.rows_quarantined]
        for r in sorted(rows, key=lambda r: (r.domain or "", r.table_name))
    ]
    return table(PLAN_HEADERS, body)

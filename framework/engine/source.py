"""Reading a table's source: the incremental window between the watermark and a fixed upper bound.

The lower bound is the stored watermark minus ``lookback`` (inclusive, so rows at the watermark
instant and late rows inside the lookback are re-read; the MERGE is idempotent). The upper bound
is the source's maximum watermark value, read once when the table's run starts; the watermark
advances to it only after the Gold commit. Bounds travel as strings formatted by Spark in the
session time zone, never through Python datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from framework.errors import SourceError
from framework.metadata.spec import TableSpec
from framework.metadata.vetting import lookback_interval_sql
from framework.platform.sqltext import quote_ident, quote_table, sql_string


@dataclass(frozen=True)
class SourceWindow:
    """The rows to process and the bounds they were cut with."""

    df: DataFrame
    source: DataFrame  # the whole (filtered) source: scd2 re-reads the history of the keys it touches
    watermark_from: str | None  # the stored watermark the window started from
    watermark_to: str | None  # the upper bound; the new watermark after the commit
    empty: bool  # nothing new: the run can stop here
    unused_columns: tuple[str, ...]


def open_source(spark: SparkSession, spec: TableSpec, source_table: str) -> DataFrame:
    """The source as a DataFrame, or a SourceError naming the table and the source."""
    name = quote_table(source_table)
    if not spark.catalog.tableExists(source_table):
        raise SourceError(f"{spec.table_name}: source table {source_table!r} does not exist (source_table)")
    return spark.table(name)


def referenced_names(spec: TableSpec) -> set[str]:
    """Identifiers the metadata's source expressions mention (a cheap, conservative scan)."""
    texts = [c.expr for c in spec.columns] + [
        spec.sequence_by, spec.source_filter, spec.delete_condition, spec.watermark_column
    ] + [j.on for j in spec.joins] + [spec.explode.expr if spec.explode else None]
    words: set[str] = set()
    for text in texts:
        if text:
            words.update(w.lower() for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    return words


def unused_columns(spec: TableSpec, columns: list[str]) -> tuple[str, ...]:
    """Source columns no expression of the metadata mentions (reported in the audit, ignored)."""
    used = referenced_names(spec)
    return tuple(c for c in columns if c.lower() not in used)


def read_window(
    spark: SparkSession,
    spec: TableSpec,
    source_table: str,
    watermark: str | None,
    *,
    full_refresh: bool = False,
) -> SourceWindow:
    df = open_source(spark, spec, source_table)
    unused = unused_columns(spec, df.columns)
    if spec.source_filter:
        df = df.where(F.expr(spec.source_filter))
    whole = df
    wm = spec.watermark_column
    if wm is None:
        return SourceWindow(df, whole, None, None, False, unused)
    if wm not in df.columns:
        raise SourceError(
            f"{spec.table_name}: watermark_column {wm!r} is not a column of source {source_table!r}; "
            f"source columns are: {', '.join(df.columns)}"
        )
    wm_type = df.schema[wm].dataType.simpleString()
    column = F.col(quote_ident(wm))
    start = None if full_refresh else watermark
    if start is not None:
        lower = f"CAST({sql_string(start)} AS {wm_type})"
        if spec.lookback:
            lower = f"{lower} - {lookback_interval_sql(spec.lookback)}"
        df = df.where(column >= F.expr(lower))
    highest = F.max(column)
    if watermark is not None:  # a watermark never moves backwards (e.g. after a full refresh)
        highest = F.greatest(highest, F.expr(f"CAST({sql_string(watermark)} AS {wm_type})"))
    bounds = df.agg(
        F.max(column).cast("string").alias("upper"), highest.cast("string").alias("next")
    ).first()
    if bounds["upper"] is None:
        return SourceWindow(df.limit(0), whole, watermark, watermark, True, unused)
    df = df.where(column <= F.expr(f"CAST({sql_string(bounds['upper'])} AS {wm_type})"))
    return SourceWindow(df, whole, watermark, bounds["next"], False, unused)

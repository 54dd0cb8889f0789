"""Reading a table's source: the incremental window from the watermark on, and where it ends.

The lower bound is the stored watermark minus ``lookback`` (inclusive, so rows at the watermark
instant and late rows inside the lookback are re-read; the MERGE is idempotent). There is no
separate query for the upper bound: the prepared batch carries each source row's watermark value
(``_hm_watermark``, :mod:`framework.engine.transform`), and the validation scan of the
materialized batch takes its maximum (:meth:`SourceWindow.next_watermark`). The window's rows and
its upper bound therefore come from one read of one snapshot: a commit landing during the run is
either wholly in the batch and below the new watermark, or left for the next run. The watermark
advances to that bound only after the Gold commit. Bounds travel as strings formatted by Spark in
the session time zone, never through Python datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from framework.engine.columns import WATERMARK
from framework.errors import SourceAbsentError, SourceError
from framework.metadata.spec import TableSpec
from framework.metadata.vetting import lookback_interval_sql
from framework.platform.sqltext import quote_ident, quote_table, sql_string


@dataclass(frozen=True)
class SourceWindow:
    """The rows to process, cut at the lower bound; where the next window starts comes from the batch."""

    df: DataFrame
    source: DataFrame  # the whole (filtered) source: scd2 re-reads the history of the keys it touches
    watermark_from: str | None  # the stored watermark the window started from
    watermark_type: str | None  # the watermark column's Spark SQL type; None: no watermark (the whole source)
    unused_columns: tuple[str, ...]

    def next_watermark(self) -> Column | None:
        """An aggregate over the prepared batch: the highest watermark value it read, never below the
        stored one (after a full refresh the watermark does not move backwards), as a Spark string;
        NULL for an empty batch. None when the table has no watermark."""
        if self.watermark_type is None:
            return None
        highest = F.max(F.col(WATERMARK))
        if self.watermark_from is not None:
            highest = F.greatest(highest, F.expr(f"CAST({sql_string(self.watermark_from)} AS {self.watermark_type})"))
        return F.when(F.max(F.col(WATERMARK)).isNotNull(), highest).cast("string")


def open_source(spark: SparkSession, spec: TableSpec, source_table: str) -> DataFrame:
    """The source as a DataFrame, or a SourceError naming the table and the source (a
    SourceAbsentError when the metadata says the source may be absent: the table is then SKIPPED)."""
    name = quote_table(source_table)
    if not spark.catalog.tableExists(source_table):
        if spec.source_optional:
            raise SourceAbsentError(f"source {source_table} does not exist (source_optional)")
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
        return SourceWindow(df, whole, None, None, unused)
    if wm not in df.columns:
        raise SourceError(
            f"{spec.table_name}: watermark_column {wm!r} is not a column of source {source_table!r}; "
            f"source columns are: {', '.join(df.columns)}"
        )
    wm_type = df.schema[wm].dataType.simpleString()
    start = None if full_refresh else watermark
    if start is not None:
        lower = f"CAST({sql_string(start)} AS {wm_type})"
        if spec.lookback:
            lower = f"{lower} - {lookback_interval_sql(spec.lookback)}"
        df = df.where(F.col(quote_ident(wm)) >= F.expr(lower))
    return SourceWindow(df, whole, watermark, wm_type, unused)

"""What a prepared batch holds, measured in the same one scan as its checks.

The runner needs, besides the checks' verdict, the batch's counts (``rows_read``,
``rows_deduplicated`` for the audit), its key range (so the diff and the MERGE read only Gold
files that can hold its keys) and the window's upper watermark (where the next window starts).
Each is an aggregate over the materialized batch; :func:`scan` computes them together with the
checks' failure counts (:func:`framework.engine.validate.check_measures`) in one ``agg``, so
however many there are, the batch is read once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from framework.engine.columns import IS_DELETE, SOURCE_ROWS
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident

Measures = list[tuple[str, Column]]


@dataclass(frozen=True)
class BatchStats:
    """The batch's counts, key range and upper watermark."""

    rows_read: int  # source rows the batch stands for (before dedup)
    rows_kept: int  # rows after dedup (deletions included), before the quarantine split
    key_ranges: dict[str, tuple[str, str]] | None  # key -> (min, max) as Spark strings; None: a NULL key
    watermark_to: str | None = None  # the highest watermark value read (None: no watermark or no rows)
    deletions: int = 0  # rows that delete their key (counted where the load type keeps tombstones)

    @property
    def rows_deduplicated(self) -> int:
        return self.rows_read - self.rows_kept


def stat_measures(spec: TableSpec, upper_watermark: Column | None, *, deletions: bool = False) -> Measures:
    """(name, aggregate) of every statistic; names start with ``_`` (they are not checks).
    ``deletions``: count the rows that delete their key too."""
    out: Measures = [
        ("_read", F.coalesce(F.sum(SOURCE_ROWS), F.lit(0))),
        ("_kept", F.count(F.lit(1))),
    ]
    for i, k in enumerate(spec.primary_keys):
        column = F.col(quote_ident(k))
        out += [
            (f"_nulls_{i}", F.sum(F.when(column.isNull(), 1).otherwise(0))),
            (f"_lo_{i}", F.min(column).cast("string")),
            (f"_hi_{i}", F.max(column).cast("string")),
        ]
    if upper_watermark is not None:
        out.append(("_watermark_to", upper_watermark))
    if deletions:
        out.append(("_deletions", F.sum(F.when(F.col(IS_DELETE), 1).otherwise(0))))
    return out


def scan(batch: DataFrame, measures: Measures) -> dict[str, object]:
    """Every aggregate of ``measures`` over ``batch`` in one pass, by name."""
    row = batch.agg(*[column.alias(f"m{i}") for i, (_, column) in enumerate(measures)]).first()
    return {name: row[f"m{i}"] for i, (name, _) in enumerate(measures)}


def batch_stats(spec: TableSpec, values: dict[str, object]) -> BatchStats:
    """The statistics out of a :func:`scan` that included :func:`stat_measures`."""
    keys = range(len(spec.primary_keys))
    ranges = None
    if not any(values[f"_nulls_{i}"] for i in keys) and all(values[f"_lo_{i}"] is not None for i in keys):
        ranges = {k: (values[f"_lo_{i}"], values[f"_hi_{i}"]) for i, k in enumerate(spec.primary_keys)}
    return BatchStats(int(values["_read"] or 0), int(values["_kept"] or 0), ranges, values.get("_watermark_to"),
                      int(values.get("_deletions") or 0))

"""Deleted keys remembered, so that an older version arriving later does not bring one back.

scd1 and fact_upsert remove a key's Gold row when its deletion arrives; the row's ``sequence_by``
value goes with it, so the MERGE's guard (an older version never overwrites a newer) has nothing
to compare a late, older version with, and that version would insert the key again. So the
deletions of such a table (:meth:`~framework.engine.loads.base.LoadType.keeps_tombstones`) are
kept in ``gold_tombstones`` (table, key as JSON, the deletion's sequence value), and a batch's
versions at or before a key's tombstone are not applied. A newer version re-creates the key, as
before. Tombstones are written with the quarantine, before the Gold commit (so the commit's marker
still means the whole batch is written), and kept for the table's ``tombstone_retention``
(forever when NULL); expired ones are removed by the same MERGE that records new ones.

scd2 needs none of this: a deletion is a version of ``<name>_history`` and stays the last one.
"""

from __future__ import annotations

from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from framework.engine.columns import IS_DELETE, SEQ
from framework.metadata.spec import TableSpec
from framework.metadata.vetting import lookback_interval_sql
from framework.platform.commit_retry import retry_on_conflict
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_ident, quote_table, sql_string, sql_timestamp

TOMBSTONE_TABLE = "gold_tombstones"


def _table(lakehouse: Lakehouse) -> str:
    return quote_table(lakehouse.params.control(TOMBSTONE_TABLE))


def key_json(spec: TableSpec) -> Column:
    """The key of a batch row as the tombstone stores it (JSON of the key columns, in key order)."""
    return F.to_json(F.struct(*[F.col(quote_ident(k)) for k in spec.primary_keys]))


def _cutoff(spec: TableSpec, now: datetime) -> str | None:
    """The SQL instant before which a tombstone has expired, or None (kept for good)."""
    if spec.tombstone_retention is None:
        return None
    return f"{sql_timestamp(now)} - {lookback_interval_sql(spec.tombstone_retention)}"


def live(lakehouse: Lakehouse, spec: TableSpec, now: datetime) -> DataFrame:
    """The table's unexpired tombstones: (key_json, sequence)."""
    stones = lakehouse.spark.table(_table(lakehouse)).where(F.col("table_name") == spec.table_name)
    cutoff = _cutoff(spec, now)
    if cutoff is not None:
        stones = stones.where(F.expr(f"deleted_at >= {cutoff}"))
    return stones.select(F.col("key_json").alias("_hm_tomb_key"), F.col("sequence").alias("_hm_tomb_seq"))


def unburied(spec: TableSpec, rows: DataFrame, stones: DataFrame) -> DataFrame:
    """``rows`` without the versions a tombstone keeps out: not deletions, at or before the key's
    deletion. A newer version (or one without a sequence value) passes; so do deletions, which
    a re-read after a crash must still apply."""
    seq_type = rows.schema[SEQ].dataType
    buried = (F.col("_hm_tomb_key") == key_json(spec)) & ~F.col(IS_DELETE) & (F.col(SEQ) <= F.col("_hm_tomb_seq").cast(seq_type))
    return rows.join(F.broadcast(stones), buried, "left_anti")


def record(lakehouse: Lakehouse, spec: TableSpec, rows: DataFrame, run_id: str, now: datetime) -> None:
    """Remember the batch's deletions (a key's newest one wins) and drop the table's expired tombstones, in one MERGE."""
    seq_type = rows.schema[SEQ].dataType.simpleString()
    deletions = rows.where(F.col(IS_DELETE)).select(key_json(spec).alias("key_json"), F.col(SEQ).cast("string").alias("sequence"))
    view = f"__hm_tombstones_{spec.table_name}"
    deletions.createOrReplaceTempView(view)
    table = sql_string(spec.table_name)
    newer = f"CAST(s.sequence AS {seq_type}) > CAST(t.sequence AS {seq_type})"
    cutoff = _cutoff(spec, now)
    expire = "" if cutoff is None else f" WHEN NOT MATCHED BY SOURCE AND t.table_name = {table} AND t.deleted_at < {cutoff} THEN DELETE"
    statement = (
        f"MERGE INTO {_table(lakehouse)} AS t USING {quote_ident(view)} AS s "
        f"ON t.table_name = {table} AND t.key_json = s.key_json "
        f"WHEN MATCHED AND {newer} THEN UPDATE SET sequence = s.sequence, deleted_at = {sql_timestamp(now)}, run_id = {sql_string(run_id)} "
        f"WHEN NOT MATCHED THEN INSERT (table_name, key_json, sequence, deleted_at, run_id) "
        f"VALUES ({table}, s.key_json, s.sequence, {sql_timestamp(now)}, {sql_string(run_id)}){expire}"
    )

    def merge() -> None:  # sets values only: against a newer snapshot after a lost commit race, it is still right
        with lakehouse.writing(lakehouse.params.control(TOMBSTONE_TABLE)):
            lakehouse.spark.sql(statement)

    try:
        retry_on_conflict(merge, what=f"recording deletions of {spec.table_name}")
    finally:
        lakehouse.spark.catalog.dropTempView(view)

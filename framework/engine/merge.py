"""The Gold write: find what really changed, then one MERGE (or one overwrite) with its metrics.

Every load type is reduced to the same two steps:

1. **diff** — join the prepared batch with the Gold table and keep only rows that will change
   something (new keys, changed values, newer versions, deletions). A re-run with no new data
   yields no rows and the MERGE is skipped, so the Gold table's Delta version does not move.
2. **merge** — a :class:`MergePlan` (immutable clauses, null-safe keys, options named as
   dbt-databricks names them) rendered to one ``MERGE INTO`` over the diff.

Counts come from the commit's ``operationMetrics`` (found by the run id stored in the commit's
``userMetadata``), never from extra ``count()`` scans.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from framework.engine.columns import (
    IS_CURRENT,
    IS_DELETE,
    ORIGIN,
    RUN_ID,
    SEQ,
    UPDATED_AT,
    VALID_FROM,
    VALID_TO,
)
from framework.engine.folds import all_of
from framework.engine.target import TargetLayout
from framework.engine.transform import comparable, tie_break_values
from framework.errors import MergeError
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident, quote_table


# -- the MERGE statement ------------------------------------------------------------------------
@dataclass(frozen=True)
class WhenClause:
    """One WHEN clause: ``matched`` is 'MATCHED' or 'NOT MATCHED'; action DELETE/UPDATE/INSERT."""

    matched: str
    action: str
    condition: str | None = None


@dataclass(frozen=True)
class MergePlan:
    """A MERGE as data: what :meth:`sql` runs is what ``--dry-run`` and tests see."""

    target: str
    source: str
    unique_key: tuple[str, ...]
    merge_update_columns: tuple[str, ...]
    insert_columns: tuple[str, ...]
    clauses: tuple[WhenClause, ...] = field(default_factory=tuple)

    def on(self) -> str:
        return " AND ".join(f"t.{quote_ident(k)} <=> s.{quote_ident(k)}" for k in self.unique_key)

    def sql(self) -> str:
        lines = [f"MERGE INTO {quote_table(self.target)} AS t", f"USING {quote_ident(self.source)} AS s", f"ON {self.on()}"]
        for clause in self.clauses:
            head = f"WHEN {clause.matched}" + (f" AND {clause.condition}" if clause.condition else "")
            if clause.action == "DELETE":
                lines.append(f"{head} THEN DELETE")
            elif clause.action == "UPDATE":
                sets = ", ".join(f"{quote_ident(c)} = s.{quote_ident(c)}" for c in self.merge_update_columns)
                lines.append(f"{head} THEN UPDATE SET {sets}")
            else:
                cols = ", ".join(quote_ident(c) for c in self.insert_columns)
                vals = ", ".join(f"s.{quote_ident(c)}" for c in self.insert_columns)
                lines.append(f"{head} THEN INSERT ({cols}) VALUES ({vals})")
        return "\n".join(lines)


def plan_merge(spec: TableSpec, target_layout: TargetLayout, target: str, source_view: str) -> MergePlan:
    """The MERGE for a load type; the diff has already removed everything that would not change."""
    columns = tuple(f.name for f in target_layout.schema.fields)
    updatable = tuple(c for c in columns if c not in target_layout.merge_keys)
    is_delete = f"s.{IS_DELETE}"
    if spec.load_type == "fact_insert":
        clauses = (WhenClause("NOT MATCHED", "INSERT"),)
    else:
        guard = None
        if spec.sequence_by and spec.load_type != "scd2":
            guard = f"(t.{SEQ} IS NULL OR s.{SEQ} IS NULL OR s.{SEQ} >= t.{SEQ})"
        both = (lambda c: f"{c} AND {guard}") if guard else (lambda c: c)
        clauses = (
            WhenClause("MATCHED", "DELETE", both(is_delete)),
            WhenClause("MATCHED", "UPDATE", both(f"NOT {is_delete}")),
            WhenClause("NOT MATCHED", "INSERT", f"NOT {is_delete}"),
        )
    return MergePlan(target, source_view, target_layout.merge_keys, updatable, columns, clauses)


# -- the diff -------------------------------------------------------------------------------------
def _same(left: str, right: str, names, schema) -> Column:
    """Null-safe equality of ``names`` between two aliases (maps compared as sorted entries)."""
    equal = []
    for name in names:
        dtype = schema[name].dataType
        a = comparable(F.col(f"{left}.{quote_ident(name)}"), dtype)
        b = comparable(F.col(f"{right}.{quote_ident(name)}"), dtype)
        equal.append(a.eqNullSafe(b))
    return all_of(equal)


def stamp(df: DataFrame, target_layout: TargetLayout, run_id: str, updated_at) -> DataFrame:
    """Project to the target's columns (plus the delete flag) with this run's stamp."""
    columns = []
    for f in target_layout.schema.fields:
        if f.name == RUN_ID:
            columns.append(F.lit(run_id).alias(RUN_ID))
        elif f.name == UPDATED_AT:
            columns.append(F.lit(updated_at).cast("timestamp").alias(UPDATED_AT))
        elif f.name in df.columns:
            columns.append(F.col(quote_ident(f.name)).cast(f.dataType).alias(f.name))
        else:
            columns.append(F.lit(None).cast(f.dataType).alias(f.name))
    return df.select(*columns, F.col(IS_DELETE))


def diff_upsert(spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame) -> DataFrame:
    """scd1 / fact_upsert / snapshot rows that insert, update or delete something."""
    keys = list(spec.primary_keys)
    t = gold.select(*[quote_ident(c) for c in gold.columns]).withColumn("_hm_present", F.lit(True))
    joined = batch.alias("s").join(t.alias("t"), _same("s", "t", keys, batch.schema), "left")
    present = F.col("t._hm_present").isNotNull()
    changed = ~_same("s", "t", lay.compared, batch.schema)
    newer = F.lit(True)
    if spec.sequence_by:
        newer = F.col(f"t.{SEQ}").isNull() | F.col(f"s.{SEQ}").isNull() | (F.col(f"s.{SEQ}") >= F.col(f"t.{SEQ}"))
    deleting = F.col(f"s.{IS_DELETE}")
    keep = (~present & ~deleting) | (present & newer & (deleting | changed))
    changes = joined.where(keep).select("s.*")
    if spec.load_type == "snapshot":  # keys absent from the full snapshot are deleted
        gone = gold.alias("t").join(batch.alias("s"), _same("t", "s", keys, batch.schema), "left_anti")
        changes = changes.unionByName(
            gone.select(*[quote_ident(k) for k in keys]).withColumn(IS_DELETE, F.lit(True)),
            allowMissingColumns=True,
        )
    return changes


def diff_insert(spec: TableSpec, batch: DataFrame, gold: DataFrame) -> DataFrame:
    """fact_insert: only keys the Gold table has never seen."""
    keys = list(spec.primary_keys)
    fresh = batch.where(~F.col(IS_DELETE)).alias("s")
    return fresh.join(gold.alias("t"), _same("s", "t", keys, batch.schema), "left_anti")


def scd2_history(spec: TableSpec, batch: DataFrame, existing: DataFrame) -> DataFrame:
    """Recompute the full version history of every key in the batch.

    Events are the batch's versions and deletions plus those implied by the Gold rows already
    stored for the same keys (each version, and a deletion wherever a closed version is not
    followed by the next one). Per key and instant one event survives (the batch's, as the newer
    delivery). Consecutive versions with equal tracked columns collapse into the first; a deletion
    closes the version before it. So late, out-of-order versions land in their place, and
    re-running the same batch recomputes the same history.
    """
    keys = [quote_ident(k) for k in spec.primary_keys]
    business = [quote_ident(c) for c in spec.column_names if c not in spec.primary_keys]
    by_key = Window.partitionBy(*keys).orderBy(VALID_FROM)
    stored = existing.withColumn("_hm_next_from", F.lead(VALID_FROM).over(by_key))
    from_versions = stored.select(
        *keys, *business, F.col(VALID_FROM).alias(SEQ), F.lit(False).alias(IS_DELETE), F.lit(1).alias(ORIGIN)
    )
    from_deletes = stored.where(
        F.col(VALID_TO).isNotNull()
        & (F.col("_hm_next_from").isNull() | (F.col("_hm_next_from") != F.col(VALID_TO)))
    ).select(*keys, *business, F.col(VALID_TO).alias(SEQ), F.lit(True).alias(IS_DELETE), F.lit(1).alias(ORIGIN))
    incoming = batch.select(*keys, *business, SEQ, IS_DELETE, F.lit(0).alias(ORIGIN))
    events = incoming.unionByName(from_versions).unionByName(from_deletes)

    one_per_instant = Window.partitionBy(*keys, SEQ).orderBy(
        F.col(ORIGIN).asc(), F.col(IS_DELETE).desc(), *[c.desc_nulls_last() for c in tie_break_values(spec, batch)]
    )
    events = events.withColumn("_hm_rank", F.row_number().over(one_per_instant)).where("_hm_rank = 1").drop("_hm_rank")

    in_order = Window.partitionBy(*keys).orderBy(SEQ)
    tracked = F.struct(*[comparable(F.col(quote_ident(c)), batch.schema[c].dataType) for c in spec.tracked_columns])
    prev_tracked = F.lag(tracked).over(in_order)
    prev_delete = F.lag(IS_DELETE).over(in_order)
    is_delete = F.col(IS_DELETE)
    keep = F.when(is_delete, prev_delete.isNotNull() & ~prev_delete).otherwise(
        prev_delete.isNull() | prev_delete | ~tracked.eqNullSafe(prev_tracked)
    )
    kept = events.withColumn("_hm_keep", keep).where("_hm_keep").drop("_hm_keep")
    next_seq = F.lead(SEQ).over(in_order)
    history = kept.withColumn(VALID_TO, next_seq).where(~F.col(IS_DELETE))
    return history.select(
        *keys,
        *business,
        F.col(SEQ).alias(VALID_FROM),
        F.col(VALID_TO),
        F.col(VALID_TO).isNull().alias(IS_CURRENT),
        F.lit(False).alias(IS_DELETE),
    )


def diff_scd2(spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame) -> DataFrame:
    """Versions to insert or update and stored versions to delete, for the batch's keys only."""
    keys = list(spec.primary_keys)
    affected = batch.select(*[F.col(quote_ident(k)).alias(f"_hm_k{i}") for i, k in enumerate(keys)]).distinct()
    on = all_of([F.col(quote_ident(k)).eqNullSafe(F.col(f"_hm_k{i}")) for i, k in enumerate(keys)])
    existing = gold.join(affected, on, "left_semi")
    history = scd2_history(spec, batch, existing)
    schema = history.schema
    upserts = history.alias("s").join(
        existing.alias("t"), _same("s", "t", list(lay.merge_keys) + list(lay.compared), schema), "left_anti"
    )
    stale = existing.alias("t").join(history.alias("s"), _same("t", "s", list(lay.merge_keys), schema), "left_anti")
    deletes = stale.select(*[quote_ident(k) for k in lay.merge_keys]).withColumn(IS_DELETE, F.lit(True))
    return upserts.unionByName(deletes, allowMissingColumns=True)


def desired_rows(spec: TableSpec, batch: DataFrame, empty_gold: DataFrame) -> DataFrame:
    """The whole Gold content computed from the batch alone (``--full-refresh``)."""
    if spec.load_type == "scd2":
        return scd2_history(spec, batch, empty_gold)
    return batch.where(~F.col(IS_DELETE))


def diff(spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame) -> DataFrame:
    if spec.load_type == "scd2":
        return diff_scd2(spec, lay, batch, gold)
    if spec.load_type == "fact_insert":
        return diff_insert(spec, batch, gold)
    return diff_upsert(spec, lay, batch, gold)


# -- applying it ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Commit:
    """What the Gold write did, read from the Delta commit."""

    version: int | None
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0
    operation: str | None = None


NO_COMMIT = Commit(None)


def _commit_for(spark: SparkSession, target: str, marker: str) -> Commit:
    history = spark.sql(f"DESCRIBE HISTORY {quote_table(target)} LIMIT 20").collect()
    for row in history:
        if row["userMetadata"] == marker:
            m = row["operationMetrics"] or {}
            if row["operation"] == "MERGE":
                return Commit(
                    row["version"],
                    int(m.get("numTargetRowsInserted", 0)),
                    int(m.get("numTargetRowsUpdated", 0)),
                    int(m.get("numTargetRowsDeleted", 0)),
                    "MERGE",
                )
            return Commit(row["version"], int(m.get("numOutputRows", 0)), 0, 0, row["operation"])
    raise MergeError(f"{target}: the commit of this run ({marker}) is not in the table history")


class _CommitTag:
    """Stores ``marker`` in the userMetadata of the commit(s) made inside the block."""

    KEY = "spark.databricks.delta.commitInfo.userMetadata"

    def __init__(self, spark: SparkSession, marker: str):
        self.spark, self.marker = spark, marker

    def __enter__(self):
        self.spark.conf.set(self.KEY, self.marker)

    def __exit__(self, *exc):
        self.spark.conf.unset(self.KEY)


def commit_marker(run_id: str, table: str, watermark_to: str | None) -> str:
    return json.dumps({"healthmon_run_id": run_id, "table": table, "watermark_to": watermark_to}, sort_keys=True)


def write_changes(spark: SparkSession, plan: MergePlan, changes: DataFrame, marker: str) -> Commit:
    """Run the MERGE over ``changes`` (already materialized); skip it when there is nothing."""
    if changes.isEmpty():
        return NO_COMMIT
    changes.createOrReplaceTempView(plan.source)
    try:
        with _CommitTag(spark, marker):
            spark.sql(plan.sql())
    finally:
        spark.catalog.dropTempView(plan.source)
    return _commit_for(spark, plan.target, marker)


def overwrite(spark: SparkSession, target: str, lay: TargetLayout, rows: DataFrame, view: str, marker: str) -> Commit:
    """Replace the whole Gold content in one commit (``--full-refresh``)."""
    rows.createOrReplaceTempView(view)
    columns = ", ".join(quote_ident(f.name) for f in lay.schema.fields)
    try:
        with _CommitTag(spark, marker):
            spark.sql(f"INSERT OVERWRITE TABLE {quote_table(target)} SELECT {columns} FROM {quote_ident(view)}")
    finally:
        spark.catalog.dropTempView(view)
    return _commit_for(spark, target, marker)

"""What each load type does to the Gold table: one class per behaviour, nothing else branches.

Every load type is reduced to the same steps, and each class below answers them for its type:

- **layout** — which Gold columns it adds, which columns are the MERGE key, which ones decide
  that a row changed;
- **diff** — join the prepared batch with the Gold table and keep only rows that will change
  something (new keys, changed values, newer versions, deletions). A re-run with no new data
  yields no rows, and a MERGE over no rows commits nothing, so the Gold table's Delta version
  does not move. (A MERGE's own clause conditions would not do: Delta rewrites every file holding
  a matched row, changed or not.) A load that only inserts (``inserts_only``) has no diff: Delta's
  insert-only MERGE is itself the anti join, and commits nothing when every key is known;
- **clauses** — the MERGE's WHEN clauses over that diff;
- **desired** — the whole Gold content from the batch alone (``--full-refresh``).

The rules of what metadata each type accepts are data in :mod:`framework.metadata.load_types`;
:data:`LOADS` maps the same names to the behaviour here (a test holds the two key sets equal).
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DataType, StringType, StructField, StructType, TimestampType

from framework.engine.columns import IS_CURRENT, IS_DELETE, ORIGIN, RUN_ID, SEQ, UPDATED_AT, VALID_FROM, VALID_TO
from framework.engine.compare import comparable, rows_of_keys, same, tie_break_values
from framework.engine.merge import MergePlan, WhenClause
from framework.engine.target import TargetLayout
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident, sql_string

# A batch of at most this many rows looks its keys up in Gold by broadcast (decision 99): Gold is
# scanned once, and the few Gold rows found are broadcast to the diff's join in turn.
SMALL_BATCH_ROWS = 200_000


class Upsert:
    """scd1 / fact_upsert: keyed upsert; with ``sequence_by`` an older version never overwrites a newer."""

    reads_whole_target = False  # only Gold rows of the batch's keys can change
    inserts_only = False  # True: the MERGE source is the batch itself (no diff), NOT MATCHED -> INSERT only

    def added_fields(self, spec: TableSpec, seq_type: DataType) -> list[StructField]:
        return [StructField(SEQ, seq_type, True)] if spec.sequence_by else []

    def merge_keys(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.primary_keys)

    def compared(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(c for c in spec.column_names if c not in spec.primary_keys)

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        is_delete = f"s.{IS_DELETE}"
        guard = f"(t.{SEQ} IS NULL OR s.{SEQ} IS NULL OR s.{SEQ} >= t.{SEQ})" if spec.sequence_by else None

        def both(condition: str) -> str:
            return f"{condition} AND {guard}" if guard else condition

        return (
            WhenClause("MATCHED", "DELETE", both(is_delete)),
            WhenClause("MATCHED", "UPDATE", both(f"NOT {is_delete}")),
            WhenClause("NOT MATCHED", "INSERT", f"NOT {is_delete}"),
        )

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        """Rows that insert, update or delete something (``small_batch``: see :data:`SMALL_BATCH_ROWS`)."""
        keys = list(spec.primary_keys)
        if small_batch:
            gold = F.broadcast(rows_of_keys(gold, batch, keys, broadcast=True))
        t = gold.select(*[quote_ident(c) for c in gold.columns]).withColumn("_hm_present", F.lit(True))
        joined = batch.alias("s").join(t.alias("t"), same("s", "t", keys, batch.schema), "left")
        present = F.col("t._hm_present").isNotNull()
        changed = ~same("s", "t", lay.compared, batch.schema)
        newer = F.lit(True)
        if spec.sequence_by:
            newer = F.col(f"t.{SEQ}").isNull() | F.col(f"s.{SEQ}").isNull() | (F.col(f"s.{SEQ}") >= F.col(f"t.{SEQ}"))
        deleting = F.col(f"s.{IS_DELETE}")
        keep = (~present & ~deleting) | (present & newer & (deleting | changed))
        return joined.where(keep).select("s.*")

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame) -> DataFrame:
        return batch.where(~F.col(IS_DELETE))

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        """Why the batch must not be written, or None."""
        return None


class Snapshot(Upsert):
    """snapshot: the read is the whole source; Gold keys absent from it are deleted."""

    reads_whole_target = True  # any Gold key may be absent from the snapshot

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        keys = list(spec.primary_keys)
        gone = gold.alias("t").join(batch.alias("s"), same("t", "s", keys, batch.schema), "left_anti")
        return super().diff(spec, lay, batch, gold, small_batch=small_batch).unionByName(
            gone.select(*[quote_ident(k) for k in keys]).withColumn(IS_DELETE, F.lit(True)),
            allowMissingColumns=True,
        )

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        if rows_read == 0:
            return f"snapshot source {spec.source_table!r} is empty; refusing to delete every Gold row"
        return None


class InsertOnly(Upsert):
    """fact_insert: only keys the Gold table has never seen; nothing is updated or deleted.

    No diff: the MERGE over the batch's rows with only ``WHEN NOT MATCHED THEN INSERT`` is Delta's
    insert-only MERGE, an anti join against the Gold files the key range keeps, written as an append.
    """

    inserts_only = True

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        return INSERT_ONLY


class History:
    """scd2: versions on ``[valid_from, valid_to)``; the batch's keys get their history recomputed."""

    reads_whole_target = False
    inserts_only = False

    def added_fields(self, spec: TableSpec, seq_type: DataType) -> list[StructField]:
        return [StructField(VALID_FROM, seq_type, True), StructField(VALID_TO, seq_type, True), StructField(IS_CURRENT, BooleanType(), True)]

    def merge_keys(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.primary_keys) + (VALID_FROM,)

    def compared(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.column_names) + (VALID_TO, IS_CURRENT)

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        is_delete = f"s.{IS_DELETE}"
        return (
            WhenClause("MATCHED", "DELETE", is_delete),
            WhenClause("MATCHED", "UPDATE", f"NOT {is_delete}"),
            WhenClause("NOT MATCHED", "INSERT", f"NOT {is_delete}"),
        )

    def history(self, spec: TableSpec, batch: DataFrame, existing: DataFrame) -> DataFrame:
        """Recompute the full version history of every key in the batch.

        Events are the batch's versions and deletions plus those implied by the Gold rows already
        stored for the same keys (each version, and a deletion wherever a closed version is not
        followed by the next one). Per key and instant one event survives (the batch's, as the
        newer delivery). Consecutive versions with equal tracked columns collapse into the first; a
        deletion closes the version before it. So late, out-of-order versions land in their place,
        and re-running the same batch recomputes the same history.
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
        history = kept.withColumn(VALID_TO, F.lead(SEQ).over(in_order)).where(~F.col(IS_DELETE))
        return history.select(
            *keys,
            *business,
            F.col(SEQ).alias(VALID_FROM),
            F.col(VALID_TO),
            F.col(VALID_TO).isNull().alias(IS_CURRENT),
            F.lit(False).alias(IS_DELETE),
        )

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        """Versions to insert or update and stored versions to delete, for the batch's keys only."""
        existing = rows_of_keys(gold, batch, list(spec.primary_keys), broadcast=small_batch)
        history = self.history(spec, batch, existing)
        schema = history.schema
        upserts = history.alias("s").join(
            existing.alias("t"), same("s", "t", list(lay.merge_keys) + list(lay.compared), schema), "left_anti"
        )
        stale = existing.alias("t").join(history.alias("s"), same("t", "s", list(lay.merge_keys), schema), "left_anti")
        deletes = stale.select(*[quote_ident(k) for k in lay.merge_keys]).withColumn(IS_DELETE, F.lit(True))
        return upserts.unionByName(deletes, allowMissingColumns=True)

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame) -> DataFrame:
        return self.history(spec, batch, empty_gold)

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        return None


def load_of(spec: TableSpec):
    """The behaviour of ``spec``'s load type (specs are validated, so it exists)."""
    return LOADS[spec.load_type]


def layout(spec: TableSpec, batch_schema: StructType) -> TargetLayout:
    """The Gold layout from the metadata, the load type and the prepared batch's types."""
    load = load_of(spec)
    fields = [
        StructField(c.name, batch_schema[c.name].dataType, c.nullable, {"comment": c.comment} if c.comment else {})
        for c in spec.columns
    ]
    fields += load.added_fields(spec, batch_schema[SEQ].dataType)
    fields += [StructField(RUN_ID, StringType(), True), StructField(UPDATED_AT, TimestampType(), True)]
    return TargetLayout(StructType(fields), tuple(spec.column_names), load.compared(spec), load.merge_keys(spec))


INSERT_ONLY = (WhenClause("NOT MATCHED", "INSERT"),)


def plan_merge(spec: TableSpec, lay: TargetLayout, target: str, source_view: str, target_filter: str | None = None,
               *, inserts_only: bool = False) -> MergePlan:
    """The MERGE of ``spec``'s load type over the diff in ``source_view``; with ``inserts_only``
    (an empty Gold table: the rows are the whole desired content) only its NOT MATCHED insert."""
    columns = tuple(f.name for f in lay.schema.fields)
    updatable = tuple(c for c in columns if c not in lay.merge_keys)
    clauses = INSERT_ONLY if inserts_only else load_of(spec).clauses(spec)
    return MergePlan(target, source_view, lay.merge_keys, updatable, columns, clauses, target_filter)


def key_range(ranges: dict[str, tuple[str, str]], schema: StructType, alias: str | None = None) -> str:
    """``k BETWEEN lo AND hi`` for each key: a predicate Delta prunes Gold files with (min/max stats).

    The bounds are the batch's own, as Spark formatted them, cast back to the key's type, so the
    predicate keeps every Gold row the batch can match and lets the diff and the MERGE skip files
    that hold none of its keys (all of them, for keys that grow with time or ids).
    """
    prefix = f"{alias}." if alias else ""
    return " AND ".join(
        f"{prefix}{quote_ident(k)} BETWEEN CAST({sql_string(lo)} AS {schema[k].dataType.simpleString()}) "
        f"AND CAST({sql_string(hi)} AS {schema[k].dataType.simpleString()})"
        for k, (lo, hi) in ranges.items()
    )


LOADS = {"scd1": Upsert(), "fact_upsert": Upsert(), "snapshot": Snapshot(), "fact_insert": InsertOnly(), "scd2": History()}


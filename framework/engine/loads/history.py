"""scd2's ``<name>_history``: the full version history of every key, recomputed for the keys a
batch touches. A deletion is a version too (the entity's last, until it is re-created), so the
current state of every key that ever existed, deleted ones included, is its ``is_current`` row
(:mod:`framework.engine.loads.dimension` writes those to ``<name>``)."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql.types import BooleanType, DataType, StructField

from framework.engine.columns import DELETED, IS_CURRENT, IS_DELETE, ORIGIN, SCD2_COLUMNS, SEQ, VALID_FROM, VALID_TO
from framework.engine.compare import comparable, rows_of_keys, same, tie_break_values
from framework.engine.layout import TargetLayout
from framework.engine.loads.base import SMALL_BATCH_ROWS, TOMBSTONES_APPLY, Changes, LoadType
from framework.engine.merge import WhenClause
from framework.errors import SpecIssue
from framework.metadata.spec import TableSpec
from framework.platform.checkpoint import materialize
from framework.platform.sqltext import quote_ident


class History(LoadType):
    """Versions on ``[valid_from, valid_to)``; the batch's keys get their history recomputed."""


    added_columns = SCD2_COLUMNS

    def describe(self, spec: TableSpec) -> str | None:
        lead = ("Version history: one row per version of each key, valid on [valid_from, valid_to); is_current marks the "
                "current one, a deletion is the last version.")
        return f"{lead} {spec.description}" if spec.description else lead

    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        issues = []  # track_columns: the columns whose change opens a version (metadata checks the names)
        if spec.tombstone_retention is not None:
            issues.append(SpecIssue(spec.table_name, "tombstone_retention", TOMBSTONES_APPLY))
        if not spec.sequence_by:
            issues.append(SpecIssue(spec.table_name, "sequence_by", f"is required for {self.name} (it orders versions and becomes valid_from)"))
        if spec.aggregate:
            issues.append(SpecIssue(spec.table_name, "aggregate", f"cannot be combined with {self.name} (versions need one source row each)"))
        return issues

    def dedup_grain(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.primary_keys) + (SEQ,)  # one kept row per version

    def grain_words(self, many: bool) -> str:
        return "key versions (key and sequence_by value)" if many else "key version"

    def reads_key_history(self, spec: TableSpec) -> bool:
        """Always: a late version may fall between versions collapsed away as unchanged; only the
        key's complete source history puts it back in its place exactly."""
        return True

    def added_fields(self, spec: TableSpec, seq_type: DataType) -> list[StructField]:
        return [StructField(VALID_FROM, seq_type, True), StructField(VALID_TO, seq_type, True), StructField(IS_CURRENT, BooleanType(), True),
                StructField(DELETED, BooleanType(), True)]

    def merge_keys(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.primary_keys) + (VALID_FROM,)

    def compared(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.column_names) + (VALID_TO, IS_CURRENT, DELETED)

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        is_delete = f"s.{IS_DELETE}"
        return (
            WhenClause("MATCHED", "DELETE", is_delete),
            WhenClause("MATCHED", "UPDATE", f"NOT {is_delete}"),
            WhenClause("NOT MATCHED", "INSERT", f"NOT {is_delete}"),
        )

    def history(self, spec: TableSpec, batch: DataFrame, existing: DataFrame) -> DataFrame:
        """Recompute the full version history of every key in the batch.

        Events are the batch's versions and deletions plus the versions already stored for the same
        keys (a stored deletion is a version flagged ``_hm_deleted``). Per key and instant one event
        survives (the batch's, as the newer delivery; a deletion before a version). In time order a
        version opens when its tracked columns differ from the open one's, after a deletion, or
        first; a deletion opens a version unless the open one is a deletion already. So late,
        out-of-order versions land in their place, a deletion is the last version until the key is
        re-created, and re-running the same batch recomputes the same history.
        """
        keys = [quote_ident(k) for k in spec.primary_keys]
        business = [quote_ident(c) for c in spec.column_names if c not in spec.primary_keys]
        stored = existing.select(*keys, *business, F.col(VALID_FROM).alias(SEQ), F.coalesce(F.col(DELETED), F.lit(False)).alias(IS_DELETE),
                                 F.lit(1).alias(ORIGIN))
        incoming = batch.select(*keys, *business, SEQ, IS_DELETE, F.lit(0).alias(ORIGIN))
        events = incoming.unionByName(stored)

        one_per_instant = Window.partitionBy(*keys, SEQ).orderBy(
            F.col(ORIGIN).asc(), F.col(IS_DELETE).desc(), *[c.desc_nulls_last() for c in tie_break_values(spec, batch)]
        )
        events = events.withColumn("_hm_rank", F.row_number().over(one_per_instant)).where("_hm_rank = 1").drop("_hm_rank")

        in_order = Window.partitionBy(*keys).orderBy(SEQ)
        tracked = F.struct(*[comparable(F.col(quote_ident(c)), batch.schema[c].dataType) for c in spec.tracked_columns])
        prev_tracked = F.lag(tracked).over(in_order)
        prev_delete = F.lag(IS_DELETE).over(in_order)
        is_delete = F.col(IS_DELETE)
        keep = F.when(is_delete, prev_delete.isNull() | ~prev_delete).otherwise(
            prev_delete.isNull() | prev_delete | ~tracked.eqNullSafe(prev_tracked)
        )
        kept = events.withColumn("_hm_keep", keep).where("_hm_keep").drop("_hm_keep")
        history = kept.withColumn(VALID_TO, F.lead(SEQ).over(in_order))
        return history.select(
            *keys,
            *business,
            F.col(SEQ).alias(VALID_FROM),
            F.col(VALID_TO),
            F.col(VALID_TO).isNull().alias(IS_CURRENT),
            F.col(IS_DELETE).alias(DELETED),
            F.lit(False).alias(IS_DELETE),
        )

    def changes(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, ranges: dict | None,
                rows_kept: int, created: bool, upstream: DataFrame | None = None) -> Changes:
        """The versions to write, and the touched keys' recomputed history handed on to ``<name>``.

        The keys' stored versions and their recomputed history are each computed once and kept: the
        diff reads both twice, and the current rows are the history's ``is_current`` rows, so
        ``<name>`` needs no second read of the table just written. Kept lazily: the first action
        that reads them (the diff's count, or the insert-only MERGE) computes them.
        """
        if created:
            history = materialize(self.history(spec, batch, gold.limit(0)), eager=False)
            return Changes(history, True, handed_on=history)
        existing = materialize(rows_of_keys(self.touched(gold, ranges, batch), batch, list(spec.primary_keys),
                                            broadcast=rows_kept <= SMALL_BATCH_ROWS), eager=False)
        history = materialize(self.history(spec, batch, existing), eager=False)
        return Changes(self.versions_diff(lay, history, existing), False, handed_on=history)

    @staticmethod
    def versions_diff(lay: TargetLayout, history: DataFrame, existing: DataFrame) -> DataFrame:
        """The recomputed ``history`` against the ``existing`` versions of the same keys: new or
        changed versions to upsert, stored versions no longer in the history to delete."""
        schema = history.schema
        upserts = history.alias("s").join(
            existing.alias("t"), same("s", "t", list(lay.merge_keys) + list(lay.compared), schema), "left_anti"
        )
        stale = existing.alias("t").join(history.alias("s"), same("t", "s", list(lay.merge_keys), schema), "left_anti")
        deletes = stale.select(*[quote_ident(k) for k in lay.merge_keys]).withColumn(IS_DELETE, F.lit(True))
        return upserts.unionByName(deletes, allowMissingColumns=True)

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame, upstream: DataFrame | None = None) -> DataFrame:
        return self.history(spec, batch, empty_gold)

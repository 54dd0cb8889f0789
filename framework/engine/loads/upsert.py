"""scd1 and fact_upsert: a keyed upsert; with ``sequence_by`` an older version never overwrites a newer."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine.columns import IS_DELETE, SEQ
from framework.engine.compare import rows_of_keys, same
from framework.engine.layout import TargetLayout
from framework.engine.loads.base import LoadType
from framework.engine.merge import WhenClause
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident


class Upsert(LoadType):
    """Upsert by key, latest version wins; unchanged rows are not rewritten; a deletion removes the key."""

    def keeps_tombstones(self, spec: TableSpec) -> bool:
        return bool(spec.delete_condition and spec.sequence_by)  # without a sequence, no version is older than a deletion

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

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame, upstream: DataFrame | None = None) -> DataFrame:
        return batch.where(~F.col(IS_DELETE))

"""snapshot: the read is the whole source; Gold keys absent from it are deleted."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine.columns import HELD, IS_DELETE
from framework.engine.compare import same
from framework.engine.layout import TargetLayout
from framework.engine.loads.upsert import Upsert
from framework.errors import SpecIssue
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident


def _merged(batch: DataFrame) -> DataFrame:
    """The batch's rows to upsert: without the held keys of rows set aside."""
    return batch.where(F.col(HELD).isNull()).drop(HELD) if HELD in batch.columns else batch


class Snapshot(Upsert):
    """An upsert of the whole source, plus a deletion of every Gold key the source no longer has.

    A key whose row was set aside (quarantined) is still in the source: the batch holds it
    (``_hm_held``), so its Gold row stays as it was rather than being deleted.
    """


    def pruning(self, key_ranges: dict[str, tuple[str, str]] | None) -> None:
        return None  # any Gold key may be absent from the snapshot

    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        issues = super().spec_issues(spec)
        if spec.watermark_column is not None:
            issues.append(SpecIssue(spec.table_name, "watermark_column",
                                    f"must be empty for {self.name}: keys absent from the read are deleted, so the read must be the whole source"))
        issues += self.no_delete_condition(spec)
        return issues

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        keys = list(spec.primary_keys)
        gone = gold.alias("t").join(batch.alias("s"), same("t", "s", keys, batch.schema), "left_anti")  # held keys are present
        return super().diff(spec, lay, _merged(batch), gold, small_batch=small_batch).unionByName(
            gone.select(*[quote_ident(k) for k in keys]).withColumn(IS_DELETE, F.lit(True)),
            allowMissingColumns=True,
        )

    def with_set_aside(self, spec: TableSpec, good: DataFrame, set_aside: DataFrame) -> DataFrame:
        held = set_aside.select(*[quote_ident(k) for k in spec.primary_keys]).distinct().withColumn(HELD, F.lit(True))
        return good.unionByName(held, allowMissingColumns=True)

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame, upstream: DataFrame | None = None) -> DataFrame:
        return super().desired(spec, _merged(batch), empty_gold, upstream)

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        if rows_read == 0:
            return f"snapshot source {spec.source_table!r} is empty; refusing to delete every Gold row"
        return None

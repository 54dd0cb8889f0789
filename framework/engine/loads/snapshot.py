"""snapshot: the read is the whole source; Gold keys absent from it are deleted."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine.columns import IS_DELETE
from framework.engine.compare import same
from framework.engine.layout import TargetLayout
from framework.engine.loads.upsert import Upsert
from framework.errors import SpecIssue
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident


class Snapshot(Upsert):
    """An upsert of the whole source, plus a deletion of every Gold key the source no longer has."""

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
        gone = gold.alias("t").join(batch.alias("s"), same("t", "s", keys, batch.schema), "left_anti")
        return super().diff(spec, lay, batch, gold, small_batch=small_batch).unionByName(
            gone.select(*[quote_ident(k) for k in keys]).withColumn(IS_DELETE, F.lit(True)),
            allowMissingColumns=True,
        )

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        if rows_read == 0:
            return f"snapshot source {spec.source_table!r} is empty; refusing to delete every Gold row"
        return None

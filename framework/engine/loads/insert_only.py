"""fact_insert: only keys the Gold table has never seen; nothing is updated or deleted.

No diff: the MERGE over the batch's rows with only ``WHEN NOT MATCHED THEN INSERT`` is Delta's
insert-only MERGE, an anti join against the Gold files the key range keeps, written as an append.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from framework.engine.layout import TargetLayout
from framework.engine.loads.base import INSERT_ONLY, Changes
from framework.engine.loads.upsert import Upsert
from framework.engine.merge import WhenClause
from framework.errors import SpecIssue
from framework.metadata.spec import BACKFILL, TableSpec


class InsertOnly(Upsert):
    """Insert-only by key; a re-delivered key is never duplicated nor overwritten."""

    deletion_vectors_default = False  # never updates nor deletes: nothing to mark

    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        issues = super().spec_issues(spec)
        issues += self.no_delete_condition(spec)
        if spec.on_schema_change == BACKFILL:
            issues.append(SpecIssue(spec.table_name, "on_schema_change",
                                    f"backfill updates rows Gold holds, and {self.name} never updates one: use --full-refresh once instead"))
        return issues

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        return INSERT_ONLY

    def changes(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, ranges: dict | None,
                rows_kept: int, created: bool, upstream: DataFrame | None = None) -> Changes:
        return Changes(self.desired(spec, batch, gold.limit(0)), True)  # Delta's insert-only MERGE is the anti join

"""view: a second name for another Gold table's rows, a view over it, never a copy.

Why: two designs can describe one table (one source, one key, columns that differ by a comment
or a name). Hydrating both would read and store the data twice and let the copies drift; a view
over the hydrated one gives the second name its own columns, types and comments at no cost. The
spec reads like any other: ``source_table`` is the other Gold table (``${catalog}.${gold_schema}.<name>``,
which must be in ``depends_on``), each column an expression over it (alias ``s``) cast to its type,
``description`` the view's comment, ``primary_keys`` the design's key (documentation: the source
table's key guarantees it). A run creates the view when it is absent or its metadata changed
since the last success (the metadata hash, :mod:`framework.engine.fingerprint`), otherwise does
nothing; either way the table is SUCCEEDED with zero counts.

Nothing about loading applies, so a view's spec must not say it: no watermark, lookback,
sequence, deletion, joins, explode, aggregate, checks (the source table's rows are checked when
they are loaded), nor a physical layout. ``source_filter`` is allowed: it becomes the view's WHERE.
"""

from __future__ import annotations

from pyspark.sql import DataFrame

from framework.engine.fingerprint import Fingerprint, metadata_changed, metadata_hash
from framework.engine.layout import TargetLayout
from framework.engine.loads.base import LoadType
from framework.engine.merge import WhenClause
from framework.errors import MergeError, SpecIssue
from framework.metadata.spec import TableSpec
from framework.metadata.validation import GOLD_PREFIX
from framework.platform.sqltext import quote_ident, quote_table, sql_string

RUN_PROPERTY = "healthmon.run_id"  # the run that (re)created the view, in its TBLPROPERTIES

# field -> why a view's spec must leave it empty
NOT_FOR_A_VIEW = {
    "watermark_column": "a view reads its source whole, when it is queried",
    "lookback": "a view reads its source whole, when it is queried",
    "sequence_by": "a view keeps no versions: its source table does",
    "delete_condition": "a view deletes nothing: its source table does",
    "joins": "a view is a projection of one Gold table",
    "explode": "a view is a projection of one Gold table",
    "aggregate": "a view is a projection of one Gold table",
    "checks": "a view stores no rows: its source table's rows are checked when they are loaded",
    "cluster_by": "a view has no files to lay out",
    "deletion_vectors": "a view has no files to lay out",
}


class View(LoadType):
    """Another Gold table's rows under this table's name, columns and comments."""

    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        issues = super().spec_issues(spec)
        source = spec.source_table if isinstance(spec.source_table, str) else ""
        if not source.startswith(GOLD_PREFIX):
            issues.append(SpecIssue(spec.table_name, "source_table",
                                    f"must be another Gold table for {self.name}, {GOLD_PREFIX}<table>, found {spec.source_table!r}"))
        elif source[len(GOLD_PREFIX):] not in spec.depends_on:
            issues.append(SpecIssue(spec.table_name, "depends_on",
                                    f"must name {source[len(GOLD_PREFIX):]!r}, the Gold table the view reads (so it is hydrated first)"))
        for field_name, why in NOT_FOR_A_VIEW.items():
            if getattr(spec, field_name) not in (None, False, ()):
                issues.append(SpecIssue(spec.table_name, field_name, f"must be empty for {self.name}: {why}"))
        return issues

    def defines_view(self) -> bool:
        return True

    def statement(self, spec: TableSpec, target: str, source_table: str, run_id: str) -> str:
        """``CREATE OR REPLACE VIEW`` with the columns' comments, the description and the run's id."""
        names = ",\n  ".join(quote_ident(c.name) + (f" COMMENT {sql_string(c.comment)}" if c.comment else "") for c in spec.columns)
        selected = ",\n  ".join(f"CAST({c.expr} AS {c.type}) AS {quote_ident(c.name)}" for c in spec.columns)
        comment = f"\nCOMMENT {sql_string(spec.description)}" if spec.description else ""
        where = f"\nWHERE {spec.source_filter}" if spec.source_filter else ""
        return (f"CREATE OR REPLACE VIEW {quote_table(target)} (\n  {names}\n){comment}\n"
                f"TBLPROPERTIES ({sql_string(RUN_PROPERTY)} = {sql_string(run_id)})\n"
                f"AS SELECT\n  {selected}\nFROM {quote_table(source_table)} s{where}")

    def ensure_view(self, run, *, dry_run: bool = False) -> tuple[str | None, str | None]:
        """Create the view of ``run`` (a :class:`~framework.engine.table_run.TableRun`) when it is
        absent, its metadata changed since the last success, or on a full refresh; the input
        versions to store (the metadata hash) and, for a dry run, the statement instead."""
        statement = self.statement(run.spec, run.target, run.source_table, run.run_id)
        if dry_run:
            return run.state.input_versions, statement
        lakehouse = run.ctx.lakehouse
        with run.step("target"):
            if run.full_refresh or metadata_changed(run.spec, run.state.input_versions) or not lakehouse.exists(run.target):
                lakehouse.create_view(run.target, statement)
        return Fingerprint(metadata_hash(run.spec), (), None).to_json(), None

    # -- nothing is ever merged into a view -----------------------------------------------------
    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        raise MergeError(f"{spec.table_name}: a view is created, never merged into")

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        raise MergeError(f"{spec.table_name}: a view is created, never merged into")

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame) -> DataFrame:
        raise MergeError(f"{spec.table_name}: a view is created, never merged into")

"""scd2: a dimension as its consumers read it, plus its version history — one metadata entry, two tables.

``<name>`` holds one row per key with exactly the metadata's columns: the entity's current state,
a deleted entity's row kept with its deletion's values (``delete_time`` set), never removed. It is
what dashboards, SQL functions and alerts join facts to, on the key alone. ``<name>_history``
holds every version (``valid_from``, ``valid_to``, ``is_current``;
:class:`~framework.engine.loads.history.History`), the deletion being the last one.

The run recomputes the history of the keys the batch touched, writes what changed in it, then
upserts those keys' current rows (their ``is_current`` versions of the same recomputed history)
into ``<name>``. So the two never disagree after a run, and a run interrupted between the two
commits is completed by the next one: the watermark has not moved, the same keys are read again,
their history recomputes to what the interrupted run wrote, and the current rows follow from it.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructField

from framework.engine.columns import IS_CURRENT, IS_DELETE, SCD2_COLUMNS
from framework.engine.compare import same
from framework.engine.layout import TargetLayout
from framework.engine.loads.base import Changes, LoadType
from framework.engine.loads.history import History
from framework.engine.merge import WhenClause
from framework.errors import SpecIssue
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident

HISTORY_SUFFIX = "_history"
UPSERT = (WhenClause("MATCHED", "UPDATE"), WhenClause("NOT MATCHED", "INSERT"))


class Current(LoadType):
    """``<name>``: the ``is_current`` rows of ``<name>_history`` for the batch's keys, upserted by key."""

    def added_fields(self, spec: TableSpec, seq_type: DataType) -> list[StructField]:
        return []  # the history orders versions; the current row is whichever one it marks current

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        return UPSERT  # a deleted entity keeps its row: nothing is ever deleted here

    def current_rows(self, spec: TableSpec, history: DataFrame) -> DataFrame:
        """The ``is_current`` rows of ``history`` with the metadata's columns."""
        current = history.where(F.col(IS_CURRENT))
        return current.select(*[quote_ident(c) for c in spec.column_names], F.lit(False).alias(IS_DELETE))

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame, upstream: DataFrame | None = None) -> DataFrame:
        return self.current_rows(spec, upstream)

    def changes(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, ranges: dict | None,
                rows_kept: int, created: bool, upstream: DataFrame | None = None) -> Changes:
        """The touched keys' current rows that ``<name>`` lacks or holds differently; ``upstream``
        is the touched keys' recomputed history the history part handed on."""
        rows = self.current_rows(spec, upstream)
        if created:
            return Changes(rows, True)
        keys = list(spec.primary_keys)
        stored = self.touched(gold, ranges, batch).select(*[quote_ident(c) for c in spec.column_names]).withColumn("_hm_present", F.lit(True))
        joined = rows.alias("s").join(stored.alias("t"), same("s", "t", keys, rows.schema), "left")
        changed = F.col("t._hm_present").isNull() | ~same("s", "t", lay.compared, rows.schema)
        return Changes(joined.where(changed).select("s.*"), False)


class Dimension(LoadType):
    """scd2: ``<name>_history`` (every version) and ``<name>`` (one current row per key), in that order."""

    added_columns = SCD2_COLUMNS

    def __init__(self, name: str, meaning: str):
        super().__init__(name, meaning)
        self.versions = History(name, meaning)
        self.current = Current(name, meaning)

    def parts(self) -> tuple[tuple[str, LoadType], ...]:
        return ((HISTORY_SUFFIX, self.versions), ("", self.current))

    # the metadata's rules and the batch are the history's: one row per version
    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        return self.versions.spec_issues(spec)

    def dedup_grain(self, spec: TableSpec) -> tuple[str, ...]:
        return self.versions.dedup_grain(spec)

    def grain_words(self, many: bool) -> str:
        return self.versions.grain_words(many)

    def reads_key_history(self, spec: TableSpec) -> bool:
        return self.versions.reads_key_history(spec)

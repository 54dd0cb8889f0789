"""What a load type is: the rules a spec of that type must follow, and what it does to Gold.

Every load type answers the same questions, in one class, so nothing else in the framework asks
"which load type is this?":

- **rules** (checked when metadata is loaded, no Spark needed) — :meth:`spec_issues`: what a spec
  of this type must and must not say; :attr:`added_columns`: the Gold columns it adds itself;
- **batch** — :meth:`dedup_grain`: what one kept row of a batch stands for; :meth:`reads_key_history`:
  whether a batch re-reads the whole source history of the keys it touches;
- **Gold** — :meth:`added_fields`, :meth:`merge_keys`, :meth:`compared`: the layout; :meth:`diff`:
  the batch joined with Gold, keeping only rows that change something (so a re-run with no new
  data writes nothing); :meth:`clauses`: the MERGE's WHEN clauses over that diff;
  :meth:`desired`: the whole Gold content from the batch alone (``--full-refresh``, a new table);
  :meth:`changes`: which of the two the MERGE reads, and :meth:`pruning`: over which Gold keys;
  :meth:`check_batch`: a batch this type must refuse;
- **tables** — :meth:`parts`: the Gold tables the type writes, in order (one for most; scd2 writes
  ``<name>_history`` and then ``<name>``, the current state derived from it, each part a load
  type of its own). A part after the first derives its rows from what the part before handed on
  (``upstream``: :attr:`Changes.handed_on`, else the table that part wrote).
- **or a view** — :meth:`defines_view`, :meth:`ensure_view`: a view over another Gold table
  instead of all the above.

The registry (:mod:`framework.engine.loads.registry`) maps control-table names to instances.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, StructField

from framework.engine.columns import SEQ
from framework.engine.layout import TargetLayout
from framework.engine.merge import WhenClause
from framework.engine.pruning import key_range
from framework.errors import SpecIssue
from framework.metadata.spec import TableSpec

# A batch of at most this many rows looks its keys up in Gold by broadcast (decision 99): Gold is
# scanned once, and the few Gold rows found are broadcast to the diff's join in turn.
SMALL_BATCH_ROWS = 200_000
TOMBSTONES_APPLY = ("applies only where a deletion removes a key's row: scd1 or fact_upsert with delete_condition and sequence_by "
                    "(scd2 keeps a deletion as the last version of <name>_history)")


@dataclass(frozen=True)
class Changes:
    """What one part's MERGE reads, whether that MERGE only inserts, and what the next part
    derives its rows from (None: the Gold table this part writes; scd2's history hands on the
    touched keys' recomputed versions, so the current rows need no second read of it)."""

    rows: DataFrame
    inserts_only: bool
    handed_on: DataFrame | None = None


class LoadType:
    """The contract every load type fulfils; subclasses override what differs."""

    name: str = "?"
    meaning: str = ""
    added_columns: tuple[str, ...] = ()  # Gold columns the type adds itself (metadata must not declare them)
    deletion_vectors_default = True  # an update or delete marks rows instead of rewriting their files

    def __init__(self, name: str, meaning: str):
        self.name, self.meaning = name, meaning

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- rules -------------------------------------------------------------------------------
    def spec_issues(self, spec: TableSpec) -> list[SpecIssue]:
        """What ``spec`` says that this load type does not allow (the generic rules are metadata's)."""
        issues = []
        if spec.track_columns is not None:
            issues.append(SpecIssue(spec.table_name, "track_columns", "applies to scd2 only"))
        if spec.tombstone_retention is not None and not self.keeps_tombstones(spec):
            issues.append(SpecIssue(spec.table_name, "tombstone_retention", TOMBSTONES_APPLY))
        return issues

    def no_delete_condition(self, spec: TableSpec) -> list[SpecIssue]:
        """The rule of the load types that delete by themselves or never: no ``delete_condition``."""
        if not spec.delete_condition:
            return []
        return [SpecIssue(spec.table_name, "delete_condition",
                          f"is not supported for {self.name} (fact_insert never deletes; snapshot deletes absent keys)")]

    def parts(self) -> tuple[tuple[str, LoadType], ...]:
        """The Gold tables this type writes, in write order: (suffix of the metadata's table name,
        the load type that writes it). The last is the table the metadata names (its Delta version
        and commit are the run's)."""
        return (("", self),)

    def describe(self, spec: TableSpec) -> str | None:
        """The comment of the Gold table this load type (or part) writes."""
        return spec.description

    # -- the batch ---------------------------------------------------------------------------
    def dedup_grain(self, spec: TableSpec) -> tuple[str, ...]:
        """The batch columns one kept row stands for (dedup keeps one row per value of them)."""
        return tuple(spec.primary_keys)

    def grain_words(self, many: bool) -> str:
        """How a key-violation message names one value of :meth:`dedup_grain`."""
        return "keys" if many else "key"

    def reads_key_history(self, spec: TableSpec) -> bool:
        """Whether a batch re-reads the whole (filtered) source of the keys its window touches.

        An aggregate regroups a key's rows (a group's rows may arrive over several batches, and a
        group of only the window's rows would overwrite the complete one).
        """
        return spec.aggregate

    # -- Gold ----------------------------------------------------------------------------------
    def added_fields(self, spec: TableSpec, seq_type: DataType) -> list[StructField]:
        return [StructField(SEQ, seq_type, True)] if spec.sequence_by else []

    def merge_keys(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(spec.primary_keys)

    def compared(self, spec: TableSpec) -> tuple[str, ...]:
        return tuple(c for c in spec.column_names if c not in spec.primary_keys)

    def clauses(self, spec: TableSpec) -> tuple[WhenClause, ...]:
        raise NotImplementedError

    def diff(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, small_batch: bool = False) -> DataFrame:
        """Rows that insert, update or delete something (``small_batch``: see :data:`SMALL_BATCH_ROWS`)."""
        raise NotImplementedError

    def desired(self, spec: TableSpec, batch: DataFrame, empty_gold: DataFrame, upstream: DataFrame | None = None) -> DataFrame:
        """The whole Gold content (``upstream``: the table of the part written before, if any)."""
        raise NotImplementedError

    def pruning(self, key_ranges: dict[str, tuple[str, str]] | None) -> dict[str, tuple[str, str]] | None:
        """The key ranges the diff and the MERGE may restrict Gold to (None: the whole table)."""
        return key_ranges

    def changes(self, spec: TableSpec, lay: TargetLayout, batch: DataFrame, gold: DataFrame, *, ranges: dict | None,
                rows_kept: int, created: bool, upstream: DataFrame | None = None) -> Changes:
        """The MERGE's source, and whether that MERGE only inserts.

        A Gold table created just now holds nothing: the batch's desired rows, inserted (no diff
        join). Else the diff against the Gold rows the batch's key range can touch. ``upstream``:
        what the part written before this one handed on (see :meth:`parts`), for parts derived from it.
        """
        if created:
            return Changes(self.desired(spec, batch, gold.limit(0)), True)
        return Changes(self.diff(spec, lay, batch, self.touched(gold, ranges, batch), small_batch=rows_kept <= SMALL_BATCH_ROWS), False)

    @staticmethod
    def touched(gold: DataFrame, ranges: dict | None, batch: DataFrame) -> DataFrame:
        """The Gold rows inside the batch's key ranges (all of Gold without ranges)."""
        return gold if ranges is None else gold.where(F.expr(key_range(ranges, batch.schema)))

    def keeps_tombstones(self, spec: TableSpec) -> bool:
        """Whether a deletion removes the key's Gold row and must be remembered apart, so that an
        older version arriving in a later run does not bring the key back (:mod:`framework.engine.tombstones`)."""
        return False

    def check_batch(self, spec: TableSpec, rows_read: int) -> str | None:
        """Why the batch must not be written, or None."""
        return None

    def with_set_aside(self, spec: TableSpec, good: DataFrame, set_aside: DataFrame) -> DataFrame:
        """The batch to write once validation set rows aside (quarantined): the good rows. A type
        that deletes what a batch lacks keeps the set-aside keys in it (snapshot)."""
        return good

    # -- a view instead of a table -----------------------------------------------------------
    def defines_view(self) -> bool:
        """Whether a table of this type is a view over another Gold table: no data path at all,
        :meth:`ensure_view` instead (:mod:`framework.engine.loads.view`)."""
        return False

    def ensure_view(self, run, *, dry_run: bool = False) -> tuple[str | None, str | None]:
        raise NotImplementedError


INSERT_ONLY = (WhenClause("NOT MATCHED", "INSERT"),)

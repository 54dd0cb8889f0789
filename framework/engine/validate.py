"""Validation of the prepared batch: pandera's verdict over one scan, and the row split for warn checks.

Each metadata check is a Spark predicate (:func:`passes`). One aggregate over the materialized
batch counts, per check, the rows that fail it (plus nulls in non-nullable columns, duplicated
keys and the batch statistics); pandera then validates the one-row frame of those counts (each
check: "equals 0", pandas backend: no Spark job), so its report names every failed check while
the batch is scanned once, however many checks there are. (pandera's PySpark backend runs one
Spark action per check, even on a one-row frame: ENGINE_NOTES measured 7 checks at ~4x one pass
on 2 M rows, and docs/benchmarks.md the cost on a tiny batch.)
A row passes a predicate when it is TRUE or NULL, as pandera's PySpark checks and SQL CHECK
constraints do (``not_null`` aside). Deletion rows carry only keys and are not checked. Rows that
fail a ``warn`` check are split off for the quarantine only when such a check failed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from framework.engine.batch_stats import BatchStats, batch_stats, scan, stat_measures
from framework.engine.columns import IS_DELETE, KEY_CONFLICT, SEQ
from framework.engine.folds import all_of, any_of, union_all
from framework.engine.loads import load_of
from framework.errors import KeyViolationError, ValidationFailedError
from framework.metadata.spec import FAIL, QUARANTINE, CheckSpec, TableSpec
from framework.platform.sqltext import quote_ident

KEY_UNIQUE = "primary_key_unique"
KEY_CONFLICT_CHECK = "primary_key_conflict"  # the quarantine's name for rows of a key that differ at one sequence value


@dataclass(frozen=True)
class FailedCheck:
    name: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.name} ({self.severity}): {self.message}"


@dataclass(frozen=True)
class ValidatedBatch:
    """What survives validation, what is set aside, and the batch's statistics."""

    good: DataFrame  # rows to merge (deletions included)
    quarantine: DataFrame | None  # check_name, severity, row_json; None when nothing failed
    failed_checks: tuple[FailedCheck, ...]
    rows_quarantined: int
    stats: BatchStats

    @property
    def rows_read(self) -> int:
        return self.stats.rows_read

    @property
    def rows_deduplicated(self) -> int:
        return self.stats.rows_deduplicated


# -- predicates (row split) -----------------------------------------------------------------
def passes(chk: CheckSpec) -> Column:
    """TRUE for rows that pass ``chk``; NULL results count as passing except for not_null."""
    col = F.col(quote_ident(chk.column)) if chk.column else None
    value = chk.value
    if chk.check == "not_null":
        return col.isNotNull()
    if chk.check == "unique":
        predicate = col.isNull() | (F.count(F.lit(1)).over(Window.partitionBy(col)) == 1)
    elif chk.check == "isin":
        predicate = col.isin(value)
    elif chk.check == "notin":
        predicate = ~col.isin(value)
    elif chk.check == "ge":
        predicate = col >= F.lit(value)
    elif chk.check == "gt":
        predicate = col > F.lit(value)
    elif chk.check == "le":
        predicate = col <= F.lit(value)
    elif chk.check == "lt":
        predicate = col < F.lit(value)
    elif chk.check == "between":
        predicate = col.between(F.lit(value[0]), F.lit(value[1]))
    elif chk.check == "str_matches":
        predicate = col.rlike(value if value.startswith("^") else "^" + value)
    else:  # expr
        predicate = F.expr(value)
    return F.coalesce(predicate, F.lit(True))


# -- the rules a row is judged by ---------------------------------------------------------------
@dataclass(frozen=True)
class RowRule:
    """One thing a row can fail: a metadata check (but ``unique``, a window over the batch) or a
    NULL in a NOT NULL column; what happens to the rows that fail it (``action``), and whether
    deletion rows are judged too (they carry only keys: a NULL key is judged on them)."""

    name: str
    action: str
    fails: Column  # TRUE on a failing row (never NULL)
    deletions: bool = False

    def failing(self) -> Column:
        """TRUE on a row this rule judges and that fails it."""
        return self.fails if self.deletions else (~F.col(IS_DELETE) & self.fails)


def row_rules(spec: TableSpec) -> list[RowRule]:
    """The checks (``unique`` aside) and the NOT NULL columns (``on_null``), in metadata order."""
    rules = [RowRule(c.check_name, c.severity, ~passes(c)) for c in spec.checks if c.check != "unique"]
    for c in spec.columns:
        if not c.nullable:
            rules.append(RowRule(f"{c.name}_not_nullable", spec.on_null, F.col(quote_ident(c.name)).isNull(), c.name in spec.primary_keys))
    return rules


def actions(spec: TableSpec) -> dict[str, str]:
    """Check name -> action, for every name the verdict may report."""
    out = {r.name: r.action for r in row_rules(spec)}
    out.update({c.check_name: c.severity for c in spec.checks if c.check == "unique"})
    out[KEY_UNIQUE] = FAIL
    return out


# -- one pass: every check's failure count in a single aggregate --------------------------------
def _count(condition: Column) -> Column:
    return F.sum(F.when(condition, 1).otherwise(0))


def check_measures(spec: TableSpec, batch: DataFrame, *, deduplicated: bool = False) -> list[tuple[str, Column]]:
    """(name, aggregate) of every count validation needs, all computable in one scan of the batch.

    One failure count per row rule (:func:`row_rules`: the checks, the NOT NULL columns) and per
    ``unique`` check, duplicated keys, and ``_quarantined`` (rows failing any rule whose action is
    quarantine). Duplicated keys are not counted for a ``deduplicated`` batch (the engine's: dedup
    keeps one row per value of the load type's grain, by construction): a distinct count is the
    one measure that costs more than the scan itself.
    """
    rows = ~F.col(IS_DELETE)
    rules = row_rules(spec)
    out: list[tuple[str, Column]] = [(r.name, _count(r.failing())) for r in rules]
    for chk in spec.checks:
        if chk.check == "unique":  # non-null values that occur more than once among the rows
            col = F.when(rows, F.col(quote_ident(chk.column)))
            out.append((chk.check_name, F.count(col) - F.count_distinct(col)))
    if not deduplicated:
        grain = [F.col(quote_ident(c)) for c in load_of(spec).dedup_grain(spec)]
        out.append((KEY_UNIQUE, F.sum(F.when(rows, 1).otherwise(0)) - F.count_distinct(F.when(rows, F.struct(*grain)))))
    quarantining = [r.failing() for r in rules if r.action == QUARANTINE]
    if quarantining:
        out.append(("_quarantined", _count(any_of(quarantining))))
    if KEY_CONFLICT in batch.columns:  # set by dedup (aggregates have none: their keys are GROUP BY)
        out.append((KEY_CONFLICTS, F.count(F.col(KEY_CONFLICT))))
        out.append((CONFLICT_EXAMPLE, conflict_example(spec)))
    return out


# -- a key that does not determine a row ---------------------------------------------------------
KEY_CONFLICTS = "_key_conflicts"  # kept rows whose key had differing rows at one sequence value
CONFLICT_EXAMPLE = "_conflict_example"  # the least such key


def conflict_example(spec: TableSpec) -> Column:
    """One conflicting key (the least, so the message is the same whatever the input order), as strings."""
    key = F.struct(*[F.col(quote_ident(k)).cast("string").alias(f"k{i}") for i, k in enumerate(spec.primary_keys)],
                   F.col(KEY_CONFLICT)["seq"].cast("string").alias("seq"))
    return F.min(F.when(F.col(KEY_CONFLICT).isNotNull(), key))


def _shown(value) -> str:
    return "NULL" if value is None else str(value)


def key_violation(spec: TableSpec, count: int, example) -> KeyViolationError:
    """``fact_x: primary key (a, b) does not determine a row: 3 keys have differing rows in this batch, e.g. (a=1, b=2)``."""
    keys = ", ".join(spec.primary_keys)
    shown = ", ".join(f"{k}={_shown(example[f'k{i}'])}" for i, k in enumerate(spec.primary_keys))
    what = load_of(spec).grain_words(many=count != 1)
    at = f" at sequence_by {spec.sequence_by!r} = {_shown(example['seq'])}" if spec.sequence_by else ""
    same = " with the same sequence_by value" if spec.sequence_by else ""
    return KeyViolationError(
        f"{spec.table_name}: primary key ({keys}) does not determine a row: {count} {what} {'have' if count != 1 else 'has'} "
        f"differing rows{same} in this batch, e.g. ({shown}){at}; dedup would keep one of them and drop the others. "
        "Add the column that tells them apart to primary_keys (or to sequence_by), or fix the mapping that multiplies "
        "them (a join matching several rows); exact duplicates are fine"
    )


# -- pandera's verdict -----------------------------------------------------------------------
def verdict_schema(spec: TableSpec, counts: dict[str, int]) -> pa.DataFrameSchema:
    """Every check as a pandera check on the one-row frame of failure counts: zero passes."""
    checks = {name: pa.Column(int, checks=[pa.Check.eq(0, error=name)]) for name in counts if not name.startswith("_")}
    return pa.DataFrameSchema(checks, name=spec.table_name)


def failed_checks_of(spec: TableSpec, counts: dict[str, int]) -> list[FailedCheck]:
    """pandera's verdict on the counts, as named checks with their action and failing rows."""
    judged = {k: v for k, v in counts.items() if not k.startswith("_")}
    try:
        verdict_schema(spec, counts).validate(pd.DataFrame([judged], dtype="int64"), lazy=True)
    except pa.errors.SchemaErrors as report:
        failures = report.failure_cases.to_dict("records")
    else:
        return []
    action = actions(spec)
    failed = []
    for case in failures:
        name = str(case["column"])
        what = "duplicate key rows" if name == KEY_UNIQUE else "failing rows"
        failed.append(FailedCheck(name, action.get(name, FAIL), f"{case['failure_case']} {what}"))
    return failed


# -- the step ----------------------------------------------------------------------------------
def judge(spec: TableSpec, values: dict[str, object]) -> list[FailedCheck]:
    """The verdict on a scan's counts: a key conflict the table does not quarantine, or a failed
    check whose action is ``fail``, raises; else the failed checks (to keep or quarantine by), a
    key conflict to quarantine first."""
    counts = {name: int(value or 0) for name, value in values.items() if not name.startswith("_") or name == KEY_CONFLICTS}
    conflicts = counts.pop(KEY_CONFLICTS, 0)
    if conflicts and spec.on_key_conflict == FAIL:
        raise key_violation(spec, conflicts, values[CONFLICT_EXAMPLE])
    failed = failed_checks_of(spec, counts)
    blocking = [f for f in failed if f.severity == FAIL]
    if blocking:
        raise ValidationFailedError(spec.table_name, [str(f) for f in blocking])
    if conflicts:
        what = load_of(spec).grain_words(many=conflicts != 1)
        failed.insert(0, FailedCheck(KEY_CONFLICT_CHECK, QUARANTINE, f"{conflicts} {what} with differing rows at one sequence_by value"))
    return failed


def _row_json(spec: TableSpec) -> Column:
    return F.to_json(F.struct(*[F.col(quote_ident(c)) for c in spec.column_names]))


def _aside(rows: DataFrame, spec: TableSpec, name: str) -> DataFrame:
    return rows.select(F.lit(name).alias("check_name"), F.lit(QUARANTINE).alias("severity"), _row_json(spec).alias("row_json"))


def conflicting_rows(spec: TableSpec, batch: DataFrame, mapped: DataFrame) -> DataFrame:
    """The source rows (as mapped, before dedup) of every key and sequence value whose rows
    differed (``_hm_key_conflict``), each distinct row once, deletions aside."""
    grain = list(load_of(spec).dedup_grain(spec))
    marked = batch.where(F.col(KEY_CONFLICT).isNotNull()).select(
        *[F.col(quote_ident(k)).alias(f"_hm_c{i}") for i, k in enumerate(grain)], F.col(KEY_CONFLICT)["seq"].alias("_hm_cseq"))
    on = all_of([F.col(quote_ident(k)).eqNullSafe(F.col(f"_hm_c{i}")) for i, k in enumerate(grain)] + [F.col(SEQ).eqNullSafe(F.col("_hm_cseq"))])
    return mapped.where(~F.col(IS_DELETE)).join(marked, on, "left_semi").select(*[quote_ident(c) for c in spec.column_names]).distinct()


@dataclass(frozen=True)
class Split:
    good: DataFrame  # rows to merge (deletions included)
    quarantine: DataFrame | None  # check_name, severity, row_json
    rows_quarantined: int


def split(spec: TableSpec, batch: DataFrame, failed: list[FailedCheck], values: dict[str, object],
          mapped: DataFrame | None = None) -> Split:
    """The rows to merge, the quarantine rows (one per row and failed rule) and how many rows were
    set aside; the batch as it is when nothing is to be quarantined.

    A row fails a quarantining rule (a check, a NULL in a NOT NULL column) and goes aside; a key
    whose rows differed at one sequence value (``mapped``: the rows before dedup) has all those
    rows set aside, and its kept row at that value is not merged. Where the load type deletes the
    keys a batch lacks (snapshot), a key set aside is *held*: present, so its Gold row stays.
    """
    failed_names = {f.name for f in failed if f.severity == QUARANTINE}
    rules = [r for r in row_rules(spec) if r.action == QUARANTINE and r.name in failed_names]
    uniques = [c for c in spec.checks if c.check == "unique" and c.severity == QUARANTINE and c.check_name in failed_names]
    conflicts = KEY_CONFLICT_CHECK in failed_names
    if not (rules or uniques or conflicts):
        return Split(batch, None, 0)
    failing = [(r.name, r.failing()) for r in rules] + [(c.check_name, ~F.col(IS_DELETE) & ~passes(c)) for c in uniques]
    helpers = [f"_hm_bad_{i}" for i in range(len(failing))]
    flagged = batch.select("*", *[condition.alias(h) for h, (_, condition) in zip(helpers, failing)])
    by_rule = any_of([F.col(h) for h in helpers])
    bad = by_rule
    if conflicts:  # the kept row stands for a key's rows at the conflicting sequence value
        bad = bad | F.coalesce(F.col(KEY_CONFLICT).isNotNull() & F.col(SEQ).eqNullSafe(F.col(KEY_CONFLICT)["seq"]), F.lit(False))
    parts = [_aside(flagged.where(F.col(h)), spec, name) for h, (name, _) in zip(helpers, failing)]
    # the one scan counted the rows failing a rule; a unique check is a window, outside that scan
    quarantined = flagged.where(by_rule).count() if uniques else int(values.get("_quarantined") or 0)
    if conflicts:
        conflicting = conflicting_rows(spec, batch, mapped)
        parts.append(_aside(conflicting, spec, KEY_CONFLICT_CHECK))
        quarantined += conflicting.count()
    good = load_of(spec).with_set_aside(spec, flagged.where(~bad).drop(*helpers), flagged.where(bad))
    return Split(good, union_all(parts), quarantined)


def check_limit(spec: TableSpec, quarantined: int, rows_read: int) -> None:
    """Fail the table when the batch set aside more rows than its ``quarantine_limit`` allows."""
    limit = spec.limit
    if limit is not None and limit.exceeded(quarantined, rows_read):
        raise ValidationFailedError(spec.table_name, [
            f"quarantine_limit {spec.quarantine_limit}: {quarantined} of the {rows_read} rows read would be set aside"])


def validate(spec: TableSpec, batch: DataFrame, *, deduplicated: bool = False, values: dict[str, object] | None = None,
             stats: BatchStats | None = None, mapped: DataFrame | None = None) -> ValidatedBatch:
    """Validate the materialized batch: fail on a failed check whose action is ``fail``, set
    rows aside (quarantine) on the others, keep the rest.

    ``values``: the batch's one scan (:func:`framework.engine.batch_stats.scan` over
    :func:`check_measures` and the statistics) when the caller made it, else it is made here.
    pandera then judges the one-row frame of those counts, so its report names each failed check
    while no check rescans the batch. Only when something is to be quarantined is the batch
    split. Keys that dedup found differing rows for (``_hm_key_conflict``) are quarantined from
    ``mapped`` (the rows before dedup), or fail the table with
    :class:`~framework.errors.KeyViolationError` (``on_key_conflict: fail``).
    """
    if values is None:
        values = scan(batch, stat_measures(spec, None) + check_measures(spec, batch, deduplicated=deduplicated))
    stats = stats or batch_stats(spec, values)
    failed = judge(spec, values)
    if any(f.name == KEY_CONFLICT_CHECK for f in failed) and mapped is None:
        raise KeyViolationError(f"{spec.table_name}: keys with differing rows, and no rows before dedup to quarantine them from")
    parted = split(spec, batch, failed, values, mapped)
    check_limit(spec, parted.rows_quarantined, stats.rows_read)
    return ValidatedBatch(parted.good, parted.quarantine, tuple(failed), parted.rows_quarantined, stats)

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
from framework.engine.columns import IS_DELETE, KEY_CONFLICT
from framework.engine.folds import all_of, union_all
from framework.engine.loads import load_of
from framework.errors import KeyViolationError, ValidationFailedError
from framework.metadata.spec import CheckSpec, TableSpec
from framework.platform.sqltext import quote_ident

KEY_UNIQUE = "primary_key_unique"


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


# -- one pass: every check's failure count in a single aggregate --------------------------------
def _fails(predicate: Column, rows: Column) -> Column:
    """How many (non-deletion) rows fail ``predicate``."""
    return F.sum(F.when(rows & ~predicate, 1).otherwise(0))


def check_measures(spec: TableSpec, batch: DataFrame, *, deduplicated: bool = False) -> list[tuple[str, Column]]:
    """(name, aggregate) of every count validation needs, all computable in one scan of the batch.

    One failure count per metadata check, one null count per non-nullable column, duplicated keys,
    and ``_quarantined`` (rows failing any warn check). Duplicated keys are not counted for a
    ``deduplicated`` batch (the engine's: dedup keeps one row per value of the load type's grain,
    by construction): a distinct count is the one measure that costs more than the scan itself.
    """
    rows = ~F.col(IS_DELETE)
    out: list[tuple[str, Column]] = []
    for chk in spec.checks:
        if chk.check == "unique":  # non-null values that occur more than once among the rows
            col = F.when(rows, F.col(quote_ident(chk.column)))
            out.append((chk.check_name, F.count(col) - F.count_distinct(col)))
        else:
            out.append((chk.check_name, _fails(passes(chk), rows)))
    for c in spec.columns:
        if not c.nullable:
            out.append((f"{c.name}_not_nullable", _fails(F.col(quote_ident(c.name)).isNotNull(), rows)))
    if not deduplicated:
        grain = [F.col(quote_ident(c)) for c in load_of(spec).dedup_grain(spec)]
        out.append((KEY_UNIQUE, F.sum(F.when(rows, 1).otherwise(0)) - F.count_distinct(F.when(rows, F.struct(*grain)))))
    warn = [passes(c) for c in spec.checks if c.severity == "warn" and c.check != "unique"]
    if warn:
        out.append(("_quarantined", _fails(all_of(warn), rows)))
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
    """pandera's verdict on the counts, as named checks with their severity and failing rows."""
    judged = {k: v for k, v in counts.items() if not k.startswith("_")}
    try:
        verdict_schema(spec, counts).validate(pd.DataFrame([judged], dtype="int64"), lazy=True)
    except pa.errors.SchemaErrors as report:
        failures = report.failure_cases.to_dict("records")
    else:
        return []
    severity = {c.check_name: c.severity for c in spec.checks}
    failed = []
    for case in failures:
        name = str(case["column"])
        what = "duplicate key rows" if name == KEY_UNIQUE else "failing rows"
        failed.append(FailedCheck(name, severity.get(name, "error"), f"{case['failure_case']} {what}"))
    return failed


# -- the step ----------------------------------------------------------------------------------
def judge(spec: TableSpec, values: dict[str, object]) -> list[FailedCheck]:
    """The verdict on a scan's counts: a key conflict or a failed ``error`` check raises, else the
    failed ``warn`` checks (to quarantine by)."""
    counts = {name: int(value or 0) for name, value in values.items() if not name.startswith("_") or name == KEY_CONFLICTS}
    if counts.get(KEY_CONFLICTS):
        raise key_violation(spec, counts[KEY_CONFLICTS], values[CONFLICT_EXAMPLE])
    failed = failed_checks_of(spec, counts)
    blocking = [f for f in failed if f.severity == "error"]
    if blocking:
        raise ValidationFailedError(spec.table_name, [str(f) for f in blocking])
    return failed


def split(spec: TableSpec, batch: DataFrame, failed: list[FailedCheck], values: dict[str, object]) -> tuple[DataFrame, DataFrame | None, int]:
    """The rows to merge, the quarantine rows (one per row and failed warn check) and how many rows
    were set aside; the batch as it is when no warn check failed."""
    failed_warn = [c for c in spec.checks if c.severity == "warn" and c.check_name in {f.name for f in failed}]
    if not failed_warn:
        return batch, None, 0
    rows = batch.where(~F.col(IS_DELETE))
    flags = {c.check_name: passes(c) for c in failed_warn}
    flagged = rows.select("*", *[flag.alias(f"_hm_ok_{i}") for i, flag in enumerate(flags.values())])
    ok_all = all_of([F.col(f"_hm_ok_{i}") for i in range(len(flags))])
    row_json = F.to_json(F.struct(*[F.col(quote_ident(c)) for c in spec.column_names]))
    quarantine = union_all([
        flagged.where(~F.col(f"_hm_ok_{i}")).select(F.lit(name).alias("check_name"), F.lit("warn").alias("severity"), row_json.alias("row_json"))
        for i, name in enumerate(flags)
    ])
    good = flagged.where(ok_all).drop(*[f"_hm_ok_{i}" for i in range(len(flags))]).unionByName(batch.where(F.col(IS_DELETE)))
    if any(c.check == "unique" for c in failed_warn):  # a window predicate: not in the one pass
        return good, quarantine, flagged.where(~ok_all).count()
    return good, quarantine, int(values.get("_quarantined") or 0)


def validate(spec: TableSpec, batch: DataFrame, *, deduplicated: bool = False, values: dict[str, object] | None = None,
             stats: BatchStats | None = None) -> ValidatedBatch:
    """Validate the materialized batch; fail on ``error`` checks, split rows on ``warn``.

    ``values``: the batch's one scan (:func:`framework.engine.batch_stats.scan` over
    :func:`check_measures` and the statistics) when the caller made it, else it is made here.
    pandera then judges the one-row frame of counts, so its report names each failed check while
    no check rescans the batch. Only when a ``warn`` check failed is the batch split. Keys that
    dedup found differing rows for (``_hm_key_conflict``) fail the table with
    :class:`~framework.errors.KeyViolationError` before the checks are judged.
    """
    if values is None:
        values = scan(batch, stat_measures(spec, None) + check_measures(spec, batch, deduplicated=deduplicated))
    failed = judge(spec, values)
    good, quarantine, quarantined = split(spec, batch, failed, values)
    return ValidatedBatch(good, quarantine, tuple(failed), quarantined, stats or batch_stats(spec, values))

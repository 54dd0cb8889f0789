"""Validation of the prepared batch with pandera, and the row split pandera does not do.

pandera's PySpark backend reports *which* checks failed, not *which rows*. So every check is
built twice from the same metadata: as a pandera check (the verdict, reported by name) and as a
Spark predicate (the row split for ``warn`` checks). A row passes a predicate when it is TRUE or
NULL, as pandera's PySpark checks and SQL CHECK constraints do (``not_null`` aside).

The batch is materialized once before validation, so pandera's one action per check reads memory,
not the source. Deletion rows carry only keys and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandera.pyspark as pa
from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from framework.engine.columns import IS_DELETE, SEQ, SOURCE_ROWS
from framework.engine.folds import all_of, union_all
from framework.errors import ValidationFailedError
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
    """What survives validation, what is set aside, and the counts of the batch."""

    good: DataFrame  # rows to merge (deletions included)
    quarantine: DataFrame | None  # check_name, severity, row_json; None when nothing failed
    failed_checks: tuple[FailedCheck, ...]
    rows_read: int
    rows_deduplicated: int
    rows_quarantined: int


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


# -- pandera schema (verdict) ----------------------------------------------------------------
def _frame_check(chk: CheckSpec) -> pa.Check:
    """A DataFrame-level pandera check that fails when any row fails the predicate."""

    def no_failures(df: DataFrame) -> bool:
        return df.where(~passes(chk)).limit(1).count() == 0

    return pa.Check(no_failures, error=chk.check_name)


def pandera_check(chk: CheckSpec) -> tuple[str | None, pa.Check]:
    """(column or None for frame-level, check) for one metadata check."""
    value, name = chk.value, chk.check_name
    builtin = {
        "isin": lambda: pa.Check.isin(value, error=name),
        "notin": lambda: pa.Check.notin(value, error=name),
        "ge": lambda: pa.Check.ge(value, error=name),
        "gt": lambda: pa.Check.gt(value, error=name),
        "le": lambda: pa.Check.le(value, error=name),
        "lt": lambda: pa.Check.lt(value, error=name),
        "between": lambda: pa.Check.in_range(value[0], value[1], error=name),
        "str_matches": lambda: pa.Check.str_matches(value, error=name),
    }
    if chk.check in builtin:
        return chk.column, builtin[chk.check]()
    return None, _frame_check(chk)  # not_null, unique, expr: our predicate, pandera's verdict


def pandera_schema(spec: TableSpec, df: DataFrame) -> pa.DataFrameSchema:
    """Types, nullability, key uniqueness and the metadata's checks as one pandera schema."""
    column_checks: dict[str, list[pa.Check]] = {c: [] for c in spec.column_names}
    frame_checks: list[pa.Check] = []
    for chk in spec.checks:
        column, check = pandera_check(chk)
        (column_checks[column] if column else frame_checks).append(check)
    columns = {
        c.name: pa.Column(df.schema[c.name].dataType, checks=column_checks[c.name], nullable=c.nullable)
        for c in spec.columns
    }
    unique = list(spec.primary_keys)
    if spec.load_type == "scd2":
        columns[SEQ] = pa.Column(df.schema[SEQ].dataType, nullable=True)
        unique.append(SEQ)
    return pa.DataFrameSchema(columns, checks=frame_checks, unique=unique, name=spec.table_name)


def failed_checks_of(spec: TableSpec, errors: dict) -> list[FailedCheck]:
    """Translate pandera's error report into named checks with their severity."""
    severity = {c.check_name: c.severity for c in spec.checks}
    failed: list[FailedCheck] = []
    for category in errors.values():
        for reason, items in category.items():
            for item in items:
                check, column = str(item.get("check")), item.get("column")
                if reason == "DUPLICATES":
                    name = KEY_UNIQUE
                elif check == "not_nullable":
                    name = f"{column}_not_nullable"
                elif check.startswith("dtype("):
                    name = f"{column}_dtype"
                else:
                    name = check
                failed.append(FailedCheck(name, severity.get(name, "error"), str(item.get("error"))))
    return failed


# -- the step ----------------------------------------------------------------------------------
def validate(spec: TableSpec, batch: DataFrame) -> ValidatedBatch:
    """Run pandera on the materialized batch; fail on ``error`` checks, split rows on ``warn``."""
    rows = batch.where(~F.col(IS_DELETE))
    warn_checks = [c for c in spec.checks if c.severity == "warn"]
    stats = batch.agg(
        F.coalesce(F.sum(SOURCE_ROWS), F.lit(0)).alias("read"), F.count(F.lit(1)).alias("kept")
    ).first()
    validated = pandera_schema(spec, batch).validate(rows)
    failed = failed_checks_of(spec, dict(validated.pandera.errors))
    errors = [f for f in failed if f.severity == "error"]
    if errors:
        raise ValidationFailedError(spec.table_name, [str(f) for f in errors])

    failed_warn = [c for c in warn_checks if c.check_name in {f.name for f in failed}]
    good, quarantine, quarantined = batch, None, 0
    if failed_warn:
        flags = {c.check_name: passes(c) for c in failed_warn}
        flagged = rows.select("*", *[flag.alias(f"_hm_ok_{i}") for i, flag in enumerate(flags.values())])
        ok_all = all_of([F.col(f"_hm_ok_{i}") for i in range(len(flags))])
        row_json = F.to_json(F.struct(*[F.col(quote_ident(c)) for c in spec.column_names]))
        parts = [
            flagged.where(~F.col(f"_hm_ok_{i}")).select(
                F.lit(name).alias("check_name"), F.lit("warn").alias("severity"), row_json.alias("row_json")
            )
            for i, name in enumerate(flags)
        ]
        quarantine = union_all(parts)
        keep = flagged.where(ok_all).drop(*[f"_hm_ok_{i}" for i in range(len(flags))])
        good = keep.unionByName(batch.where(F.col(IS_DELETE)))
        quarantined = flagged.where(~ok_all).count()
    return ValidatedBatch(
        good=good,
        quarantine=quarantine,
        failed_checks=tuple(failed),
        rows_read=int(stats["read"]),
        rows_deduplicated=int(stats["read"]) - int(stats["kept"]),
        rows_quarantined=int(quarantined),
    )

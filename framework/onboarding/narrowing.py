"""Declared types that cannot hold what their column's expression yields: narrowing casts, caught at onboarding.

The run casts each column's expression to its declared ``type``. When the expression's own type
is wider, the cast silently rounds, truncates, overflows to NULL or drops the time of day: a
design's bare ``DECIMAL`` (Spark reads it as DECIMAL(10,0)) over usage quantities that are
DECIMAL(38,18) would keep whole units only. So onboarding types every expression over the source
(:mod:`framework.onboarding.shapes`: the live table, else the packaged system-table DDL) and holds
the declared type against it with :func:`loss`. A loss that is intended is stated in ``expr``
(``CAST(x AS DECIMAL(10,2))``): the expression's own type is then the declared one.

What counts as a loss is :func:`framework.engine.type_loss.loss`'s (the run holds a source whose
types changed since onboarding against the same rule).
"""

from __future__ import annotations

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType

from framework.engine.probe import expected_errors_muted
from framework.engine.type_loss import loss, sql_type
from framework.errors import SpecIssue
from framework.metadata.spec import ColumnSpec, TableSpec
from framework.onboarding.shapes import Shape

# -- typing the columns over the source ---------------------------------------------------------

def _typed(spec: TableSpec, rows: DataFrame, columns: list[ColumnSpec]) -> dict[str, DataType]:
    """The type of each column's expression over ``rows`` (one analysis); raises when one does not resolve."""
    order = columns
    with expected_errors_muted():  # a classic session analyses in select(), Spark Connect in schema
        if spec.aggregate:  # key columns are GROUP BY expressions, the others aggregates
            keys = [c for c in columns if c.name in spec.primary_keys]
            others = [c for c in columns if c.name not in spec.primary_keys]
            grouped, aggregates = [F.expr(c.expr) for c in keys], [F.expr(c.expr) for c in others]
            typed = rows.groupBy(*grouped).agg(*aggregates) if aggregates else rows.select(*grouped)
            order = keys + others
        else:  # the texts in one call (a Column each would cost a round trip each)
            typed = rows.selectExpr(*[c.expr for c in columns])
        fields = typed.schema.fields
    return {c.name: f.dataType for c, f in zip(order, fields)}


def expression_types(spec: TableSpec, rows: DataFrame) -> dict[str, DataType]:
    """The type each column's expression yields over ``rows``, for the columns that resolve there.

    One analysis for the whole spec; only when it fails, one per column, leaving out those that do
    not resolve (an expression over a join not known yet; a mistake the run reports, naming it).
    """
    try:
        return _typed(spec, rows, list(spec.columns))
    except PySparkException:
        found: dict[str, DataType] = {}
        for column in spec.columns:
            try:
                found.update(_typed(spec, rows, [column]))
            except PySparkException:
                continue
        return found


def declared_types(spec: TableSpec, spark) -> dict[str, DataType]:
    """Each column's declared type as Spark reads it (``DECIMAL`` is DECIMAL(10,0)); unparsable ones left out
    (:func:`framework.engine.probe.sql_issues` reports them)."""

    def read(columns: list[ColumnSpec]) -> dict[str, DataType]:
        with expected_errors_muted():
            fields = spark.range(0).selectExpr(*[f"CAST(NULL AS {c.type})" for c in columns]).schema.fields
        return {c.name: f.dataType for c, f in zip(columns, fields)}

    columns = [c for c in spec.columns if isinstance(c.type, str) and c.type]
    try:
        return read(columns) if columns else {}
    except (PySparkException, ValueError, TypeError):
        found: dict[str, DataType] = {}
        for column in columns:
            try:
                found.update(read([column]))
            except (PySparkException, ValueError, TypeError):
                continue
        return found


def _as_declared(column: ColumnSpec, declared: DataType) -> str:
    """The declared type as written, and as Spark reads it when that says more (``DECIMAL``)."""
    read = sql_type(declared)
    same = "".join(column.type.split()).upper() == "".join(read.split()).upper()
    return repr(column.type) if same else f"{column.type!r} (which Spark reads as {read})"


def narrowing_issues(spec: TableSpec, shape: Shape | None, spark) -> list[SpecIssue]:
    """One issue per column whose declared type cannot hold its expression's type over ``shape``.

    No shape (a source that does not exist and is no packaged system table): nothing is checked,
    the run types the columns.
    """
    if shape is None:
        return []
    produced = expression_types(spec, shape.rows)
    declared = declared_types(spec, spark)
    issues = []
    for column in spec.columns:
        source, target = produced.get(column.name), declared.get(column.name)
        if source is None or target is None:
            continue
        reason = loss(source, target)
        if reason is None:
            continue
        issues.append(SpecIssue(spec.table_name, f"columns[{column.name}].type", (
            f"narrowing cast: expr {column.expr!r} is {sql_type(source)} over {shape.described}, and the declared "
            f"{_as_declared(column, target)} cannot hold it without loss ({reason}). Declare {sql_type(source)}, or, "
            f"if the loss is intended, write the cast in expr: CAST({column.expr} AS {sql_type(target)})"
        )))
    return issues

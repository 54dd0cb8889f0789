"""Declared types that cannot hold what their column's expression yields: narrowing casts, caught at onboarding.

The run casts each column's expression to its declared ``type``. When the expression's own type
is wider, the cast silently rounds, truncates, overflows to NULL or drops the time of day: a
design's bare ``DECIMAL`` (Spark reads it as DECIMAL(10,0)) over usage quantities that are
DECIMAL(38,18) would keep whole units only. So onboarding types every expression over the source
(:mod:`framework.onboarding.shapes`: the live table, else the packaged system-table DDL) and holds
the declared type against it with :func:`loss`. A loss that is intended is stated in ``expr``
(``CAST(x AS DECIMAL(10,2))``): the expression's own type is then the declared one.

What counts as a loss (:func:`loss`): within numbers, a decimal with fewer integer digits or less
scale, a smaller integral type, floating -> decimal or integral, more significant digits than a
FLOAT (6) or DOUBLE (15) keeps, a number -> BOOLEAN; TIMESTAMP -> DATE; the same inside arrays,
maps and structs. Equal and widening types pass, and anything -> STRING. Conversions between
other kinds (STRING -> number or date: a parse) are not judged here: a value that does not parse
becomes NULL, which ``nullable: false`` and ``not_null`` checks catch at run time.
"""

from __future__ import annotations

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    ByteType,
    DataType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegerType,
    LongType,
    MapType,
    NullType,
    ShortType,
    StringType,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from framework.engine.probe import expected_errors_muted
from framework.errors import SpecIssue
from framework.metadata.spec import ColumnSpec, TableSpec
from framework.onboarding.flatten import sql_type
from framework.onboarding.shapes import Shape

# integral type -> digits of its largest value (as Spark sizes its DECIMAL), and the digits of
# which every number fits (127 has 3 digits, but 999 does not fit a BYTE)
_INTEGRAL_DIGITS = {ByteType: 3, ShortType: 5, IntegerType: 10, LongType: 19}
_INTEGRAL_SAFE = {ByteType: 2, ShortType: 4, IntegerType: 9, LongType: 18}
# binary floating point -> significant decimal digits it keeps exactly
_FLOAT_DIGITS = {FloatType: 6, DoubleType: 15}


def _exact(data_type: DataType) -> tuple[int, int] | None:
    """(integer digits, scale) of an exact numeric type, None for any other type."""
    if isinstance(data_type, DecimalType):
        return data_type.precision - data_type.scale, data_type.scale
    digits = _INTEGRAL_DIGITS.get(type(data_type))
    return None if digits is None else (digits, 0)


def _numeric_loss(source: DataType, declared: DataType) -> str | None:
    exact, floating = _exact(source), _FLOAT_DIGITS.get(type(source))
    if exact is None and floating is None:
        return None
    if isinstance(declared, DecimalType):
        if floating:
            return "a floating-point value has no fixed scale: it is rounded, and overflows to NULL beyond the integer digits"
        problems = []
        if declared.precision - declared.scale < exact[0]:
            problems.append(f"fewer integer digits, {declared.precision - declared.scale} < {exact[0]}: larger values overflow to NULL")
        if declared.scale < exact[1]:
            problems.append(f"less scale, {declared.scale} < {exact[1]}: digits after the point are rounded away")
        return "; ".join(problems) or None
    if type(declared) in _INTEGRAL_DIGITS:
        if floating:
            return "the fraction is dropped, and values beyond the integral range overflow"
        if isinstance(source, DecimalType):
            problems = []
            if exact[0] > _INTEGRAL_SAFE[type(declared)]:
                problems.append(f"fewer integer digits, {_INTEGRAL_SAFE[type(declared)]} < {exact[0]}: larger values overflow")
            if exact[1]:
                problems.append(f"the fraction is dropped (scale {exact[1]})")
            return "; ".join(problems) or None
        if exact[0] > _INTEGRAL_DIGITS[type(declared)]:
            return "a smaller integral type: larger values overflow"
        return None
    kept = _FLOAT_DIGITS.get(type(declared))
    if kept:
        digits = floating if floating else exact[0] + exact[1]
        if digits > kept:
            return f"{digits} significant digits, of which {sql_type(declared)} keeps {kept} exactly"
        return None
    if isinstance(declared, BooleanType):
        return "only true/false is kept of a number"
    return None


def loss(source: DataType, declared: DataType) -> str | None:
    """What casting a ``source`` value to ``declared`` can lose, or None when every value survives.

    Nullability is not compared (the run casts values, not schemas).
    """
    if source == declared or isinstance(declared, StringType) or isinstance(source, NullType):
        return None
    numeric = _numeric_loss(source, declared)
    if numeric:
        return numeric
    if isinstance(declared, DateType) and isinstance(source, (TimestampType, TimestampNTZType)):
        return "the time of day is dropped"
    if isinstance(source, ArrayType) and isinstance(declared, ArrayType):
        inner = loss(source.elementType, declared.elementType)
        return None if inner is None else f"in the array's elements: {inner}"
    if isinstance(source, MapType) and isinstance(declared, MapType):
        for part, a, b in (("keys", source.keyType, declared.keyType), ("values", source.valueType, declared.valueType)):
            inner = loss(a, b)
            if inner:
                return f"in the map's {part}: {inner}"
        return None
    if isinstance(source, StructType) and isinstance(declared, StructType) and len(source.fields) == len(declared.fields):
        for a, b in zip(source.fields, declared.fields):  # a struct cast matches fields by position
            inner = loss(a.dataType, b.dataType)
            if inner:
                return f"in field {b.name!r}: {inner}"
    return None


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

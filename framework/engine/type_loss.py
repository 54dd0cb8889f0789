"""Which type conversions lose values: the rule behind the narrowing-cast check.

Every Gold column is ``CAST(expr AS type)``. When the expression's own type is wider than the
declared one, the cast silently rounds, truncates, overflows to NULL or drops the time of day.
Onboarding holds each declared type against its expression's type over the source
(:mod:`framework.onboarding.narrowing`); a run holds them again when the source's schema changed
since (:func:`framework.engine.transform.source_type_losses`: a widened source column fails the
table instead of being cut down without a word).

What counts as a loss (:func:`loss`): within numbers, a decimal with fewer integer digits or less
scale, a smaller integral type, floating -> decimal or integral, more significant digits than a
FLOAT (6) or DOUBLE (15) keeps, a number -> BOOLEAN; TIMESTAMP -> DATE; the same inside arrays,
maps and structs. Equal and widening types pass, and anything -> STRING. Conversions between
other kinds (STRING -> number or date: a parse) are not judged here: a value that does not parse
becomes NULL, which ``nullable: false`` and ``not_null`` checks catch at run time.
"""

from __future__ import annotations

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

from framework.platform.sqltext import quote_ident


def sql_type(data_type: DataType) -> str:
    """A Spark SQL type literal for ``data_type`` that ``CAST(... AS <it>)`` accepts.

    ``simpleString`` leaves struct field names unquoted; a field named like a keyword or with a
    dash would then not parse back, so nested field names are backtick-quoted here.
    """
    if isinstance(data_type, StructType):
        inner = ", ".join(f"{quote_ident(f.name)}: {sql_type(f.dataType)}" for f in data_type.fields)
        return f"STRUCT<{inner}>"
    if isinstance(data_type, ArrayType):
        return f"ARRAY<{sql_type(data_type.elementType)}>"
    if isinstance(data_type, MapType):
        return f"MAP<{sql_type(data_type.keyType)}, {sql_type(data_type.valueType)}>"
    if isinstance(data_type, DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    return data_type.simpleString().upper()


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

"""Design defects are caught, not copied (issue 9, item 4): the tests that need no Spark (the rest, and the context, in tests/spark/test_design_defects.py)."""

from __future__ import annotations

import pytest
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    ByteType,
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
    StructField,
    StructType,
    TimestampNTZType,
    TimestampType,
)

from framework.engine.type_loss import loss

D = DecimalType

@pytest.mark.parametrize("source, declared, lost", [
    # equal and widening: nothing lost
    (D(38, 18), D(38, 18), None),
    (D(10, 2), D(12, 4), None),
    (IntegerType(), LongType(), None),
    (ByteType(), ShortType(), None),
    (LongType(), D(19, 0), None),
    (IntegerType(), D(10, 0), None),
    (D(9, 0), IntegerType(), None),
    (IntegerType(), DoubleType(), None),
    (D(15, 5), DoubleType(), None),
    (FloatType(), DoubleType(), None),
    (DateType(), TimestampType(), None),
    (TimestampType(), TimestampNTZType(), None),
    (NullType(), IntegerType(), None),
    (BooleanType(), IntegerType(), None),
    (StringType(), IntegerType(), None),  # a parse, not judged: a value that does not parse is NULL
    # anything -> STRING
    (D(38, 18), StringType(), None),
    (TimestampType(), StringType(), None),
    (MapType(StringType(), D(38, 18)), StringType(), None),
    # narrowing
    (D(38, 18), D(10, 0), "fewer integer digits, 10 < 20: larger values overflow to NULL; less scale, 0 < 18: digits after the point are rounded away"),
    (D(38, 18), D(38, 6), "less scale, 6 < 18: digits after the point are rounded away"),
    (D(20, 2), D(19, 2), "fewer integer digits, 17 < 18: larger values overflow to NULL"),
    (LongType(), D(18, 0), "fewer integer digits, 18 < 19: larger values overflow to NULL"),
    (LongType(), IntegerType(), "a smaller integral type: larger values overflow"),
    (ShortType(), ByteType(), "a smaller integral type: larger values overflow"),
    (D(10, 0), IntegerType(), "fewer integer digits, 9 < 10: larger values overflow"),
    (D(10, 2), LongType(), "the fraction is dropped (scale 2)"),
    (DoubleType(), D(38, 18), "a floating-point value has no fixed scale: it is rounded, and overflows to NULL beyond the integer digits"),
    (DoubleType(), LongType(), "the fraction is dropped, and values beyond the integral range overflow"),
    (DoubleType(), FloatType(), "15 significant digits, of which FLOAT keeps 6 exactly"),
    (LongType(), DoubleType(), "19 significant digits, of which DOUBLE keeps 15 exactly"),
    (D(38, 18), DoubleType(), "38 significant digits, of which DOUBLE keeps 15 exactly"),
    (IntegerType(), BooleanType(), "only true/false is kept of a number"),
    (TimestampType(), DateType(), "the time of day is dropped"),
    (TimestampNTZType(), DateType(), "the time of day is dropped"),
    (ArrayType(D(38, 18)), ArrayType(D(38, 6)), "in the array's elements: less scale, 6 < 18: digits after the point are rounded away"),
    (MapType(StringType(), LongType()), MapType(StringType(), IntegerType()), "in the map's values: a smaller integral type: larger values overflow"),
    (StructType([StructField("a", StringType()), StructField("t", TimestampType())]),
     StructType([StructField("a", StringType()), StructField("day", DateType())]), "in field 'day': the time of day is dropped"),
])
def test_a_cast_loses_exactly_what_the_declared_type_cannot_hold(source, declared, lost):
    assert loss(source, declared) == lost

"""Typed SQL literals (framework.platform.sqltext.sql_literal): what the audit append writes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pyspark.sql.types import ArrayType, BooleanType, DoubleType, LongType, MapType, StringType, TimestampType

from framework.errors import UnsafeSqlError
from framework.platform.sqltext import sql_literal


@pytest.mark.parametrize(("value", "data_type", "expected"), [
    (None, ArrayType(StringType()), "CAST(NULL AS array<string>)"),
    (True, BooleanType(), "CAST(true AS boolean)"),
    (7, LongType(), "CAST('7' AS bigint)"),
    (2.0, DoubleType(), "CAST('2.0' AS double)"),
    (1e-05, DoubleType(), "CAST('1e-05' AS double)"),
    ("it's \\ here", StringType(), "CAST('it\\'s \\\\ here' AS string)"),
    ("${catalog}.x", StringType(), "CAST('\\u0024{catalog}.x' AS string)"),  # no ${...} left for Spark to substitute
    (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), TimestampType(), "CAST(TIMESTAMP '2026-01-02 03:04:05.000000+00:00' AS timestamp)"),
    ([], ArrayType(StringType()), "CAST(ARRAY() AS array<string>)"),
    (["a", None], ArrayType(StringType()), "CAST(ARRAY(CAST('a' AS string), CAST(NULL AS string)) AS array<string>)"),
    ({"merge": 1.5}, MapType(StringType(), DoubleType()), "CAST(MAP(CAST('merge' AS string), CAST('1.5' AS double)) AS map<string,double>)"),
])
def test_each_value_becomes_a_literal_cast_to_its_column_type(value, data_type, expected):
    assert sql_literal(value, data_type) == expected


def test_a_value_without_a_literal_form_is_refused():
    with pytest.raises(UnsafeSqlError, match="bytes"):
        sql_literal(b"x", StringType())

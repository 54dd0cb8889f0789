"""Rows held in Python become the same DataFrame through Arrow as through ``createDataFrame``'s own
list path (framework/platform/local_rows.py): every type the control table and the demo Bronze use,
nested ones included, column comments kept, a timestamp read as the same instant whether it comes
naive (local time) or with an offset."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from pyspark.sql.types import StructType

from framework.platform.local_rows import rows_frame

DDL = ("id STRING NOT NULL COMMENT 'the key', n BIGINT, d DECIMAL(18,6), dt DATE, ts TIMESTAMP, "
       "s STRUCT<a: INT, b: ARRAY<STRING>>, m MAP<STRING, STRUCT<x: DOUBLE>>, "
       "arr ARRAY<STRUCT<name: STRING, t: TIMESTAMP>>, b BINARY, f BOOLEAN")
EAST = timezone(timedelta(hours=5))
ROWS = [
    ("a", 1, Decimal("1.5"), date(2026, 1, 2), datetime(2026, 1, 1, 1), {"a": 1, "b": ["x", None]}, {"k": {"x": 1.5}},
     [{"name": "c", "t": datetime(2026, 1, 1, 2, tzinfo=UTC)}, {"name": "e", "t": datetime(2026, 1, 1, 9, tzinfo=EAST)}], b"\x00\x01", True),
    ("b", None, None, None, datetime(2026, 1, 1, 3, tzinfo=EAST), (2, None), {}, [], None, None),
    ("c", None, None, None, None, None, None, None, None, False),
]


def test_rows_through_arrow_equal_the_list_path_in_schema_and_values(spark):
    schema = StructType.fromDDL(DDL)
    listed, arrowed = spark.createDataFrame(ROWS, schema), rows_frame(spark, ROWS, schema)
    assert arrowed.schema == listed.schema and arrowed.schema["id"].metadata == {"comment": "the key"}
    as_text = ["id", "cast(ts AS STRING) ts", "transform(arr, e -> cast(e.t AS STRING)) ts_nested", "to_json(s) s", "to_json(m) m", "*"]
    arrowed_rows = arrowed.selectExpr(*as_text).collect()
    assert sorted(map(repr, arrowed_rows)) == sorted(map(repr, listed.selectExpr(*as_text).collect()))
    as_utc = {r.id: (r.ts, r.ts_nested) for r in arrowed_rows}
    assert as_utc["b"][0] == "2025-12-31 22:00:00"  # 03:00 at +05:00
    assert as_utc["a"][1] == ["2026-01-01 02:00:00", "2026-01-01 04:00:00"]  # the session's time zone is UTC


def test_the_tests_bronze_written_by_delta_rs_is_what_a_spark_write_leaves(lakehouse):
    """tests/harness.py writes Bronze with delta-rs (decision 146): the table Spark then reads has
    the schema (names, types, every column nullable) and the values a Spark write of the same rows
    leaves, after a create, an append and a replace; and delta-rs did write it."""
    from deltalake import DeltaTable

    from tests import harness

    plain = DDL.replace(" COMMENT 'the key'", "")  # delta-rs writes no column comments: such a DDL goes to Spark
    spark_made = harness.make_source(lakehouse, "by_spark", plain)  # Spark's CREATE TABLE, then Spark appends to it
    harness.frame(lakehouse, ROWS[:2], plain).write.format("delta").mode("append").saveAsTable(spark_made)
    by_rs = harness.make_source(lakehouse, "by_delta_rs", plain, ROWS[:2])
    harness.add_rows(lakehouse, "by_delta_rs", plain, ROWS[2:])
    harness.frame(lakehouse, ROWS[2:], plain).write.format("delta").mode("append").saveAsTable(spark_made)
    as_text = ["id", "cast(ts AS STRING) ts", "transform(arr, e -> cast(e.t AS STRING)) ts_nested", "to_json(s) s", "to_json(m) m", "*"]

    def read(name):
        return sorted(map(repr, lakehouse.spark.table(name).selectExpr(*as_text).collect()))

    written = lakehouse.spark.table(by_rs).schema
    assert [(f.name, f.dataType, f.nullable) for f in written.fields] == [(f.name, f.dataType, True) for f in StructType.fromDDL(plain).fields]
    assert read(by_rs) == read(spark_made) and len(read(by_rs)) == 3
    harness.replace_rows(lakehouse, "by_delta_rs", plain, ROWS[1:2])
    assert read(by_rs) == [r for r in read(spark_made) if r.startswith("Row(id='b'")]
    history = DeltaTable(str(lakehouse.location(by_rs))).history()
    assert [(h["operation"], h["engineInfo"].split(":")[0]) for h in history] == [("WRITE", "delta-rs")] * 3  # create, append, replace

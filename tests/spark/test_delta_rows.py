"""The tests' Delta reader (tests/delta_rows.py) hands back exactly what Spark's ``collect()`` does.

delta-rs reads the lakehouse's tables for the tests' assertions; these tests hold its rows equal
to Spark's, value for value and type for type, on every column type the framework writes (nested
ones, NULLs, an instant and a local date-time), on a table whose rows were updated and deleted
through deletion vectors, at an older version, filtered and ordered; and they check that delta-rs
did answer (a silent fallback to Spark would make the module pointless), and that what it cannot
read (a view) Spark does.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from tests import delta_rows
from tests.harness import frame

TYPES = ("id BIGINT, name STRING, amount DECIMAL(18,6), ratio DOUBLE, share FLOAT, small INT, flag BOOLEAN, day DATE, "
         "at TIMESTAMP, local_at TIMESTAMP_NTZ, tags ARRAY<STRING>, attrs MAP<STRING,STRING>, "
         "owner STRUCT<name: STRING, team: STRUCT<id: INT, members: ARRAY<STRING>>>, "
         "events ARRAY<STRUCT<kind: STRING, at: TIMESTAMP>>, lookup MAP<STRING, ARRAY<BIGINT>>, blob BINARY")
ROWS = [
    (1, "a", Decimal("1.500000"), 0.25, 1.5, 7, True, date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5, 678901), datetime(2026, 1, 2, 3, 4, 5),
     ["x", "y"], {"k": "v", "n": None}, ("ann", (3, ["bo", "cy"])), [("start", datetime(2026, 1, 2, 3, 0))], {"p": [1, 2], "q": []},
     bytearray(b"\x00\x01")),
    (2, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None),
    (3, "c", Decimal("-2.000001"), -1e300, -0.5, -1, False, date(1999, 12, 31), datetime(1999, 12, 31, 23, 59, 59), datetime(1970, 1, 1),
     [], {}, ("dee", None), [], {"r": None}, bytearray()),
]


def spark_rows(lh, name: str, sql_tail: str = "") -> list:
    return lh.spark.sql(f"SELECT * FROM {name} {sql_tail}").collect()


def test_delta_rs_rows_are_sparks_for_every_type_through_deletion_vectors_and_versions(lakehouse):
    name = lakehouse.params.gold("every_type")
    frame(lakehouse, ROWS, TYPES).write.format("delta").option("path", str(lakehouse.location(name))) \
        .option("delta.enableDeletionVectors", "true").saveAsTable(name)
    lakehouse.spark.sql(f"UPDATE {name} SET name = 'c2' WHERE id = 3")  # deletion vectors: the old row masked, not rewritten
    lakehouse.spark.sql(f"DELETE FROM {name} WHERE id = 2")
    folder = lakehouse.location(name)
    assert any(f.name.startswith("deletion_vector") for f in folder.iterdir())

    read = delta_rows._read_delta(folder, None, None, ["id"], None)
    assert read is not None  # delta-rs answered
    assert read == spark_rows(lakehouse, name, "ORDER BY id")
    assert [tuple(r) for r in read] == [tuple(r) for r in spark_rows(lakehouse, name, "ORDER BY id")]
    assert [r.asDict(recursive=True) for r in read] == [r.asDict(recursive=True) for r in spark_rows(lakehouse, name, "ORDER BY id")]
    assert [type(v) for v in read[0]] == [type(v) for v in spark_rows(lakehouse, name, "ORDER BY id")[0]]

    first = delta_rows._read_delta(folder, None, None, ["id"], 0)  # before the update and the delete
    assert first is not None and first == spark_rows(lakehouse, name, "VERSION AS OF 0 ORDER BY id") and len(first) == 3

    # a column subset (named in another case), a filter, NULLs first in the order
    picked = delta_rows.rows(lakehouse, name, ["NAME", "day"], where="id >= 1", order=["day"], version=0)
    assert picked == lakehouse.spark.sql(f"SELECT name, day FROM {name} VERSION AS OF 0 WHERE id >= 1 ORDER BY day").collect()
    assert picked[0].day is None and picked[0].__fields__ == ["name", "day"]
    # a path into a struct is Spark's to select (delta-rs declines it)
    assert delta_rows._read_delta(folder, ["owner.name"], None, None, None) is None
    assert delta_rows.rows(lakehouse, name, ["id", "owner.team.id"], order=["id"]) == [(1, 3), (3, None)]


def test_a_view_is_read_by_spark(lakehouse):
    table, view = lakehouse.params.gold("viewed_rows"), lakehouse.params.gold("viewed_rows_v")
    frame(lakehouse, ROWS[:1], TYPES).write.format("delta").option("path", str(lakehouse.location(table))).saveAsTable(table)
    lakehouse.spark.sql(f"CREATE VIEW {view} AS SELECT id, tags FROM {table}")
    assert delta_rows.rows(lakehouse, view) == lakehouse.spark.table(view).collect() == [(1, ["x", "y"])]

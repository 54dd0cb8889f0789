"""A local table's history read from its log folder is what ``DESCRIBE HISTORY`` says, and names
the log cannot vouch for are asked of Spark instead."""

from __future__ import annotations

from framework.platform.delta_log import HISTORY_COLUMNS
from framework.platform.sqltext import quote_table
from tests.harness import add_rows, make_source

THINGS = "id STRING, amount BIGINT"
MARKER = "spark.databricks.delta.commitInfo.userMetadata"


def described(lh, name: str, limit: int) -> list[dict]:
    rows = lh.spark.sql(f"DESCRIBE HISTORY {quote_table(name)} LIMIT {limit}").collect()
    return [{c: row[c] for c in HISTORY_COLUMNS} for row in rows]


def test_the_log_folder_gives_describe_historys_rows_for_every_kind_of_commit(lakehouse):
    lh, spark = lakehouse, lakehouse.spark
    name = make_source(lh, "things", THINGS)  # CREATE TABLE, then two appends: every kind of commit
    add_rows(lh, "things", THINGS, [("a", 1), ("b", 2)])  # another writer's commit (delta-rs: its metrics are numbers)
    spark.createDataFrame([("c", 3)], THINGS).write.format("delta").mode("append").saveAsTable(name)  # Spark's
    spark.createDataFrame([("a", 10), ("d", 4)], THINGS).createOrReplaceTempView("changes")
    spark.conf.set(MARKER, '{"run": "r1"}')
    try:
        spark.sql(f"MERGE INTO {quote_table(name)} t USING changes s ON t.id = s.id "
                  "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    finally:
        spark.conf.unset(MARKER)
    spark.sql(f"UPDATE {quote_table(name)} SET amount = 0 WHERE id = 'b'")
    spark.sql(f"DELETE FROM {quote_table(name)} WHERE id = 'c'")
    assert lh.local_delta_log(name) == lh.location(name) / "_delta_log"
    for limit in (1, 3, 20):
        assert lh.history(name, limit) == described(lh, name, limit)
    merge = lh.history(name, 20)[2]
    assert (merge["operation"], merge["userMetadata"]) == ("MERGE", '{"run": "r1"}')
    assert (merge["operationMetrics"]["numTargetRowsUpdated"], merge["operationMetrics"]["numTargetRowsInserted"]) == ("1", "1")
    assert [r["version"] for r in lh.history(name, 20)] == [5, 4, 3, 2, 1, 0]


def test_names_the_log_cannot_vouch_for_are_asked_of_spark(lakehouse):
    lh, spark = lakehouse, lakehouse.spark
    name = make_source(lh, "kept", THINGS, [("a", 1)])
    view = lh.params.gold("kept_view")
    lh.create_view(view, f"CREATE OR REPLACE VIEW {quote_table(view)} AS SELECT * FROM {quote_table(name)}")
    elsewhere = f"spark_catalog.default.hm_delta_log_{lh.params.gold_schema}"
    spark.sql(f"CREATE TABLE {elsewhere} ({THINGS}) USING DELTA")
    try:
        assert lh.local_delta_log(view) is None  # journaled: a view has no log
        assert lh.local_delta_log(elsewhere) is None  # not one of the lakehouse's schemas
        assert lh.local_delta_log(lh.params.gold("never_created")) is None
        assert lh.history(elsewhere, 5) == described(lh, elsewhere, 5)
    finally:
        spark.sql(f"DROP TABLE {elsewhere}")

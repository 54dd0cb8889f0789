"""The demo Bronze generator: exact system-table schemas, deterministic batches, the hard cases.

Two lakehouses share one module-scoped set-up (Delta writes cost about a second each): ``first``
holds batch 1 only and serves as the reference of what batch 1 delivered; ``second`` holds
batches 1 and 2. Rows of ``second`` whose key is absent from ``first`` are therefore batch 2's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from framework.demo.bronze import (
    DEMO_TABLES,
    DUPLICATES_PER_BATCH,
    append_batch,
    batch_rows,
    next_batch_number,
)
from framework.errors import FrameworkError
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.platform.source_schemas import source_table

REPO_ROOT = Path(__file__).resolve().parents[1]
# The key of one delivered version, per appended table: what tells batch 2's rows from batch 1's.
VERSION_KEYS = {
    "lakeflow.jobs": ("workspace_id", "job_id", "change_time"),
    "billing.list_prices": ("sku_name", "price_start_time", "price_end_time"),
    "billing.usage": ("record_id",),
}


@dataclass(frozen=True)
class Demo:
    first: Lakehouse
    second: Lakehouse
    written: dict[str, int]  # what append_batch(first, 1) reported
    second_after_batch_1: dict[str, list]  # rows of `second` before batch 2 was appended

    def table(self, which: Lakehouse, key: str) -> str:
        return which.params.bronze(source_table(key).name)


def _lakehouse(spark, home: Path, name: str) -> Lakehouse:
    params = RunParams(bronze_schema=f"bronze_{name}", gold_schema=f"gold_{name}", control_schema=f"control_{name}")
    lakehouse = Lakehouse(spark, params, home)
    lakehouse.ensure_schemas()
    return lakehouse


@pytest.fixture(scope="module")
def demo(spark, home) -> Demo:
    first = _lakehouse(spark, home, "demo_first")
    second = _lakehouse(spark, home, "demo_second")
    written = append_batch(first, 1)
    append_batch(second, 1)
    snapshot = {key: spark.table(second.params.bronze(source_table(key).name)).collect() for key in DEMO_TABLES}
    append_batch(second, 2)
    return Demo(first, second, written, snapshot)


def _new_in_second(demo: Demo, key: str) -> str:
    """SQL for the rows of ``second`` that batch 2 delivered (their key is not in ``first``)."""
    on = " AND ".join(f"s.{k} <=> f.{k}" for k in VERSION_KEYS[key])
    return (
        f"SELECT s.* FROM {demo.table(demo.second, key)} AS s "
        f"LEFT ANTI JOIN {demo.table(demo.first, key)} AS f ON {on}"
    )


# -- pure: no Spark ---------------------------------------------------------------------
def test_batches_are_numbered_from_one():
    with pytest.raises(FrameworkError, match="demo batch must be an integer >= 1, found 0"):
        batch_rows(0)


def test_some_job_versions_change_nothing_but_the_change_time():
    """A job edit that touches no attribute still emits a row: SCD2 must not open a version for it."""
    by_job: dict[tuple[str, str], dict] = {}
    for row in batch_rows(1)["lakeflow.jobs"] + batch_rows(2)["lakeflow.jobs"]:
        by_job.setdefault((row["workspace_id"], row["job_id"]), {})[row["change_time"]] = row
    unchanged = [
        (earlier, later)
        for versions in by_job.values()
        for earlier, later in zip(sorted(versions), sorted(versions)[1:])
        if dict(versions[earlier], change_time=None) == dict(versions[later], change_time=None)
    ]
    assert unchanged


def test_batches_do_not_depend_on_the_process():
    """Same rows under different hash seeds: no set iteration or hash() leaks into the data."""
    code = "from framework.demo_data import batch_rows; print(repr(batch_rows(3)))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert repr(batch_rows(3)) + "\n" in outputs


# -- Spark + Delta ----------------------------------------------------------------------
@pytest.mark.spark
def test_bronze_tables_have_exactly_the_derived_schemas(spark, demo):
    from pyspark.sql.types import StructType

    for key in DEMO_TABLES:
        schema = spark.table(demo.table(demo.second, key)).schema
        assert schema == StructType.fromDDL(source_table(key).columns_ddl), key  # comments included
        assert [f.name for f in schema] == [c.name for c in source_table(key).columns], key


@pytest.mark.spark
def test_batch_one_is_deterministic(spark, demo):
    from pyspark.testing import assertDataFrameEqual

    for key in DEMO_TABLES:
        assertDataFrameEqual(spark.table(demo.table(demo.first, key)), demo.second_after_batch_1[key])


@pytest.mark.spark
def test_append_reports_the_rows_it_wrote(spark, demo):
    counts = {demo.table(demo.first, key): spark.table(demo.table(demo.first, key)).count() for key in DEMO_TABLES}
    assert demo.written == counts
    assert counts[demo.table(demo.first, "billing.usage")] >= 150


@pytest.mark.spark
def test_batch_numbers_follow_the_data_and_no_batch_is_written_twice(spark, home, demo):
    assert next_batch_number(_lakehouse(spark, home, "demo_empty")) == 1
    assert next_batch_number(demo.first) == 2
    assert next_batch_number(demo.second) == 3
    with pytest.raises(FrameworkError, match="demo batch 2 is already in 'bronze_demo_second'; the next batch is 3"):
        append_batch(demo.second, 2)


@pytest.mark.spark
@pytest.mark.parametrize("key", sorted(DUPLICATES_PER_BATCH))
def test_batch_two_redelivers_exact_duplicates(spark, demo, key):
    duplicated = spark.sql(
        f"SELECT row, count(*) AS n FROM (SELECT to_json(struct(*)) AS row FROM ({_new_in_second(demo, key)}))"
        " GROUP BY row HAVING n > 1"
    ).collect()
    assert sum(r["n"] - 1 for r in duplicated) == DUPLICATES_PER_BATCH[key]


@pytest.mark.spark
def test_batch_two_deletes_a_job_as_its_latest_version(spark, demo):
    jobs = demo.table(demo.second, "lakeflow.jobs")
    deleted = spark.sql(
        f"SELECT workspace_id, job_id, change_time, delete_time FROM {jobs} WHERE delete_time IS NOT NULL"
    ).collect()
    assert {(r["workspace_id"], r["job_id"]) for r in deleted} == {("2718281828459045", "51123098200012")}
    latest = spark.sql(
        f"SELECT max(change_time) AS t FROM {jobs} WHERE job_id = '51123098200012'"
    ).first()["t"]
    assert all(r["change_time"] == r["delete_time"] == latest for r in deleted)


@pytest.mark.spark
def test_batch_two_has_a_job_version_that_arrives_late_and_out_of_order(spark, demo):
    late = spark.sql(
        f"""
        SELECT n.job_id, n.change_time, f.first_latest
        FROM ({_new_in_second(demo, "lakeflow.jobs")}) AS n
        JOIN (SELECT workspace_id, job_id, max(change_time) AS first_latest
              FROM {demo.table(demo.first, "lakeflow.jobs")} GROUP BY ALL) AS f
          USING (workspace_id, job_id)
        WHERE n.change_time < f.first_latest
        """
    ).collect()
    assert late, "no batch-2 job version older than what batch 1 delivered for the same job"
    assert all((r["first_latest"] - r["change_time"]).total_seconds() < 86400 for r in late)


@pytest.mark.spark
def test_batch_two_snapshot_loses_renames_and_gains_workspaces(spark, demo):
    def names(which: Lakehouse) -> dict[str, str]:
        table = demo.table(which, "access.workspaces_latest")
        return {r["workspace_id"]: r["workspace_name"] for r in spark.table(table).collect()}

    before, after = names(demo.first), names(demo.second)
    assert len(before) == len(after) == 5
    assert set(before) - set(after) == {"3141592653589793"}
    assert set(after) - set(before) == {"6180339887498948"}
    assert {k for k in before.keys() & after.keys() if before[k] != after[k]} == {"4669201609102990"}


@pytest.mark.spark
def test_batch_two_closes_one_price_window_and_opens_the_next(spark, demo):
    prices = spark.sql(
        f"SELECT DISTINCT sku_name, price_start_time, price_end_time, pricing.default AS price "
        f"FROM ({_new_in_second(demo, 'billing.list_prices')})"
    ).collect()
    closed = [r for r in prices if r["price_end_time"] is not None]
    opened = [r for r in prices if r["price_end_time"] is None]
    assert len(closed) == len(opened) == 1
    assert closed[0]["sku_name"] == opened[0]["sku_name"]
    assert closed[0]["price_end_time"] == opened[0]["price_start_time"]
    assert closed[0]["price"] != opened[0]["price"]
    first_prices = demo.table(demo.first, "billing.list_prices")
    original = spark.sql(
        f"SELECT price_end_time FROM {first_prices} WHERE sku_name = '{closed[0]['sku_name']}'"
    ).collect()
    assert {r["price_end_time"] for r in original} == {None}  # batch 1 delivered it open


@pytest.mark.spark
def test_usage_looks_like_billing_usage(spark, demo):
    usage, prices = demo.table(demo.second, "billing.usage"), demo.table(demo.second, "billing.list_prices")
    stats = spark.sql(
        f"""
        SELECT
          count_if(usage_date < ingestion_date AND record_type = 'ORIGINAL') AS late,
          count_if(record_type = 'RETRACTION') AS retractions,
          count_if(custom_tags IS NULL) AS null_tags,
          count_if(size(custom_tags) = 0) AS empty_tags,
          count_if(size(custom_tags) BETWEEN 1 AND 3) AS tagged,
          count_if(usage_metadata.job_id IS NOT NULL) AS job_usage,
          count_if(usage_metadata.warehouse_id IS NOT NULL) AS sql_usage,
          count_if(product_features.is_serverless) AS serverless,
          count_if(sku_name NOT IN (SELECT sku_name FROM {prices})) AS unpriced,
          count_if(usage_end_time != usage_start_time + INTERVAL 1 HOUR) AS not_hourly,
          count_if(usage_date != to_date(usage_start_time)) AS wrong_date
        FROM {usage}
        """
    ).first()
    assert stats["late"] > 0 and stats["retractions"] > 0
    assert stats["null_tags"] > 0 and stats["empty_tags"] > 0 and stats["tagged"] > 0
    assert stats["job_usage"] > 0 and stats["sql_usage"] > 0 and stats["serverless"] > 0
    assert stats["unpriced"] == stats["not_hourly"] == stats["wrong_date"] == 0

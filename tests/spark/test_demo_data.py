"""The demo Bronze generator: all 35 system tables, exact schemas, deterministic batches, the
documented behaviours and the hard cases.

Most checks read the generated rows of batches 1-4 (pure Python, computed once per module) and
recompute what they assert from those rows alone. The Spark checks read the Bronze of the shared
demo world (tests/demo_world.py: batch 1 of every table, batch 2 of every table a Gold table
reads; a Delta commit costs about a second, so no second copy is written here); what batch 2
delivered to an appended table is told apart from batch 1 by Delta time travel to the table's
version after batch 1. The world never writes to its Bronze after its second batch.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from framework.demo.bronze import (
    AMPLIFIED_TABLES,
    DEMO_TABLES,
    DUPLICATES_PER_BATCH,
    SNAPSHOT_TABLES,
    append_batch,
    next_batch_number,
)
from framework.errors import FrameworkError
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.platform.source_schemas import source_table
from tests.demo_world import WORLD, onboarded_sources
from tests.unit.test_demo_generator import CORRECTED, _without  # helpers both layers use, defined once

# on the worker that holds the shared demo world (tests/demo_world.py)
pytestmark = WORLD

# The key of one delivered version, per appended table: what tells batch 2's rows from batch 1's.
VERSION_KEYS = {
    "lakeflow.jobs": ("workspace_id", "job_id", "change_time"),
    "billing.list_prices": ("sku_name", "price_start_time", "price_end_time"),
    "billing.usage": ("record_id",),
    "__internal_logging.payload_logs": ("databricks_request_id",),
}


# -- billing.usage --------------------------------------------------------------------------


# -- Spark + Delta ----------------------------------------------------------------------
# The tables the world's batch 2 goes to: every one a Gold table reads.
SECOND_BATCH = onboarded_sources()

@dataclass(frozen=True)
class Demo:
    lakehouse: Lakehouse
    written: dict[str, int]  # what append_batch(lakehouse, 1) reported
    versions: dict[str, int]  # the Delta version of each SECOND_BATCH table after batch 1
    next_after_batch_1: int

    def table(self, key: str) -> str:
        return self.lakehouse.params.bronze(source_table(key).name)

    def after_batch_1(self, key: str) -> str:
        return f"{self.table(key)} VERSION AS OF {self.versions[key]}"

def _lakehouse(spark, home: Path, name: str) -> Lakehouse:
    params = RunParams(bronze_schema=f"bronze_{name}", gold_schema=f"gold_{name}", control_schema=f"control_{name}")
    lakehouse = Lakehouse(spark, params, home)
    lakehouse.ensure_schemas()
    return lakehouse

@pytest.fixture(scope="module")
def demo(demo_world) -> Demo:
    assert set(VERSION_KEYS) | {"access.workspaces_latest"} <= set(SECOND_BATCH)
    return Demo(demo_world.lakehouse, demo_world.written, demo_world.bronze_versions_after_1, demo_world.next_batch_after_1)

def _new_in_batch_2(demo: Demo, key: str) -> str:
    """SQL for the rows batch 2 appended (their key is not in the table after batch 1)."""
    on = " AND ".join(f"s.{k} <=> f.{k}" for k in VERSION_KEYS[key])
    return f"SELECT s.* FROM {demo.table(key)} AS s LEFT ANTI JOIN {demo.after_batch_1(key)} AS f ON {on}"

def test_bronze_tables_have_exactly_the_derived_schemas(spark, demo):
    from pyspark.sql.types import StructType

    for key in DEMO_TABLES:
        schema = spark.table(demo.table(key)).schema
        assert schema == StructType.fromDDL(source_table(key).columns_ddl), key  # comments included
        assert [f.name for f in schema] == [c.name for c in source_table(key).columns], key
    comment = spark.sql(f"DESCRIBE TABLE EXTENDED {demo.table('billing.usage')}").where("col_name = 'Comment'").first()
    assert comment["data_type"] == "Bronze copy of system.billing.usage"

def _rows_in_log(folder: Path) -> int:
    """The rows of a Delta table's live files, from the per-file statistics in its log (adds
    minus removes): reading the log is instant, a count per table is a Spark job each."""
    live: dict[str, int] = {}
    for commit in sorted((folder / "_delta_log").glob("*.json")):
        for line in commit.read_text().splitlines():
            action = json.loads(line)
            if "add" in action:
                live[action["add"]["path"]] = json.loads(action["add"]["stats"])["numRecords"]
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return sum(live.values())

def test_each_table_holds_what_the_batches_generated(spark, rows, demo):
    expected = {key: len(rows[1][key]) for key in DEMO_TABLES}
    for key in SECOND_BATCH:  # appended, or replaced for a snapshot
        expected[key] = len(rows[2][key]) + (0 if key in SNAPSHOT_TABLES else len(rows[1][key]))
    in_log = {key: _rows_in_log(demo.lakehouse.location(demo.table(key))) for key in DEMO_TABLES}
    assert in_log == expected
    counted = (*VERSION_KEYS, "access.workspaces_latest")  # the log's figures against Spark's count, for each kind of write
    assert {key: spark.table(demo.table(key)).count() for key in counted} == {k: expected[k] for k in counted}

def test_append_reports_the_rows_it_wrote(rows, demo):
    assert demo.written == {demo.table(key): len(rows[1][key]) for key in DEMO_TABLES}
    assert demo.written[demo.table("billing.usage")] >= 150

def test_batch_numbers_follow_the_data_and_no_batch_is_written_twice(spark, home, demo):
    assert next_batch_number(_lakehouse(spark, home, "demo_empty")) == 1
    assert demo.next_after_batch_1 == 2
    assert next_batch_number(demo.lakehouse) == 3
    with pytest.raises(FrameworkError, match=f"demo batch 2 is already in '{demo.lakehouse.params.bronze_schema}'; the next batch is 3"):
        append_batch(demo.lakehouse, 2)

@pytest.mark.parametrize("key", sorted(DUPLICATES_PER_BATCH))
def test_batch_two_redelivers_exact_duplicates(spark, demo, key):
    duplicated = spark.sql(
        f"SELECT row, count(*) AS n FROM (SELECT to_json(struct(*)) AS row FROM ({_new_in_batch_2(demo, key)}))"
        " GROUP BY row HAVING n > 1"
    ).collect()
    assert sum(r["n"] - 1 for r in duplicated) == DUPLICATES_PER_BATCH[key]

def test_batch_two_deletes_a_job_as_its_latest_version(spark, demo):
    jobs = demo.table("lakeflow.jobs")
    deleted = spark.sql(
        f"SELECT workspace_id, job_id, change_time, delete_time FROM {jobs} WHERE delete_time IS NOT NULL"
    ).collect()
    assert {(r["workspace_id"], r["job_id"]) for r in deleted} == {("2718281828459045", "51123098200012")}
    latest = spark.sql(
        f"SELECT max(change_time) AS t FROM {jobs} WHERE job_id = '51123098200012'"
    ).first()["t"]
    assert all(r["change_time"] == r["delete_time"] == latest for r in deleted)

def test_batch_two_has_a_job_version_that_arrives_late_and_out_of_order(spark, demo):
    late = spark.sql(
        f"""
        SELECT n.job_id, n.change_time, f.first_latest
        FROM ({_new_in_batch_2(demo, "lakeflow.jobs")}) AS n
        JOIN (SELECT workspace_id, job_id, max(change_time) AS first_latest
              FROM {demo.after_batch_1("lakeflow.jobs")} GROUP BY ALL) AS f
          USING (workspace_id, job_id)
        WHERE n.change_time < f.first_latest
        """
    ).collect()
    assert late, "no batch-2 job version older than what batch 1 delivered for the same job"
    assert all((r["first_latest"] - r["change_time"]).total_seconds() < 86400 for r in late)

def test_batch_two_snapshot_loses_renames_and_gains_workspaces(spark, demo):
    def names(table: str) -> dict[str, str]:
        return {r["workspace_id"]: r["workspace_name"] for r in spark.sql(f"SELECT * FROM {table}").collect()}

    before, after = names(demo.after_batch_1("access.workspaces_latest")), names(demo.table("access.workspaces_latest"))
    assert len(before) == len(after) == 5
    assert set(before) - set(after) == {"3141592653589793"}
    assert set(after) - set(before) == {"6180339887498948"}
    assert {k for k in before.keys() & after.keys() if before[k] != after[k]} == {"4669201609102990"}

def test_batch_two_closes_one_price_window_and_opens_the_next(spark, demo):
    prices = spark.sql(
        f"SELECT DISTINCT sku_name, price_start_time, price_end_time, pricing.default AS price "
        f"FROM ({_new_in_batch_2(demo, 'billing.list_prices')})"
    ).collect()
    closed = [r for r in prices if r["price_end_time"] is not None]
    opened = [r for r in prices if r["price_end_time"] is None]
    assert len(closed) == len(opened) == 1
    assert closed[0]["sku_name"] == opened[0]["sku_name"]
    assert closed[0]["price_end_time"] == opened[0]["price_start_time"]
    assert closed[0]["price"] != opened[0]["price"]
    original = spark.sql(
        f"SELECT price_end_time FROM {demo.after_batch_1('billing.list_prices')} WHERE sku_name = '{closed[0]['sku_name']}'"
    ).collect()
    assert {r["price_end_time"] for r in original} == {None}  # batch 1 delivered it open

def test_usage_looks_like_billing_usage(spark, demo):
    usage, prices = demo.table("billing.usage"), demo.table("billing.list_prices")
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
          count_if(usage_metadata.endpoint_id IS NOT NULL) AS serving_usage,
          count_if(product_features.is_serverless) AS serverless,
          count_if(sku_name NOT IN (SELECT sku_name FROM {prices})) AS unpriced,
          count_if(usage_end_time != usage_start_time + INTERVAL 1 HOUR) AS not_hourly,
          count_if(usage_date != to_date(usage_start_time)) AS wrong_date
        FROM {usage}
        """
    ).first()
    assert stats["late"] > 0 and stats["retractions"] > 0
    assert stats["null_tags"] > 0 and stats["empty_tags"] > 0 and stats["tagged"] > 0
    assert stats["job_usage"] > 0 and stats["sql_usage"] > 0 and stats["serving_usage"] > 0 and stats["serverless"] > 0
    assert stats["unpriced"] == stats["not_hourly"] == stats["wrong_date"] == 0

def test_a_subset_of_tables_is_written_with_usage_and_unknown_tables_are_refused(spark, home, rows):
    lakehouse = _lakehouse(spark, home, "demo_subset")
    with pytest.raises(FrameworkError, match=r"unknown demo tables \['billing.nope'\]"):
        append_batch(lakehouse, 1, tables=["billing.nope"])
    with pytest.raises(FrameworkError, match="demo scale must be an integer >= 1, found 0"):
        append_batch(lakehouse, 1, scale=0)
    written = append_batch(lakehouse, 1, tables=["compute.node_types"])
    assert written == {lakehouse.params.bronze("node_types"): len(rows[1]["compute.node_types"]),
                       lakehouse.params.bronze("usage"): len(rows[1]["billing.usage"])}
    assert next_batch_number(lakehouse) == 2

# -- scale: copies made by Spark -----------------------------------------------------------
def _scaled(spark, rows, batch: int, key: str, scale: int):
    from framework.demo.scale import amplify
    from framework.demo.writer import frame

    return amplify(frame(spark, source_table(key), rows[batch][key]), key, scale)

def test_scale_copies_event_rows_with_new_ids_of_the_same_shape_and_the_same_entities(spark, rows):
    from pyspark.sql.types import StructType

    assert "billing.usage" in AMPLIFIED_TABLES and not set(AMPLIFIED_TABLES) & set(SNAPSHOT_TABLES)
    usage = _scaled(spark, rows, 2, "billing.usage", 3)
    assert usage.schema == StructType.fromDDL(source_table("billing.usage").columns_ddl)
    got = [r.asDict(recursive=True) for r in usage.collect()]
    base = rows[2]["billing.usage"]
    assert len(got) == 3 * len(base)
    assert len({r["record_id"] for r in got}) == 3 * len({r["record_id"] for r in base})
    assert {r["record_id"] for r in base} <= {r["record_id"] for r in got}  # copy 0 is the original
    uuid = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
    assert all(uuid.match(r["record_id"]) for r in got)
    runs = [r["usage_metadata"]["job_run_id"] for r in got if r["usage_metadata"]["job_run_id"]]
    assert all(len(run) == 15 and run.isdigit() for run in runs)
    assert len(runs) == 3 * sum(1 for r in base if r["usage_metadata"].get("job_run_id"))
    entity = lambda r: (r["workspace_id"], r["sku_name"], r["usage_metadata"].get("job_id"), r["usage_metadata"].get("cluster_id"))  # noqa: E731
    assert Counter(map(entity, got)) == Counter({k: 3 * n for k, n in Counter(map(entity, base)).items()})
    total = lambda found: sum(Decimal(r["usage_quantity"]) for r in found)  # noqa: E731
    assert total(got) == 3 * total(base)
    # copies of a RETRACTION still cancel the same copy of their ORIGINAL (batch 1 and 2 copied alike)
    both = [r.asDict(recursive=True) for r in _scaled(spark, rows, 1, "billing.usage", 3).collect()] + got
    net = Counter()
    for r in both:
        net[_without(r, CORRECTED)] += Decimal(r["usage_quantity"])
    restated = [r for r in got if r["record_type"] == "RESTATEMENT"]
    assert len(restated) == 6 and all(net[_without(r, CORRECTED)] == Decimal(r["usage_quantity"]) for r in restated)

def test_scaled_copies_keep_task_runs_pointing_at_their_job_runs(spark, rows):
    runs = {(r["workspace_id"], r["run_id"]) for b in (1, 2) for r in _scaled(spark, rows, b, "lakeflow.job_run_timeline", 2).collect()}
    tasks = _scaled(spark, rows, 2, "lakeflow.job_task_run_timeline", 2).collect()
    assert len(tasks) == 2 * len(rows[2]["lakeflow.job_task_run_timeline"])
    assert all((t["workspace_id"], t["job_run_id"]) in runs for t in tasks)
    again = _scaled(spark, rows, 2, "lakeflow.job_task_run_timeline", 2).collect()
    assert sorted(map(str, again)) == sorted(map(str, tasks))  # deterministic

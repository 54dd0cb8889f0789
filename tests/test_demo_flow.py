"""The first five onboarded Gold tables over two generated Bronze batches, against expectations
computed in plain Python from the Bronze rows (never from the engine's own SQL). Every onboarding
file is onboarded, only these five run (their sources are the only Bronze written); the tables
onboarded since are covered by the shared demo run (tests/demo_world.py, tests/test_coverage_*.py)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from framework.demo.bronze import append_batch
from framework.metadata.onboarding import onboard_files
from tests.harness import ONBOARDED_SOURCES, T0, audit, hydrate, version
from tests.scd2_reference import expected_history

CONTROL = Path(__file__).resolve().parent.parent / "control_tables"
TRACKED = ["name", "creator_id", "run_as", "description", "tags_json"]
SIX = Decimal("0.000001")
FLOW_TABLES = ["dim_job", "dim_sku", "dim_workspace", "fact_list_prices", "fact_usage"]


def bronze(lh, table):
    return [r.asDict(recursive=True) for r in lh.spark.table(lh.params.bronze(table)).collect()]


def gold_rows(lh, table):
    return [r.asDict(recursive=True) for r in lh.spark.table(lh.params.gold(table)).collect()]


def latest_by(rows, key, order):
    """One row per key: the greatest ``order`` (exact duplicates collapse)."""
    best = {}
    for row in rows:
        k = key(row)
        if k not in best or order(row) > order(best[k]):
            best[k] = row
    return best


def expected_prices(lh):
    rows = latest_by(bronze(lh, "list_prices"), lambda r: (r["sku_name"], r["price_start_time"]),
                     lambda r: r["price_end_time"] or r["price_start_time"])
    return {k: (r["price_end_time"], Decimal(r["pricing"]["default"]).quantize(SIX)) for k, r in rows.items()}


def check_gold_matches_bronze(lh):
    # dim_workspace: exactly the current snapshot
    assert sorted((r["workspace_id"], r["workspace_name"], r["status"]) for r in gold_rows(lh, "dim_workspace")) == sorted(
        (r["workspace_id"], r["workspace_name"], r["status"]) for r in bronze(lh, "workspaces_latest")
    )
    # fact_list_prices: one row per (sku, start), the re-delivered closed row wins
    prices = expected_prices(lh)
    assert {(r["sku_name"], r["price_start_time"]): (r["price_end_time"], r["pricing_default"]) for r in gold_rows(lh, "fact_list_prices")} == prices
    # dim_sku: the distinct SKUs of usage
    usage = bronze(lh, "usage")
    assert sorted(r["sku_name"] for r in gold_rows(lh, "dim_sku")) == sorted({r["sku_name"] for r in usage})
    # fact_usage: one row per record_id, priced at the list price valid at usage_start_time
    latest = latest_by(usage, lambda r: r["record_id"], lambda r: r["ingestion_date"])
    got = {r["record_id"]: r for r in gold_rows(lh, "fact_usage")}
    assert set(got) == set(latest)
    for record_id, src in latest.items():
        valid = [p for (sku, start), (end, p) in prices.items()
                 if sku == src["sku_name"] and start <= src["usage_start_time"] and (end is None or src["usage_start_time"] < end)]
        price = valid[0] if len(valid) == 1 else None
        row = got[record_id]
        assert row["list_price"] == price, record_id
        expected_cost = None if price is None else (Decimal(src["usage_quantity"]).quantize(SIX, ROUND_HALF_UP) * price).quantize(SIX, ROUND_HALF_UP)
        assert row["list_cost"] == expected_cost, record_id
        tags = src["custom_tags"]
        assert row["is_tagged"] == bool(tags) and row["tag_count"] == (None if tags is None else len(tags))
        assert row["usage_metadata_job_id"] == (src["usage_metadata"] or {}).get("job_id")
    # dim_job: the reference SCD2 over every source version
    events = []
    for r in bronze(lh, "jobs"):
        tracked = {**r, "tags_json": None if r["tags"] is None else json.dumps(r["tags"], separators=(",", ":"), sort_keys=True)}
        events.append(((r["workspace_id"], r["job_id"]), r["change_time"], json.dumps([tracked[c] for c in TRACKED]), r["delete_time"] is not None))
    expected = expected_history(events)
    gold_jobs = sorted(
        ((r["workspace_id"], r["job_id"]), json.dumps([r[c] for c in TRACKED]), r["valid_from"], r["valid_to"], r["is_current"])
        for r in gold_rows(lh, "dim_job")
    )
    assert gold_jobs == sorted(expected)


@pytest.mark.parametrize("batches", [2])
def test_two_batches_hydrate_to_the_expected_gold_and_a_third_run_writes_nothing(lakehouse, clock, batches):
    append_batch(lakehouse, 1, tables=ONBOARDED_SOURCES)
    onboard_files(lakehouse, sorted(CONTROL.glob("*.yml")), now=T0)
    first = hydrate(lakehouse, clock, tables=FLOW_TABLES)
    assert {r.table_name: r.status for r in first.rows} == dict.fromkeys(FLOW_TABLES, "SUCCEEDED")
    assert [r.table_name for r in first.rows].index("fact_list_prices") < [r.table_name for r in first.rows].index("fact_usage")
    check_gold_matches_bronze(lakehouse)

    usage_before = {r["record_id"] for r in bronze(lakehouse, "usage")}
    append_batch(lakehouse, 2, tables=ONBOARDED_SOURCES)
    second = hydrate(lakehouse, clock, tables=FLOW_TABLES)
    assert not second.failed, [r.error_message for r in second.rows]
    check_gold_matches_bronze(lakehouse)
    run1, run2 = audit(lakehouse, "fact_usage")[-2:]
    assert run2.watermark_from == run1.watermark_to and run2.watermark_to > run2.watermark_from
    new_records = {r["record_id"] for r in bronze(lakehouse, "usage")} - usage_before
    assert run2.rows_inserted == len(new_records)
    jobs1, jobs2 = audit(lakehouse, "dim_job")[-2:]
    assert jobs2.watermark_from == jobs1.watermark_to < jobs2.watermark_to

    versions = {t: version(lakehouse, t) for t in FLOW_TABLES}
    third = hydrate(lakehouse, clock, tables=FLOW_TABLES)
    assert all(r.status == "SUCCEEDED" and r.target_version is None for r in third.rows)
    assert {t: version(lakehouse, t) for t in versions} == versions

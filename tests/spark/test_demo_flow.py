"""The first five onboarded Gold tables after each batch of the shared demo run (tests/demo_world.py),
against expectations computed in plain Python from the Bronze rows (never from the engine's own SQL)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests import delta_rows
from tests.demo_world import WORLD
from tests.harness import business
from tests.scd2_reference import expected_history

pytestmark = WORLD
FIVE = ("dim_job", "dim_sku", "dim_workspace", "fact_list_prices", "fact_usage")
TRACKED = ["name", "creator_id", "run_as", "description", "tags_json"]
SIX = Decimal("0.000001")


def capture(lh) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Bronze rows by short name and Gold rows by table, of a lakehouse (as the shared world keeps them)."""
    def rows(name):
        return [r.asDict(recursive=True) for r in delta_rows.rows(lh, name)]
    return (
        {t: rows(lh.params.bronze(t)) for t in ("workspaces_latest", "list_prices", "usage", "jobs")},
        {t: rows(lh.params.gold(t)) for t in (*FIVE, "dim_job_history")},
    )


def latest_by(rows, key, order):
    """One row per key: the greatest ``order`` (exact duplicates collapse)."""
    best = {}
    for row in rows:
        k = key(row)
        if k not in best or order(row) > order(best[k]):
            best[k] = row
    return best


def expected_prices(bronze):
    rows = latest_by(bronze["list_prices"], lambda r: (r["sku_name"], r["price_start_time"]),
                     lambda r: r["price_end_time"] or r["price_start_time"])
    return {k: (r["price_end_time"], Decimal(r["pricing"]["default"]).quantize(SIX)) for k, r in rows.items()}


# Gold column -> path into a product_features field (the rest are `product_features.<suffix>`)
FEATURE_PATHS = {
    "networking": ("networking", "connectivity_type"), "ai_runtime": ("ai_runtime", "compute_type"),
    "model_serving": ("model_serving", "offering_type"), "ai_gateway": ("ai_gateway", "feature_type"),
    "serverless_gpu": ("serverless_gpu", "workload_type"), "ai_functions": ("ai_functions", "ai_function"),
    "apps": ("apps", "compute_size"), "lakeflow_connect": ("lakeflow_connect", "task_type"),
}
PLAIN_FEATURES = ("jobs_tier", "sql_tier", "dlt_tier", "is_serverless", "is_photon", "serving_type", "performance_target")
USAGE_COLUMNS = ("account_id", "workspace_id", "record_id", "sku_name", "cloud", "usage_start_time", "usage_end_time", "usage_date",
                 "usage_unit", "usage_quantity", "record_type", "ingestion_date", "billing_origin_product", "usage_type", "custom_tags")


def _field(struct, *path):
    for name in path:
        struct = None if struct is None else struct.get(name)
    return struct


def expected_usage_row(src: dict, prices: dict) -> dict:
    """A fact_usage row from its Bronze usage row and the list prices, in plain Python."""
    row = {c: src[c] for c in USAGE_COLUMNS}
    for struct in ("usage_metadata", "identity_metadata"):
        row |= {f"{struct}_{name}": value for name, value in (src[struct] or {}).items()}
    features = src["product_features"]
    row |= {f"product_features_{name}": _field(features, name) for name in PLAIN_FEATURES}
    row |= {f"product_features_{name}": _field(features, *path) for name, path in FEATURE_PATHS.items()}
    bricks = _field(features, "agent_bricks")
    row["product_features_agent_bricks"] = None if bricks is None else json.dumps({k: v for k, v in bricks.items() if v is not None}, separators=(",", ":"))
    valid = [p for (sku, start), (end, p) in prices.items()
             if sku == src["sku_name"] and start <= src["usage_start_time"] and (end is None or src["usage_start_time"] < end)]
    price = valid[0] if len(valid) == 1 else None
    row["list_price"] = price
    row["list_cost"] = None if price is None else (Decimal(src["usage_quantity"]).quantize(SIX, ROUND_HALF_UP) * price).quantize(SIX, ROUND_HALF_UP)
    tags = src["custom_tags"]
    row["is_tagged"] = bool(tags)
    row["tag_count"] = None if tags is None else len(tags)
    return row


def _max(values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _price(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(SIX, ROUND_HALF_UP)


def expected_price_row(src: dict) -> dict:
    row = {c: src[c] for c in ("account_id", "price_start_time", "price_end_time", "sku_name", "cloud", "currency_code", "usage_unit")}
    pricing = src["pricing"] or {}
    row["pricing_default"] = _price(pricing.get("default"))
    row["pricing_promotional"] = _price(_field(pricing, "promotional", "default"))
    row["pricing_effective_list"] = _price(_field(pricing, "effective_list", "default"))
    return row


def check_gold_matches_bronze(bronze: dict[str, list[dict]], gold: dict[str, list[dict]]) -> None:
    """The five first Gold tables equal what plain Python computes from the Bronze rows."""
    # dim_workspace: exactly the current snapshot
    assert sorted(map(business, gold["dim_workspace"]), key=repr) == sorted(bronze["workspaces_latest"], key=repr)
    # fact_list_prices: one row per (sku, start), the re-delivered closed row wins
    prices = expected_prices(bronze)
    latest_prices = latest_by(bronze["list_prices"], lambda r: (r["sku_name"], r["price_start_time"]),
                              lambda r: r["price_end_time"] or r["price_start_time"])
    assert sorted(map(business, gold["fact_list_prices"]), key=repr) == sorted((expected_price_row(r) for r in latest_prices.values()), key=repr)
    # dim_sku: the distinct SKUs of usage, with their greatest cloud and unit
    usage = bronze["usage"]
    skus = {}
    for r in usage:
        skus.setdefault(r["sku_name"], []).append(r)
    assert sorted(map(business, gold["dim_sku"]), key=repr) == sorted(
        ({"sku_name": sku, "cloud": _max(r["cloud"] for r in rows), "usage_unit": _max(r["usage_unit"] for r in rows)} for sku, rows in skus.items()), key=repr
    )
    # fact_usage: one row per record_id, priced at the list price valid at usage_start_time
    latest = latest_by(usage, lambda r: r["record_id"], lambda r: r["ingestion_date"])
    got = {r["record_id"]: business(r) for r in gold["fact_usage"]}
    assert got == {record_id: expected_usage_row(src, prices) for record_id, src in latest.items()}
    # dim_job: the reference SCD2 over every source version
    events = []
    for r in bronze["jobs"]:
        tracked = {**r, "tags_json": None if r["tags"] is None else json.dumps(r["tags"], separators=(",", ":"), sort_keys=True)}
        events.append(((r["workspace_id"], r["job_id"]), r["change_time"], json.dumps([tracked[c] for c in TRACKED]), r["delete_time"] is not None))
    expected = expected_history(events)
    gold_jobs = sorted(
        ((r["workspace_id"], r["job_id"]), json.dumps([r[c] for c in TRACKED]), r["valid_from"], r["valid_to"], r["is_current"],
         r["delete_time"] is not None)
        for r in gold["dim_job_history"]
    )
    assert gold_jobs == sorted(expected)


@pytest.mark.parametrize("after", [0, 1], ids=["after batch 1", "after batch 2"])
def test_each_batch_hydrates_the_first_five_tables_to_the_gold_plain_python_expects(demo_world, after):
    snapshot = demo_world.after[after]
    check_gold_matches_bronze(snapshot.bronze, snapshot.gold)


def test_the_second_run_reads_from_the_first_runs_watermark_and_inserts_only_new_usage_records(demo_world):
    first, second = demo_world.runs[:2]
    assert [r.table_name for r in first.rows].index("fact_list_prices") < [r.table_name for r in first.rows].index("fact_usage")
    usage1, usage2 = (next(r for r in run.rows if r.table_name == "fact_usage") for run in (first, second))
    assert usage2.watermark_from == usage1.watermark_to and usage2.watermark_to > usage2.watermark_from
    before = {r["record_id"] for r in demo_world.after[0].bronze["usage"]}
    assert usage2.rows_inserted == len({r["record_id"] for r in demo_world.last.bronze["usage"]} - before)
    jobs1, jobs2 = (next(r for r in run.rows if r.table_name == "dim_job") for run in (first, second))
    assert jobs2.watermark_from == jobs1.watermark_to < jobs2.watermark_to

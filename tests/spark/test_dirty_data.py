"""A few dirty rows do not stop the world (SPEC §6, issue 18): the onboarded billing and workspace
tables over Bronze that nobody on the project wrote.

The demo's batch 1 of the four tables' sources, plus what real Bronze brings: one list price below
zero, one usage record without a SKU, and workspaces delivered twice with differing rows and
nothing to order them. Each such row is quarantined with its reason and counted in the audit row,
every other row is loaded, and no table fails or skips its dependents: fact_usage runs after
fact_list_prices. (That a snapshot keeps the Gold row of a key set aside, rather than deleting it
as absent, is tests/spark/test_load_types.py's.) Expectations come from the Bronze rows, in Python.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyspark.sql import functions as F

from framework.demo.bronze import append_batch
from framework.onboarding.onboard import load_file, onboard_specs
from tests.harness import T0, hydrate

CONTROL = Path(__file__).resolve().parents[2] / "control_tables"
TABLES = ("dim_sku", "fact_list_prices", "fact_usage", "dim_workspace")
SOURCES = ("billing.usage", "billing.list_prices", "access.workspaces_latest")


def onboarded_entries() -> list[dict]:
    return [raw for name in ("billing.yml", "shared.yml") for raw in load_file(CONTROL / name) if raw["table_name"] in TABLES]


def quarantine(lh) -> dict[str, list[tuple[str, dict]]]:
    """table -> sorted (check_name, row) of its quarantine rows."""
    out: dict[str, list] = {}
    for q in lh.spark.table(lh.params.control("gold_quarantine")).collect():
        out.setdefault(q.table_name, []).append((q.check_name, json.loads(q.row_json)))
    return {t: sorted(rows, key=repr) for t, rows in out.items()}


def append(lh, table: str, df) -> None:
    df.write.format("delta").mode("append").saveAsTable(lh.params.bronze(table))


def test_a_negative_price_a_missing_sku_and_conflicting_workspaces_are_quarantined_and_nothing_stops(lakehouse, clock):
    lh, spark = lakehouse, lakehouse.spark
    append_batch(lh, 1, tables=SOURCES)
    prices, usage = spark.table(lh.params.bronze("list_prices")), spark.table(lh.params.bronze("usage"))
    price = prices.orderBy("sku_name", "price_start_time").first()
    append(lh, "list_prices", prices.where((F.col("sku_name") == price.sku_name) & (F.col("price_start_time") == price.price_start_time))
           .withColumn("sku_name", F.lit("DIRTY_NEGATIVE_SKU"))
           .withColumn("pricing", F.col("pricing").withField("default", F.lit(-1).cast("decimal(38,18)"))))
    append(lh, "usage", usage.orderBy("record_id").limit(1).withColumn("record_id", F.lit("dirty-no-sku")).withColumn("sku_name", F.lit(None).cast("string")))
    workspaces = spark.table(lh.params.bronze("workspaces_latest"))
    workspace_ids = {r.workspace_id for r in workspaces.collect()}
    conflicting = sorted(workspace_ids)[:2]
    append(lh, "workspaces_latest", workspaces.where(F.col("workspace_id").isin(conflicting)).withColumn("workspace_name", F.lit("a second name")))
    onboard_specs(lh, onboarded_entries(), now=T0, user="test")

    first = hydrate(lh, clock, parallel=2)
    assert {r.table_name: r.status for r in first.rows} == dict.fromkeys(TABLES, "SUCCEEDED"), [r.error_message for r in first.rows]
    audit = {r.table_name: r for r in first.rows}
    found = quarantine(lh)
    assert [(c, r["sku_name"], r["pricing_default"]) for c, r in found["fact_list_prices"]] == [("pricing_default_ge", "DIRTY_NEGATIVE_SKU", -1)]
    assert [(c, r.get("sku_name")) for c, r in found["dim_sku"]] == [("sku_name_not_nullable", None)]
    assert (audit["fact_list_prices"].rows_quarantined, audit["dim_sku"].rows_quarantined) == (1, 1)
    assert audit["fact_list_prices"].failed_checks == ["pricing_default_ge (quarantine): 1 failing rows"]
    skus = {r.sku_name for r in usage.collect()} - {None}
    assert {r.sku_name for r in spark.table(lh.params.gold("dim_sku")).collect()} == skus  # every SKU but the missing one
    gold_prices = {(r.sku_name, r.price_start_time) for r in spark.table(lh.params.gold("fact_list_prices")).collect()}
    assert gold_prices == {(r.sku_name, r.price_start_time) for r in prices.where("sku_name != 'DIRTY_NEGATIVE_SKU'").collect()}
    # fact_usage ran: every record, the one without a SKU included (sku_name may be NULL there)
    assert {r.record_id for r in spark.table(lh.params.gold("fact_usage")).collect()} == {r.record_id for r in usage.collect()}

    # dim_workspace: two workspaces delivered twice with differing rows, nothing to order them
    assert audit["dim_workspace"].rows_quarantined == 4
    assert sorted(r["workspace_id"] for c, r in found["dim_workspace"]) == sorted(conflicting * 2)
    assert {c for c, _ in found["dim_workspace"]} == {"primary_key_conflict"}
    assert {r.workspace_id for r in spark.table(lh.params.gold("dim_workspace")).collect()} == workspace_ids - set(conflicting)

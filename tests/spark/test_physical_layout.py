"""A Gold table's physical layout is metadata: liquid clustering and deletion vectors, with
defaults per load type and platform, applied at creation and again when the metadata changes."""

from __future__ import annotations

from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table
from tests.builders import raw_spec
from tests.harness import add_rows, hydrate, make_source, onboard, ts

DDL = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP"

def detail(lh: Lakehouse, table: str) -> tuple[list[str], str]:
    row = lh.spark.sql(f"DESCRIBE DETAIL {quote_table(lh.params.gold(table))}").first()
    return list(row["clusteringColumns"]), row["properties"].get("delta.enableDeletionVectors")

def test_the_layout_is_applied_at_creation_and_realigned_when_the_metadata_changes(lakehouse, clock):
    make_source(lakehouse, "things", DDL, [("a", "x", 1, ts(1))])
    onboard(lakehouse, raw_spec(load_type="fact_insert", sequence_by=None, cluster_by=["amount"]))
    assert not hydrate(lakehouse, clock).failed
    assert detail(lakehouse, "dim_thing") == (["amount"], "false")

    onboard(lakehouse, raw_spec(load_type="fact_insert", sequence_by=None, cluster_by=[], deletion_vectors=True))
    add_rows(lakehouse, "things", DDL, [("b", "y", 2, ts(2))])
    assert not hydrate(lakehouse, clock).failed
    assert detail(lakehouse, "dim_thing") == ([], "true")
    rows = lakehouse.spark.table(quote_table(lakehouse.params.gold("dim_thing"))).select("id", "amount").collect()
    assert sorted(map(tuple, rows)) == [("a", 1), ("b", 2)]

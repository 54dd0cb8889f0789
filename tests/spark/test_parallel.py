"""Tables of one layer run in parallel (each thread on its own session) with the same outcome as
one at a time, and a run's bookkeeping is two commits (one audit append, one state UPDATE)."""

from __future__ import annotations

from datetime import UTC, datetime

from framework.engine.context import Context
from framework.engine.runner import run
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from tests.builders import raw_spec
from tests.harness import audit, gold, make_source, onboard, ts

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"
ROWS = {
    "a": [("1", "x", 1, ts(1), False), ("1", "y", 2, ts(2), False), ("2", "z", 3, ts(1), False)],
    "b": [("1", "p", 10, ts(1), False), ("3", "q", 30, ts(2), True)],
    "c": [("5", "r", 5, ts(3), False)],
}


def commits(lh: Lakehouse, table: str) -> int:
    return lh.history(lh.params.control(table), 1)[0]["version"]


def specs():
    out = [raw_spec(table_name=f"dim_{k}", source_table="${catalog}.${bronze_schema}.src_" + k, delete_condition="deleted") for k in ROWS]
    out.append(raw_spec(table_name="dim_ab", source_table="${catalog}.${gold_schema}.dim_a", depends_on=["dim_a", "dim_b"],
                        sequence_by=None, watermark_column=None, lookback=None))
    return out


def hydrated(spark, home, parallel: int):
    lh = Lakehouse(spark, RunParams(bronze_schema=f"b_par{parallel}", gold_schema=f"g_par{parallel}", control_schema=f"c_par{parallel}"), home)
    lh.bootstrap()
    for key, rows in ROWS.items():
        make_source(lh, f"src_{key}", THINGS, rows)
    onboard(lh, *specs())
    audit_before = commits(lh, "gold_run_audit")
    control_before = commits(lh, "gold_table_control")
    result = run(Context(lh, clock=lambda: datetime(2026, 2, 1, tzinfo=UTC)), parallel=parallel)
    return lh, result, audit_before, control_before


def test_parallel_layers_give_the_gold_and_audit_of_one_at_a_time(spark, home):
    """Two at a time, the outcome is what one at a time gives (every other runner test runs one
    at a time, against expectations written out like these)."""
    lh, result, audit_before, control_before = hydrated(spark, home, 2)
    assert not result.failed
    assert [r.table_name for r in result.rows][-1] == "dim_ab"  # the dependent layer after the first
    assert commits(lh, "gold_run_audit") == audit_before + 1  # one append per run
    assert commits(lh, "gold_table_control") == control_before + 1  # one state UPDATE
    tables = {t: gold(lh, t, ["id", "name", "amount"]) for t in ("dim_a", "dim_b", "dim_c", "dim_ab")}
    assert tables == {"dim_a": [("1", "y", 2), ("2", "z", 3)], "dim_b": [("1", "p", 10)], "dim_c": [("5", "r", 5)],
                      "dim_ab": [("1", "y", 2), ("2", "z", 3)]}
    counts = {t: [(r.status, r.rows_read, r.rows_inserted, r.rows_deleted) for r in audit(lh, t)] for t in tables}
    assert counts == {"dim_a": [("SUCCEEDED", 3, 2, 0)], "dim_b": [("SUCCEEDED", 2, 1, 0)], "dim_c": [("SUCCEEDED", 1, 1, 0)],
                      "dim_ab": [("SUCCEEDED", 2, 2, 0)]}

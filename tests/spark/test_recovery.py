"""Re-running after a crash converges: nothing duplicated, nothing lost (SPEC §6).

The failpoints (framework/engine/failpoints.py) crash a whole run at the step boundaries that
leave something behind; one lakehouse holds a table per failpoint and a table that never
crashes, all over one source, and each crashed table must end exactly as the one that did not
(the stress script, benchmarks/crash_stress.py, kills real processes at every point and at
random moments, over five load types).
"""

from __future__ import annotations

import pytest

from framework.engine import failpoints
from framework.engine.context import Context
from framework.engine.runner import run
from tests.builders import raw_spec
from tests.harness import (
    add_rows,
    audit,
    control_row,
    gold,
    hydrate,
    make_source,
    onboard,
    ts,
)

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"


CRASHES = {"t_gold": "after_gold_commit", "t_quarantine": "after_quarantine", "t_audit": "after_audit"}


def business_rows(lh, table: str) -> list[tuple]:
    return gold(lh, table, ["id", "name", "amount", "_hm_sequence"])


def quarantined(lh, table: str) -> list[tuple]:
    rows = lh.spark.table(lh.params.control("gold_quarantine")).where(f"table_name = '{table}'").collect()
    return sorted((q.check_name, q.row_json) for q in rows)


def test_a_crash_at_each_step_boundary_converges_to_the_run_that_did_not_crash(lakehouse, clock, monkeypatch):
    checks = [{"column": "amount", "check": "ge", "args": 0}]  # quarantine
    specs = [raw_spec(table_name=t, delete_condition="deleted", checks=checks) for t in ("t_clean", *CRASHES)]
    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False), ("x", "bad", -1, ts(1), False)])
    onboard(lakehouse, *specs)
    assert {r.status for r in hydrate(lakehouse, clock).rows} == {"SUCCEEDED"}
    add_rows(lakehouse, "things", THINGS, [
        ("a", "a2", 5, ts(2), False), ("b", None, None, ts(2), True), ("c", "c1", 3, ts(2), False), ("y", "worse", -2, ts(2), False)])

    for table, point in CRASHES.items():
        monkeypatch.setenv(failpoints.ENV, f"{point}@{table}")
        with pytest.raises(failpoints.InjectedCrash):
            run(Context(lakehouse, clock=clock, run_id_factory=lambda t=table: f"crash-{t}"), tables=[table])
        monkeypatch.delenv(failpoints.ENV)
    rerun = {r.table_name: r for r in hydrate(lakehouse, clock).rows}

    assert {t: r.status for t, r in rerun.items()} == dict.fromkeys(["t_clean", *CRASHES], "SUCCEEDED")
    expected = business_rows(lakehouse, "t_clean")
    assert [row[:3] for row in expected] == [("a", "a2", 5), ("c", "c1", 3)]
    assert quarantined(lakehouse, "t_clean") == [("amount_ge", '{"id":"x","name":"bad","amount":-1}'),
                                                 ("amount_ge", '{"id":"y","name":"worse","amount":-2}')]
    for table in CRASHES:
        assert business_rows(lakehouse, table) == expected, table
        assert quarantined(lakehouse, table) == quarantined(lakehouse, "t_clean"), table  # nothing twice
        assert control_row(lakehouse, table).watermark_value == control_row(lakehouse, "t_clean").watermark_value
    # who crashed where, as the audit tells it: a Gold commit nobody recorded is named by the run that found it
    assert (rerun["t_gold"].recovered_from, rerun["t_quarantine"].recovered_from) == ("crash-t_gold", "crash-t_quarantine")
    assert (rerun["t_clean"].recovered_from, rerun["t_audit"].recovered_from) == (None, None)
    audited = {t: {r.run_id: r.status for r in audit(lakehouse, t)} for t in CRASHES}
    assert audited["t_audit"]["crash-t_audit"] == "SUCCEEDED"  # audited, its state lost
    assert "crash-t_gold" not in audited["t_gold"] and "crash-t_quarantine" not in audited["t_quarantine"]  # died before their rows
    assert audited["t_gold"][rerun["t_gold"].run_id] == "SUCCEEDED"
    assert (rerun["t_gold"].rows_inserted, rerun["t_gold"].rows_updated, rerun["t_gold"].rows_deleted) == (0, 0, 0)
    assert rerun["t_gold"].target_version is None  # re-applying the batch committed nothing

"""fact_pipeline_update_timeline (lakeflow) after the shared two-batch demo run (tests/demo_world.py):
every Gold row, all business columns, equals the row computed here in plain Python from the Bronze
rows of the same moment, after batch 1 and after batch 2.

The rule, restated: an update is the aggregate of its hourly slices over everything delivered so
far. Its attributes are those of its latest slice (by period end); its span runs from the first
slice's start to the last slice's end; its result is that of the latest slice that carries one
(none while it runs); the nested trigger details, compute and selections are the latest slice's,
the structs and arrays as the JSON text Spark's ``to_json`` writes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from tests.demo_world import WORLD
from tests.harness import business
from tests.oracle import spark_json

pytestmark = WORLD
KEY = ("workspace_id", "update_id")
MIDNIGHT = datetime(2026, 1, 2)  # the end of batch 1's day: what batch 1 delivers ends by then


def gold_by_key(rows: list[dict]) -> dict[tuple, dict]:
    found = {tuple(r[k] for k in KEY): business(r) for r in rows}
    assert len(found) == len(rows), f"{KEY} does not determine a row"
    return found


def expected_updates(slices: list[dict]) -> dict[tuple, dict]:
    updates = defaultdict(list)
    for s in slices:
        updates[tuple(s[k] for k in KEY)].append(s)
    expected = {}
    for (workspace, update_id), parts in updates.items():
        parts = sorted(parts, key=lambda s: s["period_end_time"])
        last = parts[-1]
        with_result = [s for s in parts if s["result_state"] is not None]
        trigger, compute = last["trigger_details"] or {}, last["compute"] or {}
        expected[(workspace, update_id)] = {
            "workspace_id": workspace,
            "pipeline_id": last["pipeline_id"],
            "update_id": update_id,
            "update_type": last["update_type"],
            "request_id": last["request_id"],
            "run_as_user_name": last["run_as_user_name"],
            "trigger_type": last["trigger_type"],
            "result_state": with_result[-1]["result_state"] if with_result else None,
            "period_start_time": min(s["period_start_time"] for s in parts),
            "period_end_time": max(s["period_end_time"] for s in parts),
            "account_id": last["account_id"],
            "trigger_details_job_task": spark_json(trigger.get("job_task")),
            "compute_type": compute.get("type"),
            "compute_cluster_id": compute.get("cluster_id"),
            "refresh_selection_json": spark_json(last["refresh_selection"]),
            "full_refresh_selection_json": spark_json(last["full_refresh_selection"]),
            "reset_checkpoint_selection_json": spark_json(last["reset_checkpoint_selection"]),
        }
    return expected


def test_fact_pipeline_update_timeline_is_one_row_per_update_aggregated_over_all_its_slices(demo_world):
    for snapshot in demo_world.after:  # after batch 1 (updates still running at midnight), after batch 2
        expected = expected_updates(snapshot.bronze["pipeline_update_timeline"])
        assert expected, "the demo Bronze has no pipeline update"
        assert gold_by_key(snapshot.gold["fact_pipeline_update_timeline"]) == expected


def test_the_demo_pipeline_updates_have_the_cases_the_rule_is_about(demo_world):
    """Multi-slice updates, an update open after batch 1 and completed by batch 2, each nested
    column both set and empty: otherwise the whole-row comparison above proves less than it says."""
    first, second = demo_world.after
    slices = second.bronze["pipeline_update_timeline"]
    per_update = defaultdict(list)
    for s in slices:
        per_update[tuple(s[k] for k in KEY)].append(s)
    assert any(len(parts) > 1 for parts in per_update.values()), "no update spans several hourly slices"
    open_after_first = {
        k for k, parts in per_update.items()
        if any(s["period_end_time"] <= MIDNIGHT for s in parts) and any(s["period_end_time"] > MIDNIGHT for s in parts)
    }
    assert open_after_first, "no update's slices span two Bronze batches"
    before, after = gold_by_key(first.gold["fact_pipeline_update_timeline"]), gold_by_key(second.gold["fact_pipeline_update_timeline"])
    for k in open_after_first:
        assert (before[k]["result_state"], before[k]["period_end_time"]) == (None, MIDNIGHT)
        assert after[k]["result_state"] is not None and after[k]["period_end_time"] > MIDNIGHT
        assert after[k]["period_start_time"] == before[k]["period_start_time"]
    rows = list(after.values())
    for column in ("trigger_details_job_task", "compute_cluster_id", "reset_checkpoint_selection_json"):
        assert {r[column] is None for r in rows} == {True, False}, f"{column} is never set or always set"
    assert {r["full_refresh_selection_json"] == "[]" for r in rows} == {True, False}

"""dim_job_task and dim_job_task_history after the shared two-batch demo run (tests/demo_world.py):
every row, all business columns, equals the row computed here in plain Python from the Bronze
lakeflow.job_tasks rows of the same moment.

The rule restated: per task (workspace_id, job_id, task_key) the change rows in change_time order
make versions; a version opens when the dependencies (the one tracked column) change, after a
deletion, or first; a deletion row (delete_time set) opens a deletion version unless the task is
deleted already (tests/scd2_reference.py). Each version carries the columns of the row that
opened it; ``dim_job_task`` holds each task's last version, a deleted task's deletion included.
"""

from __future__ import annotations

import json

from tests.demo_world import WORLD
from tests.scd2_reference import expected_history

pytestmark = WORLD

TASK_KEY = ("workspace_id", "job_id", "task_key")
VALIDITY = ("valid_from", "valid_to", "is_current")


def task_row(r: dict) -> dict:
    """The Gold columns of one change row (the dependencies as Spark's compact JSON, source order)."""
    deps = r["depends_on_keys"]
    return {**{c: r[c] for c in ("account_id", *TASK_KEY, "change_time", "delete_time")},
            "depends_on_keys_json": None if deps is None else json.dumps(deps, separators=(",", ":"))}


def expected_task_history(bronze: list[dict]) -> dict[tuple, dict]:
    rows = [task_row(r) for r in bronze]
    at = {}
    for row in rows:
        k = (tuple(row[c] for c in TASK_KEY), row["change_time"], row["delete_time"] is not None)
        assert at.setdefault(k, row) == row, f"two different change rows of {k}"
    events = [(key, seq, row["depends_on_keys_json"], deleted) for (key, seq, deleted), row in at.items()]
    return {
        (*key, valid_from): {**at[(key, valid_from, deleted)], "valid_from": valid_from, "valid_to": valid_to, "is_current": current}
        for key, _, valid_from, valid_to, current, deleted in expected_history(events)
    }


def by(rows: list[dict], *key: str) -> dict[tuple, dict]:
    found = {tuple(r[k] for k in key): {c: v for c, v in r.items() if not c.startswith("_hm_")} for r in rows}
    assert len(found) == len(rows), f"{key} does not determine a row"
    return found


def test_dim_job_task_history_is_every_version_and_dim_job_task_the_current_one(demo_world):
    for snapshot in demo_world.after:
        expected = expected_task_history(snapshot.bronze["job_tasks"])
        assert by(snapshot.gold["dim_job_task_history"], *TASK_KEY, "valid_from") == expected
        current = {k[:3]: {c: v for c, v in row.items() if c not in VALIDITY} for k, row in expected.items() if row["is_current"]}
        assert by(snapshot.gold["dim_job_task"], *TASK_KEY) == current


def test_the_demo_exercises_versions_and_deletions_of_tasks(demo_world):
    """What the test above relies on happens in the two batches: a task with several versions and a
    deleted task (kept in dim_job_task with delete_time set). Re-creation after a deletion comes in
    batch 3 of the demo; tests/spark/test_scd2.py covers it against the same reference model."""
    history = demo_world.last.gold["dim_job_task_history"]
    versions: dict[tuple, list[dict]] = {}
    for r in history:
        versions.setdefault(tuple(r[k] for k in TASK_KEY), []).append(r)
    ordered = [sorted(v, key=lambda r: r["valid_from"]) for v in versions.values()]
    assert any(len(v) > 1 and all(r["delete_time"] is None for r in v) for v in ordered), "no task changes its dependencies"
    assert any(v[-1]["delete_time"] is not None for v in ordered), "no task ends deleted"
    deleted = {k for k, v in zip(versions, ordered) if v[-1]["delete_time"] is not None}
    current = {tuple(r[k] for k in TASK_KEY): r for r in demo_world.last.gold["dim_job_task"]}
    assert deleted and all(current[k]["delete_time"] is not None for k in deleted)

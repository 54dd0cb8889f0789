"""fact_mlflow_runs and dim_experiment (mlflow), fact_endpoint_usage and fact_payload_logs (model
serving) after the shared two-batch demo run (tests/demo_world.py): every Gold row, all business
columns, equals the row computed here in plain Python from the Bronze rows delivered so far.

The expectations restate the metadata's rules independently: a latest-state source (runs,
experiments) gives each key its latest delivered state by ``update_time``, a soft delete included
(the row stays, ``delete_time`` set); an append-only request log gives one row per request id,
re-deliveries collapsed; maps become JSON with sorted keys, arrays JSON in their order.
"""

from __future__ import annotations

import json
from datetime import datetime

from tests.demo_world import WORLD
from tests.oracle import as_json, by_key, sorted_map_json

pytestmark = WORLD


def delivered(demo_world, upto: int, table: str) -> list[dict]:
    """Every Bronze row of ``table`` seen by the runs of batches 1..upto (a snapshot source is
    replaced per batch, so each batch's rows are taken from its own snapshot)."""
    return [r for snapshot in demo_world.after[:upto] for r in snapshot.bronze[table]]


def latest_state(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """Each key's row with the greatest ``update_time``; rows of one key at one time must agree."""
    latest: dict[tuple, dict] = {}
    for r in rows:
        k = tuple(r[c] for c in key)
        if k not in latest or r["update_time"] > latest[k]["update_time"]:
            latest[k] = r
        elif r["update_time"] == latest[k]["update_time"]:
            assert r == latest[k], f"{k}: two different states at {r['update_time']}"
    return latest


def one_per_id(rows: list[dict], column: str) -> dict[str, dict]:
    """Rows by id; an id delivered twice must be delivered identically (an exact re-delivery)."""
    found: dict[str, dict] = {}
    for r in rows:
        assert found.setdefault(r[column], r) == r, f"{r[column]} delivered with different content"
    return found


# -- fact_mlflow_runs ----------------------------------------------------------------------------
RUN_KEY = ("workspace_id", "run_id")


def run_row(r: dict) -> dict:
    copied = ("account_id", "update_time", "delete_time", "workspace_id", "run_id", "experiment_id", "created_by",
              "start_time", "end_time", "run_name", "status")
    return {**{c: r[c] for c in copied}, "params_json": sorted_map_json(r["params"]), "tags_json": sorted_map_json(r["tags"]),
            "aggregated_metrics_json": r["aggregated_metrics"]}


def parsed_metrics(row: dict) -> dict:
    """A Gold run with its metrics JSON parsed: doubles compared as numbers, not as Java's text."""
    return {**row, "aggregated_metrics_json": json.loads(row["aggregated_metrics_json"])}


def test_fact_mlflow_runs_is_the_latest_state_of_every_run_delivered(demo_world):
    for upto, snapshot in enumerate(demo_world.after, start=1):
        expected = {k: run_row(r) for k, r in latest_state(delivered(demo_world, upto, "runs_latest"), RUN_KEY).items()}
        gold = {k: parsed_metrics(r) for k, r in by_key(snapshot.gold["fact_mlflow_runs"], RUN_KEY).items()}
        assert gold == expected


def test_a_run_running_at_midnight_is_finished_and_a_deleted_run_kept_after_batch_two(demo_world):
    first, second = (by_key(s.gold["fact_mlflow_runs"], RUN_KEY) for s in demo_world.after)
    finished = [k for k, r in first.items() if r["status"] == "RUNNING" and second[k]["status"] != "RUNNING"]
    assert finished, "no run is RUNNING after batch 1 and over after batch 2"
    assert all(first[k]["end_time"] is None and second[k]["end_time"] is not None for k in finished)
    deleted = [k for k in first if first[k]["delete_time"] is None and second[k]["delete_time"] is not None]
    assert deleted, "no run of batch 1 is soft-deleted in batch 2: its row must stay, delete_time set"


# -- dim_experiment ------------------------------------------------------------------------------
EXPERIMENT_KEY = ("workspace_id", "experiment_id")


def test_dim_experiment_is_one_row_per_experiment_and_a_deleted_one_keeps_its_row(demo_world):
    copied = ("account_id", "update_time", "delete_time", "workspace_id", "experiment_id", "name", "create_time")
    for upto, snapshot in enumerate(demo_world.after, start=1):
        latest = latest_state(delivered(demo_world, upto, "experiments_latest"), EXPERIMENT_KEY)
        expected = {k: {c: r[c] for c in copied} for k, r in latest.items()}
        assert by_key(snapshot.gold["dim_experiment"], EXPERIMENT_KEY) == expected
    first, second = (by_key(s.gold["dim_experiment"], EXPERIMENT_KEY) for s in demo_world.after)
    deleted = [k for k in first if first[k]["delete_time"] is None and second[k]["delete_time"] is not None]
    assert deleted, "no experiment is soft-deleted in batch 2"


# -- fact_endpoint_usage -------------------------------------------------------------------------
def usage_row(r: dict) -> dict:
    copied = ("workspace_id", "account_id", "client_request_id", "databricks_request_id", "requester", "status_code",
              "request_time", "input_token_count", "output_token_count", "input_character_count", "output_character_count",
              "request_streaming", "served_entity_id")
    return {**{c: r[c] for c in copied}, "usage_context_json": sorted_map_json(r["usage_context"])}


def test_fact_endpoint_usage_is_one_row_per_request(demo_world):
    for snapshot in demo_world.after:  # endpoint_usage is appended: a snapshot holds every batch so far
        expected = {(i,): usage_row(r) for i, r in one_per_id(snapshot.bronze["endpoint_usage"], "databricks_request_id").items()}
        assert by_key(snapshot.gold["fact_endpoint_usage"], ("databricks_request_id",)) == expected
    contexts = {r["usage_context_json"] for r in demo_world.last.gold["fact_endpoint_usage"]}
    assert {None, "{}"} < contexts  # NULL, empty and set maps all occur


# -- fact_payload_logs ---------------------------------------------------------------------------
def payload_row(r: dict) -> dict:
    return {**{c: v for c, v in r.items() if c != "logging_error_codes"}, "logging_error_codes_json": as_json(r["logging_error_codes"])}


def test_fact_payload_logs_is_one_row_per_logged_request_late_and_duplicated_ones_included(demo_world):
    for snapshot in demo_world.after:
        source = snapshot.bronze["payload_logs"]
        expected = {(i,): payload_row(r) for i, r in one_per_id(source, "databricks_request_id").items()}
        assert len(expected) < len(source)  # exact re-deliveries collapsed
        assert by_key(snapshot.gold["fact_payload_logs"], ("databricks_request_id",)) == expected
    first_ids = {r["databricks_request_id"] for r in demo_world.after[0].gold["fact_payload_logs"]}
    second = demo_world.last.gold["fact_payload_logs"]
    late = [r for r in second if r["databricks_request_id"] not in first_ids and r["request_time"] < datetime(2026, 1, 2)]
    assert late, "no payload of a day-1 request arrives with batch 2"
    requests = {r["databricks_request_id"] for r in demo_world.last.gold["fact_endpoint_usage"]}
    assert {r["databricks_request_id"] for r in second} <= requests  # every logged payload is a tracked request

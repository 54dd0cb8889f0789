"""The demo Bronze generator: all 35 system tables, exact schemas, deterministic batches, the: the tests that need no Spark (the rest, and the context, in tests/spark/test_demo_data.py)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from framework.demo.bronze import (
    DEMO_TABLES,
    DUPLICATES_PER_BATCH,
    batch_rows,
)
from framework.demo.common import batch_day, end_of
from framework.demo.world import UNKNOWN_WORKSPACE
from framework.errors import FrameworkError
from framework.platform.source_schemas import source_table, source_tables
from tests.conftest import DEMO_BATCHES

REPO_ROOT = Path(__file__).resolve().parents[2]

BATCHES = DEMO_BATCHES  # the batches the `rows` fixture (tests/conftest.py) holds

def upto(rows, key: str, last: int) -> list[tuple[int, dict]]:
    """(batch, row) of table ``key`` over batches 1..last."""
    return [(batch, row) for batch in range(1, last + 1) for row in rows[batch][key]]

# -- pure: no Spark ---------------------------------------------------------------------
def test_batches_are_numbered_from_one():
    with pytest.raises(FrameworkError, match="demo batch must be an integer >= 1, found 0"):
        batch_rows(0)

def test_the_demo_covers_every_system_table_of_the_derived_ddl():
    assert sorted(DEMO_TABLES) == sorted(source_tables()) and len(DEMO_TABLES) == 35
    assert DEMO_TABLES[-1] == "billing.usage"  # written last: it marks the batch as delivered

def test_every_batch_has_rows_for_every_table_and_only_known_columns(rows):
    for batch in BATCHES:
        for key in DEMO_TABLES:
            names = {c.name for c in source_table(key).columns}
            assert rows[batch][key], (batch, key)
            assert all(set(row) <= names for row in rows[batch][key]), (batch, key)

def test_some_job_versions_change_nothing_but_the_change_time(rows):
    """A job edit that touches no attribute still emits a row: SCD2 must not open a version for it."""
    by_job: dict[tuple[str, str], dict] = {}
    for _, row in upto(rows, "lakeflow.jobs", 2):
        by_job.setdefault((row["workspace_id"], row["job_id"]), {})[row["change_time"]] = row
    unchanged = [
        (earlier, later)
        for versions in by_job.values()
        for earlier, later in zip(sorted(versions), sorted(versions)[1:])
        if dict(versions[earlier], change_time=None) == dict(versions[later], change_time=None)
    ]
    assert unchanged

def _digest_of(code: str, seed: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True, text=True, check=True,
    ).stdout.strip()

def test_batches_do_not_depend_on_the_process_nor_on_earlier_batches(rows):
    """Batch 3 alone, batch 3 after 1 and 2, under different hash seeds: the same rows, which are
    the rows this process made (no set iteration, hash() or cache leaks into the data)."""
    prelude = "import hashlib; from framework.demo.bronze import batch_rows; "
    digest = "print(hashlib.sha256(repr(batch_rows(3)).encode()).hexdigest())"
    alone = _digest_of(prelude + digest, "1")
    after = _digest_of(prelude + "batch_rows(1); batch_rows(2); " + digest, "2")
    assert alone == after == hashlib.sha256(repr(rows[3]).encode()).hexdigest()
    assert batch_rows(2) == rows[2]  # the same batch twice

# -- SCD2 sources ---------------------------------------------------------------------------
SCD2 = {  # table -> (entity key, delete-time column)
    "lakeflow.jobs": (("workspace_id", "job_id"), "delete_time"),
    "lakeflow.job_tasks": (("workspace_id", "job_id", "task_key"), "delete_time"),
    "lakeflow.pipelines": (("workspace_id", "pipeline_id"), "delete_time"),
    "compute.clusters": (("workspace_id", "cluster_id"), "delete_time"),
    "compute.warehouses": (("workspace_id", "warehouse_id"), "delete_time"),
    "serving.served_entities": (("served_entity_id",), "endpoint_delete_time"),
}

def _versions(rows, key: str, last: int) -> dict[tuple, list[tuple[int, dict]]]:
    entity, _ = SCD2[key]
    found = defaultdict(list)
    for batch, row in upto(rows, key, last):
        found[tuple(row[c] for c in entity)].append((batch, row))
    return found

@pytest.mark.parametrize("key", sorted(SCD2))
def test_scd2_sources_have_several_versions_a_deletion_and_a_late_out_of_order_version(rows, key):
    _, deleted = SCD2[key]
    versions = _versions(rows, key, 3)
    assert max(len({r["change_time"] for _, r in found}) for found in versions.values()) >= 3
    assert any(r[deleted] is not None for found in versions.values() for _, r in found)
    late = [
        (entity, batch, row["change_time"])
        for entity, found in versions.items()
        for batch, row in found
        if row["change_time"] < max((r["change_time"] for b, r in found if b < batch), default=row["change_time"])
    ]
    assert late, f"{key}: no version older than one delivered in an earlier batch"

def test_a_warehouse_version_arrives_late_and_out_of_order_within_the_first_two_batches(rows):
    """The demo run of the tests hydrates two batches: dim_warehouse's late version must be in them."""
    late = [
        (entity, row["change_time"])
        for entity, found in _versions(rows, "compute.warehouses", 2).items()
        for batch, row in found
        if batch == 2 and row["change_time"] < max((r["change_time"] for b, r in found if b == 1), default=row["change_time"])
    ]
    assert late

@pytest.mark.parametrize("key", ["lakeflow.job_tasks", "compute.clusters", "compute.warehouses"])
def test_deleted_keys_are_recreated_in_a_later_batch(rows, key):
    _, deleted = SCD2[key]
    recreated = []
    for entity, found in _versions(rows, key, 4).items():
        deletions = [(b, r["change_time"]) for b, r in found if r[deleted] is not None]
        for batch, when in deletions:
            later = [(b, r) for b, r in found if b > batch and r["change_time"] > when and r[deleted] is None]
            if later:
                recreated.append(entity)
    assert recreated, f"{key}: no key comes back after its deletion"

def test_deleted_scd2_rows_carry_their_change_time_as_delete_time(rows):
    for key, (_, deleted) in SCD2.items():
        for _, row in upto(rows, key, 4):
            assert row[deleted] is None or row[deleted] == row["change_time"], key

# -- hourly-sliced timelines ----------------------------------------------------------------
TIMELINES = {  # table -> (run id columns, columns only the last slice carries)
    "lakeflow.job_run_timeline": (("workspace_id", "run_id"), ("result_state", "termination_code")),
    "lakeflow.job_task_run_timeline": (("workspace_id", "run_id"), ("result_state", "termination_code")),
    "lakeflow.pipeline_update_timeline": (("workspace_id", "update_id"), ("result_state",)),
}

def _slices(rows, key: str, last: int) -> dict[tuple, list[tuple[int, dict]]]:
    ids, _ = TIMELINES[key]
    found = defaultdict(list)
    for batch, row in upto(rows, key, last):
        found[tuple(row[c] for c in ids)].append((batch, row))
    return {run: sorted(slices, key=lambda s: s[1]["period_start_time"]) for run, slices in found.items()}

@pytest.mark.parametrize("key", sorted(TIMELINES))
def test_timelines_slice_runs_per_hour_with_the_result_on_the_last_slice_only(rows, key):
    _, results = TIMELINES[key]
    runs = _slices(rows, key, 4)
    complete = {run: s for run, s in runs.items() if s[0][0] <= 3}  # started by batch 3: ended by batch 4
    assert any(len(s) >= 3 for s in complete.values())
    for run, slices in complete.items():
        for (_, a), (_, b) in zip(slices, slices[1:]):
            assert a["period_end_time"] == b["period_start_time"], run
        for _, s in slices:
            hour = s["period_start_time"].replace(minute=0, second=0, microsecond=0)
            assert s["period_start_time"] < s["period_end_time"] <= hour + timedelta(hours=1), run
        for column in results:
            assert [s[column] is not None for _, s in slices] == [False] * (len(slices) - 1) + [True], (run, column)

@pytest.mark.parametrize("key", sorted(TIMELINES))
def test_a_run_spans_two_batches_and_each_batch_delivers_only_ended_slices(rows, key):
    _, results = TIMELINES[key]
    for batch in BATCHES:
        assert all(r["period_end_time"] <= end_of(batch) for r in rows[batch][key])
    spanning = [
        slices for slices in _slices(rows, key, 2).values()
        if {b for b, _ in slices} == {1, 2}
    ]
    assert spanning, f"{key}: no run delivered partly by batch 1 and finished by batch 2"
    for slices in spanning:
        assert all(r[results[0]] is None for b, r in slices if b == 1)  # batch 1 knows no result
        assert slices[-1][0] == 2 and slices[-1][1][results[0]] is not None

# -- billing.usage --------------------------------------------------------------------------
CORRECTED = ("record_id", "usage_quantity", "record_type", "ingestion_date")

def _without(row: dict, columns) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in row.items() if k not in columns))

def test_usage_corrections_retract_and_restate_an_earlier_original(rows):
    originals = {_without(r, CORRECTED): r for _, r in upto(rows, "billing.usage", 1) if r["record_type"] == "ORIGINAL"}
    batch2 = rows[2]["billing.usage"]
    retractions = [r for r in batch2 if r["record_type"] == "RETRACTION"]
    restatements = [r for r in batch2 if r["record_type"] == "RESTATEMENT"]
    assert retractions and len(retractions) == len(restatements)
    for retraction in retractions:
        original = originals[_without(retraction, CORRECTED)]  # identical but for the corrected columns
        assert original["usage_quantity"] + retraction["usage_quantity"] == 0
        assert retraction["record_id"] != original["record_id"]
        assert retraction["ingestion_date"] > original["ingestion_date"] == original["usage_date"]
    for restatement in restatements:
        assert _without(restatement, CORRECTED) in originals and restatement["usage_quantity"] > 0
    net = Counter()
    for row in [*originals.values(), *retractions, *restatements]:
        net[_without(row, CORRECTED)] += row["usage_quantity"]
    for restatement in restatements:  # original + retraction cancel: what stays is the restatement
        assert net[_without(restatement, CORRECTED)] == restatement["usage_quantity"]

def test_usage_keys_resolve_to_entities_of_the_other_tables(rows):
    seen = lambda key, *cols: {tuple(r[c] for c in cols) for _, r in upto(rows, key, 4)}  # noqa: E731
    workspaces = seen("access.workspaces_latest", "workspace_id")
    jobs = seen("lakeflow.jobs", "workspace_id", "job_id")
    clusters = seen("compute.clusters", "workspace_id", "cluster_id")
    warehouses = seen("compute.warehouses", "workspace_id", "warehouse_id")
    pipelines = seen("lakeflow.pipelines", "workspace_id", "pipeline_id")
    endpoints = seen("serving.served_entities", "workspace_id", "endpoint_id", "endpoint_name")
    runs = seen("lakeflow.job_run_timeline", "workspace_id", "job_id", "run_id")
    updates = seen("lakeflow.pipeline_update_timeline", "workspace_id", "pipeline_id", "update_id")
    usage = [r for _, r in upto(rows, "billing.usage", 3)]
    known = [r for r in usage if r["workspace_id"] != UNKNOWN_WORKSPACE]
    assert 0 < len(usage) - len(known) < 0.05 * len(usage)  # real usage names unlisted workspaces too
    checked = Counter()
    for row in known:
        ws, meta = row["workspace_id"], row["usage_metadata"]
        assert (ws,) in workspaces
        pairs = [
            ("job", (ws, meta.get("job_id")), jobs),
            ("cluster", (ws, meta.get("cluster_id")), clusters),
            ("warehouse", (ws, meta.get("warehouse_id")), warehouses),
            ("pipeline", (ws, meta.get("dlt_pipeline_id")), pipelines),
            ("endpoint", (ws, meta.get("endpoint_id"), meta.get("endpoint_name")), endpoints),
            ("run", (ws, meta.get("job_id"), meta.get("job_run_id")), runs),
            ("update", (ws, meta.get("dlt_pipeline_id"), meta.get("dlt_update_id")), updates),
        ]
        for name, key, found in pairs:
            if key[-1] is not None:
                assert key in found, (name, key)
                checked[name] += 1
    assert set(checked) == {"job", "cluster", "warehouse", "pipeline", "endpoint", "run", "update"}

def test_event_tables_name_entities_that_exist(rows):
    seen = lambda key, *cols: {tuple(r[c] for c in cols) for _, r in upto(rows, key, 4)}  # noqa: E731
    runs = seen("lakeflow.job_run_timeline", "workspace_id", "run_id")
    for _, r in upto(rows, "lakeflow.job_task_run_timeline", 3):
        assert (r["workspace_id"], r["job_run_id"]) in runs and r["parent_run_id"] == r["job_run_id"]
    jobs = seen("lakeflow.jobs", "workspace_id", "job_id")
    for key in ("lakeflow.job_run_timeline", "lakeflow.job_task_run_timeline"):
        assert all((r["workspace_id"], r["job_id"]) in jobs for _, r in upto(rows, key, 4))
    clusters = seen("compute.clusters", "workspace_id", "cluster_id")
    assert all((r["workspace_id"], r["cluster_id"]) in clusters for _, r in upto(rows, "compute.node_timeline", 4))
    assert all((r["workspace_id"], r["usage_metadata"]["cluster_id"]) in clusters for _, r in upto(rows, "billing.cloud_infra_cost", 4))
    warehouses = seen("compute.warehouses", "workspace_id", "warehouse_id")
    assert all((r["workspace_id"], r["warehouse_id"]) in warehouses for _, r in upto(rows, "compute.warehouse_events", 4))
    assert all((r["workspace_id"], r["compute"]["warehouse_id"]) in warehouses for _, r in upto(rows, "query.history", 4))
    created = {}  # served entity -> its first version: no request before it
    for _, r in upto(rows, "serving.served_entities", 4):
        created[(r["workspace_id"], r["served_entity_id"])] = min(r["change_time"], created.get((r["workspace_id"], r["served_entity_id"]), r["change_time"]))
    for _, r in upto(rows, "serving.endpoint_usage", 4):
        assert created[(r["workspace_id"], r["served_entity_id"])] <= r["request_time"]
    for batch in BATCHES:
        statements = {r["statement_id"] for r in rows[batch]["query.history"]}
        for key in ("access.table_lineage", "access.column_lineage"):
            assert {r["statement_id"] for r in rows[batch][key]} - {None} <= statements
        job_info = [r["query_source"]["job_info"] for r in rows[batch]["query.history"] if r["query_source"] and r["query_source"]["job_info"]]
        assert job_info and {j["job_run_id"] for j in job_info} <= {run for _, run in runs}
        run_ids = {r["run_id"] for r in rows[batch]["mlflow.runs_latest"]}
        assert {r["run_id"] for r in rows[batch]["mlflow.run_metrics_history"]} <= run_ids
        experiments = {r["experiment_id"] for r in rows[batch]["mlflow.experiments_latest"]}
        assert {r["experiment_id"] for r in rows[batch]["mlflow.runs_latest"]} <= experiments

# -- latest-state tables, updated in place ---------------------------------------------------
def test_latest_state_tables_change_in_place_between_snapshots(rows):
    def by_key(batch, key, *cols):
        return {tuple(r[c] for c in cols): r for r in rows[batch][key]}

    experiments = [by_key(b, "mlflow.experiments_latest", "workspace_id", "experiment_id") for b in (1, 2, 3)]
    assert experiments[0].keys() == experiments[2].keys()
    assert any(experiments[0][k]["delete_time"] is None and experiments[1][k]["delete_time"] is not None for k in experiments[0])
    assert any(experiments[1][k]["name"] != experiments[2][k]["name"] for k in experiments[1])
    assert any(experiments[0][k]["update_time"] < experiments[1][k]["update_time"] for k in experiments[0])
    first, second = by_key(1, "mlflow.runs_latest", "run_id"), by_key(2, "mlflow.runs_latest", "run_id")
    finished_later = [k for k in first if first[k]["status"] == "RUNNING" and second[k]["status"] != "RUNNING"]
    assert finished_later and all(second[k]["end_time"] is not None and first[k]["end_time"] is None for k in finished_later)
    assert all(second[k]["update_time"] > first[k]["update_time"] for k in finished_later)
    assert any(first[k]["delete_time"] is None and second[k]["delete_time"] == second[k]["update_time"] for k in first)  # a soft-deleted run
    classified = [by_key(b, "data_classification.results", "table_id", "column_name", "class_tag") for b in (1, 2)]
    assert set(classified[1]) > set(classified[0])  # a new detection
    assert any(classified[0][k]["latest_detected_time"] < classified[1][k]["latest_detected_time"] for k in classified[0])
    assert len(rows[3]["compute.node_types"]) == len(rows[2]["compute.node_types"]) + 1

def test_run_aggregates_summarise_exactly_the_metric_rows_delivered_so_far(rows):
    for batch in (1, 2, 3):
        logged = defaultdict(list)
        for _, m in upto(rows, "mlflow.run_metrics_history", batch):
            logged[(m["run_id"], m["metric_name"])].append(m)
        for run in rows[batch]["mlflow.runs_latest"]:
            expected = []
            for (run_id, name), found in sorted(logged.items()):
                if run_id == run["run_id"]:
                    latest = max(found, key=lambda m: (m["metric_step"], m["insert_time"]))
                    values = [m["metric_value"] for m in found]
                    expected.append({"metric_name": name, "min_value": min(values), "max_value": max(values),
                                     "latest_value": latest["metric_value"]})
            assert run["aggregated_metrics"] == expected, (batch, run["run_id"])
    metrics = [m for _, m in upto(rows, "mlflow.run_metrics_history", 3)]
    same_value = Counter((m["run_id"], m["metric_name"], m["metric_step"], m["metric_value"]) for m in metrics)
    assert any(n > 1 for n in same_value.values())  # identical values, told apart by record_id only
    assert len({m["record_id"] for m in metrics}) == len(metrics)

def test_predictive_optimization_fills_late_billing_in_a_later_batch(rows):
    first = {r["operation_id"]: r for r in rows[1]["storage.predictive_optimization_operations_history"]}
    later = [r for r in rows[2]["storage.predictive_optimization_operations_history"] if r["operation_id"] in first]
    assert later and all(first[r["operation_id"]]["usage_quantity"] is None and r["usage_quantity"] is not None for r in later)

# -- metrics and events --------------------------------------------------------------------
def test_node_timeline_has_one_row_per_instance_and_minute(rows):
    for batch in BATCHES:
        by_instance = defaultdict(list)
        for r in rows[batch]["compute.node_timeline"]:
            assert r["start_time"].second == r["start_time"].microsecond == 0
            assert r["end_time"] - r["start_time"] == timedelta(minutes=1)
            by_instance[(r["workspace_id"], r["cluster_id"], r["instance_id"])].append(r["start_time"])
        assert by_instance
        for instance, starts in by_instance.items():
            starts.sort()
            assert starts == [starts[0] + timedelta(minutes=i) for i in range(len(starts))], instance
            assert len(starts) >= 10  # nodes that ran under ten minutes may not appear upstream
        drivers = Counter((r["cluster_id"], r["start_time"]) for r in rows[batch]["compute.node_timeline"] if r["driver"])
        assert set(drivers.values()) == {1}

EVENT_IDS = {
    "access.audit": "event_id", "access.assistant_events": "event_id", "access.inbound_network": "event_id",
    "access.outbound_network": "event_id", "access.clean_room_events": "event_id", "access.table_lineage": "record_id",
    "access.column_lineage": "record_id", "query.history": "statement_id", "serving.endpoint_usage": "databricks_request_id",
    "mlflow.run_metrics_history": "record_id",
}

@pytest.mark.parametrize("key", sorted(EVENT_IDS))
def test_append_only_events_are_new_in_each_batch_and_happen_on_its_day(rows, key):
    ids = [r[EVENT_IDS[key]] for _, r in upto(rows, key, 4)]
    assert len(ids) == len(set(ids))
    time_column = {"serving.endpoint_usage": "request_time", "query.history": "start_time",
                   "mlflow.run_metrics_history": "insert_time"}.get(key, "event_time")
    for batch in (2, 3):
        days = {r[time_column].date() for r in rows[batch][key]}
        assert batch_day(batch) in days and days <= {batch_day(batch), batch_day(batch - 1)}

PAYLOAD_COPIED = ("account_id", "workspace_id", "databricks_request_id", "client_request_id", "request_time", "status_code", "served_entity_id")


def test_payload_logs_are_sampled_requests_of_endpoint_usage_delivered_up_to_an_hour_late(rows):
    """Each payload row is a request of serving.endpoint_usage (same id, time, status, entity) of
    its batch or, delivered late, of the batch before; a batch re-delivers a few rows exactly."""
    usage = {r["databricks_request_id"]: (batch, r) for batch, r in upto(rows, "serving.endpoint_usage", 4)}
    seen, late, route_optimized, sampled = Counter(), 0, 0, Counter()
    for batch, p in upto(rows, "__internal_logging.payload_logs", 4):
        requested_in, u = usage[p["databricks_request_id"]]
        assert batch - requested_in in (0, 1) and {c: p[c] for c in PAYLOAD_COPIED} == {c: u[c] for c in PAYLOAD_COPIED}
        assert p["request_date"] == p["request_time"].date() and 0 < p["sampling_fraction"] <= 1
        assert p["requester"] in (u["requester"], None) and (p["request"] is None) == ("MAX_REQUEST_SIZE_EXCEEDED" in p["logging_error_codes"])
        if p["status_code"] == 200 and u["input_token_count"] is not None and p["response"] is not None:
            tokens = json.loads(p["response"])["usage"]
            assert (tokens["prompt_tokens"], tokens["completion_tokens"]) == (u["input_token_count"], u["output_token_count"])
        late += batch > requested_in
        route_optimized += p["requester"] is None
        sampled[p["sampling_fraction"]] += 1
        seen[p["databricks_request_id"]] += 1
    assert late and route_optimized and set(sampled) == {1.0, 0.5}
    for batch in BATCHES:  # exact re-deliveries only, DUPLICATES_PER_BATCH of them per batch
        delivered = Counter(repr(sorted(r.items())) for r in rows[batch]["__internal_logging.payload_logs"])
        assert sum(n - 1 for n in delivered.values()) == DUPLICATES_PER_BATCH["__internal_logging.payload_logs"] > 0
    assert sum(n - 1 for n in seen.values()) == len(BATCHES) * DUPLICATES_PER_BATCH["__internal_logging.payload_logs"]
    logged_endpoints = {r["served_entity_id"] for _, r in upto(rows, "__internal_logging.payload_logs", 4)}
    assert logged_endpoints < {u["served_entity_id"] for _, u in usage.values()}  # not every endpoint logs payloads


def test_clean_room_events_set_exactly_the_metadata_of_their_type(rows):
    from framework.demo.clean_rooms import METADATA_OF

    types = set()
    for _, r in upto(rows, "access.clean_room_events", 4):
        assert [c for c in METADATA_OF.values() if r[c] is not None] == [METADATA_OF[r["event_type"]]]
        types.add(r["event_type"])
    assert types == set(METADATA_OF)

def test_outbound_network_details_match_the_destination_type(rows):
    kinds = set()
    for _, r in upto(rows, "access.outbound_network", 2):
        kinds.add(r["destination_type"])
        assert (r["dns_event"] is not None) == (r["destination_type"] == "DNS")
        assert (r["storage_event"] is not None) == (r["destination_type"] == "STORAGE")
    assert kinds == {"DNS", "IP", "STORAGE"}

COLLECTIONS = [  # table, column: NULL, empty and non-empty all occur in batches 1-2
    ("billing.usage", "custom_tags"),
    ("lakeflow.job_run_timeline", "job_parameters"),
    ("compute.clusters", "init_scripts"),
    ("serving.endpoint_usage", "usage_context"),
    ("query.history", "query_tags"),
    ("lakeflow.pipeline_update_timeline", "reset_checkpoint_selection"),
]

NOT_NULL_COLLECTIONS = [  # empty and non-empty occur
    ("lakeflow.job_run_timeline", "compute_ids"),
    ("compute.node_timeline", "disk_free_bytes_per_mount_point"),
    ("mlflow.runs_latest", "aggregated_metrics"),
    ("mlflow.runs_latest", "params"),
    ("data_classification.results", "samples"),
    ("compute.clusters", "tags"),
    ("__internal_logging.payload_logs", "logging_error_codes"),
]

MOSTLY_NULL = [  # NULL on most rows, set on some
    ("query.history", "error_message"),
    ("query.history", "query_parameters"),
    ("compute.clusters", "policy_id"),
    ("serving.endpoint_usage", "client_request_id"),
    ("marketplace.listing_access_events", "consumer_comment"),
    ("query.history", "written_rows"),
    ("__internal_logging.payload_logs", "client_request_id"),
]

def _values(rows, key, column):
    return [r[column] for _, r in upto(rows, key, 2)]

@pytest.mark.parametrize(("key", "column"), COLLECTIONS + NOT_NULL_COLLECTIONS)
def test_maps_and_arrays_are_null_empty_or_set(rows, key, column):
    values = _values(rows, key, column)
    kinds = {"null" if v is None else "empty" if len(v) == 0 else "set" for v in values}
    assert kinds == ({"null", "empty", "set"} if (key, column) in COLLECTIONS else {"empty", "set"})

@pytest.mark.parametrize(("key", "column"), MOSTLY_NULL)
def test_null_heavy_columns_are_mostly_null(rows, key, column):
    values = _values(rows, key, column)
    nulls = sum(v is None for v in values)
    assert len(values) / 2 < nulls < len(values)

def test_account_level_audit_events_have_workspace_zero_or_null(rows):
    account = [r["workspace_id"] for _, r in upto(rows, "access.audit", 2) if r["audit_level"] == "ACCOUNT_LEVEL"]
    assert set(account) == {"0", None}

def test_audit_has_grants_revokes_and_secret_reads_some_denied_on_group_dedicated_compute(rows):
    for batch in BATCHES:
        audit = rows[batch]["access.audit"]
        changes = [json.loads(r["request_params"]["changes"]) for r in audit if r["action_name"] == "updatePermissions"]
        assert {key for change in changes for key in change[0]} == {"principal", "add", "remove"}
        secrets = [r for r in audit if r["action_name"] == "getSecret"]
        assert {r["response"]["status_code"] for r in secrets} == {200, 403}
        assert all(r["identity_metadata"]["run_as"] != r["identity_metadata"]["run_by"] and r["identity_metadata"]["acting_resource"]
                   for r in secrets)

def test_cli_bootstrap_takes_a_scale():
    from framework.surfaces.cli import _parser

    assert _parser().parse_args(["bootstrap", "--demo-data", "--scale", "3"]).scale == 3
    assert _parser().parse_args(["bootstrap"]).scale == 1

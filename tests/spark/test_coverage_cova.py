"""dim_job and fact_job_run_timeline (lakeflow), dim_cluster and fact_node_timeline (compute) after
the shared two-batch demo run (tests/demo_world.py): every Gold row, all business columns, equals
the row computed here in plain Python from the Bronze rows of the same moment.

The expectations restate the metadata's rules independently: a job run is the aggregate of its
hourly slices over its whole history (attributes of the latest slice, result of the latest slice
that has one, durations only once it has one); the SCD2 tables follow tests/scd2_reference.py
with untracked columns taken from the row that opened the version; node metrics are copied.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime

from tests.demo_world import WORLD
from tests.harness import business
from tests.oracle import as_json, by_key, sorted_map_json
from tests.scd2_reference import expected_history

pytestmark = WORLD


def scd2_expected(source: list[dict], key: tuple[str, ...], tracked: list[str], derive) -> dict[tuple, dict]:
    """``<name>_history`` rows by (key..., valid_from): tests/scd2_reference.py's versions, each
    carrying the columns of the source row that opened it (untracked ones included; a deletion
    version, the deletion row's)."""
    derived = [(r, derive(r)) for r in source]
    events = [
        (tuple(r[k] for k in key), r["change_time"], json.dumps([g[c] for c in tracked], default=str), r["delete_time"] is not None)
        for r, g in derived
    ]
    opening = defaultdict(list)
    for r, g in derived:
        opening[(tuple(r[k] for k in key), r["change_time"], r["delete_time"] is not None)].append(g)
    expected = {}
    for k, name, valid_from, valid_to, is_current, is_delete in expected_history(events):
        rows = [g for g in opening[(k, valid_from, is_delete)] if json.dumps([g[c] for c in tracked], default=str) == name]
        assert rows and all(g == rows[0] for g in rows), f"{k} at {valid_from}: no single opening row"
        expected[(*k, valid_from)] = {**rows[0], "valid_from": valid_from, "valid_to": valid_to, "is_current": is_current}
    return expected


def current_of(history: dict[tuple, dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """``<name>``: each key's current version, without the validity columns."""
    validity = ("valid_from", "valid_to", "is_current")
    return {tuple(v[k] for k in key): {c: x for c, x in v.items() if c not in validity} for v in history.values() if v["is_current"]}


def scd2_gold(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    return by_key(rows, (*key, "valid_from"))


# -- fact_job_run_timeline ---------------------------------------------------------------------
def expected_runs(slices: list[dict]) -> dict[tuple, dict]:
    runs = defaultdict(list)
    for s in slices:
        runs[(s["workspace_id"], s["run_id"])].append(s)
    expected = {}
    for (workspace, run_id), parts in runs.items():
        parts.sort(key=lambda s: s["period_end_time"])
        last = parts[-1]
        with_result = [s for s in parts if s["result_state"] is not None]
        final = with_result[-1] if with_result else None
        start, end = min(s["period_start_time"] for s in parts), max(s["period_end_time"] for s in parts)
        seconds = int((end - start).total_seconds()) if final else None
        expected[(workspace, run_id)] = {
            "account_id": last["account_id"],
            "workspace_id": workspace,
            "job_id": last["job_id"],
            "run_id": run_id,
            "period_start_time": start,
            "period_end_time": end,
            "trigger_type": last["trigger_type"],
            "result_state": final and final["result_state"],
            "run_type": last["run_type"],
            "run_name": last["run_name"],
            "termination_code": final and final["termination_code"],
            "compute_ids": last["compute_ids"],
            "job_parameters": as_json(last["job_parameters"]),
            "run_date": start.date(),
            "run_duration_seconds": seconds,
            "run_duration_minutes": None if seconds is None else seconds / 60,
            "is_success": final is not None and final["result_state"] == "SUCCEEDED",
        }
    return expected


def test_fact_job_run_timeline_is_one_row_per_run_aggregated_over_all_its_slices(demo_world):
    for snapshot in demo_world.after:  # after batch 1 (runs still open at midnight), after batch 2
        gold = by_key(snapshot.gold["fact_job_run_timeline"], ("workspace_id", "run_id"))
        assert gold == expected_runs(snapshot.bronze["job_run_timeline"])


def test_a_run_spanning_two_batches_is_open_after_the_first_and_complete_after_the_second(demo_world):
    first, second = demo_world.after
    batch1 = {(s["workspace_id"], s["run_id"]) for s in first.bronze["job_run_timeline"]}
    completed_later = {
        (s["workspace_id"], s["run_id"]) for s in second.bronze["job_run_timeline"]
        if (s["workspace_id"], s["run_id"]) in batch1 and s["period_start_time"] >= datetime(2026, 1, 2)
    }
    assert completed_later, "the demo has no run whose slices span two Bronze batches"
    before = by_key(first.gold["fact_job_run_timeline"], ("workspace_id", "run_id"))
    after = by_key(second.gold["fact_job_run_timeline"], ("workspace_id", "run_id"))
    for run in completed_later:
        was, now = before[run], after[run]
        # after batch 1: its slices up to midnight, no result, no duration, not a success
        assert (was["period_end_time"], was["result_state"], was["termination_code"]) == (datetime(2026, 1, 2), None, None)
        assert (was["run_duration_seconds"], was["run_duration_minutes"], was["is_success"]) == (None, None, False)
        # after batch 2: the whole run, from its first slice (batch 1) to its last (batch 2)
        assert now["period_start_time"] == was["period_start_time"] and now["period_end_time"] > datetime(2026, 1, 2)
        assert now["result_state"] is not None and now["termination_code"] is not None
        assert now["run_duration_seconds"] == (now["period_end_time"] - now["period_start_time"]).total_seconds()
        assert now["is_success"] == (now["result_state"] == "SUCCEEDED")


# -- dim_job -------------------------------------------------------------------------------------
JOB_KEY = ("workspace_id", "job_id")


def job_row(r: dict) -> dict:
    columns = ("account_id", "workspace_id", "job_id", "name", "creator_id", "run_as", "change_time", "delete_time", "description")
    return {**{c: r[c] for c in columns}, "tags_json": sorted_map_json(r["tags"])}


JOB_TRACKED = ["name", "creator_id", "run_as", "description", "tags_json"]  # change_time moves with every row


def test_dim_job_is_the_current_version_of_each_job_and_dim_job_history_every_version(demo_world):
    for snapshot in demo_world.after:
        expected = scd2_expected(snapshot.bronze["jobs"], JOB_KEY, JOB_TRACKED, job_row)
        assert scd2_gold(snapshot.gold["dim_job_history"], JOB_KEY) == expected
        assert by_key(snapshot.gold["dim_job"], JOB_KEY) == current_of(expected, JOB_KEY)


def test_a_deleted_job_keeps_its_dim_job_row_with_delete_time_set_and_its_history_ends_with_the_deletion(demo_world):
    snapshot = demo_world.last
    last_event = {}
    for r in sorted(snapshot.bronze["jobs"], key=lambda r: (r["change_time"], r["delete_time"] is not None)):
        last_event[tuple(r[k] for k in JOB_KEY)] = r
    deleted = {k: r for k, r in last_event.items() if r["delete_time"] is not None}
    assert deleted, "the demo deletes no job"
    jobs = by_key(snapshot.gold["dim_job"], JOB_KEY)
    assert {k: jobs[k]["delete_time"] for k in deleted} == {k: r["delete_time"] for k, r in deleted.items()}
    assert all(r["delete_time"] is None for k, r in jobs.items() if k not in deleted)
    history = defaultdict(list)
    for v in map(business, snapshot.gold["dim_job_history"]):
        history[tuple(v[k] for k in JOB_KEY)].append(v)
    for k, r in deleted.items():
        last = max(history[k], key=lambda v: v["valid_from"])
        assert (last["valid_from"], last["delete_time"], last["valid_to"], last["is_current"]) == (r["change_time"], r["delete_time"], None, True)


# -- dim_cluster ---------------------------------------------------------------------------------
CLUSTER_KEY = ("workspace_id", "cluster_id")
CLOUD_FIELDS = {
    "aws_attributes": ("first_on_demand", "availability", "zone_id", "instance_profile_arn", "spot_bid_price_percent",
                       "ebs_volume_type", "ebs_volume_count", "ebs_volume_size", "ebs_volume_iops", "ebs_volume_throughput"),
    "azure_attributes": ("first_on_demand", "availability", "spot_bid_max_price"),
    "gcp_attributes": ("use_preemptible_executors", "google_service_account", "boot_disk_size", "availability", "zone_id",
                       "local_ssd_count"),
}


def cluster_row(r: dict) -> dict:
    copied = ("account_id", "workspace_id", "cluster_id", "cluster_name", "owned_by", "create_time", "delete_time",
              "driver_node_type", "worker_node_type", "worker_count", "min_autoscale_workers", "max_autoscale_workers",
              "auto_termination_minutes", "enable_elastic_disk", "cluster_source", "driver_instance_pool_id",
              "worker_instance_pool_id", "dbr_version", "change_time", "change_date", "data_security_mode", "policy_id")
    flattened = {f"{struct}_{f}": (r[struct] or {}).get(f) for struct, fields in CLOUD_FIELDS.items() for f in fields}
    return {**{c: r[c] for c in copied}, "tags_json": sorted_map_json(r["tags"]),
            "init_scripts_json": as_json(r["init_scripts"]), **flattened}


def cluster_tracked(rows: list[dict]) -> list[str]:
    """Every column but the key, the change time and date (they move with every row) and the
    delete time (set only on the deletion row, which opens the deletion version)."""
    return [c for c in cluster_row(rows[0]) if c not in (*CLUSTER_KEY, "change_time", "change_date", "delete_time")]


def test_dim_cluster_is_the_scd2_history_of_the_cluster_versions(demo_world):
    for snapshot in demo_world.after:
        source = snapshot.bronze["clusters"]
        expected = scd2_expected(source, CLUSTER_KEY, cluster_tracked(source), cluster_row)
        assert scd2_gold(snapshot.gold["dim_cluster_history"], CLUSTER_KEY) == expected
        assert by_key(snapshot.gold["dim_cluster"], CLUSTER_KEY) == current_of(expected, CLUSTER_KEY)


def test_the_cluster_cases_happen_inside_the_two_batches_and_land_in_gold(demo_world):
    """The Bronze has a deletion, a key back after its deletion and a version older than one
    delivered the batch before; Gold places the late version and reopens the key."""
    first, second = demo_world.after
    delivered_first = defaultdict(list)
    for r in first.bronze["clusters"]:
        delivered_first[tuple(r[k] for k in CLUSTER_KEY)].append(r["change_time"])
    new_rows = [r for r in second.bronze["clusters"] if r not in first.bronze["clusters"]]
    late = [r for r in new_rows if r["change_time"] < max(delivered_first.get(tuple(r[k] for k in CLUSTER_KEY), [r["change_time"]]))]
    assert late, "no cluster version arrives late and out of order in batch 2"
    deleted_first = {tuple(r[k] for k in CLUSTER_KEY): r["change_time"] for r in first.bronze["clusters"] if r["delete_time"]}
    back = {tuple(r[k] for k in CLUSTER_KEY) for r in new_rows if r["delete_time"] is None
            and tuple(r[k] for k in CLUSTER_KEY) in deleted_first}
    assert back, "no cluster deleted in batch 1 comes back in batch 2"
    gold = scd2_gold(second.gold["dim_cluster_history"], CLUSTER_KEY)
    for r in late:
        version = gold[(*(r[k] for k in CLUSTER_KEY), r["change_time"])]
        assert version["valid_to"] is not None and version["valid_to"] > version["valid_from"]
    before = scd2_gold(first.gold["dim_cluster_history"], CLUSTER_KEY)
    for key in back:
        was = [v for k, v in before.items() if k[:2] == key and v["is_current"]]  # after batch 1: its deletion
        assert len(was) == 1 and was[0]["delete_time"] is not None and was[0]["valid_from"] == deleted_first[key]
        current = [v for k, v in gold.items() if k[:2] == key and v["is_current"]]
        assert len(current) == 1 and current[0]["valid_from"] > deleted_first[key] and current[0]["delete_time"] is None


# -- fact_node_timeline ----------------------------------------------------------------------------
NODE_KEY = ("workspace_id", "instance_id", "start_time")


def node_row(r: dict) -> dict:
    copied = ("account_id", "workspace_id", "cluster_id", "instance_id", "start_time", "end_time", "driver",
              "cpu_user_percent", "cpu_system_percent", "cpu_wait_percent", "mem_used_percent", "mem_swap_percent",
              "network_sent_bytes", "network_received_bytes", "node_type", "private_ip")
    return {**{c: r[c] for c in copied}, "disk_free_bytes_per_mount_point_json": sorted_map_json(r["disk_free_bytes_per_mount_point"])}


def test_fact_node_timeline_is_every_node_minute_as_delivered(demo_world):
    for snapshot in demo_world.after:
        expected = by_key([node_row(r) for r in snapshot.bronze["node_timeline"]], NODE_KEY)
        assert by_key(snapshot.gold["fact_node_timeline"], NODE_KEY) == expected

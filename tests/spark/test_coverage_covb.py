"""Issue 9's tables of query performance, security, governance and storage after the shared demo run
(tests/demo_world.py): every Gold row equals the row computed here, in plain Python, from the Bronze
rows the run read (never with the engine's SQL, never from Gold), after batch 1 and after batch 2.

Each expectation states the table's rule once, in Python: the Bronze row's own columns, its nested
structs flattened to the design's columns, maps and structs as the JSON text Spark writes, the
derived flags, and the load type's choice of row per key (the latest statement update, the billed
delivery of an operation, the warehouse's version history).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.demo_world import WORLD
from tests.harness import business as business_row
from tests.oracle import spark_json
from tests.scd2_reference import expected_history

pytestmark = WORLD
SNAPSHOTS = {"after batch 1": 0, "after batch 2": 1}


# -- helpers ----------------------------------------------------------------------------------
def business(rows: list[dict]) -> list[dict]:
    """Gold rows without the engine's ``_hm_*`` columns."""
    return [business_row(row) for row in rows]


def sorted_json(mapping: dict | None) -> str | None:
    """A MAP<STRING,STRING> as JSON with its keys sorted (the same map always gives the same text)."""
    return None if mapping is None else json.dumps(dict(sorted(mapping.items())), separators=(",", ":"), ensure_ascii=False)


def one_per_key(rows: list[dict], key, rank) -> dict:
    """key -> the row of highest ``rank``; rows tied at the top must be identical (else the choice is the engine's)."""
    best: dict = {}
    for row in rows:
        k = key(row)
        if k not in best or rank(row) > rank(best[k]):
            best[k] = row
        elif rank(row) == rank(best[k]):
            assert row == best[k], f"two different rows for key {k!r} with the same rank: the expectation is ambiguous"
    return best


def by(rows: list[dict], *key: str) -> dict:
    found = {tuple(r[k] for k in key): r for r in rows}
    assert len(found) == len(rows), f"{key} is not unique"
    return found


def assert_rows_equal(got: list[dict], expected: list[dict], *key: str) -> None:
    got_by, expected_by = by(business(got), *key), by(expected, *key)
    assert sorted(got_by, key=repr) == sorted(expected_by, key=repr), "keys differ"
    wrong = {k: {c: (got_by[k].get(c), v) for c, v in row.items() if got_by[k].get(c) != v} for k, row in expected_by.items()}
    assert {k: d for k, d in wrong.items() if d} == {}, "columns differ: (gold, expected)"
    assert {k: sorted(set(got_by[k]) - set(row)) for k, row in expected_by.items() if set(got_by[k]) != set(row)} == {}


# -- fact_query_history ------------------------------------------------------------------------
def query_row(r: dict) -> dict:
    compute = r["compute"] or {}
    source = r["query_source"] or {}
    params = r["query_parameters"] or {}
    row = {k: v for k, v in r.items() if k not in ("compute", "query_source", "query_parameters")}
    row.update({f"compute_{f}": compute.get(f) for f in ("type", "cluster_id", "warehouse_id")})
    row.update({f"query_source_{f}": source.get(f) for f in ("legacy_dashboard_id", "dashboard_id", "alert_id",
                                                              "notebook_id", "sql_query_id", "genie_space_id")})
    row["query_source_job_info"] = spark_json(source.get("job_info"))
    row["query_source_pipeline_info"] = spark_json(source.get("pipeline_info"))
    row["query_parameters_named_parameters"] = spark_json(params.get("named_parameters"))
    row["query_parameters_pos_parameters"] = spark_json(params.get("pos_parameters"))
    row["query_parameters_truncated"] = params.get("truncated")
    return row


def expected_queries(bronze: list[dict]) -> list[dict]:
    """One row per statement: its latest progress update."""
    latest = one_per_key(bronze, lambda r: r["statement_id"], lambda r: r["update_time"])
    return [query_row(r) for r in latest.values()]


@pytest.mark.parametrize("after", SNAPSHOTS)
def test_fact_query_history_is_each_statement_flattened(demo_world, after):
    snapshot = demo_world.after[SNAPSHOTS[after]]
    expected = expected_queries(snapshot.bronze["history"])
    assert_rows_equal(snapshot.gold["fact_query_history"], expected, "statement_id")
    # the cases are there: jobs, dashboards and saved queries as sources, named parameters, tags
    assert {bool(r["query_source_job_info"]) for r in expected} == {True, False}
    assert any(r["query_source_dashboard_id"] for r in expected) and any(r["query_source_sql_query_id"] for r in expected)
    assert any(r["query_parameters_named_parameters"] for r in expected)
    assert {None, "{}"} < {None if r["query_tags"] is None else json.dumps(r["query_tags"]) for r in expected}


# -- dim_warehouse -----------------------------------------------------------------------------
WAREHOUSE_KEY = ("workspace_id", "warehouse_id")
WAREHOUSE_TRACKED = ("warehouse_name", "warehouse_type", "warehouse_channel", "warehouse_size", "min_clusters",
                     "max_clusters", "auto_stop_minutes", "delete_time", "created_by", "tags_json")


def warehouse_row(r: dict) -> dict:
    row = {k: v for k, v in r.items() if k != "tags"}
    row["tags_json"] = sorted_json(r["tags"])
    return row


def expected_warehouses(bronze: list[dict]) -> list[dict]:
    """SCD2 over the change rows: a version per change of the tracked columns (change_time alone is
    no change), valid until the next; the deletion row is the last version, delete_time set."""
    rows = [warehouse_row(r) for r in bronze]
    at_instant = {}
    for row in rows:
        k = (tuple(row[c] for c in WAREHOUSE_KEY), row["change_time"])
        assert at_instant.setdefault(k, row) == row, f"two different versions of {k}"
    events = [(key, seq, json.dumps([row[c] for c in WAREHOUSE_TRACKED], default=str), False) for (key, seq), row in at_instant.items()]
    return [
        {**at_instant[(key, valid_from)], "valid_from": valid_from, "valid_to": valid_to, "is_current": current}
        for key, _, valid_from, valid_to, current, _ in expected_history(events)
    ]


@pytest.mark.parametrize("after", SNAPSHOTS)
def test_dim_warehouse_is_the_version_history_of_each_warehouse(demo_world, after):
    snapshot = demo_world.after[SNAPSHOTS[after]]
    expected = expected_warehouses(snapshot.bronze["warehouses"])
    assert_rows_equal(snapshot.gold["dim_warehouse_history"], expected, *WAREHOUSE_KEY, "valid_from")
    current = [{k: v for k, v in r.items() if k not in ("valid_from", "valid_to", "is_current")} for r in expected if r["is_current"]]
    assert_rows_equal(snapshot.gold["dim_warehouse"], current, *WAREHOUSE_KEY)


def test_dim_warehouse_keeps_the_late_version_and_the_deletion_as_versions(demo_world):
    gold = business(demo_world.last.gold["dim_warehouse_history"])
    versions = defaultdict(list)
    for row in gold:
        versions[tuple(row[c] for c in WAREHOUSE_KEY)].append(row)
    # the hotfix saved on day 1 arrived with batch 2, after a later version of that day: it sits between
    hotfixed = [sorted(v, key=lambda r: r["valid_from"]) for v in versions.values() if any("hotfix" in (r["tags_json"] or "") for r in v)]
    assert hotfixed and all(v[-1]["is_current"] and "hotfix" not in v[-1]["tags_json"] for v in hotfixed)
    # a deleted warehouse's current version says when it was deleted
    deleted = [r for r in gold if r["delete_time"] is not None]
    assert deleted and all(r["is_current"] and r["valid_from"] == r["delete_time"] for r in deleted)


# -- fact_audit_logs ---------------------------------------------------------------------------
SENSITIVE_WORDS = ("grant", "revoke", "delete", "secret", "permission")


def audit_row(r: dict) -> dict:
    identity = r["user_identity"] or {}
    response = r["response"] or {}
    meta = r["identity_metadata"] or {}
    row = {k: v for k, v in r.items() if k not in ("user_identity", "response", "identity_metadata")}
    row.update({f"user_identity_{f}": identity.get(f) for f in ("email", "subject_name")})
    row.update({f"response_{f}": response.get(f) for f in ("status_code", "error_message", "result")})
    row.update({f"identity_metadata_{f}": meta.get(f) for f in ("run_by", "run_as", "acting_resource")})
    action = (r["action_name"] or "").lower()
    row["is_sensitive_action"] = any(word in action for word in SENSITIVE_WORDS)
    status = response.get("status_code")
    row["is_failed_action"] = (status is not None and status >= 400) or response.get("error_message") is not None
    return row


@pytest.mark.parametrize("after", SNAPSHOTS)
def test_fact_audit_logs_is_each_event_flattened_with_its_flags(demo_world, after):
    snapshot = demo_world.after[SNAPSHOTS[after]]
    expected = [audit_row(r) for r in by(snapshot.bronze["audit"], "event_id").values()]
    assert_rows_equal(snapshot.gold["fact_audit_logs"], expected, "event_id")
    # the cases are there: both values of both flags, empty and set parameter maps, account-level
    # events without a workspace, identities of group-dedicated compute
    assert {r["is_sensitive_action"] for r in expected} == {r["is_failed_action"] for r in expected} == {True, False}
    assert {bool(r["request_params"]) for r in expected} == {True, False}
    assert None in {r["workspace_id"] for r in expected}
    assert any(r["identity_metadata_acting_resource"] for r in expected)


# -- fact_table_lineage ------------------------------------------------------------------------
def lineage_row(r: dict) -> dict:
    meta = r["entity_metadata"] or {}
    job = meta.get("job_info") or {}
    pipeline = meta.get("dlt_pipeline_info") or {}
    row = {k: v for k, v in r.items() if k != "entity_metadata"}
    row.update({
        "entity_metadata_job_id": job.get("job_id"),
        "entity_metadata_job_run_id": job.get("job_run_id"),
        "entity_metadata_pipeline_id": pipeline.get("dlt_pipeline_id"),
        "entity_metadata_pipeline_update_id": pipeline.get("dlt_update_id"),
    })
    row.update({f"entity_metadata_{f}": meta.get(f) for f in ("dashboard_id", "legacy_dashboard_id", "notebook_id", "sql_query_id")})
    return row


@pytest.mark.parametrize("after", SNAPSHOTS)
def test_fact_table_lineage_is_each_record_with_its_entity_ids(demo_world, after):
    snapshot = demo_world.after[SNAPSHOTS[after]]
    expected = [lineage_row(r) for r in by(snapshot.bronze["table_lineage"], "record_id").values()]
    assert_rows_equal(snapshot.gold["fact_table_lineage"], expected, "record_id")
    # the cases are there: jobs, pipelines, notebooks, SQL and entity-less reads; read-only events
    assert {r["entity_type"] for r in expected} >= {"JOB", "PIPELINE", "NOTEBOOK", "DBSQL_QUERY", None}
    assert all(r["entity_metadata_job_id"] for r in expected if r["entity_type"] == "JOB")
    assert all(r["entity_metadata_pipeline_update_id"] for r in expected if r["entity_type"] == "PIPELINE")
    assert any(r["target_table_full_name"] is None for r in expected)


# -- fact_predictive_optimization --------------------------------------------------------------
def optimization_row(r: dict) -> dict:
    row = {k: v for k, v in r.items() if k != "operation_metrics"}
    row["operation_metrics_json"] = sorted_json(r["operation_metrics"])
    return row


def expected_operations(bronze: list[dict]) -> list[dict]:
    """One row per operation: the billed delivery when there is one."""
    billed = one_per_key(bronze, lambda r: r["operation_id"], lambda r: r["usage_quantity"] is not None)
    return [optimization_row(r) for r in billed.values()]


@pytest.mark.parametrize("after", SNAPSHOTS)
def test_fact_predictive_optimization_is_each_operation_with_its_billing(demo_world, after):
    snapshot = demo_world.after[SNAPSHOTS[after]]
    expected = expected_operations(snapshot.bronze["predictive_optimization_operations_history"])
    assert_rows_equal(snapshot.gold["fact_predictive_optimization"], expected, "operation_id")


def test_fact_predictive_optimization_fills_in_late_billing(demo_world):
    first, second = (by(business(s.gold["fact_predictive_optimization"]), "operation_id") for s in demo_world.after)
    filled = [k for k, row in first.items() if row["usage_quantity"] is None and second[k]["usage_quantity"] is not None]
    assert filled
    assert all({**second[k], "usage_quantity": None} == first[k] for k in filled)

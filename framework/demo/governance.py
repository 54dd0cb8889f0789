"""Unity Catalog housekeeping: ``storage.predictive_optimization_operations_history``,
``data_quality_monitoring.table_results``, ``data_classification.results``.

Predictive optimization bills its operations up to a day late: operations that ended in the
last two hours of a day are delivered with ``usage_quantity`` NULL and delivered again, same
``operation_id``, with the quantity the next day (an update in place upstream). Data quality
monitoring appends one evaluation per monitored table per day. Data classification is a
current-state snapshot: re-scans move ``latest_detected_time`` forward in place, and a column
of ``customer_360`` is first detected in batch 2.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from framework.demo.common import ACCOUNT_ID, at, batch_day, end_of, rng_uuid, stable_fraction, stream, utc
from framework.demo.jobs import replay_jobs
from framework.demo.world import METASTORE_ID, METASTORE_NAME, PROD_ANALYTICS, PROD_ETL, UC_TABLES, WORKSPACE_BY_ID

_OPERATIONS = ("COMPACTION", "VACUUM", "ANALYZE", "CLUSTERING")
_Q = Decimal("0.000001")


def _operation_metrics(kind: str, rng: random.Random) -> dict:
    if kind == "COMPACTION":
        return {"number_of_compacted_files": str(rng.randrange(10, 900)), "amount_of_data_compacted_bytes": str(rng.randrange(10**6, 10**10)),
                "number_of_output_files": str(rng.randrange(1, 40))}
    if kind == "VACUUM":
        return {"number_of_deleted_files": str(rng.randrange(0, 5000)), "amount_of_data_deleted_bytes": str(rng.randrange(0, 10**10))}
    if kind == "ANALYZE":
        return {"number_of_scanned_files": str(rng.randrange(1, 500)), "number_of_columns_analyzed": str(rng.randrange(1, 32))}
    return {"number_of_removed_files": str(rng.randrange(1, 300)), "number_of_clustered_files": str(rng.randrange(1, 300))}


def _operations(batch: int) -> list[dict]:
    """The operations that ran on the batch's day, with their final usage."""
    rng = stream("storage.predictive_optimization", batch)
    day = batch_day(batch)
    rows = []
    for _ in range(15 + rng.randrange(10)):
        table = rng.choice(UC_TABLES)
        kind = rng.choice(_OPERATIONS)
        failed = rng.random() < 0.05
        start = at(day, rng.randrange(24 * 60 - 30) + rng.random())
        rows.append({
            "account_id": ACCOUNT_ID,
            "workspace_id": rng.choice((PROD_ETL, PROD_ANALYTICS)),
            "start_time": start,
            "end_time": start + timedelta(seconds=rng.randrange(20, 1700)),
            "metastore_name": METASTORE_NAME,
            "metastore_id": METASTORE_ID,
            "catalog_name": table.catalog,
            "schema_name": table.schema,
            "table_name": table.name,
            "table_id": table.table_id,
            "operation_type": kind,
            "operation_id": rng_uuid(rng),
            "operation_status": "FAILED: INTERNAL_ERROR" if failed else "SUCCESSFUL",
            "operation_metrics": {} if failed else _operation_metrics(kind, rng),
            "usage_unit": "ESTIMATED_DBU",
            "usage_quantity": (Decimal(rng.randrange(1, 5_000_000)) * _Q) if not failed else Decimal(0),
        })
    return rows


def _billed_late(row: dict, batch: int) -> bool:
    return row["end_time"] >= end_of(batch) - timedelta(hours=2)


def optimization_rows(batch: int) -> list[dict]:
    today = [dict(row, usage_quantity=None) if _billed_late(row, batch) else row for row in _operations(batch)]
    filled = [row for row in _operations(batch - 1) if _billed_late(row, batch - 1)] if batch > 1 else []
    return today + filled


# -- data_quality_monitoring.table_results ------------------------------------------------
MONITORED = (1, 3, 4, 5)  # indexes into UC_TABLES


def _count_check(rng: random.Random, healthy: bool) -> dict:
    value = rng.randrange(10_000, 5_000_000)
    low, high = int(value * 0.8), int(value * 1.2)
    return {"status": "Healthy" if healthy else "Unhealthy", "error_code": None,
            "last_value": value if healthy else int(low * 0.5), "min_predicted_value": low, "max_predicted_value": high}


def table_result_rows(batch: int) -> list[dict]:
    rng = stream("data_quality_monitoring.table_results", batch)
    day = batch_day(batch)
    jobs = replay_jobs(batch)[-1].jobs
    upstream = [jobs[job_id] for job_id in sorted(jobs) if WORKSPACE_BY_ID[jobs[job_id].workspace_id].present(batch)][:2]
    rows = []
    for index in MONITORED:
        table = UC_TABLES[index]
        status = rng.choices(("Healthy", "Unhealthy", "Unknown"), weights=(7, 2, 1))[0]
        when = at(day, 6 * 60 + rng.randrange(60))
        known = status != "Unknown"
        fresh = status == "Healthy" or rng.random() < 0.5
        rows.append({
            "event_time": when,
            "catalog_name": table.catalog,
            "schema_name": table.schema,
            "table_name": table.name,
            "catalog_id": table.catalog_id,
            "schema_id": table.schema_id,
            "table_id": table.table_id,
            "status": status,
            "freshness": None if not known else {
                "status": "Healthy" if fresh else "Unhealthy",
                "commit_freshness": {"status": "Healthy" if fresh else "Unhealthy", "error_code": None,
                                     "last_value": when - timedelta(hours=rng.randrange(1, 30)),
                                     "predicted_value": when - timedelta(hours=2)}},
            "completeness": None if not known else {
                "status": "Healthy" if fresh or status == "Healthy" else "Unhealthy",
                "total_row_count": _count_check(rng, True),
                "daily_row_count": _count_check(rng, status == "Healthy" or fresh)},
            "downstream_impact": None if status != "Unhealthy" else {
                "impact_level": rng.randrange(1, 4), "num_downstream_tables": rng.randrange(0, 12),
                "num_queries_on_affected_tables": rng.randrange(0, 500)},
            "root_cause_analysis": None if status != "Unhealthy" else {"upstream_jobs": [
                {"job_id": job.job_id, "workspace_id": job.workspace_id, "job_name": job.name,
                 "last_run_status": rng.choice(("SUCCEEDED", "FAILED")),
                 "run_page_url": f"{WORKSPACE_BY_ID[job.workspace_id].url}/jobs/{job.job_id}"}
                for job in upstream]},
            "_internal_debug_info": None,
        })
    return rows


# -- data_classification.results ---------------------------------------------------------
DETECTIONS = (  # table index, column, class tag, first detected in batch (0: before the demo)
    (2, "email", "class.email_address", 0),
    (2, "phone", "class.phone_number", 0),
    (2, "ssn", "class.us_ssn", 0),
    (4, "iban", "class.iban_code", 0),
    (6, "ip_address", "class.ip_address", 0),
    (3, "email", "class.email_address", 2),
)
_SAMPLES = {
    "class.email_address": ["ana@example.com", "j.doe@example.org"],
    "class.phone_number": ["+1 202-555-0143", "+1 415-555-0199"],
    "class.us_ssn": ["078-05-1120"],
    "class.iban_code": [],  # samples withheld: an empty array
    "class.ip_address": ["10.0.4.17", "192.168.1.20", "172.16.0.5"],
}


def classification_rows(batch: int) -> list[dict]:
    """The current detections: each table is re-scanned every other day, moving its latest time."""
    rows = []
    for index, column, tag, first in DETECTIONS:
        if first > batch:
            continue
        table = UC_TABLES[index]
        first_time = utc(2025, 12, 15, 3, 0) if first == 0 else at(batch_day(first), 3 * 60)
        scans = [b for b in range(max(first, 1), batch + 1) if (b + index) % 2 == 0 or b == first]
        latest = at(batch_day(scans[-1]), 3 * 60) if scans else first_time
        rows.append({
            "catalog_id": table.catalog_id,
            "table_id": table.table_id,
            "latest_detected_time": max(latest, first_time),
            "first_detected_time": first_time,
            "catalog_name": table.catalog,
            "schema_name": table.schema,
            "table_name": table.name,
            "column_name": column,
            "data_type": dict(table.columns)[column],
            "class_tag": tag,
            "samples": list(_SAMPLES[tag]),
            "confidence": "HIGH" if stable_fraction("confidence", table.full_name, column) < 0.7 else "LOW",
            "frequency": round(0.6 + 0.4 * stable_fraction("frequency", table.full_name, column, len(scans)), 4),
        })
    return rows

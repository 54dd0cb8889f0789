"""``access.inbound_network`` and ``access.outbound_network``: denied network traffic.

Inbound rows are denials only (``DENIED``, or ``DRY_RUN_DENIAL`` from a policy in dry-run
mode). Outbound rows describe the blocked destination; ``dns_event`` is set only for DNS
destinations and ``storage_event`` only for storage ones, NULL otherwise, as upstream.
"""

from __future__ import annotations

from framework.demo.common import ACCOUNT_ID, at, batch_day, rng_uuid, stream
from framework.demo.world import PEOPLE, SP, present_workspaces

_PATHS = ("/api/2.0/clusters/list", "/api/2.1/jobs/run-now", "/sql/1.0/warehouses", "/login.html", "/api/2.0/workspace/export")
_DOMAINS = ("pypi.org", "files.pythonhosted.org", "api.openai.com", "telemetry.example-vendor.io", "github.com")
_SOURCES = ("DBSQL", "General Compute", "ML Build", "MLServing", "Apps")


def inbound_rows(batch: int) -> list[dict]:
    rng = stream("access.inbound_network", batch)
    day = batch_day(batch)
    workspaces = present_workspaces(batch)
    return [
        {
            "account_id": ACCOUNT_ID,
            "workspace_id": rng.choice(workspaces),
            "event_id": rng_uuid(rng),
            "request_path": rng.choice(_PATHS),
            "source": {"ip": f"{rng.choice((81, 92, 203))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"},
            "authenticated_as": rng.choice((*PEOPLE, SP, "account users", None)),
            "event_time": at(day, rng.randrange(24 * 60) + rng.random()),
            "policy_outcome": rng.choices(("DENIED", "DRY_RUN_DENIAL"), weights=(3, 1))[0],
        }
        for _ in range(15 + rng.randrange(10))
    ]


def outbound_rows(batch: int) -> list[dict]:
    rng = stream("access.outbound_network", batch)
    day = batch_day(batch)
    workspaces = present_workspaces(batch)
    rows = []
    for _ in range(25 + rng.randrange(10)):
        kind = rng.choices(("DNS", "IP", "STORAGE"), weights=(5, 2, 2))[0]
        dns = storage = None
        if kind == "DNS":
            destination = rng.choice(_DOMAINS)
            dns = {"domain_name": destination, "rcode": rng.choice((0, 0, 3))}
        elif kind == "IP":
            destination = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        else:
            bucket = rng.choice(("partner-dropzone", "acme-archive-eu"))
            destination = f"{bucket}.s3.amazonaws.com"
            storage = {"hostname": destination, "path": f"/{bucket}/exports/{rng.randrange(1000)}.parquet",
                       "rejection_reason": rng.choice(("STORAGE_NOT_IN_ALLOWLIST", None))}
        rows.append({
            "account_id": ACCOUNT_ID,
            "workspace_id": rng.choice(workspaces),
            "destination_type": kind,
            "destination": destination,
            "dns_event": dns,
            "storage_event": storage,
            "event_time": at(day, rng.randrange(24 * 60) + rng.random()),
            "access_type": "DROP",
            "event_id": rng_uuid(rng),
            "network_source_type": rng.choice(_SOURCES),
        })
    return rows

"""``access.workspaces_latest``, ``access.audit``, ``access.assistant_events``.

The workspace snapshot is the world's workspaces as listed that day (a cancelled one is gone, a
renamed one renamed, a new one PROVISIONING on its first day). Audit events follow what
happened: cluster and warehouse definitions that changed that day, job versions, one-time job
runs, plus logins (account-level, whose ``workspace_id`` is ``"0"`` or NULL: real data has
both), Unity Catalog reads and permission denials, grants and revokes, and secret reads on
group-dedicated compute (``identity_metadata`` with all three identities). Assistant events are
one row per message.
"""

from __future__ import annotations

import json
import random

from framework.demo.common import ACCOUNT_ID, at, batch_day, rng_uuid, stream
from framework.demo.compute import CLUSTERS, WAREHOUSES
from framework.demo.jobs import replay_jobs
from framework.demo.runs import job_runs_started
from framework.demo.world import ALL_PURPOSE, PEOPLE, SP, UC_TABLES, WORKSPACES, cluster_id, present_workspaces


def workspace_rows(batch: int) -> list[dict]:
    return [
        {
            "account_id": ACCOUNT_ID,
            "workspace_id": ws.workspace_id,
            "workspace_name": ws.name_in(batch),
            "workspace_url": ws.url,
            "create_time": ws.created,
            "status": "PROVISIONING" if batch == ws.first_batch > 1 else "RUNNING",
        }
        for ws in WORKSPACES
        if ws.present(batch)
    ]


_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "databricks-cli/0.240.0 databricks-sdk-go/0.56.0",
    "databricks-sdk-py/0.44.1 python/3.11.7",
    "Apache-HttpClient/4.5.14 (Java/17.0.12)",
)


PRINCIPALS_AND_SYSTEM = (*PEOPLE, SP, "System-User")


def _ip(rng: random.Random) -> str:
    return f"{rng.choice((34, 52, 198))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _event(rng: random.Random, when, workspace: str | None, service: str, action: str, principal: str,
           params: dict, status: int = 200, error: str | None = None, level: str = "WORKSPACE_LEVEL") -> dict:
    person = principal != SP
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": workspace,
        "version": "2.0",
        "event_time": when,
        "event_date": when.date(),
        "source_ip_address": _ip(rng) if principal != "System-User" else None,
        "user_agent": rng.choice(_AGENTS) if principal != "System-User" else None,
        "session_id": rng_uuid(rng) if person and rng.random() < 0.6 else None,
        "user_identity": {"email": principal, "subject_name": None},
        "service_name": service,
        "action_name": action,
        "request_id": rng_uuid(rng),
        "request_params": params,
        "response": {"status_code": status, "error_message": error, "result": None},
        "audit_level": level,
        "event_id": rng_uuid(rng),
        "identity_metadata": None if rng.random() < 0.2 else {"run_by": principal, "run_as": principal, "acting_resource": None},
    }


def audit_rows(batch: int) -> list[dict]:
    rng = stream("access.audit", batch)
    day = batch_day(batch)
    workspaces = present_workspaces(batch)
    rows = []
    for source, service, key in ((CLUSTERS, "clusters", "cluster_id"), (WAREHOUSES, "databrickssql", "id")):
        for version in source.delivered(batch):
            if version.change_time.date() != day:  # history delivered with the first batch, late versions
                continue
            action = "delete" if version.deleted else "edit" if version.entity.created < version.change_time else "create"
            if service == "databrickssql":
                action = {"delete": "deleteWarehouse", "edit": "editWarehouse", "create": "createWarehouse"}[action]
            owner = version.attrs.get("owned_by") or version.attrs.get("created_by") or SP
            rows.append(_event(rng, version.change_time, version.entity.workspace_id, service, action, owner,
                               {key: version.entity.key[1]}))
    jobs = replay_jobs(batch)
    known = set(jobs[-2].jobs) if batch > 1 else set(jobs[0].jobs)
    for row in jobs[-1].rows:
        if row["change_time"].date() == day:
            action = "delete" if row["delete_time"] else "update" if row["job_id"] in known else "create"
            rows.append(_event(rng, row["change_time"], row["workspace_id"], "jobs", action, row["run_as"] or SP,
                               {"job_id": row["job_id"]}))
    for run in job_runs_started(batch):
        if run.trigger_type == "ONETIME" and run.start.date() == day:
            rows.append(_event(rng, run.start, run.workspace_id, "jobs", "runNow", rng.choice(PEOPLE), {"job_id": run.job_id}))
    for _ in range(25):  # logins: account-level, workspace_id "0" or NULL
        person = rng.choice(PEOPLE)
        failed = rng.random() < 0.1
        rows.append(_event(rng, at(day, rng.randrange(6 * 60, 22 * 60)), rng.choice(("0", None)), "accounts",
                           "login", person, {"user": person, "authentication_method": rng.choice(("SSO", "PASSWORD"))},
                           status=401 if failed else 200, error="Invalid credentials" if failed else None,
                           level="ACCOUNT_LEVEL"))
    for _ in range(40):  # Unity Catalog reads, a few denied
        table = rng.choice(UC_TABLES)
        denied = rng.random() < 0.08
        rows.append(_event(rng, at(day, rng.randrange(24 * 60)), rng.choice(workspaces), "unityCatalog", "getTable",
                           rng.choice(PRINCIPALS_AND_SYSTEM), {"full_name_arg": table.full_name} if rng.random() < 0.9 else {},
                           status=403 if denied else 200,
                           error=f"PERMISSION_DENIED: User does not have SELECT on Table '{table.full_name}'" if denied else None))
    for _ in range(10):  # background work of the platform itself
        rows.append(_event(rng, at(day, rng.randrange(24 * 60)), rng.choice(workspaces), "workspace",
                           "workspaceConfKeys", "System-User", {}))
    rows += _sensitive_events(rng, day, workspaces)
    return sorted(rows, key=lambda r: (r["event_time"], r["event_id"]))


def _sensitive_events(rng: random.Random, day, workspaces: list[str]) -> list[dict]:
    """A grant, a revoke and two secret reads a day (one denied): what security reviews look for.

    The secret reads run on group-dedicated compute, so ``identity_metadata`` names the user
    (``run_by``), the group whose rights were used (``run_as``) and the cluster (``acting_resource``).
    """
    rows = []
    for action in ("updatePermissions", "updatePermissions"):
        table = rng.choice(UC_TABLES)
        grant = not rows  # the first one grants, the second revokes
        change = json.dumps([{"principal": "analysts", "add" if grant else "remove": ["SELECT"]}], separators=(",", ":"))
        rows.append(_event(rng, at(day, rng.randrange(8 * 60, 18 * 60)), rng.choice(workspaces), "unityCatalog", action,
                           rng.choice(PEOPLE), {"securable_type": "TABLE", "securable_full_name": table.full_name,
                                                "changes": change}))
    for denied in (False, True):
        workspace = rng.choice(workspaces)
        person = rng.choice(PEOPLE)
        row = _event(rng, at(day, rng.randrange(8 * 60, 18 * 60)), workspace, "secrets", "getSecret", person,
                     {"scope": "etl", "key": "warehouse-token"}, status=403 if denied else 200,
                     error="PERMISSION_DENIED: User does not have READ permission on scope etl" if denied else None)
        row["identity_metadata"] = {"run_by": person, "run_as": "data-engineers",
                                    "acting_resource": cluster_id(workspace, ALL_PURPOSE[1])}
        rows.append(row)
    return rows


def assistant_rows(batch: int) -> list[dict]:
    rng = stream("access.assistant_events", batch)
    day = batch_day(batch)
    workspaces = present_workspaces(batch)
    rows = []
    for _ in range(25 + rng.randrange(15)):
        when = at(day, rng.randrange(7 * 60, 21 * 60) + rng.random())
        rows.append({
            "account_id": ACCOUNT_ID,
            "workspace_id": rng.choice(workspaces),
            "event_id": rng_uuid(rng),
            "event_time": when,
            "event_date": when.date(),
            "user_agent": rng.choice(_AGENTS[:1] + (None,)),
            "initiated_by": rng.choice(PEOPLE),
        })
    return rows

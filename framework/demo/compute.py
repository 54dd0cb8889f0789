"""``compute.*``: clusters and warehouses (SCD2), warehouse events, node types, node timeline.

Which clusters and warehouses exist is the world's (usage names them); this module gives them a
history. Clusters: all-purpose (0, 1), job clusters (100-102), a pipeline cluster (200) per
workspace, one ad-hoc cluster in prod-etl deleted in batch 2, and two in prod-analytics that
meet the SCD2 cases inside the first two batches (:func:`_case_versions`). Warehouses: the one
usage bills SQL to, per workspace, and an ad-hoc PRO warehouse in prod-analytics deleted in
batch 2 and restored in batch 3 (Databricks lets a deleted warehouse be restored); prod-analytics'
own warehouse also gets a version of day 1 that arrives late, with batch 2. Only the current
cloud's attribute struct is set (AWS); the Azure and GCP ones are NULL, as on AWS.

The warehouse sessions drawn here (start, scale, stop) are what ``query.history`` runs its
statements in; the node timeline covers clusters that usage billed that day.
"""

from __future__ import annotations

import random
from datetime import timedelta

from framework.demo.billing import originals_of
from framework.demo.common import ACCOUNT_ID, at, batch_day, stable_fraction, stable_hex, stream, utc
from framework.demo.scd2 import DELETE_MINUTE, RECREATE_MINUTE, Entity, Scd2Source, Version
from framework.demo.world import (
    ALL_PURPOSE,
    DOOMED_CLUSTER,
    NEW_NODE_TYPE,
    NODE_TYPES,
    PEOPLE,
    PIPELINE_CLUSTER,
    PROD_ANALYTICS,
    SP,
    UNKNOWN_WORKSPACE,
    WORKSPACES,
    cluster_id,
    cluster_indexes,
    present_workspaces,
    warehouse_id,
    warehouse_indexes,
)

DBR_VERSIONS = ("14.3.x-scala2.12", "15.4.x-scala2.12", "16.4.x-scala2.12")
LATE_CLUSTER = (PROD_ANALYTICS, 3)  # edited on day 1, a version between the edits comes with batch 2
RESTORED_CLUSTER = (PROD_ANALYTICS, 4)  # deleted in batch 1, back in batch 2


def _created(workspace, index: int, first_batch: int):
    """Before the demo for entities of batch-1 workspaces; just after creation for later ones."""
    if first_batch == 1:
        return utc(2025, 10, 1) + timedelta(minutes=int(stable_fraction("created", workspace.workspace_id, index) * 60 * 24 * 60))
    return workspace.created + timedelta(minutes=30 + 5 * (index % 50))


# -- compute.clusters ---------------------------------------------------------------------
def _cluster_attrs(workspace_id: str, index: int) -> dict:
    """A cluster's attributes: the defaults every cluster shares, overridden by what its kind sets."""
    owner = PEOPLE[int(stable_fraction("owner", workspace_id, index) * len(PEOPLE))]
    common = _shared_cluster_attrs(index, owner)
    if index in ALL_PURPOSE:
        return _all_purpose_cluster_attrs(common, index, owner)
    if index in (LATE_CLUSTER[1], RESTORED_CLUSTER[1]):
        return _case_cluster_attrs(common, index)
    if index == DOOMED_CLUSTER[1]:
        return _doomed_cluster_attrs(common)
    if index == PIPELINE_CLUSTER:
        return _pipeline_cluster_attrs(common, workspace_id)
    return _job_cluster_attrs(common, workspace_id, index)


def _aws_attributes(index: int) -> dict:
    """The AWS struct, the only cloud struct set: the demo account runs on AWS."""
    return {
        "first_on_demand": 1,
        "availability": "SPOT_WITH_FALLBACK",
        "zone_id": "auto" if index % 2 else "us-east-1a",
        "instance_profile_arn": None,
        "spot_bid_price_percent": 100,
        "ebs_volume_type": None,
        "ebs_volume_count": None,
        "ebs_volume_size": None,
        "ebs_volume_iops": None,
        "ebs_volume_throughput": None,
    }


def _shared_cluster_attrs(index: int, owner: str) -> dict:
    """The defaults of every kind of cluster, so each kind states only what sets it apart."""
    return {
        "owned_by": owner,
        "enable_elastic_disk": True,
        "aws_attributes": _aws_attributes(index),
        "driver_instance_pool_id": None,
        "worker_instance_pool_id": None,
        "dbr_version": DBR_VERSIONS[1],
        "policy_id": None,
        "worker_count": None,
        "min_autoscale_workers": None,
        "max_autoscale_workers": None,
    }


def _all_purpose_cluster_attrs(common: dict, index: int, owner: str) -> dict:
    """A shared autoscaling BI cluster (index 0) or a person's fixed-size dev cluster: usage bills both."""
    shared = index == 0
    return {
        **common,
        "cluster_name": "shared-analytics" if shared else f"{owner.split('@')[0]}-dev",
        "driver_node_type": "i3.xlarge" if shared else "m5d.2xlarge",
        "worker_node_type": "i3.xlarge" if shared else "m5d.2xlarge",
        "min_autoscale_workers": 2 if shared else None,
        "max_autoscale_workers": 8 if shared else None,
        "worker_count": None if shared else 2,
        "auto_termination_minutes": 60 if shared else 30,
        "tags": {"team": "bi"} if shared else {},
        "cluster_source": "UI",
        "init_scripts": [] if shared else None,
        "data_security_mode": "USER_ISOLATION" if shared else "SINGLE_USER",
    }


def _case_cluster_attrs(common: dict, index: int) -> dict:
    """LATE_CLUSTER or RESTORED_CLUSTER: the unbilled clusters that carry the SCD2 cases of :func:`_case_versions`."""
    return {
        **common,
        "cluster_name": "backfill-etl" if index == LATE_CLUSTER[1] else "adhoc-restore",
        "driver_node_type": "m5d.xlarge",
        "worker_node_type": "m5d.2xlarge",
        "worker_count": 2,
        "auto_termination_minutes": 45,
        "tags": {"team": "data-eng"},
        "cluster_source": "UI",
        "init_scripts": [],
        "data_security_mode": "USER_ISOLATION",
    }


def _doomed_cluster_attrs(common: dict) -> dict:
    """The ad-hoc debug cluster deleted in batch 2: an API-made cluster with an init script."""
    return {
        **common,
        "cluster_name": "adhoc-debug",
        "driver_node_type": "m5d.large",
        "worker_node_type": "m5d.large",
        "worker_count": 1,
        "auto_termination_minutes": 120,
        "tags": {},
        "cluster_source": "API",
        "init_scripts": ["/Volumes/main/ops/scripts/debug-agent.sh"],
        "data_security_mode": "SINGLE_USER",
    }


def _pipeline_cluster_attrs(common: dict, workspace_id: str) -> dict:
    """The workspace's pipeline cluster, run by the service principal: no auto-termination, DLT names it."""
    return {
        **common,
        "owned_by": SP,
        "cluster_name": f"dlt-execution-{stable_hex('dltc', workspace_id, length=8)}",
        "driver_node_type": "m5d.xlarge",
        "worker_node_type": "m5d.xlarge",
        "min_autoscale_workers": 1,
        "max_autoscale_workers": 5,
        "auto_termination_minutes": None,
        "tags": {"pipeline": "true"},
        "cluster_source": "PIPELINE",
        "init_scripts": [],
        "data_security_mode": "USER_ISOLATION",
    }


def _job_cluster_attrs(common: dict, workspace_id: str, index: int) -> dict:
    """A job cluster (indexes 100-102), run by the service principal; job cluster 1 is under a policy."""
    return {
        **common,
        "owned_by": SP,
        "cluster_name": f"job-cluster-{index - 100}",
        "driver_node_type": "m5d.xlarge",
        "worker_node_type": "m5d.xlarge",
        "worker_count": 2 + index % 3,
        "auto_termination_minutes": None,
        "tags": {},
        "cluster_source": "JOB",
        "init_scripts": [],
        "data_security_mode": "SINGLE_USER",
        "policy_id": stable_hex("policy", workspace_id, length=16).upper() if index == 101 else None,
    }


def _cluster_entities() -> tuple[Entity, ...]:
    entities = []
    for ws in WORKSPACES:
        for index in cluster_indexes(ws.workspace_id):
            doomed = (ws.workspace_id, index) == DOOMED_CLUSTER
            entities.append(
                Entity(
                    key=(ws.workspace_id, cluster_id(ws.workspace_id, index)),
                    workspace_id=ws.workspace_id,
                    attrs=_cluster_attrs(ws.workspace_id, index),
                    created=_created(ws, index, ws.first_batch),
                    first_batch=ws.first_batch,
                    deleted_in=2 if doomed else None,
                )
            )
    return tuple(entities)


def _mutate_cluster(entity: Entity, attrs: dict, rng: random.Random) -> dict:
    attrs = dict(attrs)
    how = rng.choice(("resize", "upgrade", "retag", "autoterm", "touch"))
    if how == "resize":
        if attrs["worker_count"] is not None:
            attrs["worker_count"] = max(1, attrs["worker_count"] + rng.choice((-1, 1)))
        else:
            attrs["max_autoscale_workers"] = max(attrs["min_autoscale_workers"] + 1, attrs["max_autoscale_workers"] + rng.choice((-2, 2)))
    elif how == "upgrade":
        attrs["dbr_version"] = rng.choice([v for v in DBR_VERSIONS if v != attrs["dbr_version"]])
    elif how == "retag":
        tags = dict(attrs["tags"])
        if "owner" in tags:
            del tags["owner"]
        else:
            tags["owner"] = attrs["owned_by"].split("@")[0]
        attrs["tags"] = tags
    elif how == "autoterm" and attrs["auto_termination_minutes"] is not None:
        attrs["auto_termination_minutes"] = rng.choice([m for m in (20, 30, 60, 120) if m != attrs["auto_termination_minutes"]])
    return attrs


def _hotfix(attrs: dict) -> dict:
    return {**attrs, "tags": {**(attrs["tags"] or {}), "hotfix": "true"}}


CLUSTERS = Scd2Source("compute.clusters", _cluster_entities(), _mutate_cluster, _hotfix, edits=(3, 4))

# The SCD2 cases inside the first two batches: the generic engine edits an entity from its
# second batch on and takes a late version from the day before, so for CLUSTERS they start in
# batch 3, and it deletes clusters for good. A two-batch run (the demo's, the tests') must still
# meet a version arriving late and out of order, on a key the later batch touches no other way
# (so only a lookback finds it), and a key coming back after its deletion. Upstream does not
# reuse a deleted cluster's id (decision 53): the re-creation stands for any key that gets rows
# again after its deletion, which dim_cluster must survive. Nobody bills these two clusters, so
# no other table names them (node timeline, audit and usage are unchanged).
def _case_versions(batch: int) -> list[Version]:
    """LATE_CLUSTER: created before the demo, resized at 02:10 and upgraded at 04:40 on day 1
    (batch 1); batch 2 brings the hotfix version of 03:25 on day 1, between the two.
    RESTORED_CLUSTER: created before the demo, deleted at 10:00 on day 1 (batch 1); batch 2
    brings it back at 14:00 on day 2 as it was when deleted."""
    def entity(case: tuple[str, int], **life) -> Entity:
        workspace, index = case
        return Entity(key=(workspace, cluster_id(workspace, index)), workspace_id=workspace,
                      attrs=_cluster_attrs(workspace, index), created=utc(2025, 12, 15, 9, 5 * index), **life)

    late, restored = entity(LATE_CLUSTER), entity(RESTORED_CLUSTER, deleted_in=1, recreated_in=2)
    resized = {**late.attrs, "worker_count": 4}
    upgraded = {**resized, "dbr_version": DBR_VERSIONS[2]}
    day1, day2 = batch_day(1), batch_day(2)
    if batch == 1:
        return [Version(late, late.attrs, late.created), Version(late, resized, at(day1, 2 * 60 + 10)),
                Version(late, upgraded, at(day1, 4 * 60 + 40)),
                Version(restored, restored.attrs, restored.created),
                Version(restored, restored.attrs, at(day1, DELETE_MINUTE), deleted=True)]
    if batch == 2:
        return [Version(late, _hotfix(resized), at(day1, 3 * 60 + 25), late=True),
                Version(restored, restored.attrs, at(day2, RECREATE_MINUTE))]
    return []


def cluster_rows(batch: int) -> list[dict]:
    rows = []
    for v in [*CLUSTERS.delivered(batch), *_case_versions(batch)]:
        a = v.attrs
        rows.append({
            "account_id": ACCOUNT_ID,
            "workspace_id": v.entity.key[0],
            "cluster_id": v.entity.key[1],
            "cluster_name": a["cluster_name"],
            "owned_by": a["owned_by"],
            "create_time": v.entity.created,
            "delete_time": v.change_time if v.deleted else None,
            "driver_node_type": a["driver_node_type"],
            "worker_node_type": a["worker_node_type"],
            "worker_count": a["worker_count"],
            "min_autoscale_workers": a["min_autoscale_workers"],
            "max_autoscale_workers": a["max_autoscale_workers"],
            "auto_termination_minutes": a["auto_termination_minutes"],
            "enable_elastic_disk": a["enable_elastic_disk"],
            "tags": dict(a["tags"]),
            "cluster_source": a["cluster_source"],
            "init_scripts": None if a["init_scripts"] is None else list(a["init_scripts"]),
            "aws_attributes": dict(a["aws_attributes"]),
            "azure_attributes": None,
            "gcp_attributes": None,
            "driver_instance_pool_id": a["driver_instance_pool_id"],
            "worker_instance_pool_id": a["worker_instance_pool_id"],
            "dbr_version": a["dbr_version"],
            "change_time": v.change_time,
            "change_date": v.change_time.date(),
            "data_security_mode": a["data_security_mode"],
            "policy_id": a["policy_id"],
        })
    return rows


# -- compute.warehouses -------------------------------------------------------------------
SIZES = ("2X_SMALL", "X_SMALL", "SMALL", "MEDIUM", "LARGE")
ADHOC_WAREHOUSE = (PROD_ANALYTICS, 1)  # deleted in batch 2, restored in batch 3


def _warehouse_entities() -> tuple[Entity, ...]:
    entities = []
    for ws in WORKSPACES:
        for index in warehouse_indexes(ws.workspace_id):
            adhoc = (ws.workspace_id, index) == ADHOC_WAREHOUSE
            creator = PEOPLE[int(stable_fraction("wh_owner", ws.workspace_id, index) * len(PEOPLE))]
            attrs = {
                "warehouse_name": "adhoc-pro" if adhoc else f"{ws.name}-sql",
                "warehouse_type": "PRO" if adhoc else "SERVERLESS",
                "warehouse_channel": "PREVIEW" if adhoc else "CURRENT",
                "warehouse_size": "MEDIUM" if adhoc else "SMALL",
                "min_clusters": 1,
                "max_clusters": 4 if adhoc else 2,
                "auto_stop_minutes": 30 if adhoc else 10,
                "tags": {} if adhoc else {"team": "bi"},
                "created_by": creator,
            }
            entities.append(
                Entity(
                    key=(ws.workspace_id, warehouse_id(ws.workspace_id, index)),
                    workspace_id=ws.workspace_id,
                    attrs=attrs,
                    created=_created(ws, 300 + index, ws.first_batch),
                    first_batch=ws.first_batch,
                    deleted_in=2 if adhoc else None,
                    recreated_in=3 if adhoc else None,
                )
            )
    return tuple(entities)


def _mutate_warehouse(entity: Entity, attrs: dict, rng: random.Random) -> dict:
    attrs = dict(attrs)
    how = rng.choice(("size", "scale", "autostop", "retag", "touch"))
    if how == "size":
        attrs["warehouse_size"] = rng.choice([s for s in SIZES if s != attrs["warehouse_size"]])
    elif how == "scale":
        attrs["max_clusters"] = rng.choice([n for n in (1, 2, 3, 4, 6) if n != attrs["max_clusters"]])
    elif how == "autostop":
        attrs["auto_stop_minutes"] = rng.choice([m for m in (5, 10, 20, 45) if m != attrs["auto_stop_minutes"]])
    elif how == "retag":
        tags = dict(attrs["tags"])
        if "cost_center" in tags:
            del tags["cost_center"]
        else:
            tags["cost_center"] = rng.choice(["CC-1001", "CC-2002"])
        attrs["tags"] = tags
    return attrs


WAREHOUSES = Scd2Source("compute.warehouses", _warehouse_entities(), _mutate_warehouse, _hotfix)
# Batch 1 creates every warehouse and edits none, so the shared engine's late version (one
# between two edits of a day) first reaches Bronze in batch 3. This warehouse's definition is
# saved unchanged at 09:00 on day 1 (batch 1) and a hotfix saved at 07:30 that day arrives only
# with batch 2: a late, out-of-order version within the first two batches.
LATE_SAVED_WAREHOUSE = (PROD_ANALYTICS, 0)


def _late_saves(batch: int) -> list[Version]:
    key = (LATE_SAVED_WAREHOUSE[0], warehouse_id(*LATE_SAVED_WAREHOUSE))
    entity = next(e for e in WAREHOUSES.entities if e.key == key)
    day = batch_day(1)
    if batch == 1:
        return [Version(entity, dict(entity.attrs), at(day, 9 * 60))]
    if batch == 2:
        return [Version(entity, _hotfix(entity.attrs), at(day, 7 * 60 + 30), late=True)]
    return []


def warehouse_rows(batch: int) -> list[dict]:
    return [
        {
            "warehouse_id": v.entity.key[1],
            "workspace_id": v.entity.key[0],
            "account_id": ACCOUNT_ID,
            **{k: v.attrs[k] for k in ("warehouse_name", "warehouse_type", "warehouse_channel", "warehouse_size",
                                       "min_clusters", "max_clusters", "auto_stop_minutes")},
            "tags": dict(v.attrs["tags"]),
            "change_time": v.change_time,
            "delete_time": v.change_time if v.deleted else None,
            "created_by": v.attrs["created_by"],
        }
        for v in [*WAREHOUSES.delivered(batch), *_late_saves(batch)]
    ]


# -- compute.warehouse_events --------------------------------------------------------------
def warehouse_sessions(batch: int) -> list[tuple[str, str, object, object, int]]:
    """(workspace, warehouse, start, stop, max clusters) of each warehouse run that day."""
    rng = stream("compute.warehouse_sessions", batch)
    day = batch_day(batch)
    present = set(present_workspaces(batch))
    sessions = []
    for (workspace, warehouse), attrs in sorted(WAREHOUSES.alive_after(batch).items()):
        if workspace not in present:
            continue
        start = at(day, 6 * 60 + rng.randrange(180))
        stop = start + timedelta(minutes=240 + rng.randrange(480))
        sessions.append((workspace, warehouse, start, stop, attrs["max_clusters"]))
    return sessions


def warehouse_event_rows(batch: int) -> list[dict]:
    """STARTING, RUNNING, a scale-up and -down when the warehouse may scale, STOPPING, STOPPED."""
    rng = stream("compute.warehouse_events", batch)
    rows = []
    for workspace, warehouse, start, stop, max_clusters in warehouse_sessions(batch):
        events = [("STARTING", 0, start), ("RUNNING", 1, start + timedelta(seconds=40 + rng.randrange(60)))]
        if max_clusters > 1:
            up = start + timedelta(minutes=60 + rng.randrange(60))
            events += [("SCALED_UP", 2, up), ("SCALED_DOWN", 1, up + timedelta(minutes=20 + rng.randrange(40)))]
        events += [("STOPPING", 1, stop), ("STOPPED", 0, stop + timedelta(seconds=30 + rng.randrange(30)))]
        rows += [
            {"account_id": ACCOUNT_ID, "workspace_id": workspace, "warehouse_id": warehouse,
             "event_type": kind, "cluster_count": count, "event_time": when}
            for kind, count, when in events
        ]
    return rows


# -- compute.node_types ---------------------------------------------------------------------
def node_type_rows(batch: int) -> list[dict]:
    """The node types available: a snapshot, which gains one type in batch 3."""
    types = NODE_TYPES + ((NEW_NODE_TYPE,) if batch >= 3 else ())
    return [
        {"account_id": ACCOUNT_ID, "node_type": name, "core_count": cores, "memory_mb": memory, "gpu_count": gpus}
        for name, cores, memory, gpus in types
    ]


# -- compute.node_timeline ------------------------------------------------------------------
def _sessions_billed(batch: int) -> list[tuple[str, str, int]]:
    """(workspace, cluster, hour) of two all-purpose clusters and one job cluster billed that day."""
    day = batch_day(batch)
    originals = originals_of(batch)
    first_hour: dict[tuple[str, str, str], int] = {}
    for row in originals:
        cluster = row["usage_metadata"].get("cluster_id")
        if cluster and row["usage_date"] == day and row["workspace_id"] != UNKNOWN_WORKSPACE:
            key = (row["billing_origin_product"], row["workspace_id"], cluster)
            first_hour[key] = min(first_hour.get(key, 24), row["usage_start_time"].hour)
    picked = sorted(k for k in first_hour if k[0] == "ALL_PURPOSE")[:2] + sorted(k for k in first_hour if k[0] == "JOBS")[:1]
    return [(workspace, cluster, min(first_hour[(p, workspace, cluster)], 22)) for p, workspace, cluster in picked]


def node_timeline_rows(batch: int) -> list[dict]:
    """Per-minute metrics of each instance (driver and up to two workers) of the day's sessions."""
    rng = stream("compute.node_timeline", batch)
    day = batch_day(batch)
    alive = CLUSTERS.alive_after(batch)
    rows = []
    for workspace, cluster, hour in _sessions_billed(batch):
        attrs = alive.get((workspace, cluster))
        if attrs is None:
            continue
        start = at(day, 60 * hour + rng.randrange(20))
        minutes = 20 + rng.randrange(26)
        workers = min(2, attrs["worker_count"] or attrs["min_autoscale_workers"] or 1)
        for instance in range(1 + workers):
            driver = instance == 0
            instance_id = "i-" + stable_hex("instance", cluster, day, instance, length=17)
            ip = int(stable_hex("ip", instance_id, length=6), 16)
            cpu = 20.0 + rng.random() * 30
            for minute in range(minutes):
                cpu = min(98.0, max(1.0, cpu + rng.uniform(-8, 8)))
                rows.append({
                    "account_id": ACCOUNT_ID,
                    "workspace_id": workspace,
                    "cluster_id": cluster,
                    "instance_id": instance_id,
                    "start_time": start + timedelta(minutes=minute),
                    "end_time": start + timedelta(minutes=minute + 1),
                    "driver": driver,
                    "cpu_user_percent": round(cpu, 2),
                    "cpu_system_percent": round(rng.uniform(1, 6), 2),
                    "cpu_wait_percent": round(rng.uniform(0, 3), 2),
                    "mem_used_percent": round(rng.uniform(35, 85), 2),
                    "mem_swap_percent": 0.0,
                    "network_sent_bytes": rng.randrange(10**5, 10**8),
                    "network_received_bytes": rng.randrange(10**5, 10**9),
                    # the first minute of a node has no disk sample yet: an empty map
                    "disk_free_bytes_per_mount_point": {} if minute == 0 else {
                        "/": 30_000_000_000 - minute * 1_000_000, "/local_disk0": 150_000_000_000 - minute * 50_000_000},
                    "node_type": attrs["driver_node_type"] if driver else attrs["worker_node_type"],
                    "private_ip": f"10.{ip >> 16 & 255}.{ip >> 8 & 255}.{ip & 255}",
                })
    return rows

"""``access.clean_room_events``: a polymorphic event table.

Exactly one ``*_metadata`` struct is set per row, the one matching ``event_type``; the others
are NULL. Clean room ``retail_collab`` lives through every batch (created in batch 1); clean
room ``pilot_fx`` is created in batch 2 and deleted in batch 3. Rows carry no workspace: clean
rooms are metastore-scoped.
"""

from __future__ import annotations

import random
from datetime import timedelta

from framework.demo.common import ACCOUNT_ID, at, batch_day, rng_uuid, stable_hex, stable_uuid, stream
from framework.demo.world import METASTORE_ID

_PARTNER_METASTORE = "aws:us-east-1:" + stable_uuid("partner-metastore")
_OUR_METASTORE = "aws:us-east-1:" + METASTORE_ID
_METADATA = (
    "clean_room_created_metadata", "clean_room_deleted_metadata", "run_notebook_started_metadata",
    "run_notebook_completed_metadata", "clean_room_assets_updated_metadata", "output_schema_deleted_metadata",
    "asset_review_created_metadata",
)
METADATA_OF = dict(zip(
    ("CLEAN_ROOM_CREATED", "CLEAN_ROOM_DELETED", "RUN_NOTEBOOK_STARTED", "RUN_NOTEBOOK_COMPLETED",
     "CLEAN_ROOM_ASSETS_UPDATED", "OUTPUT_SCHEMA_DELETED", "ASSET_REVIEW_CREATED"),
    _METADATA, strict=True,
))
ROOMS = {"retail_collab": (1, None), "pilot_fx": (2, 3)}  # name -> (created in, deleted in)


def _asset(name: str, kind: str = "TABLE") -> dict:
    notebook = {"etag": stable_hex("etag", name), "checksum": stable_hex("sum", name, length=32),
                "runner_collaborator_aliases": ["creator", "partner"]} if kind == "NOTEBOOK" else None
    return {"data_object_type": kind, "catalog": "main" if kind == "TABLE" else None, "name": name, "notebook_metadata": notebook}


def _event(rng: random.Random, room: str, event_type: str, when, metadata: dict, initiator: str = "creator") -> dict:
    row = {
        "account_id": ACCOUNT_ID,
        "metastore_id": METASTORE_ID,
        "event_id": rng_uuid(rng),
        "clean_room_name": room,
        "central_clean_room_id": stable_uuid("clean-room", room),
        "initiator_global_metastore_id": _OUR_METASTORE if initiator == "creator" else _PARTNER_METASTORE,
        "event_type": event_type,
        "event_time": when,
        "initiator_collaborator_alias": initiator,
    }
    row.update(dict.fromkeys(_METADATA))
    row[METADATA_OF[event_type]] = metadata
    return row


def clean_room_rows(batch: int) -> list[dict]:
    rng = stream("access.clean_room_events", batch)
    day = batch_day(batch)
    rows = []
    for room, (created_in, deleted_in) in ROOMS.items():
        if batch < created_in or (deleted_in is not None and batch > deleted_in):
            continue
        minute = 8 * 60 + rng.randrange(60)
        if batch == created_in:
            rows.append(_event(rng, room, "CLEAN_ROOM_CREATED", at(day, minute), {
                "collaborators": [{"collaborator_global_metastore_id": _OUR_METASTORE, "collaborator_alias": "creator"},
                                  {"collaborator_global_metastore_id": _PARTNER_METASTORE, "collaborator_alias": "partner"}],
                "egress_network_policy": {"internet_access": {"restriction_mode": "RESTRICTED_ACCESS", "allowed_internet_destinations": []}},
                "compliance_profile": {"is_enabled": False, "compliance_standards": []},
            }))
            rows.append(_event(rng, room, "CLEAN_ROOM_ASSETS_UPDATED", at(day, minute + 5), {
                "added_assets": [_asset("main.sales.orders"), _asset("overlap_analysis", "NOTEBOOK")],
                "updated_assets": [], "removed_assets": [],
            }))
            rows.append(_event(rng, room, "ASSET_REVIEW_CREATED", at(day, minute + 9), {
                "asset_name": "overlap_analysis", "data_object_type": "NOTEBOOK", "review_state": "APPROVED",
                "review_sub_reason": None, "auto_approval_rule_id": None, "notebook_metadata": {"etag": stable_hex("etag", "overlap_analysis")},
            }, initiator="partner"))
            continue
        if batch == deleted_in:
            rows.append(_event(rng, room, "CLEAN_ROOM_DELETED", at(day, minute),
                               {"central_clean_room_id": stable_uuid("clean-room", room)}))
            continue
        for run in range(rng.randint(1, 2)):  # notebook runs: started, then completed
            started = at(day, minute + 120 * run)
            run_id = stable_hex("cr-run", room, batch, run, length=32)
            seconds = rng.randrange(60, 1800)
            schema = f"output_{stable_hex('out', run_id, length=8)}"
            rows.append(_event(rng, room, "RUN_NOTEBOOK_STARTED", started, {
                "notebook_name": "overlap_analysis", "notebook_checksum": stable_hex("sum", "overlap_analysis", length=32),
                "run_id": run_id, "notebook_etag": stable_hex("etag", "overlap_analysis"), "notebook_update_time": at(day) - timedelta(days=3),
            }, initiator="partner"))
            state = rng.choices(("SUCCESS", "FAILED"), weights=(9, 1))[0]
            rows.append(_event(rng, room, "RUN_NOTEBOOK_COMPLETED", started + timedelta(seconds=seconds), {
                "notebook_name": "overlap_analysis", "run_id": run_id, "state": state, "duration_in_seconds": seconds,
                "output_schema": None if state == "FAILED" else {
                    "name": schema, "owner_global_metastore_id": _PARTNER_METASTORE, "action": "CREATED",
                    "expire_time": started + timedelta(days=7), "assets_added": [{"name": f"{schema}.overlap", "data_object_type": "TABLE"}]},
            }, initiator="partner"))
        if rng.random() < 0.5:
            rows.append(_event(rng, room, "OUTPUT_SCHEMA_DELETED", at(day, 20 * 60 + rng.randrange(60)), {
                "name": f"output_{stable_hex('old', room, batch, length=8)}", "owner_global_metastore_id": _PARTNER_METASTORE,
                "action": "DELETED", "expire_time": at(day, 20 * 60)}))
        rows.append(_event(rng, room, "CLEAN_ROOM_ASSETS_UPDATED", at(day, 21 * 60 + rng.randrange(60)), {
            "added_assets": [], "updated_assets": [_asset("overlap_analysis", "NOTEBOOK")], "removed_assets": [],
        }))
    return rows

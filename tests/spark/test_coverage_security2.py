"""fact_clean_room_events (security) after the shared two-batch demo run (tests/demo_world.py): every
Gold row, all business columns, equals the row computed here in plain Python from the Bronze rows of
the same moment.

The expectation restates the metadata's rule independently: one row per clean room event (an event
re-delivered exactly is one row); each event type's metadata struct flattened into
``<struct>_<field>`` columns, scalar fields copied, nested structs and arrays written as Spark's
``to_json`` writes them (compact, fields in declared order, NULL fields left out, timestamps as
ISO-8601 with milliseconds in the session's UTC), a struct the event does not carry giving NULLs.
"""

from __future__ import annotations

import json
from datetime import datetime

from tests.demo_world import WORLD
from tests.harness import business

pytestmark = WORLD

COPIED = ("account_id", "metastore_id", "event_id", "clean_room_name", "central_clean_room_id",
          "initiator_global_metastore_id", "event_type", "event_time", "initiator_collaborator_alias")
# struct -> its fields the design flattens; (True) marks the nested ones the design types STRING
FLATTENED = {
    "clean_room_created_metadata": (("collaborators", True), ("egress_network_policy", True), ("compliance_profile", True)),
    "clean_room_deleted_metadata": (("central_clean_room_id", False),),
    "run_notebook_started_metadata": (("notebook_name", False), ("notebook_checksum", False), ("run_id", False),
                                      ("notebook_etag", False), ("notebook_update_time", False)),
    "run_notebook_completed_metadata": (("notebook_name", False), ("run_id", False), ("state", False),
                                        ("duration_in_seconds", False), ("output_schema", True)),
    "clean_room_assets_updated_metadata": (("added_assets", True), ("updated_assets", True), ("removed_assets", True)),
    "output_schema_deleted_metadata": (("name", False), ("owner_global_metastore_id", False), ("action", False),
                                       ("expire_time", False)),
    "asset_review_created_metadata": (("asset_name", False), ("data_object_type", False), ("review_state", False),
                                      ("review_sub_reason", False), ("auto_approval_rule_id", False),
                                      ("notebook_metadata", True)),
}
JSON_COLUMNS = [f"{struct}_{field}" for struct, fields in FLATTENED.items() for field, nested in fields if nested]


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def spark_json(value) -> str | None:
    """Spark's ``to_json`` of a struct or array (session time zone UTC)."""
    return None if value is None else json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def event_row(r: dict) -> dict:
    row = {c: r[c] for c in COPIED}
    for struct, fields in FLATTENED.items():
        values = r[struct] or {}
        for field, nested in fields:
            value = values.get(field)
            row[f"{struct}_{field}"] = spark_json(value) if nested else value
    return row


def expected_events(bronze: list[dict]) -> dict[str, dict]:
    expected: dict[str, dict] = {}
    for r in bronze:
        row = event_row(r)
        assert expected.setdefault(r["event_id"], row) == row, f"event {r['event_id']} delivered with different content"
    return expected


def gold_events(rows: list[dict]) -> dict[str, dict]:
    found = {r["event_id"]: business(r) for r in rows}
    assert len(found) == len(rows), "event_id does not determine a row"
    return found


def test_fact_clean_room_events_is_every_bronze_event_with_its_metadata_flattened(demo_world):
    for snapshot in demo_world.after:  # after batch 1, after batch 2
        assert gold_events(snapshot.gold["fact_clean_room_events"]) == expected_events(snapshot.bronze["clean_room_events"])


def test_the_demo_clean_room_events_exercise_the_nested_columns(demo_world):
    """Not vacuous: several event types, and every JSON column holds a value on some row."""
    gold = demo_world.last.gold["fact_clean_room_events"]
    assert len({r["event_type"] for r in gold}) >= 5
    assert [c for c in JSON_COLUMNS if all(r[c] is None for r in gold)] == []
    # a completed run's output schema carries a timestamp inside the JSON text
    assert any(r["run_notebook_completed_metadata_output_schema"] and '"expire_time":"' in r["run_notebook_completed_metadata_output_schema"]
               for r in gold)

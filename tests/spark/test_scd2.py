"""scd2 against an independent reference: late and out-of-order versions, deletions, re-runs.

One metadata entry, two tables: ``dim_hist_history`` (every version; a deletion is the last one)
and ``dim_hist`` (one row per key: its current version, a deleted key's deletion included)."""

from __future__ import annotations

from tests.builders import raw_spec
from tests.harness import add_rows, gold, hydrate, make_source, onboard, ts, version
from tests.scd2_reference import expected_history

EVENTS = "id STRING, name STRING, ts TIMESTAMP, deleted BOOLEAN"
SCD2 = dict(
    table_name="dim_hist",
    source_table="${catalog}.${bronze_schema}.events",
    load_type="scd2",
    sequence_by="ts",
    watermark_column="ts",
    lookback="30 days",
    delete_condition="deleted",
    columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "name", "expr": "name", "type": "STRING"},
        {"name": "deleted", "expr": "coalesce(deleted, false)", "type": "BOOLEAN"},
    ],
)
COLUMNS = ["id", "name", "valid_from", "valid_to", "is_current", "deleted"]


def as_rows(history):
    return [(k, n, ts(f), None if t is None else ts(t), cur, d) for k, n, f, t, cur, d in history]


def as_current(history):
    return sorted((k, n, d) for k, n, _, _, cur, d in history if cur)


def test_late_version_lands_in_place_and_a_deletion_is_the_last_version_kept_in_the_current_table(lakehouse, clock):
    batch1 = [("j", "A", 1, False), ("j", "A", 3, False), ("j", "B", 5, False), ("j", "B", 5, False)]
    make_source(lakehouse, "events", EVENTS, [(k, n, ts(h), d) for k, n, h, d in batch1])
    onboard(lakehouse, raw_spec(**SCD2))
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_hist_history", COLUMNS, order=["valid_from"]) == as_rows(
        [("j", "A", 1, 5, False, False), ("j", "B", 5, None, True, False)]
    )
    assert gold(lakehouse, "dim_hist", ["id", "name", "deleted"]) == [("j", "B", False)]

    # C arrives late between the two A's (the second was collapsed as "no change"),
    # then the job is deleted
    batch2 = [("j", "C", 2, False), ("j", None, 6, True)]
    add_rows(lakehouse, "events", EVENTS, [(k, n, ts(h), d) for k, n, h, d in batch2])
    hydrate(lakehouse, clock)
    expected = expected_history([(k, h, n, d) for k, n, h, d in batch1 + batch2])
    assert expected == [("j", "A", 1, 2, False, False), ("j", "C", 2, 3, False, False), ("j", "A", 3, 5, False, False),
                        ("j", "B", 5, 6, False, False), ("j", None, 6, None, True, True)]
    assert gold(lakehouse, "dim_hist_history", [*COLUMNS[:5], "_hm_deleted"], order=["valid_from"]) == as_rows(expected)
    assert gold(lakehouse, "dim_hist", ["id", "name", "deleted"]) == [("j", None, True)]  # deleted: kept, marked

    before = version(lakehouse, "dim_hist"), version(lakehouse, "dim_hist_history")
    hydrate(lakehouse, clock)  # re-run over the same window: the same history, nothing written
    assert (version(lakehouse, "dim_hist"), version(lakehouse, "dim_hist_history")) == before


# Random histories delivered in random batches: tests/spark/test_history_properties.py (scd2 beside
# every other load type, one lakehouse, the reference of tests/scd2_reference.py).

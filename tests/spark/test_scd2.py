"""scd2 against an independent reference: late and out-of-order versions, deletions, re-runs.

One metadata entry, two tables: ``dim_hist_history`` (every version; a deletion is the last one)
and ``dim_hist`` (one row per key: its current version, a deleted key's deletion included)."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import raw_spec
from tests.harness import add_rows, fresh_lakehouse, gold, hydrate, make_source, onboard, ts, version
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


event = st.tuples(
    st.sampled_from(["k1", "k2"]),
    st.integers(min_value=0, max_value=40),
    st.sampled_from(["A", "B", None]),
    st.booleans(),
)
history = st.lists(event, min_size=1, max_size=12, unique_by=lambda e: (e[0], e[1]))
HISTORIES = 8  # per example; keys do not interact, so one lakehouse and two runs carry them all
_examples = itertools.count(1)


@settings(max_examples=2, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(histories=st.lists(st.tuples(history, st.integers(0, 2**16)), min_size=HISTORIES, max_size=HISTORIES))
def test_any_delivery_order_converges_to_the_reference_history(spark, home, clock, histories):
    """Events delivered in random batches and random order give the reference history.

    Each history lives under keys of its own (``h3k1``...), with its own delivery order, its own
    re-delivered duplicate and its own cut into two batches; the two runs deliver every history's
    first part, then the rest. A key's versions depend on that key's events only (the window reads
    the touched keys' whole source history), so each history must equal its own reference, exactly
    as if it had a lakehouse to itself: eight histories for the price of one.
    """
    lakehouse = fresh_lakehouse(spark, home, f"scd2p{next(_examples)}")  # one per example
    batches: tuple[list, list] = ([], [])
    expected = []
    for i, (events, split) in enumerate(histories):
        events = [(f"h{i}{k}", h, n, d) for k, h, n, d in events]
        rng = random.Random(split)
        delivered = list(events) + [rng.choice(events)]  # one re-delivered duplicate
        rng.shuffle(delivered)
        cut = rng.randint(1, len(delivered))
        batches[0].extend(delivered[:cut])
        batches[1].extend(delivered[cut:])
        expected.extend(expected_history(events))
    make_source(lakehouse, "events", EVENTS)
    onboard(lakehouse, raw_spec(**SCD2))
    for batch in batches:
        if batch:
            add_rows(lakehouse, "events", EVENTS, [(k, n, ts(h), d) for k, h, n, d in batch])
            result = hydrate(lakehouse, clock)
            assert result.rows[0].status == "SUCCEEDED", result.rows[0].error_message
    expected.sort(key=lambda r: (r[0], r[2]))
    assert gold(lakehouse, "dim_hist_history", [*COLUMNS[:5], "_hm_deleted"], order=["id", "valid_from"]) == as_rows(expected)
    assert gold(lakehouse, "dim_hist", ["id", "name", "deleted"]) == as_current(expected)

"""Each load type against rows computed independently of the engine (real Spark + Delta)."""

from __future__ import annotations

from tests.builders import raw_spec
from tests.harness import (
    add_rows,
    audit,
    gold,
    hydrate,
    make_source,
    onboard,
    replace_rows,
    ts,
    version,
)

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"


def test_scd1_latest_wins_duplicates_collapse_and_older_versions_never_overwrite(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [
        ("a", "a1", 1, ts(1), False),
        ("a", "a2", 2, ts(2), False),
        ("a", "a2", 2, ts(2), False),  # exact duplicate
        ("b", "b-y", 5, ts(1), False),  # exact duplicates at one instant; rows that differ there fail
        ("b", "b-y", 5, ts(1), False),  # the table (tests/spark/test_design_defects.py)
    ])
    onboard(lakehouse, raw_spec(delete_condition="deleted"))
    first = hydrate(lakehouse, clock)
    assert [r.status for r in first.rows] == ["SUCCEEDED"]
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("a", "a2", 2), ("b", "b-y", 5)]
    row = audit(lakehouse, "dim_thing")[-1]
    assert (row.rows_read, row.rows_deduplicated, row.rows_inserted, row.rows_updated) == (5, 3, 2, 0)
    assert (row.watermark_from, row.watermark_to) == (None, "2026-01-01 02:00:00")
    assert row.target_version == version(lakehouse, "dim_thing")

    # an older version of a arrives late (inside the lookback): it must not overwrite a2
    add_rows(lakehouse, "things", THINGS, [("a", "a-late", 9, ts(1.5), False)])
    before = version(lakehouse, "dim_thing")
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("a", "a2", 2), ("b", "b-y", 5)]
    assert version(lakehouse, "dim_thing") == before

    # a newer version updates, a deletion removes its key
    add_rows(lakehouse, "things", THINGS, [("a", "a3", 3, ts(3), False), ("b", None, None, ts(3), True)])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("a", "a3", 3)]
    row = audit(lakehouse, "dim_thing")[-1]
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted) == (0, 1, 1)
    assert row.watermark_from == "2026-01-01 02:00:00" and row.watermark_to == "2026-01-01 03:00:00"

    # nothing new: SUCCEEDED, zero writes, the Gold table's Delta version does not move
    before = version(lakehouse, "dim_thing")
    hydrate(lakehouse, clock)
    row = audit(lakehouse, "dim_thing")[-1]
    assert row.status == "SUCCEEDED"
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted, row.target_version) == (0, 0, 0, None)
    assert version(lakehouse, "dim_thing") == before


def test_dedup_does_not_depend_on_input_order(spark, home, clock):
    """The same rows in the opposite order produce the same Gold rows: re-delivered versions of a key,
    and a deletion at the instant of a version (the deletion wins). Differing versions at one instant
    fail the table whatever the order (tests/spark/test_design_defects.py)."""
    from framework.platform.lakehouse import Lakehouse
    from framework.platform.params import RunParams

    rows = [("k", f"n{i % 4}", i % 4, ts(i % 4), False) for i in range(12)]
    rows += [("d", "d1", 1, ts(1), False), ("d", None, None, ts(1), True), ("e", "e1", 1, ts(1), False), ("e", None, None, ts(0), True)]
    results = []
    for suffix, ordered in (("fwd", rows), ("rev", list(reversed(rows)))):
        lh = Lakehouse(spark, RunParams(bronze_schema=f"b_order_{suffix}", gold_schema=f"g_order_{suffix}", control_schema=f"c_order_{suffix}"), home)
        lh.bootstrap()
        make_source(lh, "things", THINGS, ordered)
        onboard(lh, raw_spec(delete_condition="deleted"))
        hydrate(lh, clock)
        results.append(gold(lh, "dim_thing", ["id", "name", "amount"]))
    assert results[0] == results[1] == [("e", "e1", 1), ("k", "n3", 3)]


def test_fact_insert_never_duplicates_nor_overwrites(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "first", 1, ts(1), False), ("a", "first", 1, ts(1), False), ("z", "z", 0, ts(10), False)])
    onboard(lakehouse, raw_spec(load_type="fact_insert", sequence_by=None, lookback="1 hour"))
    hydrate(lakehouse, clock)
    # a later batch re-delivers a with other values (in one read window with the first delivery, the
    # key would not determine a row and the run would fail: tests/spark/test_design_defects.py)
    add_rows(lakehouse, "things", THINGS, [("a", "redelivered", 2, ts(12), False), ("b", "new", 3, ts(12), False)])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("a", "first", 1), ("b", "new", 3), ("z", "z", 0)]
    assert audit(lakehouse, "dim_thing")[-1].rows_inserted == 1


def test_fact_upsert_corrections_overwrite(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "v1", 1, ts(1), False)])
    onboard(lakehouse, raw_spec(load_type="fact_upsert"))
    hydrate(lakehouse, clock)
    add_rows(lakehouse, "things", THINGS, [("a", "corrected", 7, ts(2), False)])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("a", "corrected", 7)]


def test_snapshot_removes_keys_absent_from_the_source(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "A", 1, ts(1), False), ("b", "B", 2, ts(1), False)])
    onboard(lakehouse, raw_spec(load_type="snapshot", watermark_column=None, lookback=None, sequence_by=None))
    hydrate(lakehouse, clock)
    replace_rows(lakehouse, "things", THINGS, [("b", "B2", 2, ts(2), False), ("c", "C", 3, ts(2), False)])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("b", "B2", 2), ("c", "C", 3)]
    row = audit(lakehouse, "dim_thing")[-1]
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted) == (1, 1, 1)
    before = version(lakehouse, "dim_thing")
    hydrate(lakehouse, clock)  # same snapshot again: nothing written
    assert version(lakehouse, "dim_thing") == before
    # b delivered twice, differing (nothing orders them): its rows are quarantined, and b is still a
    # key of the snapshot, so its Gold row stays as it was instead of being deleted as absent
    replace_rows(lakehouse, "things", THINGS, [("b", "B3", 2, ts(3), False), ("b", "B4", 2, ts(3), False), ("c", "C", 3, ts(2), False)])
    row = hydrate(lakehouse, clock).rows[0]
    assert (row.status, row.rows_quarantined, row.rows_deleted, row.target_version) == ("SUCCEEDED", 2, 0, None)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == [("b", "B2", 2), ("c", "C", 3)]


def test_aggregate_table_groups_by_key_columns(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1), False), ("a", "y", 2, ts(1), False), ("b", "z", 5, ts(1), False)])
    onboard(lakehouse, raw_spec(
        table_name="dim_agg", sequence_by=None, aggregate=True,
        columns=[
            {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
            {"name": "total", "expr": "sum(amount)", "type": "BIGINT"},
            {"name": "names", "expr": "array_sort(collect_set(name))", "type": "ARRAY<STRING>"},
        ],
    ))
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_agg", ["id", "total", "names"]) == [("a", 3, ["x", "y"]), ("b", 5, ["z"])]
    row = audit(lakehouse, "dim_agg")[-1]
    assert (row.rows_read, row.rows_deduplicated, row.rows_inserted) == (3, 1, 2)


def test_a_view_gives_a_second_name_to_a_gold_table_and_is_recreated_only_when_its_metadata_changes(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", None, 7, ts(1), False)])
    table = raw_spec(columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                              {"name": "name", "expr": "name", "type": "STRING"},
                              {"name": "amount", "expr": "amount", "type": "BIGINT"}])
    view = raw_spec(table_name="dim_thing_alias", load_type="view", source_table="${catalog}.${gold_schema}.dim_thing",
                    depends_on=["dim_thing"], sequence_by=None, watermark_column=None, lookback=None, description="Things, again.",
                    columns=[{"name": "id", "expr": "s.id", "type": "STRING", "nullable": False, "comment": "The id."},
                             {"name": "amount_text", "expr": "amount", "type": "STRING", "comment": "The amount, as text."}])
    onboard(lakehouse, table, view)
    first = hydrate(lakehouse, clock)
    assert [(r.status, r.rows_read, r.rows_inserted) for r in first.rows] == [("SUCCEEDED", 2, 2), ("SUCCEEDED", 0, 0)]
    name = lakehouse.params.gold("dim_thing_alias")
    assert lakehouse.spark.catalog.getTable(name).tableType == "VIEW"
    assert [(f.name, f.dataType.simpleString(), f.nullable, f.metadata.get("comment")) for f in lakehouse.spark.table(name).schema.fields] == [
        ("id", "string", False, "The id."), ("amount_text", "string", True, "The amount, as text.")]
    described = {r["col_name"]: r["data_type"] for r in lakehouse.spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert described["Comment"] == "Things, again."
    assert gold(lakehouse, "dim_thing_alias", ["id", "amount_text"]) == [("a", "1"), ("b", "7")]
    assert version(lakehouse, "dim_thing_alias") == first.run_id

    # the view shows the table's new rows without being touched; unchanged metadata: not recreated
    add_rows(lakehouse, "things", THINGS, [("c", "c1", 3, ts(2), False)])
    second = hydrate(lakehouse, clock)
    assert [r.status for r in second.rows] == ["SUCCEEDED", "SUCCEEDED"]
    assert version(lakehouse, "dim_thing_alias") == first.run_id
    assert gold(lakehouse, "dim_thing_alias", ["id", "amount_text"]) == [("a", "1"), ("b", "7"), ("c", "3")]

    # a later process has it from the catalog journal (a local catalog is in-memory per process)
    lakehouse.spark.sql(f"DROP VIEW {name}")  # gone from this session's catalog only: the journal keeps it
    assert lakehouse.catalog.restore_views() == []
    assert gold(lakehouse, "dim_thing_alias", ["id"]) == [("a",), ("b",), ("c",)]

    # changed metadata: recreated by the next run
    onboard(lakehouse, table, {**view, "description": "Things, once more."})
    third = hydrate(lakehouse, clock)
    assert version(lakehouse, "dim_thing_alias") == third.run_id
    described = {r["col_name"]: r["data_type"] for r in lakehouse.spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}
    assert described["Comment"] == "Things, once more."


# -- deletes hold: a deleted key stays deleted when an older version arrives in a later run ---------
LATE = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, ingested TIMESTAMP, deleted BOOLEAN"
DELETING = dict(sequence_by="ts", watermark_column="ingested", lookback="1 hour", delete_condition="deleted")
# Deliveries of (hour ingested, id, name, ts hour, deleted): the window re-reads an hour behind the
# last batch's latest ingestion, so the deletions (ingested at hour 10, beside z at hour 15) are out
# of the window of the last delivery, and only a tombstone can tell their keys' older versions from new keys
LATE_DELIVERIES = [
    [(1, "k", "k1", 1, False), (1, "k", "k3", 3, False), (1, "r", "r1", 1, False)],
    [(10, "k", None, 4, True), (10, "m", None, 5, True), (10, "r", None, 4, True),  # m: deleted before ever seen
     (15, "z", "z7", 7, False)],
    [(20, "k", "k2", 2, False), (20, "m", "m4", 4, False), (20, "r", "r6", 6, False)],  # older, older, newer
]


def test_a_deleted_key_stays_deleted_when_an_older_version_arrives_in_a_later_run(lakehouse, clock):
    """scd1 and fact_upsert keep a tombstone per deleted key (framework/engine/tombstones.py); scd2
    keeps the deletion as the last version. Compared after each batch with plain-Python references;
    a table whose tombstones expired (``tombstone_retention``) lets the older version back, as its
    metadata says."""
    from datetime import timedelta

    from tests.scd2_reference import expected_history, latest_by_key

    make_source(lakehouse, "things", LATE, [])
    onboard(lakehouse,
            raw_spec(table_name="t_scd1", **DELETING), raw_spec(table_name="t_upsert", load_type="fact_upsert", **DELETING),
            raw_spec(table_name="t_short", tombstone_retention="1 day", **DELETING),
            raw_spec(table_name="t_dim", load_type="scd2", **DELETING))
    delivered = []
    for number, delivery in enumerate(LATE_DELIVERIES, 1):
        add_rows(lakehouse, "things", LATE, [(k, n, None if d else 1, ts(h), ts(at), d) for at, k, n, h, d in delivery])
        delivered += [(k, n, h, d) for _, k, n, h, d in delivery]
        later = clock if number < len(LATE_DELIVERIES) else (lambda: clock() + timedelta(days=2))  # t_short's tombstones expire
        assert {r.table_name: r.status for r in hydrate(lakehouse, later, parallel=2).rows} == dict.fromkeys(["t_scd1", "t_upsert", "t_short", "t_dim"], "SUCCEEDED")
        for table in ("t_scd1", "t_upsert"):
            assert gold(lakehouse, table, ["id", "name"]) == latest_by_key(delivered), (table, number)
        history = expected_history([(k, h, n, d) for k, n, h, d in delivered])
        assert gold(lakehouse, "t_dim_history", ["id", "name", "valid_from", "valid_to", "is_current", "_hm_deleted"],
                    order=["id", "valid_from"]) == [(k, n, ts(f), None if t is None else ts(t), cur, d) for k, n, f, t, cur, d in history]
        assert gold(lakehouse, "t_dim", ["id", "name"]) == sorted((k, n) for k, n, _, _, cur, _ in history if cur)
    assert latest_by_key(delivered) == [("r", "r6"), ("z", "z7")]  # k and m stayed deleted; r came back newer
    assert gold(lakehouse, "t_short", ["id", "name"]) == [("k", "k2"), ("m", "m4"), ("r", "r6"), ("z", "z7")]  # expired: let back
    stones = lakehouse.spark.table(lakehouse.params.control("gold_tombstones")).where("table_name = 't_scd1'").collect()
    assert sorted((s.key_json, s.sequence) for s in stones) == [
        ('{"id":"k"}', "2026-01-01 04:00:00"), ('{"id":"m"}', "2026-01-01 05:00:00"), ('{"id":"r"}', "2026-01-01 04:00:00")]

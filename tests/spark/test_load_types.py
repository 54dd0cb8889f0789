"""Each load type against rows computed independently of the engine (real Spark + Delta).

The scenarios cannot affect each other (each has Bronze sources and Gold tables of its own), so
they share one lakehouse, one onboarding and five runs (decision 119): the first run hydrates every
table; each later one only the tables whose scenario has a next step, so a table stays as its own
last run left it. What a test compares after a run that a later run changes is recorded on the way
(:class:`LoadRuns`); what its table's last run left is read from Gold when the test asserts. Each
scenario is still compared with its own expectation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from framework.engine.audit import AuditRow
from framework.engine.runner import RunResult
from framework.platform.lakehouse import Lakehouse
from tests import delta_rows
from tests.builders import raw_spec
from tests.demo_world import fixed_clock
from tests.harness import (
    add_rows,
    audit,
    bronze_source,
    fresh_lakehouse,
    gold,
    hydrate,
    make_source,
    onboard,
    replace_rows,
    ts,
    version,
)
from tests.scd2_reference import expected_history, latest_by_key

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"
SHARED = pytest.mark.xdist_group("load_types")  # one worker builds the shared runs once


# -- the shared lakehouse ----------------------------------------------------------------------------
# Its five runs, and the tables each hydrates (a scenario's data below says which run delivers what):
#   1: every table
#   2: dim_thing, fact_insert, fact_upsert, snap_thing, dim_viewed(+_alias), the four t_* tables
#   3: dim_thing, snap_thing, dim_viewed(+_alias)  (the view's metadata changed before it)
#   4: dim_thing, snap_thing
#   5: the four t_* tables alone, two days later (their clock: t_short's tombstones expire; no other
#      table's run sees that clock)


@dataclass
class LoadRuns:
    """The shared lakehouse after its runs, and what each scenario's test compares, recorded right
    after (or before) the run it is about: by scenario, then by name."""

    lh: Lakehouse
    runs: list[RunResult] = field(default_factory=list)  # in order: runs[0] is run 1
    seen: dict[str, dict] = field(default_factory=dict)
    late: list[dict] = field(default_factory=list)  # the t_* tables after each of their runs (1, 2, 5)

    def rows(self, run: int, *tables: str) -> list[AuditRow]:
        """The audit rows of ``tables`` in run ``run`` (1-based), in the run's order."""
        return [r for r in self.runs[run - 1].rows if r.table_name in tables]


def comment(lh: Lakehouse, name: str) -> str:
    return {r["col_name"]: r["data_type"] for r in lh.spark.sql(f"DESCRIBE TABLE EXTENDED {name}").collect()}["Comment"]


def record_late(lh: Lakehouse, result: RunResult) -> dict:
    return {
        "statuses": {r.table_name: r.status for r in result.rows if r.table_name in LATE_TABLES},
        **{table: gold(lh, table, ["id", "name"]) for table in ("t_scd1", "t_upsert", "t_dim")},
        "t_dim_history": gold(lh, "t_dim_history", ["id", "name", "valid_from", "valid_to", "is_current", "_hm_deleted"],
                              order=["id", "valid_from"]),
    }


@pytest.fixture(scope="module")
def shared(spark, home) -> LoadRuns:
    lh = fresh_lakehouse(spark, home, "load_types")
    world = LoadRuns(lh)
    scd1, snapshot, view = (world.seen.setdefault(name, {}) for name in ("scd1", "snapshot", "view"))
    alias = lh.params.gold("dim_viewed_alias")

    def run(*tables: str, clock=fixed_clock) -> RunResult:  # no tables: every table
        result = hydrate(lh, clock, tables=list(tables) or None, parallel=2)
        world.runs.append(result)
        return result

    # every scenario's sources with their first delivery; every table onboarded at once
    make_source(lh, "things", THINGS, SCD1_DELIVERIES[1])
    for suffix, ordered in ORDERED.items():
        make_source(lh, f"things_{suffix}", THINGS, ordered)
    make_source(lh, "things_insert", THINGS, FACT_INSERT_DELIVERIES[1])
    make_source(lh, "things_upsert", THINGS, UPSERT_DELIVERIES[1])
    make_source(lh, "things_snapshot", THINGS, SNAPSHOTS[1])
    make_source(lh, "things_agg", THINGS, AGGREGATED)
    make_source(lh, "things_viewed", THINGS, VIEWED[1])
    make_source(lh, "things_late", LATE, [])
    add_rows(lh, "things_late", LATE, late_rows(LATE_DELIVERIES[0]))
    onboard(lh, SCD1, *[order_spec(suffix) for suffix in ORDERED], fact_insert_spec(table_name="fact_insert", source_table=bronze_source("things_insert")),
            UPSERT, SNAPSHOT, AGGREGATE, VIEWED_TABLE, VIEW, *LATE_SPECS)

    # run 1: every table
    first = run()
    scd1.update({"statuses 1": [r.status for r in world.rows(1, "dim_thing")], "gold 1": gold(lh, "dim_thing", ["id", "name", "amount"]),
                 "audit 1": audit(lh, "dim_thing")[-1], "version 1": version(lh, "dim_thing")})
    view.update({
        "first": [(r.status, r.rows_read, r.rows_inserted) for r in world.rows(1, "dim_viewed", "dim_viewed_alias")],
        "table type": lh.spark.catalog.getTable(alias).tableType,
        "fields": [(f.name, f.dataType.simpleString(), f.nullable, f.metadata.get("comment")) for f in lh.spark.table(alias).schema.fields],
        "comment 1": comment(lh, alias),
        "gold 1": gold(lh, "dim_viewed_alias", ["id", "amount_text"]),
        "version 1": version(lh, "dim_viewed_alias"),
    })
    world.late.append(record_late(lh, first))

    # run 2: the scenarios' second deliveries
    add_rows(lh, "things", THINGS, SCD1_DELIVERIES[2])
    scd1["version before 2"] = version(lh, "dim_thing")
    add_rows(lh, "things_insert", THINGS, FACT_INSERT_DELIVERIES[2])
    add_rows(lh, "things_upsert", THINGS, UPSERT_DELIVERIES[2])
    replace_rows(lh, "things_snapshot", THINGS, SNAPSHOTS[2])
    add_rows(lh, "things_viewed", THINGS, VIEWED[2])
    add_rows(lh, "things_late", LATE, late_rows(LATE_DELIVERIES[1]))
    second = run("dim_thing", "fact_insert", "fact_upsert", "snap_thing", "dim_viewed", "dim_viewed_alias", *LATE_TABLES)
    scd1.update({"gold 2": gold(lh, "dim_thing", ["id", "name", "amount"]), "version 2": version(lh, "dim_thing")})
    snapshot.update({"gold 2": gold(lh, "snap_thing", ["id", "name", "amount"]), "audit 2": audit(lh, "snap_thing")[-1]})
    view.update({"statuses 2": [r.status for r in world.rows(2, "dim_viewed", "dim_viewed_alias")],
                 "version 2": version(lh, "dim_viewed_alias"), "gold 2": gold(lh, "dim_viewed_alias", ["id", "amount_text"])})
    world.late.append(record_late(lh, second))
    # the view: gone from this session's catalog, back from the journal; then metadata that changes it
    lh.spark.sql(f"DROP VIEW {alias}")  # gone from this session's catalog only: the journal keeps it
    view.update({"restored": lh.catalog.restore_views(), "gold restored": gold(lh, "dim_viewed_alias", ["id"])})
    onboard(lh, VIEWED_TABLE, {**VIEW, "description": "Things, once more."})

    # run 3
    add_rows(lh, "things", THINGS, SCD1_DELIVERIES[3])
    snapshot["version before 3"] = version(lh, "snap_thing")
    run("dim_thing", "snap_thing", "dim_viewed", "dim_viewed_alias")
    scd1.update({"gold 3": gold(lh, "dim_thing", ["id", "name", "amount"]), "audit 3": audit(lh, "dim_thing")[-1]})
    snapshot["version 3"] = version(lh, "snap_thing")

    # run 4: nothing new for dim_thing; a snapshot that disagrees with itself
    scd1["version before 4"] = version(lh, "dim_thing")
    replace_rows(lh, "things_snapshot", THINGS, SNAPSHOTS[4])
    run("dim_thing", "snap_thing")

    # run 5: the t_* tables' third delivery, two days later
    add_rows(lh, "things_late", LATE, late_rows(LATE_DELIVERIES[2]))
    world.late.append(record_late(lh, run(*LATE_TABLES, clock=lambda: fixed_clock() + timedelta(days=2))))  # t_short's tombstones expire
    return world


@SHARED
def test_the_shared_runs_run_their_tables_and_every_one_succeeds(shared):
    """No scenario's table fails or is skipped in any shared run, and each run hydrates the tables
    the schedule above says: a table is only run when its own scenario has a next step."""
    viewed, late = ["dim_viewed", "dim_viewed_alias"], sorted(LATE_TABLES)
    assert [sorted(r.table_name for r in run.rows) for run in shared.runs] == [
        sorted(["dim_thing", "dim_thing_fwd", "dim_thing_rev", "fact_insert", "fact_upsert", "snap_thing", "dim_agg", *viewed, *late]),
        sorted(["dim_thing", "fact_insert", "fact_upsert", "snap_thing", *viewed, *late]),
        sorted(["dim_thing", "snap_thing", *viewed]),
        ["dim_thing", "snap_thing"],
        late,
    ]
    assert {r.status for run in shared.runs for r in run.rows} == {"SUCCEEDED"}


SCD1 = raw_spec(delete_condition="deleted")  # dim_thing over things
SCD1_DELIVERIES = {  # shared run -> the rows appended before it (run 4: nothing new)
    1: [
        ("a", "a1", 1, ts(1), False),
        ("a", "a2", 2, ts(2), False),
        ("a", "a2", 2, ts(2), False),  # exact duplicate
        ("b", "b-y", 5, ts(1), False),  # exact duplicates at one instant; rows that differ there fail
        ("b", "b-y", 5, ts(1), False),  # the table (tests/spark/test_design_defects.py)
    ],
    2: [("a", "a-late", 9, ts(1.5), False)],  # an older version of a, late (inside the lookback)
    3: [("a", "a3", 3, ts(3), False), ("b", None, None, ts(3), True)],  # a newer version of a, a deletion of b
}


@SHARED
def test_scd1_latest_wins_duplicates_collapse_and_older_versions_never_overwrite(shared):
    lakehouse, seen = shared.lh, shared.seen["scd1"]
    assert seen["statuses 1"] == ["SUCCEEDED"]
    assert seen["gold 1"] == [("a", "a2", 2), ("b", "b-y", 5)]
    row = seen["audit 1"]
    assert (row.rows_read, row.rows_deduplicated, row.rows_inserted, row.rows_updated) == (5, 3, 2, 0)
    assert (row.watermark_from, row.watermark_to) == (None, "2026-01-01 02:00:00")
    assert row.target_version == seen["version 1"]

    # an older version of a arrives late (inside the lookback): it must not overwrite a2
    assert seen["gold 2"] == [("a", "a2", 2), ("b", "b-y", 5)]
    assert seen["version 2"] == seen["version before 2"]

    # a newer version updates, a deletion removes its key
    assert seen["gold 3"] == [("a", "a3", 3)]
    row = seen["audit 3"]
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted) == (0, 1, 1)
    assert row.watermark_from == "2026-01-01 02:00:00" and row.watermark_to == "2026-01-01 03:00:00"

    # nothing new (run 4, dim_thing's last): SUCCEEDED, zero writes, the Gold table's Delta version does not move
    row = audit(lakehouse, "dim_thing")[-1]
    assert row.run_id == shared.runs[3].run_id
    assert row.status == "SUCCEEDED"
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted, row.target_version) == (0, 0, 0, None)
    assert version(lakehouse, "dim_thing") == seen["version before 4"]


ORDER_ROWS = [("k", f"n{i % 4}", i % 4, ts(i % 4), False) for i in range(12)]
ORDER_ROWS += [("d", "d1", 1, ts(1), False), ("d", None, None, ts(1), True), ("e", "e1", 1, ts(1), False), ("e", None, None, ts(0), True)]
ORDERED = {"fwd": ORDER_ROWS, "rev": list(reversed(ORDER_ROWS))}  # suffix -> the rows of things_<suffix>, in that order


def order_spec(suffix: str) -> dict:
    """dim_thing_<suffix> over things_<suffix>: dim_thing's mapping (scd1, deletions)."""
    return raw_spec(table_name=f"dim_thing_{suffix}", source_table=bronze_source(f"things_{suffix}"), delete_condition="deleted")


@SHARED
def test_dedup_does_not_depend_on_input_order(shared):
    """The same rows in the opposite order produce the same Gold rows: re-delivered versions of a key,
    and a deletion at the instant of a version (the deletion wins). Differing versions at one instant
    fail the table whatever the order (tests/spark/test_design_defects.py)."""
    # run 1 only: each order's table stays as it left it
    results = [gold(shared.lh, f"dim_thing_{suffix}", ["id", "name", "amount"]) for suffix in ORDERED]
    assert results[0] == results[1] == [("e", "e1", 1), ("k", "n3", 3)]


FACT_INSERT_DELIVERIES = {
    1: [("a", "first", 1, ts(1), False), ("a", "first", 1, ts(1), False), ("z", "z", 0, ts(10), False)],
    # a later batch re-delivers a with other values (in one read window with the first delivery, the
    # key would not determine a row and the run would fail: tests/spark/test_design_defects.py)
    2: [("a", "redelivered", 2, ts(12), False), ("b", "new", 3, ts(12), False)],
}
FACT_INSERT_GOLD = [("a", "first", 1), ("b", "new", 3), ("z", "z", 0)]


def fact_insert_spec(**names) -> dict:
    return raw_spec(load_type="fact_insert", sequence_by=None, lookback="1 hour", **names)


def fact_insert_never_duplicates_nor_overwrites(lakehouse, clock) -> None:
    """The scenario whole, on the lakehouse it is given: tests/spark/test_connect.py runs it on a
    Spark Connect lakehouse. On the classic session the suite runs the same deliveries in the shared
    lakehouse (the test below)."""
    make_source(lakehouse, "things", THINGS, FACT_INSERT_DELIVERIES[1])
    onboard(lakehouse, fact_insert_spec())
    hydrate(lakehouse, clock)
    add_rows(lakehouse, "things", THINGS, FACT_INSERT_DELIVERIES[2])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name", "amount"]) == FACT_INSERT_GOLD
    assert audit(lakehouse, "dim_thing")[-1].rows_inserted == 1



@SHARED
def test_fact_insert_never_duplicates_nor_overwrites_in_the_shared_lakehouse(shared):
    # fact_insert over things_insert: FACT_INSERT_DELIVERIES in runs 1 and 2, its last
    assert gold(shared.lh, "fact_insert", ["id", "name", "amount"]) == FACT_INSERT_GOLD
    assert audit(shared.lh, "fact_insert")[-1].rows_inserted == 1


UPSERT = raw_spec(table_name="fact_upsert", source_table=bronze_source("things_upsert"), load_type="fact_upsert")
UPSERT_DELIVERIES = {1: [("a", "v1", 1, ts(1), False)], 2: [("a", "corrected", 7, ts(2), False)]}


@SHARED
def test_fact_upsert_corrections_overwrite(shared):
    # fact_upsert over things_upsert: UPSERT_DELIVERIES in runs 1 and 2, its last
    assert gold(shared.lh, "fact_upsert", ["id", "name", "amount"]) == [("a", "corrected", 7)]


SNAPSHOT = raw_spec(table_name="snap_thing", source_table=bronze_source("things_snapshot"), load_type="snapshot", watermark_column=None,
                    lookback=None, sequence_by=None)
SNAPSHOTS = {  # shared run -> the snapshot that replaced things_snapshot's rows before it (run 3: the same snapshot again)
    1: [("a", "A", 1, ts(1), False), ("b", "B", 2, ts(1), False)],
    2: [("b", "B2", 2, ts(2), False), ("c", "C", 3, ts(2), False)],
    4: [("b", "B3", 2, ts(3), False), ("b", "B4", 2, ts(3), False), ("c", "C", 3, ts(2), False)],
}


@SHARED
def test_snapshot_removes_keys_absent_from_the_source(shared):
    lakehouse, seen = shared.lh, shared.seen["snapshot"]
    assert seen["gold 2"] == [("b", "B2", 2), ("c", "C", 3)]
    row = seen["audit 2"]
    assert (row.rows_inserted, row.rows_updated, row.rows_deleted) == (1, 1, 1)
    assert seen["version 3"] == seen["version before 3"]  # same snapshot again (run 3): nothing written
    # b delivered twice, differing (nothing orders them): its rows are quarantined, and b is still a
    # key of the snapshot, so its Gold row stays as it was instead of being deleted as absent
    [row] = shared.rows(4, "snap_thing")
    assert (row.status, row.rows_quarantined, row.rows_deleted, row.target_version) == ("SUCCEEDED", 2, 0, None)
    assert gold(lakehouse, "snap_thing", ["id", "name", "amount"]) == [("b", "B2", 2), ("c", "C", 3)]


AGGREGATED = [("a", "x", 1, ts(1), False), ("a", "y", 2, ts(1), False), ("b", "z", 5, ts(1), False)]  # things_agg, run 1 only
AGGREGATE = raw_spec(
    table_name="dim_agg", source_table=bronze_source("things_agg"), sequence_by=None, aggregate=True,
    columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "total", "expr": "sum(amount)", "type": "BIGINT"},
        {"name": "names", "expr": "array_sort(collect_set(name))", "type": "ARRAY<STRING>"},
    ],
)


@SHARED
def test_aggregate_table_groups_by_key_columns(shared):
    assert gold(shared.lh, "dim_agg", ["id", "total", "names"]) == [("a", 3, ["x", "y"]), ("b", 5, ["z"])]
    row = audit(shared.lh, "dim_agg")[-1]
    assert (row.rows_read, row.rows_deduplicated, row.rows_inserted) == (3, 1, 2)


VIEWED = {1: [("a", "a1", 1, ts(1), False), ("b", None, 7, ts(1), False)], 2: [("c", "c1", 3, ts(2), False)]}  # things_viewed
VIEWED_TABLE = raw_spec(table_name="dim_viewed", source_table=bronze_source("things_viewed"),
                        columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                                 {"name": "name", "expr": "name", "type": "STRING"},
                                 {"name": "amount", "expr": "amount", "type": "BIGINT"}])
VIEW = raw_spec(table_name="dim_viewed_alias", load_type="view", source_table="${catalog}.${gold_schema}.dim_viewed",
                depends_on=["dim_viewed"], sequence_by=None, watermark_column=None, lookback=None, description="Things, again.",
                columns=[{"name": "id", "expr": "s.id", "type": "STRING", "nullable": False, "comment": "The id."},
                         {"name": "amount_text", "expr": "amount", "type": "STRING", "comment": "The amount, as text."}])


@SHARED
def test_a_view_gives_a_second_name_to_a_gold_table_and_is_recreated_only_when_its_metadata_changes(shared):
    lakehouse, seen = shared.lh, shared.seen["view"]
    first, third = shared.runs[0], shared.runs[2]
    assert seen["first"] == [("SUCCEEDED", 2, 2), ("SUCCEEDED", 0, 0)]
    assert seen["table type"] == "VIEW"
    assert seen["fields"] == [("id", "string", False, "The id."), ("amount_text", "string", True, "The amount, as text.")]
    assert seen["comment 1"] == "Things, again."
    assert seen["gold 1"] == [("a", "1"), ("b", "7")]
    assert seen["version 1"] == first.run_id

    # the view shows the table's new rows without being touched; unchanged metadata: not recreated
    assert seen["statuses 2"] == ["SUCCEEDED", "SUCCEEDED"]
    assert seen["version 2"] == first.run_id
    assert seen["gold 2"] == [("a", "1"), ("b", "7"), ("c", "3")]

    # a later process has it from the catalog journal (a local catalog is in-memory per process):
    # after run 2 the view was dropped from this session's catalog only, the journal keeping it
    assert seen["restored"] == []
    assert seen["gold restored"] == [("a",), ("b",), ("c",)]

    # changed metadata (onboarded again before run 3, the view's last): recreated by the next run
    assert version(lakehouse, "dim_viewed_alias") == third.run_id
    assert comment(lakehouse, lakehouse.params.gold("dim_viewed_alias")) == "Things, once more."


# -- deletes hold: a deleted key stays deleted when an older version arrives in a later run ---------
LATE = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, ingested TIMESTAMP, deleted BOOLEAN"
DELETING = dict(source_table=bronze_source("things_late"), sequence_by="ts", watermark_column="ingested", lookback="1 hour", delete_condition="deleted")
LATE_SPECS = [raw_spec(table_name="t_scd1", **DELETING), raw_spec(table_name="t_upsert", load_type="fact_upsert", **DELETING),
              raw_spec(table_name="t_short", tombstone_retention="1 day", **DELETING),
              raw_spec(table_name="t_dim", load_type="scd2", **DELETING)]
LATE_TABLES = ["t_scd1", "t_upsert", "t_short", "t_dim"]
# Deliveries of (hour ingested, id, name, ts hour, deleted), into things_late before runs 1, 2 and 5:
# the window re-reads an hour behind the last batch's latest ingestion, so the deletions (ingested at
# hour 10, beside z at hour 15) are out of the window of the last delivery, and only a tombstone can
# tell their keys' older versions from new keys
LATE_DELIVERIES = [
    [(1, "k", "k1", 1, False), (1, "k", "k3", 3, False), (1, "r", "r1", 1, False)],
    [(10, "k", None, 4, True), (10, "m", None, 5, True), (10, "r", None, 4, True),  # m: deleted before ever seen
     (15, "z", "z7", 7, False)],
    [(20, "k", "k2", 2, False), (20, "m", "m4", 4, False), (20, "r", "r6", 6, False)],  # older, older, newer
]


def late_rows(delivery) -> list[tuple]:
    return [(k, n, None if d else 1, ts(h), ts(at), d) for at, k, n, h, d in delivery]


@SHARED
def test_a_deleted_key_stays_deleted_when_an_older_version_arrives_in_a_later_run(shared):
    """scd1 and fact_upsert keep a tombstone per deleted key (framework/engine/tombstones.py); scd2
    keeps the deletion as the last version. Compared after each batch with plain-Python references;
    a table whose tombstones expired (``tombstone_retention``) lets the older version back, as its
    metadata says."""
    lakehouse = shared.lh
    # after runs 1, 2 and 5 (run 5 two days later: t_short's tombstones expire)
    assert len(shared.late) == len(LATE_DELIVERIES)
    delivered = []
    for number, (delivery, seen) in enumerate(zip(LATE_DELIVERIES, shared.late, strict=True), 1):
        delivered += [(k, n, h, d) for _, k, n, h, d in delivery]
        assert seen["statuses"] == dict.fromkeys(["t_scd1", "t_upsert", "t_short", "t_dim"], "SUCCEEDED")
        for table in ("t_scd1", "t_upsert"):
            assert seen[table] == latest_by_key(delivered), (table, number)
        history = expected_history([(k, h, n, d) for k, n, h, d in delivered])
        assert seen["t_dim_history"] == [(k, n, ts(f), None if t is None else ts(t), cur, d) for k, n, f, t, cur, d in history]
        assert seen["t_dim"] == sorted((k, n) for k, n, _, _, cur, _ in history if cur)
    assert latest_by_key(delivered) == [("r", "r6"), ("z", "z7")]  # k and m stayed deleted; r came back newer
    assert gold(lakehouse, "t_short", ["id", "name"]) == [("k", "k2"), ("m", "m4"), ("r", "r6"), ("z", "z7")]  # expired: let back
    stones = delta_rows.rows(lakehouse, lakehouse.params.control("gold_tombstones"), where="table_name = 't_scd1'")
    assert sorted((s.key_json, s.sequence) for s in stones) == [
        ('{"id":"k"}', "2026-01-01 04:00:00"), ('{"id":"m"}', "2026-01-01 05:00:00"), ('{"id":"r"}', "2026-01-01 04:00:00")]

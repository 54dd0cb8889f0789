"""A run whose inputs did not change stops before reading (the no-op fast path), and only then.

The normal path re-reads the rows at the watermark instant (inclusive lower bound) and reports
them in ``rows_read``; the fast path reads nothing, so ``rows_read == 0`` tells them apart. Every
change the fast path must notice is made here and must bring the normal path back.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from framework.engine.fingerprint import is_volatile
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec
from tests.demo_world import fixed_clock
from tests.harness import (
    add_rows,
    audit,
    control_row,
    fresh_lakehouse,
    gold,
    hydrate,
    make_source,
    onboard,
    ts,
    version,
)

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP"
LABELS = "id STRING, label STRING"


UNCHANGED_INPUTS = pytest.mark.xdist_group("unchanged_inputs_world")  # one worker builds the shared lakehouse, once
RUN_2 = ("steady", "labelled", "recent", "older")  # every table but missing, which fails in run 1 and needs no other


def last(lakehouse, table):
    return audit(lakehouse, table)[-1]


@pytest.fixture(scope="module")
def unchanged_world(spark, home):
    """One lakehouse and onboarding for the scenarios below (decision 119), each with tables and
    Bronze tables of its own (a table's fingerprint is its own metadata, source, joins and Gold
    table): ``steady`` (every change), ``labelled`` and ``recent`` (a join, a clock), ``missing``,
    ``older`` (the control table upgraded). Runs 1-3 take every scenario with a step in them; runs
    4-7 are steady's alone. What each test asserts is recorded right after the step it follows.

    ``older`` runs first, alone: its scenario rewrites the whole control table without the
    ``input_versions`` column, which would drop any table's stored fingerprint; no other table has
    one yet then (none has run), so each scenario's normal and fast paths are its own.
    """
    lakehouse = fresh_lakehouse(spark, home, "unchanged_world")
    clock = fixed_clock
    control = lakehouse.params.control("gold_table_control")
    steady, joined, older = SimpleNamespace(), SimpleNamespace(), SimpleNamespace()
    world = SimpleNamespace(lakehouse=lakehouse, steady=steady, joined=joined, older=older)
    make_source(lakehouse, "steady_things", THINGS, [("a", "x", 1, ts(1)), ("b", "y", 2, ts(1))])
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1))])
    make_source(lakehouse, "labels", LABELS, [("a", "first")])
    make_source(lakehouse, "older_things", THINGS, [("a", "x", 1, ts(1))])
    onboard(
        lakehouse,
        raw_spec(table_name="steady", source_table="${catalog}.${bronze_schema}.steady_things"),
        raw_spec(table_name="labelled", lookback=None, joins=[{"table": "${catalog}.${bronze_schema}.labels", "alias": "l", "on": "l.id = s.id", "how": "left"}],
                 columns=[{"name": "id", "expr": "s.id", "type": "STRING", "nullable": False}, {"name": "label", "expr": "l.label", "type": "STRING"}]),
        raw_spec(table_name="recent", source_filter="ts <= current_timestamp()"),
        raw_spec(table_name="missing", source_table="${catalog}.${bronze_schema}.nowhere"),
        raw_spec(table_name="older", source_table="${catalog}.${bronze_schema}.older_things"),
    )

    # -- older, alone: what a lakehouse bootstrapped before `input_versions` existed looks like ----
    hydrate(lakehouse, clock, tables=["older"])
    old = lakehouse.spark.table(control).drop("input_versions")
    old.write.format("delta").mode("overwrite").option("overwriteSchema", "true").saveAsTable(control)
    older.columns_before_bootstrap = lakehouse.spark.table(control).columns
    lakehouse.bootstrap()
    older.input_versions_type = lakehouse.spark.table(control).schema["input_versions"].dataType.simpleString()
    older.watermark_after_bootstrap = control_row(lakehouse, "older").watermark_value

    # -- run 1: every table ---------------------------------------------------------------------
    result = hydrate(lakehouse, clock)
    world.missing_run_failed, world.missing_row = result.failed, next(r for r in result.rows if r.table_name == "missing")
    steady.rows_read_1 = last(lakehouse, "steady").rows_read
    steady.stored = control_row(lakehouse, "steady").input_versions
    steady.gold_version_1 = version(lakehouse, "steady")
    older.rows_read_after_bootstrap = last(lakehouse, "older").rows_read  # a normal run (no stored fingerprint), which stores one
    older.input_versions_after_bootstrap = control_row(lakehouse, "older").input_versions

    # -- run 2: nothing changed -------------------------------------------------------------------
    hydrate(lakehouse, clock, tables=list(RUN_2))
    steady.noop = last(lakehouse, "steady")
    steady.gold_version_2 = version(lakehouse, "steady")
    steady.input_versions_2 = control_row(lakehouse, "steady").input_versions
    joined.rows_read_2 = {t: last(lakehouse, t).rows_read for t in ("labelled", "recent")}
    older.rows_read_after = last(lakehouse, "older").rows_read

    # -- run 3: steady's source changed, labelled's join table too ----------------------------------
    add_rows(lakehouse, "steady_things", THINGS, [("c", "z", 3, ts(2))])
    lakehouse.spark.sql(f"UPDATE {lakehouse.params.bronze('labels')} SET label = 'second'")
    hydrate(lakehouse, clock, tables=["steady", "labelled"])
    steady.after_source_change = last(lakehouse, "steady")
    joined.rows_read_3 = last(lakehouse, "labelled").rows_read
    joined.gold_3 = gold(lakehouse, "labelled", ["id", "label"])

    # -- runs 4-7: steady alone ---------------------------------------------------------------------
    lakehouse.spark.sql(f"DELETE FROM {lakehouse.params.gold('steady')} WHERE id = 'c'")  # Gold changed behind our back
    hydrate(lakehouse, clock, tables=["steady"])
    steady.after_gold_change, steady.gold_4 = last(lakehouse, "steady"), gold(lakehouse, "steady", ["id"])
    onboard(lakehouse, raw_spec(table_name="steady", source_table="${catalog}.${bronze_schema}.steady_things", columns=[  # the metadata changed: a column expression
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "name", "expr": "upper(name)", "type": "STRING"},
        {"name": "amount", "expr": "amount", "type": "BIGINT"},
    ]))
    hydrate(lakehouse, clock, tables=["steady"])
    steady.after_metadata_change, steady.gold_5 = last(lakehouse, "steady"), gold(lakehouse, "steady", ["id", "name"])
    hydrate(lakehouse, clock, tables=["steady"], full_refresh=True)  # a full refresh never takes the shortcut
    steady.after_full_refresh = last(lakehouse, "steady")
    hydrate(lakehouse, clock, tables=["steady"])
    steady.after_all = last(lakehouse, "steady")
    return world


@UNCHANGED_INPUTS
def test_unchanged_inputs_skip_the_read_and_any_change_brings_the_normal_path_back(unchanged_world):
    steady = unchanged_world.steady
    assert steady.rows_read_1 == 2

    row = steady.noop  # run 2: nothing changed
    assert (row.status, row.rows_read, row.rows_inserted, row.target_version) == ("SUCCEEDED", 0, 0, None)
    assert (row.watermark_from, row.watermark_to) == ("2026-01-01 01:00:00", "2026-01-01 01:00:00")
    assert row.unused_source_columns == []
    assert steady.gold_version_2 == steady.gold_version_1
    assert steady.input_versions_2 == steady.stored

    row = steady.after_source_change  # run 3: the source changed (c added)
    assert (row.rows_read, row.rows_inserted) == (3, 1)  # a, b re-read (1-day lookback), c new

    row = steady.after_gold_change  # run 4: Gold changed behind our back (c deleted)
    assert (row.rows_read, row.rows_inserted) == (3, 1)
    assert steady.gold_4 == [("a",), ("b",), ("c",)]

    row = steady.after_metadata_change  # run 5: the metadata changed (upper(name))
    assert (row.rows_read, row.rows_updated) == (3, 3)  # the window re-mapped
    assert steady.gold_5 == [("a", "X"), ("b", "Y"), ("c", "Z")]

    row = steady.after_full_refresh  # run 6: a full refresh never takes the shortcut
    assert (row.rows_read, row.full_refresh) == (3, True)
    assert steady.after_all.rows_read == 0  # run 7


@UNCHANGED_INPUTS
def test_a_changed_join_table_or_a_clock_dependent_filter_means_a_normal_run(unchanged_world):
    joined = unchanged_world.joined
    assert joined.rows_read_2["labelled"] == 0  # run 2, after run 1
    assert joined.rows_read_2["recent"] == 1  # volatile filter: always a normal run

    # before run 3: the label changed (UPDATE of the join table)
    assert joined.rows_read_3 == 1
    assert joined.gold_3 == [("a", "second")]


@UNCHANGED_INPUTS
def test_a_missing_source_still_fails_with_its_name(unchanged_world):
    row = unchanged_world.missing_row  # run 1, where it is the only table that fails
    assert unchanged_world.missing_run_failed and "nowhere" in row.error_message and "source_table" in row.error_message


@UNCHANGED_INPUTS
def test_an_older_control_table_gains_the_new_state_column_and_keeps_its_rows(unchanged_world):
    older = unchanged_world.older
    # after one run, the control table rewritten without `input_versions`: a lakehouse bootstrapped before it existed
    assert "input_versions" not in older.columns_before_bootstrap

    # then bootstrapped again
    assert older.input_versions_type == "string"
    assert older.watermark_after_bootstrap == "2026-01-01 01:00:00"
    assert older.rows_read_after_bootstrap == 1 and older.input_versions_after_bootstrap  # run 1: normal, stores a fingerprint
    assert older.rows_read_after == 0  # run 2


@pytest.mark.parametrize(
    ("expr", "volatile"),
    [("shuffle(ids)", True), ("rand()", True), ("current_date", True), ("unix_timestamp()", True),
     ("shuffle_read_bytes", False), ("random_seed", False), ("now_playing", False), ("unix_timestamp(ts)", False)],
)
def test_only_whole_volatile_function_names_make_a_spec_volatile(expr, volatile):
    spec = TableSpec.from_dict(raw_spec(columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                                                 {"name": "x", "expr": expr, "type": "STRING"}]))
    assert is_volatile(spec) is volatile

"""A run whose inputs did not change stops before reading (the no-op fast path), and only then.

The normal path re-reads the rows at the watermark instant (inclusive lower bound) and reports
them in ``rows_read``; the fast path reads nothing, so ``rows_read == 0`` tells them apart. Every
change the fast path must notice is made here and must bring the normal path back.
"""

from __future__ import annotations

import pytest

from framework.engine.fingerprint import is_volatile
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec
from tests.harness import (
    add_rows,
    audit,
    control_row,
    gold,
    hydrate,
    make_source,
    onboard,
    ts,
    version,
)

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP"
LABELS = "id STRING, label STRING"


def last(lakehouse, table="dim_thing"):
    return audit(lakehouse, table)[-1]


def test_unchanged_inputs_skip_the_read_and_any_change_brings_the_normal_path_back(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1)), ("b", "y", 2, ts(1))])
    onboard(lakehouse, raw_spec())
    hydrate(lakehouse, clock)
    assert last(lakehouse).rows_read == 2
    stored = control_row(lakehouse, "dim_thing").input_versions
    gold_version = version(lakehouse, "dim_thing")

    hydrate(lakehouse, clock)  # nothing changed
    row = last(lakehouse)
    assert (row.status, row.rows_read, row.rows_inserted, row.target_version) == ("SUCCEEDED", 0, 0, None)
    assert (row.watermark_from, row.watermark_to) == ("2026-01-01 01:00:00", "2026-01-01 01:00:00")
    assert row.unused_source_columns == []
    assert version(lakehouse, "dim_thing") == gold_version
    assert control_row(lakehouse, "dim_thing").input_versions == stored

    add_rows(lakehouse, "things", THINGS, [("c", "z", 3, ts(2))])  # the source changed
    hydrate(lakehouse, clock)
    assert (last(lakehouse).rows_read, last(lakehouse).rows_inserted) == (3, 1)  # a, b re-read (1-day lookback), c new

    lakehouse.spark.sql(f"DELETE FROM {lakehouse.params.gold('dim_thing')} WHERE id = 'c'")  # Gold changed behind our back
    hydrate(lakehouse, clock)
    assert (last(lakehouse).rows_read, last(lakehouse).rows_inserted) == (3, 1)
    assert gold(lakehouse, "dim_thing", ["id"]) == [("a",), ("b",), ("c",)]

    onboard(lakehouse, raw_spec(columns=[  # the metadata changed: a column expression
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "name", "expr": "upper(name)", "type": "STRING"},
        {"name": "amount", "expr": "amount", "type": "BIGINT"},
    ]))
    hydrate(lakehouse, clock)
    assert (last(lakehouse).rows_read, last(lakehouse).rows_updated) == (3, 3)  # the window re-mapped
    assert gold(lakehouse, "dim_thing", ["id", "name"]) == [("a", "X"), ("b", "Y"), ("c", "Z")]

    hydrate(lakehouse, clock, full_refresh=True)  # a full refresh never takes the shortcut
    assert (last(lakehouse).rows_read, last(lakehouse).full_refresh) == (3, True)
    hydrate(lakehouse, clock)
    assert last(lakehouse).rows_read == 0


def test_a_changed_join_table_or_a_clock_dependent_filter_means_a_normal_run(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1))])
    make_source(lakehouse, "labels", LABELS, [("a", "first")])
    onboard(
        lakehouse,
        raw_spec(table_name="labelled", lookback=None, joins=[{"table": "${catalog}.${bronze_schema}.labels", "alias": "l", "on": "l.id = s.id", "how": "left"}],
                 columns=[{"name": "id", "expr": "s.id", "type": "STRING", "nullable": False}, {"name": "label", "expr": "l.label", "type": "STRING"}]),
        raw_spec(table_name="recent", source_filter="ts <= current_timestamp()"),
    )
    hydrate(lakehouse, clock)
    hydrate(lakehouse, clock)
    assert last(lakehouse, "labelled").rows_read == 0
    assert last(lakehouse, "recent").rows_read == 1  # volatile filter: always a normal run

    lakehouse.spark.sql(f"UPDATE {lakehouse.params.bronze('labels')} SET label = 'second'")
    hydrate(lakehouse, clock)
    assert last(lakehouse, "labelled").rows_read == 1
    assert gold(lakehouse, "labelled", ["id", "label"]) == [("a", "second")]


def test_a_missing_source_still_fails_with_its_name(lakehouse, clock):
    onboard(lakehouse, raw_spec(source_table="${catalog}.${bronze_schema}.nowhere"))
    result = hydrate(lakehouse, clock)
    assert result.failed and "nowhere" in result.rows[0].error_message and "source_table" in result.rows[0].error_message


def test_an_older_control_table_gains_the_new_state_column_and_keeps_its_rows(lakehouse, clock):
    control = lakehouse.params.control("gold_table_control")
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1))])
    onboard(lakehouse, raw_spec())
    hydrate(lakehouse, clock)
    # what a lakehouse bootstrapped before `input_versions` existed looks like
    old = lakehouse.spark.table(control).drop("input_versions")
    old.write.format("delta").mode("overwrite").option("overwriteSchema", "true").saveAsTable(control)
    assert "input_versions" not in lakehouse.spark.table(control).columns

    lakehouse.bootstrap()
    assert lakehouse.spark.table(control).schema["input_versions"].dataType.simpleString() == "string"
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-01 01:00:00"
    hydrate(lakehouse, clock)  # a normal run (no stored fingerprint), which stores one
    assert last(lakehouse).rows_read == 1 and control_row(lakehouse, "dim_thing").input_versions
    hydrate(lakehouse, clock)
    assert last(lakehouse).rows_read == 0


@pytest.mark.parametrize(
    ("expr", "volatile"),
    [("shuffle(ids)", True), ("rand()", True), ("current_date", True), ("unix_timestamp()", True),
     ("shuffle_read_bytes", False), ("random_seed", False), ("now_playing", False), ("unix_timestamp(ts)", False)],
)
def test_only_whole_volatile_function_names_make_a_spec_volatile(expr, volatile):
    spec = TableSpec.from_dict(raw_spec(columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                                                 {"name": "x", "expr": expr, "type": "STRING"}]))
    assert is_volatile(spec) is volatile

"""The runner's guarantees: windows and watermarks, validation, dependencies, bad input."""

from __future__ import annotations

import json

import pytest

from framework.errors import SpecError
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

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"


def test_window_starts_at_watermark_minus_lookback_and_watermark_follows_commit(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(48), False)])
    onboard(lakehouse, raw_spec(lookback="1 day"))
    hydrate(lakehouse, clock)
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-03 00:00:00"

    add_rows(lakehouse, "things", THINGS, [
        ("late", "x", 1, ts(30), False),  # 18 h behind the watermark: inside the 1-day lookback
        ("too_late", "y", 1, ts(10), False),  # 38 h behind: outside the lookback, not read
        ("new", "z", 1, ts(50), False),
    ])
    hydrate(lakehouse, clock)
    assert [r[0] for r in gold(lakehouse, "dim_thing", ["id"])] == ["a", "late", "new"]
    row = audit(lakehouse, "dim_thing")[-1]
    assert (row.watermark_from, row.watermark_to) == ("2026-01-03 00:00:00", "2026-01-03 02:00:00")
    assert row.rows_read == 3  # a (at the watermark), late, new
    assert row.unused_source_columns == ["deleted"]  # reported, ignored
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-03 02:00:00"


def test_the_new_watermark_is_the_highest_of_the_rows_the_batch_was_built_from(lakehouse, clock):
    """Decision 98: the upper bound comes from the batch's own rows (one read, one snapshot). A row an
    inner join drops does not move the watermark past it, so it is read again once it can join."""
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False), ("b", "b", 2, ts(5), False)])
    make_source(lakehouse, "owners", "owned STRING, owner STRING", [("a", "ann")])
    onboard(lakehouse, raw_spec(
        lookback=None, joins=[{"table": "${catalog}.${bronze_schema}.owners", "alias": "o", "on": "o.owned = s.name", "how": "inner"}],
        columns=[*raw_spec()["columns"], {"name": "owner", "expr": "o.owner", "type": "STRING"}],
    ))
    hydrate(lakehouse, clock)
    row = audit(lakehouse, "dim_thing")[-1]
    assert gold(lakehouse, "dim_thing", ["id", "owner"]) == [("a", "ann")]
    assert (row.rows_read, row.watermark_to) == (1, "2026-01-01 01:00:00")  # b (ts 5) did not join: not past it

    add_rows(lakehouse, "owners", "owned STRING, owner STRING", [("b", "bob")])
    hydrate(lakehouse, clock)
    row = audit(lakehouse, "dim_thing")[-1]
    assert gold(lakehouse, "dim_thing", ["id", "owner"]) == [("a", "ann"), ("b", "bob")]
    assert (row.watermark_from, row.watermark_to) == ("2026-01-01 01:00:00", "2026-01-01 05:00:00")
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-01 05:00:00"

    hydrate(lakehouse, clock)  # nothing at or after the watermark joins anew: the watermark stays
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-01 05:00:00"


def test_error_check_fails_the_table_without_writing_or_moving_the_watermark(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "ok", 1, ts(1), False)])
    onboard(lakehouse, raw_spec(checks=[{"column": "amount", "check": "ge", "args": 0, "severity": "error"}]))
    hydrate(lakehouse, clock)
    before_version = version(lakehouse, "dim_thing")
    add_rows(lakehouse, "things", THINGS, [("b", "bad", -5, ts(2), False), ("c", "fine", 3, ts(2), False)])
    result = hydrate(lakehouse, clock)
    assert result.failed
    row = audit(lakehouse, "dim_thing")[-1]
    assert row.status == "VALIDATION_FAILED"
    assert row.failed_checks == ["amount_ge (fail): " + row.failed_checks[0].split(": ", 1)[1]]
    assert "amount_ge" in row.error_message
    assert version(lakehouse, "dim_thing") == before_version
    assert gold(lakehouse, "dim_thing", ["id"]) == [("a",)]
    state = control_row(lakehouse, "dim_thing")
    assert state.watermark_value == "2026-01-01 01:00:00" and state.last_status == "VALIDATION_FAILED"


def test_warn_check_quarantines_only_failing_rows_with_the_check_name(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [
        ("a", "ok", 1, ts(1), False),
        ("b", "neg", -1, ts(1), False),
        ("c", "BAD NAME", -2, ts(1), False),
    ])
    onboard(lakehouse, raw_spec(checks=[
        {"column": "amount", "check": "ge", "args": 0, "severity": "warn", "name": "amount_not_negative"},
        {"column": "name", "check": "str_matches", "args": "[a-z]+$", "severity": "warn"},
        {"check": "expr", "args": "length(name) < 10", "severity": "error", "name": "short_name"},
    ]))
    result = hydrate(lakehouse, clock)
    assert not result.failed
    assert gold(lakehouse, "dim_thing", ["id"]) == [("a",)]
    row = audit(lakehouse, "dim_thing")[-1]
    assert (row.rows_inserted, row.rows_quarantined) == (1, 2)
    quarantined = lakehouse.spark.table(lakehouse.params.control("gold_quarantine")).collect()
    found = sorted((q.check_name, json.loads(q.row_json)["id"], q.severity, q.run_id) for q in quarantined)
    assert found == [
        ("amount_not_negative", "b", "quarantine", row.run_id),
        ("amount_not_negative", "c", "quarantine", row.run_id),
        ("name_str_matches", "c", "quarantine", row.run_id),
    ]


def test_failed_table_skips_its_dependents_but_not_unrelated_tables(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(
        lakehouse,
        raw_spec(table_name="broken", source_table="${catalog}.${bronze_schema}.no_such_table"),
        raw_spec(table_name="child", depends_on=["broken"]),
        raw_spec(table_name="grandchild", depends_on=["child"]),
        raw_spec(table_name="unrelated"),
        raw_spec(table_name="off", enabled=False),
    )
    result = hydrate(lakehouse, clock)
    status = {r.table_name: (r.status, r.error_message) for r in result.rows}
    assert status["broken"] == ("FAILED", f"broken: source table '{lakehouse.params.bronze('no_such_table')}' does not exist (source_table)")
    assert status["child"] == ("SKIPPED", "dependency failed: broken")
    assert status["grandchild"] == ("SKIPPED", "dependency failed: child")
    assert status["unrelated"] == ("SUCCEEDED", None)
    assert status["off"] == ("SKIPPED", "disabled in the control table")
    assert result.failed
    assert len(audit(lakehouse, "broken")) == 1 and len(audit(lakehouse, "unrelated")) == 1


def test_an_absent_optional_source_skips_its_table_and_dependents_and_a_present_one_runs(lakehouse, clock):
    onboard(
        lakehouse,
        raw_spec(table_name="preview", source_table="${catalog}.${bronze_schema}.preview_things", source_optional=True),
        raw_spec(table_name="child", source_table="${catalog}.${bronze_schema}.preview_things", depends_on=["preview"]),
    )
    assert control_row(lakehouse, "preview").source_optional is True and control_row(lakehouse, "child").source_optional is False
    result = hydrate(lakehouse, clock)
    status = {r.table_name: (r.status, r.error_message) for r in result.rows}
    assert status == {
        "preview": ("SKIPPED", f"source {lakehouse.params.bronze('preview_things')} does not exist (source_optional)"),
        "child": ("SKIPPED", "dependency failed: preview"),
    }
    assert not result.failed
    make_source(lakehouse, "preview_things", THINGS, [("a", "x", 1, ts(1), False)])
    status = {r.table_name: (r.status, r.rows_inserted) for r in hydrate(lakehouse, clock).rows}
    assert status == {"preview": ("SUCCEEDED", 1), "child": ("SUCCEEDED", 1)}
    assert gold(lakehouse, "preview", ["id", "name", "amount"]) == [("a", "x", 1)]


def test_mapping_a_missing_source_column_names_column_and_source(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(lakehouse, raw_spec(columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "colour", "expr": "upper(colour)", "type": "STRING"},
    ]))
    row = hydrate(lakehouse, clock).rows[0]
    assert row.status == "FAILED"
    assert row.error_message.startswith(
        "dim_thing: columns[colour].expr 'upper(colour)' does not resolve against source '${catalog}.${bronze_schema}.things'"
    )
    assert "colour" in row.error_message and "Source columns are: id, name, amount, ts, deleted" in row.error_message


def test_onboarding_is_all_or_nothing_and_lists_every_error(lakehouse):
    good = raw_spec(table_name="good_one")
    bad_expr = raw_spec(table_name="bad_expr", columns=[{"name": "id", "expr": "id +* 2", "type": "STRING"}])
    bad_type = raw_spec(table_name="bad_type", columns=[{"name": "id", "expr": "id", "type": "STRANG"}])
    bad_load = raw_spec(table_name="bad_load", load_type="scd9")
    with pytest.raises(SpecError) as info:
        onboard(lakehouse, good, bad_expr, bad_type, bad_load)
    text = str(info.value)
    assert "bad_expr.columns[id].expr: does not parse as a Spark SQL expression: 'id +* 2'" in text
    assert "bad_type.columns[id].type: is not a Spark SQL type: 'STRANG'" in text
    assert "bad_load.load_type: must be one of" in text
    assert lakehouse.spark.table(lakehouse.params.control("gold_table_control")).count() == 0


def test_reonboarding_replaces_metadata_and_keeps_the_watermark(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(5), False)])
    onboard(lakehouse, raw_spec())
    hydrate(lakehouse, clock)
    onboard(lakehouse, raw_spec(columns=raw_spec()["columns"] + [{"name": "name_upper", "expr": "upper(name)", "type": "STRING"}]))
    row = control_row(lakehouse, "dim_thing")
    assert row.watermark_value == "2026-01-01 05:00:00"
    assert [c.name for c in row.columns][-1] == "name_upper"
    # the new column is added to the Gold table on the next run; rows re-read inside the
    # lookback get it filled, older rows keep NULL until a --full-refresh
    add_rows(lakehouse, "things", THINGS, [("b", "b", 2, ts(6), False), ("old", "o", 0, ts(-48), False)])
    hydrate(lakehouse, clock)
    assert gold(lakehouse, "dim_thing", ["id", "name_upper"]) == [("a", "A"), ("b", "B")]


def test_full_refresh_rebuilds_from_the_whole_source(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(lakehouse, raw_spec())
    hydrate(lakehouse, clock)
    lakehouse.spark.sql(f"DELETE FROM {lakehouse.params.gold('dim_thing')}")  # Gold damaged by hand
    add_rows(lakehouse, "things", THINGS, [("b", "b", 2, ts(2), False)])
    result = hydrate(lakehouse, clock, full_refresh=True)
    assert result.rows[0].status == "SUCCEEDED" and result.rows[0].full_refresh
    assert gold(lakehouse, "dim_thing", ["id"]) == [("a",), ("b",)]
    assert control_row(lakehouse, "dim_thing").watermark_value == "2026-01-01 02:00:00"


def test_dry_run_prints_the_plan_and_writes_nothing(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(lakehouse, raw_spec())
    result = hydrate(lakehouse, clock, dry_run=True)
    assert result.plans and result.plans[0].startswith("-- dim_thing\nMERGE INTO")
    assert not lakehouse.exists(lakehouse.params.gold("dim_thing"))
    assert audit(lakehouse, "dim_thing") == []


def test_a_row_inserted_by_sql_is_validated_at_load_and_fails_only_its_own_table(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(lakehouse, raw_spec(table_name="fine"))
    control = lakehouse.params.control("gold_table_control")
    lakehouse.spark.sql(f"""
        INSERT INTO {control} (table_name, domain, enabled, source_table, load_type, primary_keys, columns)
        VALUES ('typo', 'test', true, '${{catalog}}.${{bronze_schema}}.things', 'scd7', array('id'),
                array(named_struct('name', 'id', 'expr', 'id +', 'type', 'STRING', 'nullable', false, 'comment', null)))
    """)
    result = hydrate(lakehouse, clock)
    status = {r.table_name: r for r in result.rows}
    assert status["fine"].status == "SUCCEEDED"
    assert status["typo"].status == "FAILED"
    assert "typo.load_type: must be one of" in status["typo"].error_message
    assert "typo.columns[id].expr: does not parse" in status["typo"].error_message


def test_an_onboarding_that_took_its_tables_for_new_still_replaces_a_row_another_writer_added(lakehouse, clock):
    """Onboarding only new tables writes by an insert-only MERGE; a row that another writer added
    in between (here: already there, as the caller did not know) gets the new metadata and keeps
    its state, by the full MERGE that follows: one row per table, as after any onboarding."""
    from framework.engine.control import control_store
    from framework.metadata.spec import TableSpec
    from framework.platform.control_store import StateUpdate

    onboard(lakehouse, raw_spec(table_name="raced"))
    store = control_store(lakehouse)
    store.record_states([StateUpdate("raced", "SUCCEEDED", "run-x", clock(), "2026-01-01 05:00:00")])
    rows = [TableSpec.from_dict(raw_spec(table_name=name, description=f"{name}, onboarded again")).to_row() for name in ("raced", "fresh")]
    store.upsert_metadata(rows, now=clock(), user="other", new_only=True)
    found = {r.table_name: r for r in lakehouse.spark.table(store.table).collect()}
    assert sorted(found) == ["fresh", "raced"]
    assert {name: row.description for name, row in found.items()} == {"raced": "raced, onboarded again", "fresh": "fresh, onboarded again"}
    assert (found["raced"].watermark_value, found["raced"].last_run_id) == ("2026-01-01 05:00:00", "run-x")
    assert (found["fresh"].watermark_value, found["fresh"].updated_by) == (None, "other")

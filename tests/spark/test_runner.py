"""The runner's guarantees: windows and watermarks, validation, dependencies, bad input.

Most scenarios here cannot affect each other, so they share one lakehouse, one onboarding and its
runs (decision 119): ``runner_world`` gives each scenario tables of its own (and Bronze tables of
its own where it changes them), runs them together and records what each test asserts after the
run it follows. The tests that tests/spark/test_connect.py reruns on a Spark Connect lakehouse
(``OVER_CONNECT``) keep their own lakehouse and play their whole scenario on the one they are given.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from framework.errors import SpecError
from tests.builders import raw_spec
from tests.demo_world import fixed_clock
from tests.harness import (
    add_rows,
    audit,
    bronze_source,
    control_row,
    fresh_lakehouse,
    gold,
    hydrate,
    make_source,
    onboard,
    ts,
    version,
)

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"
OWNERS = "owned STRING, owner STRING"
RUNNER_WORLD = pytest.mark.xdist_group("runner_world")  # one worker builds the shared lakehouse, once


# The shared lakehouse's tables, by scenario. `things` (one row) is read by the scenarios that never
# change their source; a scenario that writes to its Bronze tables has its own.
FAILING = ("broken", "child", "grandchild", "unrelated", "off")  # a failed table and its dependents
PREVIEW = ("preview", "preview_child")  # an optional source, absent until run 2
ONBOARDED = ("windowed", "joined", *FAILING, *PREVIEW, "colourful", "reonboarded", "dry", "fine", "raced")
RUN_1 = ("windowed", "joined", *PREVIEW, "reonboarded")  # none fails: the optional-source scenario asserts the run did not
RUN_2 = (*RUN_1, "colourful", "fine", "typo")
RUN_3 = ("joined", *FAILING)  # the dependency-failure scenario's run: no other table of it fails


@pytest.fixture(scope="module")
def runner_world(spark, home):
    """One lakehouse, one onboarding, a dry run and three runs for the independent scenarios.

    Each run takes the tables whose scenario has a step in it (``RUN_1`` ...); what a test asserts
    is recorded right after the run it follows (audit and control rows are per table, Gold tables
    are the scenario's own), so each scenario sees the same steps as on a lakehouse of its own.
    """
    lh = fresh_lakehouse(spark, home, "runner_world")
    clock = fixed_clock
    make_source(lh, "things", THINGS, [("a", "a", 1, ts(1), False)])
    make_source(lh, "window_things", THINGS, [("a", "a", 1, ts(48), False)])
    make_source(lh, "joined_things", THINGS, [("a", "a", 1, ts(1), False), ("b", "b", 2, ts(5), False)])
    make_source(lh, "owners", OWNERS, [("a", "ann")])
    make_source(lh, "reonboard_things", THINGS, [("a", "a", 1, ts(5), False)])
    onboard(
        lh,
        raw_spec(table_name="windowed", source_table=bronze_source("window_things"), lookback="1 day"),
        raw_spec(
            table_name="joined", source_table=bronze_source("joined_things"), lookback=None,
            joins=[{"table": bronze_source("owners"), "alias": "o", "on": "o.owned = s.name", "how": "inner"}],
            columns=[*raw_spec()["columns"], {"name": "owner", "expr": "o.owner", "type": "STRING"}],
        ),
        raw_spec(table_name="broken", source_table=bronze_source("no_such_table")),
        raw_spec(table_name="child", depends_on=["broken"]),
        raw_spec(table_name="grandchild", depends_on=["child"]),
        raw_spec(table_name="unrelated"),
        raw_spec(table_name="off", enabled=False),
        raw_spec(table_name="preview", source_table=bronze_source("preview_things"), source_optional=True),
        raw_spec(table_name="preview_child", source_table=bronze_source("preview_things"), depends_on=["preview"]),
        raw_spec(table_name="colourful", columns=[
            {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
            {"name": "colour", "expr": "upper(colour)", "type": "STRING"},
        ]),
        raw_spec(table_name="reonboarded", source_table=bronze_source("reonboard_things")),
        raw_spec(table_name="dry"),
        raw_spec(table_name="fine"),
        raw_spec(table_name="raced"),
    )
    window, joined, failing, preview, reonboard = (SimpleNamespace() for _ in range(5))
    world = SimpleNamespace(lakehouse=lh, window=window, joined=joined, failing=failing, preview=preview, reonboard=reonboard)
    preview.source_optional = {t: control_row(lh, t).source_optional for t in PREVIEW}

    result = hydrate(lh, clock, tables=["dry"], dry_run=True)
    world.dry = SimpleNamespace(plans=result.plans, gold_exists=lh.exists(lh.params.gold("dry")), audit=audit(lh, "dry"))

    # -- run 1 ------------------------------------------------------------------------------------
    run = hydrate(lh, clock, tables=list(RUN_1))
    window.watermark_after_1 = control_row(lh, "windowed").watermark_value
    joined.audit_after_1, joined.gold_after_1 = audit(lh, "joined")[-1], gold(lh, "joined", ["id", "owner"])
    preview.run_1 = {r.table_name: (r.status, r.error_message) for r in run.rows if r.table_name in PREVIEW}
    preview.run_1_failed = run.failed

    add_rows(lh, "window_things", THINGS, [
        ("late", "x", 1, ts(30), False),  # 18 h behind the watermark: inside the 1-day lookback
        ("too_late", "y", 1, ts(10), False),  # 38 h behind: outside the lookback, not read
        ("new", "z", 1, ts(50), False),
    ])
    add_rows(lh, "owners", OWNERS, [("b", "bob")])
    make_source(lh, "preview_things", THINGS, [("a", "x", 1, ts(1), False)])
    onboard(lh, raw_spec(table_name="reonboarded", source_table=bronze_source("reonboard_things"),
                         columns=raw_spec()["columns"] + [{"name": "name_upper", "expr": "upper(name)", "type": "STRING"}]))
    row = control_row(lh, "reonboarded")
    reonboard.watermark_after_reonboarding, reonboard.columns_after_reonboarding = row.watermark_value, [c.name for c in row.columns]
    # the new column is added to the Gold table on the next run; rows re-read inside the
    # lookback get it filled, older rows keep NULL until a --full-refresh
    add_rows(lh, "reonboard_things", THINGS, [("b", "b", 2, ts(6), False), ("old", "o", 0, ts(-48), False)])
    lh.spark.sql(f"""
        INSERT INTO {lh.params.control("gold_table_control")} (table_name, domain, enabled, source_table, load_type, primary_keys, columns)
        VALUES ('typo', 'test', true, '${{catalog}}.${{bronze_schema}}.things', 'scd7', array('id'),
                array(named_struct('name', 'id', 'expr', 'id +', 'type', 'STRING', 'nullable', false, 'comment', null)))
    """)

    # -- run 2 ------------------------------------------------------------------------------------
    run = hydrate(lh, clock, tables=list(RUN_2))
    window.gold_after_2 = gold(lh, "windowed", ["id"])
    window.audit_after_2, window.watermark_after_2 = audit(lh, "windowed")[-1], control_row(lh, "windowed").watermark_value
    joined.audit_after_2, joined.gold_after_2 = audit(lh, "joined")[-1], gold(lh, "joined", ["id", "owner"])
    joined.watermark_after_2 = control_row(lh, "joined").watermark_value
    preview.run_2 = {r.table_name: (r.status, r.rows_inserted) for r in run.rows if r.table_name in PREVIEW}
    preview.gold_after_2 = gold(lh, "preview", ["id", "name", "amount"])
    reonboard.gold_after_2 = gold(lh, "reonboarded", ["id", "name_upper"])
    world.colourful = next(r for r in run.rows if r.table_name == "colourful")
    world.typo_run = {r.table_name: r for r in run.rows if r.table_name in ("fine", "typo")}

    # -- run 3 ------------------------------------------------------------------------------------
    run = hydrate(lh, clock, tables=list(RUN_3))  # joined: nothing at or after its watermark joins anew
    joined.watermark_after_3 = control_row(lh, "joined").watermark_value
    failing.run = {r.table_name: (r.status, r.error_message) for r in run.rows if r.table_name in FAILING}
    failing.run_failed = run.failed
    failing.audit_rows = {t: len(audit(lh, t)) for t in ("broken", "unrelated")}

    # -- another writer's row: after every run, so nothing runs `fresh` ----------------------------
    from framework.engine.control import control_store
    from framework.metadata.spec import TableSpec
    from framework.platform.control_store import StateUpdate

    store = control_store(lh)
    store.record_states([StateUpdate("raced", "SUCCEEDED", "run-x", clock(), "2026-01-01 05:00:00")])
    rows = [TableSpec.from_dict(raw_spec(table_name=name, description=f"{name}, onboarded again")).to_row() for name in ("raced", "fresh")]
    store.upsert_metadata(rows, now=clock(), user="other", new_only=True)
    world.control_rows = lh.spark.table(store.table).collect()
    return world


@RUNNER_WORLD
def test_window_starts_at_watermark_minus_lookback_and_watermark_follows_commit(runner_world):
    window = runner_world.window
    assert window.watermark_after_1 == "2026-01-03 00:00:00"
    # run 2 read late (inside the 1-day lookback) and new, not too_late (outside it)
    assert [r[0] for r in window.gold_after_2] == ["a", "late", "new"]
    row = window.audit_after_2
    assert (row.watermark_from, row.watermark_to) == ("2026-01-03 00:00:00", "2026-01-03 02:00:00")
    assert row.rows_read == 3  # a (at the watermark), late, new
    assert row.unused_source_columns == ["deleted"]  # reported, ignored
    assert window.watermark_after_2 == "2026-01-03 02:00:00"


@RUNNER_WORLD
def test_the_new_watermark_is_the_highest_of_the_rows_the_batch_was_built_from(runner_world):
    """Decision 98: the upper bound comes from the batch's own rows (one read, one snapshot). A row an
    inner join drops does not move the watermark past it, so it is read again once it can join."""
    joined = runner_world.joined
    row = joined.audit_after_1
    assert joined.gold_after_1 == [("a", "ann")]
    assert (row.rows_read, row.watermark_to) == (1, "2026-01-01 01:00:00")  # b (ts 5) did not join: not past it

    # before run 2: the owner of b arrives
    row = joined.audit_after_2
    assert joined.gold_after_2 == [("a", "ann"), ("b", "bob")]
    assert (row.watermark_from, row.watermark_to) == ("2026-01-01 01:00:00", "2026-01-01 05:00:00")
    assert joined.watermark_after_2 == "2026-01-01 05:00:00"

    # run 3: nothing at or after the watermark joins anew: the watermark stays
    assert joined.watermark_after_3 == "2026-01-01 05:00:00"


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


@RUNNER_WORLD
def test_failed_table_skips_its_dependents_but_not_unrelated_tables(runner_world):
    lakehouse, failing = runner_world.lakehouse, runner_world.failing
    status = failing.run
    assert status["broken"] == ("FAILED", f"broken: source table '{lakehouse.params.bronze('no_such_table')}' does not exist (source_table)")
    assert status["child"] == ("SKIPPED", "dependency failed: broken")
    assert status["grandchild"] == ("SKIPPED", "dependency failed: child")
    assert status["unrelated"] == ("SUCCEEDED", None)
    assert status["off"] == ("SKIPPED", "disabled in the control table")
    assert failing.run_failed  # run 3: broken is the only table in it that fails
    assert failing.audit_rows["broken"] == 1 and failing.audit_rows["unrelated"] == 1


@RUNNER_WORLD
def test_an_absent_optional_source_skips_its_table_and_dependents_and_a_present_one_runs(runner_world):
    lakehouse, preview = runner_world.lakehouse, runner_world.preview
    assert preview.source_optional["preview"] is True and preview.source_optional["preview_child"] is False
    assert preview.run_1 == {
        "preview": ("SKIPPED", f"source {lakehouse.params.bronze('preview_things')} does not exist (source_optional)"),
        "preview_child": ("SKIPPED", "dependency failed: preview"),
    }
    assert not preview.run_1_failed  # run 1: no table in it fails, the skipped ones included
    # before run 2: preview_things is created
    assert preview.run_2 == {"preview": ("SUCCEEDED", 1), "preview_child": ("SUCCEEDED", 1)}
    assert preview.gold_after_2 == [("a", "x", 1)]


@RUNNER_WORLD
def test_mapping_a_missing_source_column_names_column_and_source(runner_world):
    row = runner_world.colourful
    assert row.status == "FAILED"
    assert row.error_message.startswith(
        "colourful: columns[colour].expr 'upper(colour)' does not resolve against source '${catalog}.${bronze_schema}.things'"
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


@RUNNER_WORLD
def test_reonboarding_replaces_metadata_and_keeps_the_watermark(runner_world):
    reonboard = runner_world.reonboard
    # re-onboarded after run 1 with a new column, name_upper
    assert reonboard.watermark_after_reonboarding == "2026-01-01 05:00:00"
    assert reonboard.columns_after_reonboarding[-1] == "name_upper"
    # run 2 read b and, outside the lookback, not old; a (re-read at the watermark) got name_upper filled
    assert reonboard.gold_after_2 == [("a", "A"), ("b", "B")]


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


def test_a_tables_spark_jobs_carry_its_run_and_table_as_their_call_site(lakehouse, clock):
    """A table's jobs are named by the run and the table, the run's own jobs by the run (the Spark
    UI's job description, and Spark skips walking the JVM's stack for a call site, decision 149);
    the label is the thread's only while the run lasts."""
    make_source(lakehouse, "things", THINGS, [("a", "a", 1, ts(1), False)])
    onboard(lakehouse, raw_spec())
    store = lakehouse.spark._jsc.sc().statusStore()  # the live status store (kept without the UI)

    def job_names() -> dict[int, str]:  # job id -> name (its call site), for the jobs the store keeps
        jobs = store.jobsList(None)
        return {jobs.apply(i).jobId(): jobs.apply(i).name() for i in range(jobs.size())}

    before, label = max(job_names(), default=-1), lakehouse.spark.sparkContext.getLocalProperty("callSite.short")
    run_id = hydrate(lakehouse, clock).run_id
    names = [name for job, name in job_names().items() if job > before]
    assert {f"healthmon {run_id} dim_thing", f"healthmon {run_id}"} <= set(names)  # the table's jobs; the control read, the state
    assert not [n for n in names if "/framework/" in n]  # no pyspark collect put its own call site (file:line) instead
    assert lakehouse.spark.sparkContext.getLocalProperty("callSite.short") == label


@RUNNER_WORLD
def test_dry_run_prints_the_plan_and_writes_nothing(runner_world):
    dry = runner_world.dry  # a dry run of `dry`, the only run that ever takes it
    # the table does not exist: its first write inserts into the table the run creates (decision 160)
    assert dry.plans and dry.plans[0].startswith("-- dry\nINSERT INTO") and "MERGE" not in dry.plans[0]
    assert not dry.gold_exists
    assert dry.audit == []


@RUNNER_WORLD
def test_a_row_inserted_by_sql_is_validated_at_load_and_fails_only_its_own_table(runner_world):
    status = runner_world.typo_run  # typo: inserted into the control table by SQL before run 2
    assert status["fine"].status == "SUCCEEDED"
    assert status["typo"].status == "FAILED"
    assert "typo.load_type: must be one of" in status["typo"].error_message
    assert "typo.columns[id].expr: does not parse" in status["typo"].error_message


@RUNNER_WORLD
def test_an_onboarding_that_took_its_tables_for_new_still_replaces_a_row_another_writer_added(runner_world):
    """Onboarding only new tables writes by an insert-only MERGE; a row that another writer added
    in between (here: already there, as the caller did not know) gets the new metadata and keeps
    its state, by the full MERGE that follows: one row per table, as after any onboarding."""
    rows = runner_world.control_rows  # the whole control table after the write (the fixture's last step)
    found = {r.table_name: r for r in rows}
    assert sorted(r.table_name for r in rows) == sorted([*ONBOARDED, "typo", "fresh"])  # every other row kept, once
    assert {name: found[name].description for name in ("raced", "fresh")} == {"raced": "raced, onboarded again", "fresh": "fresh, onboarded again"}
    assert (found["raced"].watermark_value, found["raced"].last_run_id) == ("2026-01-01 05:00:00", "run-x")
    assert (found["fresh"].watermark_value, found["fresh"].updated_by) == (None, "other")

"""What issue 16 made cheaper per run, held by results (the seconds are benchmarks/hydration.py's):
the control snapshot kept per process and still never stale, and a MERGE whose source Delta does
not copy again."""

from __future__ import annotations

from framework.engine.control import read_control
from framework.engine.merge import Marker, _SessionConfs
from framework.platform.sqltext import quote_table
from tests.builders import raw_spec
from tests.harness import add_rows, audit, control_row, hydrate, make_source, onboard, ts

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"


def test_the_control_snapshot_is_kept_while_only_the_runs_own_state_changed_and_never_served_stale(lakehouse, clock):
    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False)])
    onboard(lakehouse, raw_spec())
    read_control(lakehouse)  # a process's first read takes no version, its second does
    kept = read_control(lakehouse)
    assert read_control(lakehouse) is kept  # nothing committed since: the same parsed snapshot

    hydrate(lakehouse, clock)  # the run's own state UPDATE: applied to the kept snapshot
    after_run = read_control(lakehouse)
    assert after_run.specs is kept.specs  # not parsed again
    assert after_run.states["dim_thing"].watermark_value == control_row(lakehouse, "dim_thing").watermark_value == "2026-01-01 01:00:00"
    assert after_run.states["dim_thing"].last_status == "SUCCEEDED"

    # a metadata change behind the framework's back (SQL, as a user would) is seen by the next read
    lakehouse.spark.sql(f"UPDATE {quote_table(lakehouse.params.control('gold_table_control'))} SET enabled = false WHERE table_name = 'dim_thing'")
    assert read_control(lakehouse).specs["dim_thing"].enabled is False
    add_rows(lakehouse, "things", THINGS, [("b", "b1", 2, ts(2), False)])
    assert [r.status for r in hydrate(lakehouse, clock).rows] == ["SKIPPED"]

    # and re-onboarding (the framework's own metadata write) as well
    onboard(lakehouse, raw_spec(description="re-onboarded"))
    snapshot = read_control(lakehouse)
    assert (snapshot.specs["dim_thing"].enabled, snapshot.specs["dim_thing"].description) == (True, "re-onboarded")
    assert snapshot.states["dim_thing"].watermark_value == "2026-01-01 01:00:00"  # state kept
    assert [r.status for r in hydrate(lakehouse, clock).rows] == ["SUCCEEDED"]
    assert [(r.status, r.rows_inserted) for r in audit(lakehouse, "dim_thing")] == [("SUCCEEDED", 1), ("SKIPPED", None), ("SUCCEEDED", 1)]


def test_the_merge_source_is_materialized_once_by_the_framework_not_again_by_delta(lakehouse, clock):
    """The framework's MERGE runs with Delta's source materialization off, on its own session only.

    (What it saves is measured, not timed here: benchmarks/hydration.py prints the MERGE commits'
    ``materializeSourceTimeMs``, hundreds of ms under Delta's ``auto`` for such a source, ~1 ms off.)
    """
    spark = lakehouse.spark
    seen = {}
    marker = Marker("r1", "t", "2026-01-01 00:00:00", "2026-01-02 00:00:00")
    with _SessionConfs(spark, marker, merge=True):
        seen = {key: spark.conf.get(key) for key in (_SessionConfs.USER_METADATA, _SessionConfs.MATERIALIZE_SOURCE)}
    assert seen == {_SessionConfs.USER_METADATA: marker.text(), _SessionConfs.MATERIALIZE_SOURCE: "none"}
    assert Marker.parse(seen[_SessionConfs.USER_METADATA], "t") == marker and Marker.parse(marker.text(), "u") is None
    assert spark.conf.get(_SessionConfs.MATERIALIZE_SOURCE, "auto") == "auto"  # the session's own setting is back
    with _SessionConfs(spark, marker):  # an overwrite is no MERGE: only the marker
        assert spark.conf.get(_SessionConfs.MATERIALIZE_SOURCE, "auto") == "auto"

    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False)])
    onboard(lakehouse, raw_spec())
    hydrate(lakehouse, clock)  # creates Gold: an insert-only MERGE
    add_rows(lakehouse, "things", THINGS, [("a", "a2", 3, ts(2), False), ("c", "c1", 4, ts(2), False)])
    hydrate(lakehouse, clock)  # the diff against Gold: a MERGE that updates and inserts, same rows as ever
    merges = spark.sql(f"DESCRIBE HISTORY {quote_table(lakehouse.params.gold('dim_thing'))}").where("operation = 'MERGE'").collect()
    metrics = [m["operationMetrics"] for m in sorted(merges, key=lambda m: m["version"])]
    assert [(m["numTargetRowsInserted"], m["numTargetRowsUpdated"]) for m in metrics] == [("2", "0"), ("1", "1")]


def test_a_column_expression_costs_one_round_trip_per_call(spark):
    """Local sessions run without pyspark's DataFrame debugging (decision 122): with it, each
    Column call also looked up the active session, read a conf, and set and cleared its Python
    call site in the JVM."""
    import py4j.java_gateway as gateway
    from pyspark.sql import functions as F

    F.col("a") == F.col("b")  # noqa: B015 - pyspark reads the setting once per process, at the first call
    calls = []
    original = gateway.JavaMember.__call__

    def counted(member, *args):
        calls.append(member.name)
        return original(member, *args)

    gateway.JavaMember.__call__ = counted
    try:
        F.col("a") == F.col("b")  # noqa: B015 - built for its round trips only
    finally:
        gateway.JavaMember.__call__ = original
    assert calls == ["col", "col", "equalTo"]

"""The generic job's fan-out, run locally the way Databricks runs it.

Pure tests hold the planning step (layers, task values, padding, depth limit). The Spark test
plays one job run: the plan notebook's task values, then each layer's tables as parallel tasks
(threads, each with its own Spark session like separate notebook runs), then the summary task —
and checks Gold, audit rows and control-table state against what each table's data implies.
"""

from __future__ import annotations

import json
import runpy
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from framework.engine.control import record_states
from framework.engine.fanout import EMPTY_SLOT, MAX_LAYERS
from framework.errors import FrameworkError
from framework.platform.commit_retry import CommitConflictError
from framework.platform.control_store import StateUpdate
from tests.builders import raw_spec
from tests.harness import T0, audit, control_row, gold, make_source, onboard, ts

ROOT = Path(__file__).resolve().parents[2]

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP"


def _task(lakehouse, entry, session, **kwargs):
    """One notebook task: its own Spark session (temp views, conf) over the shared catalog."""
    p = lakehouse.params
    location = dict(catalog=p.catalog, bronze_schema=p.bronze_schema, gold_schema=p.gold_schema, control_schema=p.control_schema, home=str(lakehouse.home))
    return entry(session, **location, **kwargs)

def run_notebook(lakehouse, name: str, capsys, monkeypatch) -> dict:
    """Run a notebook as a local script; the plan notebook prints its task values as JSON."""
    p = lakehouse.params
    argv = [name, "--home", str(lakehouse.home), "--bronze-schema", p.bronze_schema, "--gold-schema", p.gold_schema,
            "--control-schema", p.control_schema]
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(ROOT / "notebooks" / name), run_name="__main__")
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

JOB_RUN = "job-7"  # the job run every task of the play belongs to

def play_job_run(lakehouse, plan, hydrate, summarize) -> None:
    """One job run over five tables (one broken, two downstream of it), checked end to end.

    The tasks are callables: ``plan()`` returns the plan task's task values, ``hydrate(table)``
    runs one layer iteration and ``summarize(planned)`` the summary task, each in job run
    ``JOB_RUN`` and raising as the task would fail. Shared by the classic test here (entry points)
    and its Spark Connect twin in tests/spark/test_connect.py (the notebooks themselves).
    """
    make_source(lakehouse, "things", THINGS, [("a", "x", 1, ts(1)), ("b", "y", 2, ts(2))])
    onboard(
        lakehouse,
        raw_spec(table_name="base_ok"),
        raw_spec(table_name="base_broken", columns=[
            {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
            {"name": "missing", "expr": "no_such_column", "type": "STRING"},
        ]),
        raw_spec(table_name="after_ok", depends_on=["base_ok"]),
        raw_spec(table_name="after_broken", depends_on=["base_broken"]),
        raw_spec(table_name="last", depends_on=["after_broken"]),
    )
    values = plan()
    assert [values[f"layer_{k}"] for k in range(MAX_LAYERS)] == [
        ["base_broken", "base_ok"], ["after_broken", "after_ok"], ["last"], [EMPTY_SLOT]]

    failures = {}
    for k in range(MAX_LAYERS):  # layer_<k> starts when layer_<k-1> is done (run_if ALL_DONE)
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {t: pool.submit(hydrate, t) for t in values[f"layer_{k}"]}
        for t, future in futures.items():
            if future.exception() is not None:
                failures[t] = future.exception()
    assert sorted(failures) == ["base_broken"], {k: str(v)[:400] for k, v in failures.items()}  # only a failing table fails its task; none lost a commit race
    assert "base_broken FAILED" in str(failures["base_broken"]) and "no_such_column" in str(failures["base_broken"])

    with pytest.raises(FrameworkError) as caught:
        summarize(values["tables"])
    assert "1 table(s) failed: base_broken" in str(caught.value)

    expected = {"base_ok": "SUCCEEDED", "after_ok": "SUCCEEDED", "base_broken": "FAILED", "after_broken": "SKIPPED", "last": "SKIPPED"}
    for t, status in expected.items():
        rows = audit(lakehouse, t)
        assert [(r.status, r.job_run_id) for r in rows] == [(status, JOB_RUN)], t
        assert control_row(lakehouse, t).last_status == status, t
    assert audit(lakehouse, "last")[0].error_message == "dependency failed: base_broken"
    for t in ("base_ok", "after_ok"):
        assert gold(lakehouse, t, ["id", "name", "amount"]) == [("a", "x", 1), ("b", "y", 2)]
        assert control_row(lakehouse, t).watermark_value == "2026-01-01 02:00:00"
    assert control_row(lakehouse, "base_broken").watermark_value is None

def test_a_job_run_fans_out_per_layer_in_parallel_and_the_summary_fails_it(lakehouse, capsys, monkeypatch):
    from framework.surfaces.entry import hydrate_table_task, summarize_gold_hydration

    play_job_run(
        lakehouse,
        plan=lambda: run_notebook(lakehouse, "plan_gold_hydration.py", capsys, monkeypatch),  # the plan task, as a script
        hydrate=lambda t: _task(lakehouse, hydrate_table_task, lakehouse.spark.newSession(), table=t, job_run_id=JOB_RUN),
        summarize=lambda planned: _task(lakehouse, summarize_gold_hydration, lakehouse.spark.newSession(), job_run_id=JOB_RUN, planned=planned),
    )

def test_concurrent_state_merges_conflict_and_are_retried(lakehouse):
    """Two sessions MERGE their own rows into the control table at the same moment.

    As on Databricks (no local home, so no local write lock: Delta's conflict detection alone),
    without retries Delta refuses one of them (proved first, so the test can fail); with the retry
    every update lands. On a local lakehouse the write lock serializes them: no conflict at all.
    """
    onboard(lakehouse, raw_spec(table_name="left"), raw_spec(table_name="right"))

    def race(attempts: int, round_no: int, home=None) -> list[BaseException]:
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def write(table: str) -> None:
            lh = replace(lakehouse, spark=lakehouse.spark.newSession(), home=home)
            barrier.wait()
            try:
                record_states(lh, [StateUpdate(table, "SUCCEEDED", f"r{round_no}", T0, f"wm-{round_no}")], attempts=attempts)
            except Exception as exc:  # noqa: BLE001 - a thread cannot raise to the test: whatever it raised is collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(t,)) for t in ("left", "right")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    conflicts: list[BaseException] = []
    for n in range(6):  # usually the first round conflicts; stop at the first that does
        conflicts = race(1, n)
        if conflicts:
            break
    assert conflicts, "expected Delta to refuse at least one of two simultaneous MERGEs"
    assert all(isinstance(e, CommitConflictError) and "(Concurrent" in str(e) for e in conflicts), [f"{type(e).__name__}: {e}" for e in conflicts]

    for n in range(10, 12):
        assert race(6, n) == []
        assert {control_row(lakehouse, t).watermark_value for t in ("left", "right")} == {f"wm-{n}"}
    for n in range(20, 23):  # locally: one writer at a time, a single attempt each suffices
        assert race(1, n, home=lakehouse.home) == []
        assert {control_row(lakehouse, t).watermark_value for t in ("left", "right")} == {f"wm-{n}"}

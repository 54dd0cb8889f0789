"""Two runs of one table at once: a batch applied once, no state update lost, the loser told why.

Two runners over the same table, started together, in threads of one process (each on a session
of its own, as the fan-out's parallel tasks are) and in two real processes over one local
lakehouse (the test's own and one more). Whichever writes Gold second finds the first's commit
after the version it computed against and is refused (SKIPPED, a message naming the other run,
nothing written, no state of its own); the other's batch and state stand (framework/engine/merge.py, framework/platform/commit_lock.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import replace

from framework.engine import failpoints
from framework.engine.context import Context
from framework.engine.runner import run
from tests.builders import raw_spec
from tests.connect_fixture import ROOT, subprocess_env
from tests.harness import add_rows, audit, control_row, gold, hydrate, make_source, onboard, quarantine, ts

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"
CHECKS = [{"column": "amount", "check": "ge", "args": 0}]
REFUSED = "wrote nothing to it and leaves the table's state to that run"


def seeded(lakehouse, clock, table: str) -> None:
    """A table with one batch hydrated and a second batch waiting in the source."""
    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False)])
    onboard(lakehouse, raw_spec(table_name=table, delete_condition="deleted", checks=CHECKS))
    hydrate(lakehouse, clock)
    add_rows(lakehouse, "things", THINGS, [("a", "a2", 5, ts(2), False), ("b", None, None, ts(2), True),
                                           ("c", "c1", 3, ts(2), False), ("x", "bad", -1, ts(2), False)])


def check_converged(lakehouse, table: str, run_ids: list[str]) -> dict[str, object]:
    """Gold, quarantine and state as one run of the second batch leaves them; the two runs' audit rows."""
    assert gold(lakehouse, table, ["id", "name", "amount"]) == [("a", "a2", 5), ("c", "c1", 3)]
    quarantined = quarantine(lakehouse, table)
    assert [q.row_json for q in quarantined] == ['{"id":"x","name":"bad","amount":-1}']  # once
    state = control_row(lakehouse, table)
    assert state.watermark_value == "2026-01-01 02:00:00" and state.last_status == "SUCCEEDED"
    rows = {r.run_id: r for r in audit(lakehouse, table) if r.run_id in run_ids}
    assert sorted(rows) == sorted(run_ids) and {r.status for r in rows.values()} <= {"SUCCEEDED", "SKIPPED"}
    winners = [r for r in rows.values() if r.status == "SUCCEEDED"]
    assert state.last_run_id in {r.run_id for r in winners}  # the state is a winner's, never the refused run's
    for refused in (r for r in rows.values() if r.status == "SKIPPED"):
        assert REFUSED in refused.error_message and refused.target_version is None
    return rows


def test_two_runs_of_a_table_in_one_process_apply_the_batch_once_and_the_second_is_refused(lakehouse, clock, monkeypatch):
    seeded(lakehouse, clock, "t_threads")
    both_ready = threading.Barrier(2, timeout=120)
    reached = failpoints.reached

    def meet_before_gold(point, tables=()):  # both runs have their batch and are about to write Gold
        if point == "after_quarantine":
            both_ready.wait()
        reached(point, tables)

    monkeypatch.setattr(failpoints, "reached", meet_before_gold)
    results = {}

    def runner(run_id: str) -> None:
        lh = replace(lakehouse, spark=lakehouse.spark.newSession())
        results[run_id] = run(Context(lh, clock=clock, run_id_factory=lambda: run_id), tables=["t_threads"])

    threads = [threading.Thread(target=runner, args=(run_id,)) for run_id in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = check_converged(lakehouse, "t_threads", ["first", "second"])
    assert sorted(r.status for r in rows.values()) == ["SKIPPED", "SUCCEEDED"]  # both computed against one version
    loser = next(r for r in rows.values() if r.status == "SKIPPED")
    winner = next(r for r in rows.values() if r.status == "SUCCEEDED")
    assert f"run {winner.run_id} wrote" in loser.error_message


DRIVER = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
from framework.engine.context import Context
from framework.engine.runner import run
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.platform.session import local_spark
home, params, run_id, start = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
lh = Lakehouse(local_spark(home, app_name=run_id), RunParams(**params), home)
lh.bootstrap()  # the JVM is up: wait for the other process, then start together
start.touch(); (start.parent / run_id).touch()
while len(list(start.parent.glob("p*"))) < 2:
    time.sleep(0.05)
result = run(Context(lh, clock=lambda: datetime(2026, 2, 1, 12, tzinfo=UTC), run_id_factory=lambda: run_id), tables=["t_procs"])
print("RESULT " + json.dumps([[r.status, r.error_message] for r in result.rows]))
"""


def test_two_processes_running_one_table_at_once_converge_on_one_batch(lakehouse, clock, tmp_path):
    """This test's process and one more, each with its JVM, over one lakehouse folder: the other
    starts its run the moment this one starts its own (a JVM start spared against two new ones)."""
    seeded(lakehouse, clock, "t_procs")
    params = {"bronze_schema": lakehouse.params.bronze_schema, "gold_schema": lakehouse.params.gold_schema,
              "control_schema": lakehouse.params.control_schema}
    start = tmp_path / "start"
    other = subprocess.Popen([sys.executable, "-c", DRIVER, str(lakehouse.home), json.dumps(params), "p2", str(start)],
                             cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    while not (tmp_path / "p2").exists() and other.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # its JVM is up and bootstrapped: go together
    (tmp_path / "p1").touch()
    here = run(Context(lakehouse, clock=clock, run_id_factory=lambda: "p1"), tables=["t_procs"])
    out, err = other.communicate(timeout=600)
    assert other.returncode == 0, err[-3000:]
    assert "RESULT " in out, err[-3000:]
    assert [r.status for r in here.rows] in (["SUCCEEDED"], ["SKIPPED"])
    lakehouse.spark.catalog.refreshTable(lakehouse.params.gold("t_procs"))
    check_converged(lakehouse, "t_procs", ["p1", "p2"])

"""Spark Connect as Databricks serverless runs the framework: no JVM in the client process.

The tests hold client sessions of a Spark Connect service (``tests/connect_fixture.py``: pyspark's
service inside the worker's own JVM, or one ``healthmon serve`` process for the commands that find
a server) and play what a job does: the demo flow (Gold, audit, control rows and
dashboard datasets compared with the same flow on a classic session), classic load-type tests
rerun on a Connect lakehouse, the fan-out job run with the notebooks executed as Databricks
executes them (working directory ``notebooks/``, globals ``spark`` and ``dbutils``, parameters
from widgets), and ``healthmon`` commands reaching the server by ``--remote``, ``SPARK_REMOTE`` or
the server's ``<home>/server.json``. Over Spark Connect, touching ``sparkContext``, ``_jvm``,
``_jsparkSession`` or ``rdd`` raises by itself, and nothing on the way catches it unrecorded (a
table's failure is its audit row, compared here); the static test keeps such touches in
``framework/platform/local_jvm.py``, which Databricks never runs.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from framework.demo.bronze import append_batch
from framework.onboarding.onboard import load_file, onboard_files
from framework.platform.lakehouse import Lakehouse
from framework.platform.server_file import ServerInfo, serving_url
from framework.platform.server_file import write as write_server_file
from framework.platform.session import connect_address, is_connect
from framework.surfaces.cli import main
from tests import delta_rows
from tests.connect_fixture import ROOT, SERVE, subprocess_env
from tests.demo_world import CONTROL, PARALLEL, WORLD, gold_tables, onboarded_sources, onboarded_tables
from tests.harness import T0, audit, hydrate
from tests.spark import test_design_defects as design_defects
from tests.spark import test_load_types as load_types
from tests.spark import test_recovery as recovery_tests
from tests.spark import test_runner as runner_tests
from tests.spark.test_demo_flow import capture, check_gold_matches_bronze
from tests.spark.test_fanout import JOB_RUN, play_job_run

# The demo-flow comparison runs where the shared demo world is (WORLD); the commands that find a
# server share the one `healthmon serve` with tests/spark/test_serve.py (SERVE); the rest run anywhere,
# each worker with its own in-JVM Connect service.

NOTEBOOKS = ROOT / "notebooks"


# -- no JVM on the run path (static, no Spark) ------------------------------------------------

JVM_TOUCH = re.compile(r"\.(_jvm|_jsparkSession|_jsc|_jconf|_jdf|sparkContext|rdd)\b|\bpy4j\b|\bSparkContext\b")
LOCAL_JVM = ROOT / "framework" / "platform" / "local_jvm.py"
# Reads the text of an error that a classic session raised (py4j's Java exception and its causes);
# it imports nothing of py4j and is handed such an error only where one can exist.
ERROR_TEXT = ROOT / "framework" / "platform" / "errors_text.py"


def test_the_jvm_is_touched_only_in_local_jvm():
    for snippet in ("spark.sparkContext.setLogLevel('ERROR')", "spark._jvm.org.x", "thrift(spark._jsparkSession)",
                    "df.rdd.map(f)", "df._jdf", "from py4j.protocol import Py4JJavaError", "SparkContext.getOrCreate()"):
        assert JVM_TOUCH.search(snippet), snippet  # the pattern finds what it is for
    assert not JVM_TOUCH.search("from framework.platform import local_jvm; local_jvm.startup_conf(spark, key)")

    files = sorted((ROOT / "framework").rglob("*.py")) + sorted(NOTEBOOKS.glob("*.py"))
    offenders = {
        f"{path.relative_to(ROOT)}:{number}": line.strip()
        for path in files if path not in (LOCAL_JVM, ERROR_TEXT)
        for number, line in enumerate(path.read_text().splitlines(), 1) if JVM_TOUCH.search(line)
    }
    assert offenders == {}, "JVM access outside framework/platform/local_jvm.py (absent on Spark Connect / serverless)"
    assert JVM_TOUCH.search(LOCAL_JVM.read_text())


def test_connect_urls_and_a_stale_server_file(tmp_path):
    assert connect_address("sc://127.0.0.1:15010") == ("127.0.0.1", 15010)
    assert connect_address("sc://localhost/;user_id=x") == ("localhost", 15002)
    assert main(["status", "--home", str(tmp_path), "--remote", "http://127.0.0.1:15002"]) == 2
    # a server that is gone leaves a file that must not be used (the command would hang on it)
    write_server_file(tmp_path, ServerInfo(pid=2**22 + 12345, home=str(tmp_path), connect_url="sc://127.0.0.1:1", sql_url="hive://x"))
    assert serving_url(tmp_path) is None


def test_an_unreachable_remote_fails_fast_naming_it(tmp_path, capsys):
    assert main(["--remote", "sc://127.0.0.1:1", "status", "--home", str(tmp_path)]) == 2
    assert "no Spark Connect server answers at sc://127.0.0.1:1" in capsys.readouterr().err


# -- the demo flow over Spark Connect equals the classic one --------------------------------------

def _plain(value, lh: Lakehouse):
    """Schema names (unique per lakehouse) replaced by their role, in strings at any depth."""
    if isinstance(value, str):
        p = lh.params
        for schema, role in ((p.control_schema, "<control>"), (p.bronze_schema, "<bronze>"), (p.gold_schema, "<gold>")):
            value = value.replace(schema, role)
        return value
    if isinstance(value, list):
        return [_plain(v, lh) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, lh) for k, v in value.items()}
    return value


def _rows(lh: Lakehouse, table: str, leave_out: set[str]) -> list[dict]:
    rows = [{k: _plain(v, lh) for k, v in r.asDict(recursive=True).items() if k not in leave_out} for r in delta_rows.rows(lh, table)]
    return sorted(rows, key=repr)


# The Connect side hydrates six of the onboarded tables, as their onboarding files say (every load
# type but fact_insert and view, which OVER_CONNECT and the unit of the view cover: a join to another
# Gold table, an aggregate over sliced history, scd2's two tables, a snapshot); all 37 over Connect
# would double the suite's longest worker.
CONNECT_TABLES = ("dim_sku", "fact_list_prices", "fact_usage", "dim_job", "fact_job_run_timeline", "dim_workspace")


@pytest.fixture(scope="module")
def connect_files(tmp_path_factory) -> list[Path]:
    """The onboarding files of CONNECT_TABLES, each holding only those tables' entries, as written."""
    folder = tmp_path_factory.mktemp("connect_files")
    files = []
    for path in (CONTROL / "billing.yml", CONTROL / "lakeflow.yml", CONTROL / "shared.yml"):
        entries = [raw for raw in load_file(path) if raw["table_name"] in CONNECT_TABLES]
        files.append(folder / path.name)
        files[-1].write_text(yaml.safe_dump({"tables": entries}, sort_keys=False))
    assert sorted(onboarded_tables(files)) == sorted(CONNECT_TABLES)
    return files


def outcome(lh: Lakehouse, tables: list[str], datasets: dict | None = None) -> dict[str, list[dict]]:
    """Gold, audit, quarantine and control rows of ``tables``, and the per-table dashboard datasets'
    rows of them (``datasets``: already collected); run ids and timings left out (they differ by
    design), as is the age of the last success (it is "now")."""
    from framework.surfaces.report import collect
    from framework.surfaces.views import ensure_views

    p = lh.params

    def of_tables(rows: list[dict]) -> list[dict]:
        return [r for r in rows if r["table_name"] in tables]

    written = [t for t in gold_tables() if t in tables or t.removesuffix("_history") in tables]  # scd2: <name>_history too
    found = {t: _rows(lh, p.gold(t), {"_hm_run_id"}) for t in written}
    found["audit"] = of_tables(_rows(lh, p.control("gold_run_audit"), {"run_id", "started_at", "ended_at", "duration_seconds", "step_seconds"}))
    found["quarantine"] = of_tables(_rows(lh, p.control("gold_quarantine"), {"run_id"}))
    found["control"] = of_tables(_rows(lh, p.control("gold_table_control"), {"last_run_id"}))
    if datasets is None:
        ensure_views(lh)
        datasets = collect(lh)
    for name, result in datasets.items():
        if "table_name" not in result.columns:
            continue  # an account-wide figure would count every onboarded table (every dataset is per table today)
        rows = [{k: _plain(v, lh) for k, v in row.items() if k not in ("hours_since_success", "run_id")} for row in result.rows]
        # sorted: with the fixed clock every run starts at the same instant, so ORDER BY leaves ties
        found[f"dataset {name}"] = [{"columns": list(result.columns)}, *sorted(of_tables(rows), key=repr)]
    return found


def demo_flow(lh: Lakehouse, clock, files: list[Path]) -> dict[str, list[dict]]:
    """What tests/demo_world.py does, for the tables of ``files``: onboard them, a Bronze batch and a
    run, another batch and run, then a run with nothing new; Gold checked after each batch."""
    tables = onboarded_tables(files)
    append_batch(lh, 1, tables=onboarded_sources(files))
    onboard_files(lh, files, now=T0)
    first = hydrate(lh, clock, parallel=PARALLEL)
    assert {r.table_name: r.status for r in first.rows} == dict.fromkeys(tables, "SUCCEEDED"), [r.error_message for r in first.rows]
    check_gold_matches_bronze(*capture(lh))
    append_batch(lh, 2, tables=onboarded_sources(files))
    hydrate(lh, clock, parallel=PARALLEL)
    last = hydrate(lh, clock, parallel=PARALLEL)
    assert all(r.status == "SUCCEEDED" and r.target_version is None for r in last.rows), [(r.table_name, r.status, r.error_message) for r in last.rows]
    check_gold_matches_bronze(*capture(lh))
    return outcome(lh, tables)


@WORLD
def test_the_demo_flow_over_spark_connect_leaves_exactly_what_a_classic_session_leaves(connect_service, demo_world, clock, connect_files):
    tables = onboarded_tables(connect_files)
    classic = outcome(demo_world.lakehouse, tables, demo_world.datasets())  # the shared demo run
    with connect_service.mode():
        lh = connect_service.lakehouse()
        assert is_connect(lh.spark)
        remote = demo_flow(lh, clock, connect_files)  # Gold also checked against plain-Python expectations
    assert all(classic[t] for t in tables) and len(classic["audit"]) == 3 * len(tables)
    assert {"dataset freshness", "dataset run_trends"} <= set(classic)
    for part in classic:
        assert remote[part] == classic[part], part


# -- the classic tests of what the demo flow does not cover, on a Spark Connect lakehouse --------------

OVER_CONNECT = {  # module attributes, so pytest does not collect them here a second time
    "fact_insert": load_types.fact_insert_never_duplicates_nor_overwrites,
    "warn_check_quarantines": runner_tests.test_warn_check_quarantines_only_failing_rows_with_the_check_name,
    "error_check_fails": runner_tests.test_error_check_fails_the_table_without_writing_or_moving_the_watermark,
    "full_refresh": runner_tests.test_full_refresh_rebuilds_from_the_whole_source,
    "onboarding_errors": lambda lh, clock: runner_tests.test_onboarding_is_all_or_nothing_and_lists_every_error(lh),
    "truncated_type": lambda lh, clock: design_defects.test_a_truncated_type_is_refused_naming_table_and_column(lh),
    "narrowing_cast": design_defects.test_a_narrowing_cast_is_refused_naming_the_types_and_how_to_state_it,
    "key_violation": design_defects.test_differing_rows_of_one_key_are_quarantined_or_fail_the_run_as_the_table_says,
    "crash_recovery": recovery_tests.crash_after_the_gold_commit_then_rerun,  # exactly-once: the marker set over Connect
}


@pytest.mark.parametrize("name", list(OVER_CONNECT))
def test_classic_load_tests_hold_over_spark_connect(connect_service, clock, name):
    with connect_service.mode():
        lh = connect_service.lakehouse()
        assert is_connect(lh.spark)
        OVER_CONNECT[name](lh, clock)


# -- the fan-out job run: the notebooks, executed as Databricks executes them, on Connect sessions -----

def _sdk_local_dbutils_parts():
    """databricks-sdk's own local stand-ins: widgets that keep defaults, task values that go nowhere."""
    from databricks.sdk._widgets import widget_impl
    from databricks.sdk.dbutils import _JobsUtil

    return widget_impl, _JobsUtil._TaskValuesUtil


def job_dbutils(parameters: dict[str, str]):
    """``dbutils`` for one notebook task: ``widgets`` hold the task's parameters (a parameter the job
    passes wins over the widget's default, as on Databricks), ``jobs.taskValues`` keeps what is set."""
    widgets_base, task_values_base = _sdk_local_dbutils_parts()

    class TaskWidgets(widgets_base):
        def __init__(self):
            super().__init__()
            self.parameters = dict(parameters)

        def _get(self, name: str) -> str:
            return self.parameters[name] if name in self.parameters else super()._get(name)

    class TaskValues(task_values_base):
        def __init__(self):
            self.values: dict = {}

        def set(self, key: str, value) -> None:
            self.values[key] = json.loads(json.dumps(value))  # the job service stores JSON

    return SimpleNamespace(widgets=TaskWidgets(), jobs=SimpleNamespace(taskValues=TaskValues()))


def run_notebook_task(name: str, spark, parameters: dict[str, str]):
    """Execute ``notebooks/<name>`` with Databricks' globals (``spark``, ``dbutils``; no ``__file__``);
    the caller is in ``notebooks/``, as a notebook task's working directory is. Its ``dbutils`` returned."""
    dbutils = job_dbutils(parameters)
    path = NOTEBOOKS / name
    exec(compile(path.read_text(), str(path), "exec"), {"__name__": "__main__", "spark": spark, "dbutils": dbutils})
    return dbutils


def test_a_job_run_of_the_notebooks_on_spark_connect_sessions(connect_service, monkeypatch):
    """bootstrap.py, then the fan-out play of tests/spark/test_fanout.py with each task a notebook run on a
    Connect session of its own (layer tasks in parallel threads), then run_gold_hydration.py."""
    monkeypatch.chdir(NOTEBOOKS)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the notebooks put the bundle root on it
    with connect_service.mode():
        p = connect_service.params()
        location = {"catalog": p.catalog, "bronze_schema": p.bronze_schema, "gold_schema": p.gold_schema, "control_schema": p.control_schema}
        job = {**location, "domain": "test", "job_run_id": JOB_RUN}  # the play's tables, not the onboarding files' ones

        run_notebook_task("bootstrap.py", connect_service.session(), location)
        lh = Lakehouse(connect_service.session(), p, None)  # managed tables, as in Unity Catalog
        assert sorted(r.table_name for r in lh.spark.table(p.control("gold_table_control")).collect()) == onboarded_tables()

        def plan() -> dict:
            return run_notebook_task("plan_gold_hydration.py", connect_service.session(), job).jobs.taskValues.values

        play_job_run(
            lh,
            plan=plan,
            hydrate=lambda t: run_notebook_task("hydrate_table.py", connect_service.session(), {**job, "table": t}),
            summarize=lambda planned: run_notebook_task("summarize_gold_hydration.py", connect_service.session(), {**job, "planned": planned}),
        )

        # the one-task runner over the two good tables: nothing new, nothing written
        run_notebook_task("run_gold_hydration.py", connect_service.session(), {**location, "tables": "base_ok,after_ok", "job_run_id": "job-8"})
        again = {t: [(r.status, r.rows_read, r.target_version) for r in audit(lh, t) if r.job_run_id == "job-8"] for t in ("base_ok", "after_ok")}
        assert again == {"base_ok": [("SUCCEEDED", 0, None)], "after_ok": [("SUCCEEDED", 0, None)]}


# -- healthmon commands as Spark Connect clients ---------------------------------------------------

def healthmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A `healthmon` process that cannot start a JVM of its own (no Delta jars where it looks)."""
    no_local_spark = {**subprocess_env(), "HEALTHMON_JARS": "/nonexistent", **(env or {})}
    return subprocess.run([sys.executable, "-m", "framework", *args], cwd=ROOT, env=no_local_spark, capture_output=True, text=True, timeout=300)


@SERVE
def test_commands_reach_the_server_by_remote_spark_remote_and_server_file(connect_server):
    home = str(connect_server.home)
    query = "SELECT 1 AS n, current_database() AS db"
    by_option = healthmon("sql", query, "--format", "json", "--home", home, "--remote", connect_server.url)
    assert by_option.returncode == 0, by_option.stderr[-3000:]
    assert json.loads(by_option.stdout) == [{"n": 1, "db": "default"}]

    by_env = healthmon("--home", home, "sql", query, "--format", "json", env={"SPARK_REMOTE": connect_server.url})
    assert by_env.returncode == 0, by_env.stderr[-3000:]
    assert json.loads(by_env.stdout) == [{"n": 1, "db": "default"}]

    assert serving_url(home) == connect_server.url  # serve wrote <home>/server.json
    by_file = healthmon("status", "--home", home)
    assert by_file.returncode == 0, by_file.stderr[-3000:]
    assert f"using the Spark Connect server at {connect_server.url}" in by_file.stderr
    assert by_file.stdout.splitlines()[0].split()[:2] == ["table_name", "domain"]

    local = healthmon("status", "--home", str(Path(home) / "elsewhere"))  # no server there: a local session, impossible here
    assert local.returncode == 2 and "not found; looked in" in local.stderr and "Delta Lake jars" in local.stderr


@SERVE
def test_the_server_file_names_both_endpoints(connect_server):
    info = json.loads((connect_server.home / "server.json").read_text())
    assert info["connect_url"] == connect_server.url and info["sql_url"] == connect_server.sql_url
    assert info["home"] == str(connect_server.home.resolve()) and info["pid"] == connect_server.process.pid
    assert os.path.isdir(info["home"])

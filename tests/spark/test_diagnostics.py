"""A failed table's audit row keeps the root cause, and its traceback is in the run's log file.

Real errors only: Java exceptions raised in the test session's JVM (through py4j, a Delta MERGE,
a Spark job reading a file that is gone, an ANSI cast), read back from the audit table and from
``<home>/logs/run-<run_id>.log``. Expected texts are the ones Java and Spark produce for inputs the
test chose (the deleted file's path, the malformed value), not copied from our own output.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from framework.engine import fingerprint
from framework.engine.context import Context
from framework.engine.runner import run
from framework.errors import FrameworkError, UnsafeSqlError
from framework.platform import logs
from framework.platform.errors_text import CAUSED_BY, LIMIT, describe, jvm_stacktrace
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from tests.builders import raw_spec
from tests.harness import add_rows, audit, make_source, onboard, ts
from tests.unit.test_diagnostics_text import records_of  # helpers both layers use, defined once

ROOT = Path(__file__).resolve().parents[2]

# its module-scoped fixture is built once: the module's tests on one worker (xdist would build it on each)
pytestmark = pytest.mark.xdist_group("diagnostics")
THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"

_schemas = itertools.count(1)

def _lakehouse(spark, home) -> Lakehouse:
    n = f"diag{next(_schemas)}_{uuid.uuid4().hex[:6]}"
    lh = Lakehouse(spark, RunParams("spark_catalog", f"bronze_{n}", f"gold_{n}", f"control_{n}"), home)
    lh.bootstrap()
    return lh

def _raise_in_jvm(spark, text: str):
    """Calls ``Integer.parseInt(text)`` through Java reflection: the JVM throws an
    InvocationTargetException (no message of its own) caused by a NumberFormatException."""
    jvm, gateway = spark._jvm, spark.sparkContext._gateway
    types = gateway.new_array(jvm.java.lang.Class, 1)
    types[0] = jvm.java.lang.Class.forName("java.lang.String")
    args = gateway.new_array(jvm.java.lang.Object, 1)
    args[0] = text
    jvm.java.lang.Class.forName("java.lang.Integer").getMethod("parseInt", types).invoke(None, args)

def test_a_py4j_error_is_described_by_its_java_chain_down_to_the_root(spark):
    from py4j.protocol import Py4JJavaError

    with pytest.raises(Py4JJavaError) as info:
        _raise_in_jvm(spark, "12x")
    assert str(info.value).startswith("An error occurred while calling")  # what the old audit row kept
    assert describe(info.value) == (
        "java.lang.reflect.InvocationTargetException"
        '\nCaused by: java.lang.NumberFormatException: For input string: "12x"'
    )

def test_a_python_error_raised_from_a_java_one_keeps_both(spark):
    from py4j.protocol import Py4JJavaError

    with pytest.raises(RuntimeError) as info:
        try:
            _raise_in_jvm(spark, "7y")
        except Py4JJavaError as exc:
            raise RuntimeError("loading the batch failed") from exc
    assert describe(info.value) == (
        "RuntimeError: loading the batch failed"
        "\nCaused by: java.lang.reflect.InvocationTargetException"
        '\nCaused by: java.lang.NumberFormatException: For input string: "7y"'
    )

def test_a_long_chain_is_bounded_and_keeps_the_root(spark):
    from py4j.protocol import Py4JJavaError

    digits = "9" * 5000  # the root's message quotes it whole: far over the limit
    with pytest.raises(RuntimeError) as info:
        try:
            _raise_in_jvm(spark, digits)
        except Py4JJavaError as exc:
            raise RuntimeError("w" * 3000) from exc
    text = describe(info.value)
    assert len(text) <= LIMIT
    assert text.startswith("RuntimeError: www")
    root = text.rsplit(CAUSED_BY, 1)[1]
    assert root.startswith('java.lang.NumberFormatException: For input string: "999') and root.endswith('999"')
    assert "java.lang.reflect.InvocationTargetException" in text

def test_the_hidden_jvm_stacktrace_of_a_converted_error(spark):
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    with pytest.raises(PySparkException) as converted:
        spark.sql("SELECT CAST('nope' AS INT)").collect()
    trace = jvm_stacktrace(converted.value)
    assert trace.startswith("org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT]")
    assert "\tat org.apache.spark.sql." in trace
    with pytest.raises(Py4JJavaError) as raw:
        _raise_in_jvm(spark, "z")
    assert jvm_stacktrace(raw.value) is None  # its own text already holds the trace

@pytest.fixture(scope="module")
def failed_run(spark, home):
    """One run of two tables: Bronze data files deleted (an unconverted Java error), and a malformed
    value under an ANSI cast (a converted one)."""
    lh = _lakehouse(spark, home)
    for name in ("lost", "casts"):
        make_source(lh, name, THINGS, [("a", "x", 1, ts(1), False)])
    files = sorted(lh.location(lh.params.bronze("lost")).glob("*.parquet"))
    assert files, "the Bronze table has data files to delete"
    for path in files:
        path.unlink()
    deleted = [str(p) for p in files]
    bad_cast = [{"name": "id", "expr": "id", "type": "STRING", "nullable": False}, {"name": "amount", "expr": "CAST(name AS BIGINT)", "type": "BIGINT"}]
    onboard(lh,
            raw_spec(table_name="lost", source_table="${catalog}.${bronze_schema}.lost"),
            raw_spec(table_name="casts", source_table="${catalog}.${bronze_schema}.casts", columns=bad_cast))
    run_id = f"diag-{uuid.uuid4().hex}"
    result = run(Context(lh, clock=lambda: datetime(2026, 2, 1, 12, tzinfo=UTC), run_id_factory=lambda: run_id))
    log_file = home / "logs" / f"run-{run_id}.log"
    return SimpleNamespace(lh=lh, result=result, run_id=run_id, deleted=deleted, log_file=log_file,
                           audit={t: audit(lh, t)[-1] for t in ("lost", "casts")})

def test_an_unconverted_java_error_is_audited_with_its_root_cause(failed_run):
    row = failed_run.audit["lost"]
    assert row.status == "FAILED"
    message = row.error_message
    assert message.startswith("lost: org.apache.spark.SparkException: [FAILED_READ_FILE.FILE_NOT_EXIST]")
    assert any(f"\nCaused by: java.io.FileNotFoundException: File file:{path} does not exist" in message for path in failed_run.deleted)
    assert "An error occurred while calling" not in message
    assert message.endswith(f"\n(traceback: {failed_run.log_file})")

def test_a_converted_spark_error_is_audited_with_its_error_class_and_every_line(failed_run):
    row = failed_run.audit["casts"]
    assert row.status == "FAILED"
    assert row.error_message.startswith(
        "casts: org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT] The value 'x' of the type \"STRING\" cannot be cast to \"BIGINT\""
    )
    # the lines after the first (where in the pipeline it failed), which a first-line-only message lost
    assert '\n== DataFrame ==\n"cast" was called from\n' in row.error_message

def test_the_run_log_holds_each_failure_with_its_traceback(failed_run):
    assert failed_run.log_file.is_file()
    text = failed_run.log_file.read_text()
    # one record per failed table, each with Python's traceback and the JVM's
    records = {r.split(" ", 1)[0]: r for r in text.split("ERROR framework.engine.runner: ")[1:]}
    assert sorted(records) == ["casts", "lost"]
    lost, casts = records["lost"], records["casts"]
    assert lost.startswith(f"lost FAILED in run {failed_run.run_id} (traceback: {failed_run.log_file})")
    assert "Traceback (most recent call last):" in lost and "py4j.protocol.Py4JJavaError" in lost
    assert "Caused by: java.io.FileNotFoundException" in lost and "\tat org.apache.spark" in lost
    assert casts.startswith(f"casts FAILED in run {failed_run.run_id}")
    assert "Traceback (most recent call last):" in casts
    assert "JVM stacktrace of NumberFormatException:\norg.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT]" in casts

def test_without_a_home_the_traceback_goes_to_stderr_and_the_audit_row_says_so(spark, framework_logger, monkeypatch):
    """Databricks: no lakehouse folder, the entry points' stderr handler is the driver log."""
    from framework.surfaces.entry import run_gold_hydration

    stderr = io.StringIO()
    monkeypatch.setattr("sys.stderr", stderr)
    n = uuid.uuid4().hex[:6]
    params = dict(catalog="spark_catalog", bronze_schema=f"bronze_nh{n}", gold_schema=f"gold_nh{n}", control_schema=f"control_nh{n}")
    lh = Lakehouse(spark, RunParams(**params), None)
    lh.bootstrap()
    make_source(lh, "things", THINGS, [("a", "x", 1, ts(1), False)])
    onboard(lh, raw_spec(columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                                  {"name": "amount", "expr": "CAST(name AS INT)", "type": "INT"}]))
    with pytest.raises(FrameworkError) as info:
        run_gold_hydration(spark, **params)
    assert "[CAST_INVALID_INPUT] The value 'x'" in str(info.value)
    row = spark.table(f"spark_catalog.control_nh{n}.gold_run_audit").first()
    assert row.error_message.endswith("\n(traceback: the driver log (stderr))")
    err = stderr.getvalue()
    assert "ERROR framework.engine.runner: dim_thing FAILED in run" in err
    assert "Traceback (most recent call last):" in err and "\tat org.apache.spark" in err

CONNECT_CLIENT = r"""
import json, sys
from pyspark.sql import SparkSession
from framework.engine.fingerprint import delta_version
from framework.platform.errors_text import describe
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams

url, table = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.remote(url).getOrCreate()
out = {}
for case, query in [("missing_file", f"SELECT * FROM {table}"), ("cast", "SELECT CAST('zz' AS INT)")]:
    try:
        spark.sql(query).collect()
        out[case] = None
    except Exception as exc:  # noqa: BLE001 - whatever it is, the parent test asserts on it
        out[case] = {"type": f"{type(exc).__module__}.{type(exc).__name__}", "describe": describe(exc)}
lakehouse = Lakehouse(spark, RunParams())  # no home: the history is the server's DESCRIBE HISTORY
out["version"] = delta_version(lakehouse, table)
out["version_of_missing"] = delta_version(lakehouse, table + "_nowhere")
from pyspark import SparkContext
out["jvm_started"] = SparkContext._jvm is not None
print(json.dumps(out))
"""


def test_spark_connect_errors_keep_their_class_and_root_cause(lakehouse, connect_service):
    """A client process with no JVM: the Connect errors carry the server's message, error class
    and (in the server's trace) the cause chain."""
    name = make_source(lakehouse, "gone", THINGS)  # created empty, then one append: version 1
    add_rows(lakehouse, "gone", THINGS, [("a", "x", 1, ts(1), False)])
    files = sorted(lakehouse.location(name).glob("*.parquet"))
    for path in files:
        path.unlink()
    done = subprocess.run([sys.executable, "-c", CONNECT_CLIENT, connect_service.url, name], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["jvm_started"] is False
    missing = out["missing_file"]
    assert missing["type"] == "pyspark.errors.exceptions.connect.SparkException"
    assert missing["describe"].startswith("SparkException: [FAILED_READ_FILE.FILE_NOT_EXIST] Encountered error while reading file file:")
    assert any(f"\nCaused by: java.io.FileNotFoundException: File file:{p} does not exist" in missing["describe"] for p in files)
    cast = out["cast"]
    assert cast["type"] == "pyspark.errors.exceptions.connect.NumberFormatException"
    assert cast["describe"].startswith("NumberFormatException: [CAST_INVALID_INPUT] The value 'zz' of the type \"STRING\" cannot be cast to \"INT\"")
    assert "JVM stacktrace" not in missing["describe"] + cast["describe"]
    # the narrowed except in fingerprint catches Connect's AnalysisException too
    assert out["version"] == 1 and out["version_of_missing"] is None  # CREATE TABLE, then one append


def test_delta_version_is_none_for_missing_view_and_non_delta_and_says_why(lakehouse):
    spark, schema = lakehouse.spark, lakehouse.params.bronze_schema
    spark.sql(f"CREATE TABLE {schema}.pq (id STRING) USING parquet")
    spark.sql(f"CREATE VIEW {schema}.v AS SELECT 1 AS id")
    with records_of("framework.engine.fingerprint", logging.DEBUG) as found:
        versions = {t: fingerprint.delta_version(lakehouse, f"{schema}.{t}") for t in ("nowhere", "pq", "v")}
    assert versions == {"nowhere": None, "pq": None, "v": None}
    reasons = [r.getMessage() for r in found]
    assert len(reasons) == 3
    assert f"no Delta version for {schema}.nowhere" in reasons[0] and "TABLE_OR_VIEW_NOT_FOUND" in reasons[0]
    assert "DELTA_ONLY_OPERATION" in reasons[1] and "EXPECT_TABLE_NOT_VIEW" in reasons[2]

def test_delta_version_lets_other_errors_through(lakehouse):
    with pytest.raises(UnsafeSqlError):  # was swallowed by the old catch-all
        fingerprint.delta_version(lakehouse, "bronze.x; DROP TABLE y")


def test_the_cli_sets_up_logging_before_its_command(framework_logger, monkeypatch, capsys):
    from framework.surfaces.cli import main

    monkeypatch.setenv(logs.LEVEL_ENV, "LOUD")  # fails in configure, before any Spark work
    assert main(["status", "--home", "/nonexistent/never-created"]) == 2
    assert "error: HEALTHMON_LOG_LEVEL='LOUD': not a logging level" in capsys.readouterr().err

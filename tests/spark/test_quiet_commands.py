"""A command's stderr holds the command's messages, not Spark's start-up notices; ``--verbose``
brings Spark's own logging back.

Each Spark test runs a real ``healthmon`` process (its own JVM, tens of seconds), because the
notices are printed while the JVM starts, before any test code could look.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from framework.platform import class_archive
from framework.platform.jars import delta_jars
from framework.platform.session import QUICK_JIT_OPTIONS
from tests.connect_fixture import SERVE, subprocess_env

HEALTHMON = Path(sys.executable).with_name("healthmon")  # the console script of `make setup`'s venv

# What a local Spark 4.0 JVM printed before every command's output, before the framework's log4j2 file.
NOTICES = {
    "loopback": "resolves to a loopback address",
    "native hadoop": "Unable to load native-hadoop library",
    "default profile": "Using Spark's default log4j profile",
    "shell log level": "Setting default log level",
}

# Printed by the JVM itself (not log4j) for the --add-modules=jdk.incubator.vector that Spark's
# launcher always passes; no JVM option silences it.
JDK_INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector"

SPARK_LOG_LINE = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (TRACE|DEBUG|INFO|WARN|ERROR) \w+: ", re.MULTILINE)

def healthmon(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([str(HEALTHMON), *args], env={**subprocess_env(), **(env or {})}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"healthmon {' '.join(args)} exited {result.returncode}:\n{result.stderr[-4000:]}"
    return result

def notices_in(stderr: str) -> dict[str, str]:
    return {name: text for name, text in NOTICES.items() if text in stderr}

def test_a_command_prints_only_its_output_and_none_of_sparks_start_up_notices(tmp_path):
    """The console script, its home from ``HEALTHMON_HOME``: stdout is exactly the JSON result (a
    script can parse it whole), stderr holds none of Spark's start-up notices."""
    result = healthmon("sql", "SELECT 1 AS n, DATE'2026-01-02' AS d, named_struct('a', 1) AS s", "--format", "json",
                       env={"HEALTHMON_HOME": str(tmp_path / "home")})
    assert json.loads(result.stdout) == [{"n": 1, "d": "2026-01-02", "s": {"a": 1}}]
    assert (tmp_path / "home").is_dir()  # the home the environment named
    assert notices_in(result.stderr) == {}
    assert [line for line in result.stderr.splitlines() if line != JDK_INCUBATOR] == [], result.stderr

def test_verbose_keeps_sparks_own_logging_and_a_commands_jvm_compiles_quickly(tmp_path):
    """One process for three things a command's JVM is started with: its logging (``--verbose``),
    its JIT options (decision 121) and the class archive when there is one, which the statement
    reads back from the driver's conf."""
    result = healthmon("sql", "SET spark.driver.extraJavaOptions", "--home", str(tmp_path / "lh"), "--verbose")
    header, row = result.stdout.splitlines()
    assert header == "key,value" and row.startswith("spark.driver.extraJavaOptions,")
    options = set(row.split(",", 1)[1].split())
    assert set(QUICK_JIT_OPTIONS.split()) <= options, row  # not from SPARK_SUBMIT_OPTS: that is not this conf
    # built by `make setup`, or by this test run before the process started (subprocess_env waits for it)
    archive = class_archive.archive_path(delta_jars())
    if archive.is_file():
        assert f"-XX:SharedArchiveFile={archive}" in options, row
    assert {"default profile", "shell log level"} <= set(notices_in(result.stderr)), result.stderr
    assert SPARK_LOG_LINE.search(result.stderr), result.stderr  # e.g. "... WARN NativeCodeLoader: ..."

@SERVE  # the session's one server (tests/connect_fixture.py), which test_serve.py's SIGTERM test stops after every other test
def test_serve_and_its_clients_print_no_start_up_notices(connect_server):
    assert notices_in(connect_server.stderr.read_text()) == {}
    result = healthmon("sql", "SELECT 1", "--home", str(connect_server.home), "--remote", connect_server.url)
    assert result.stdout.splitlines() == ["1", "1"]
    assert result.stderr == ""

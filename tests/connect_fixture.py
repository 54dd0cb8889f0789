"""Spark Connect for the tests: a service inside the worker's own JVM, and one ``healthmon serve``.

``connect_service`` is the Spark Connect service started inside the test worker's classic session
(no second JVM, nothing to start but a gRPC port; its JIT is already warm): the demo-flow
comparison, the load-type tests and the notebook job run hold client sessions of it, as
Databricks serverless hands them to a job. Its Connect sessions are sessions of their own (own
temp views and conf) over the worker's catalog; the tests give them schemas no other test uses.

``connect_server`` is ``healthmon serve`` in a process of its own (a JVM with Delta and pyspark's
Spark Connect plugin), over a home folder of its own; the fixture reads the URLs it prints. One
serves the whole run: the tests of ``healthmon serve`` itself (tests/spark/test_serve.py) and the
commands that reach a server by ``--remote``, ``SPARK_REMOTE`` or its ``server.json``
(tests/spark/test_connect.py) share it, in the xdist group ``serve``, so it is started once (a cold
JVM: 30-130 s on 2 cores shared with the test workers).

pyspark decides per *process* whether ``functions`` and ``Column`` build classic or Spark Connect
expressions (the ``SPARK_CONNECT_MODE_ENABLED`` environment variable, which its Connect builder
sets). A test worker also holds the classic ``spark`` fixture's session, so every Spark Connect
part of a test runs inside :meth:`ConnectServer.mode` and nothing else does; the mode is left
as found, so the classic tests that run on the same worker afterwards are not affected.

Loaded by ``tests/conftest.py`` (``pytest_plugins``); the tests are in ``tests/spark/test_connect.py``.
"""

from __future__ import annotations

import itertools
import os
import select
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from framework.platform.params import RunParams
from tests import class_archive_build
from tests.conftest import TEST_CONF

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300  # seconds; a JVM start took 60-130 s here with other test JVMs on the same 2 cores
MODE = "SPARK_CONNECT_MODE_ENABLED"
_ids = itertools.count(1)


def subprocess_env() -> dict[str, str]:
    """The environment of a ``healthmon`` process a test starts: the test session's speed settings
    (TEST_CONF) through pyspark's own PYSPARK_SUBMIT_ARGS, no SPARK_REMOTE inherited from the caller.

    Asked for just before such a process starts, so it waits while the run's class archive is being
    built (tests/class_archive_build.py): the process's JVM maps it, as a `healthmon` command's does
    after `make setup`."""
    class_archive_build.wait()
    conf = " ".join(f"--conf {k}={v}" for k, v in TEST_CONF.items() if k != "spark.master")
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", MODE)}
    return {**env, "HEALTHMON_SPARK_MASTER": TEST_CONF["spark.master"], "PYSPARK_SUBMIT_ARGS": f"{conf} pyspark-shell"}


SERVE = pytest.mark.xdist_group("serve")  # the tests of the one `healthmon serve` process: one worker


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class ConnectServer:
    """A Spark Connect service: its URL, the home its lakehouses keep tables in, the sessions
    opened on it; for a ``healthmon serve`` also its process, its SQL endpoint and its port."""

    home: Path
    url: str = ""
    process: subprocess.Popen | None = None
    stderr: Path | None = None
    sql_url: str = ""
    port: int = 0
    sessions: list = field(default_factory=list)

    def log(self) -> str:
        return self.stderr.read_text()[-4000:] if self.stderr is not None and self.stderr.exists() else "(no stderr)"

    @contextmanager
    def mode(self):
        """pyspark in Spark Connect mode for the block (restored after, whatever it was)."""
        before = os.environ.get(MODE)
        os.environ[MODE] = "1"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(MODE, None)
            else:
                os.environ[MODE] = before

    def session(self):
        """A new Spark Connect session (its own temp views and conf, the server's catalog).

        pyspark's ``SparkSession.builder.remote(url)`` refuses to run beside the classic session of
        this process; the Connect builder itself does not. Call inside :meth:`mode`.
        """
        from pyspark.sql.connect.session import SparkSession as ConnectSession

        assert os.environ.get(MODE) == "1", "open Spark Connect sessions inside ConnectServer.mode()"
        session = ConnectSession.builder.remote(self.url).create()
        self.sessions.append(session)
        return session

    def params(self) -> RunParams:
        uid = next(_ids)
        return RunParams("spark_catalog", f"bronze_c{uid}", f"gold_c{uid}", f"control_c{uid}")

    def lakehouse(self, session=None, *, home: bool = True):
        """A bootstrapped lakehouse with schemas no other test uses; tables under the server's
        home (``home=False``: managed, as on Databricks)."""
        from framework.platform.lakehouse import Lakehouse

        lh = Lakehouse(session or self.session(), self.params(), self.home if home else None)
        lh.bootstrap()
        return lh


def _first_line(server: ConnectServer, deadline: float) -> str:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"serve exited with {server.process.returncode} before printing its URLs:\n{server.log()}")
        ready, _, _ = select.select([server.process.stdout], [], [], 1.0)
        if ready:
            return server.process.stdout.readline().strip()
    pytest.fail(f"serve printed no URLs within {START_TIMEOUT}s:\n{server.log()}")


def _stop(server: ConnectServer) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a hung stop: the whole process group goes
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=30)
    server.process.stdout.close()


def _close_sessions(server: ConnectServer) -> None:
    with server.mode():
        for session in server.sessions:
            session.stop()


@pytest.fixture(scope="session")
def connect_service(spark, tmp_path_factory):
    """Spark Connect inside the worker's JVM, on a free port (pyspark's own service, as ``serve``
    runs it); its lakehouses keep their tables under a home of their own."""
    port = free_port()
    conf = spark.sparkContext._jsc.sc().conf()
    conf.set("spark.connect.grpc.binding.address", "127.0.0.1")
    conf.set("spark.connect.grpc.binding.port", str(port))
    service = getattr(spark._jvm, "org.apache.spark.sql.connect.service.SparkConnectService")
    service.start(spark.sparkContext._jsc.sc())
    server = ConnectServer(tmp_path_factory.mktemp("connect_home"), f"sc://127.0.0.1:{port}")
    try:
        yield server
    finally:
        _close_sessions(server)
        service.stop(getattr(service, "stop$default$1")(), getattr(service, "stop$default$2")())


@pytest.fixture(scope="session")
def connect_server(tmp_path_factory):
    """``healthmon serve --port <a free port> --connect-port 0``, started the first time a test of
    the ``serve`` group asks; stopped (SIGTERM) at the end unless a test stopped it."""
    home = tmp_path_factory.mktemp("serve_home")
    stderr = home / "serve.stderr"
    port = free_port()
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "framework", "serve", "--home", str(home), "--port", str(port), "--connect-port", "0"],
            cwd=ROOT, env=subprocess_env(), stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
        )
    server = ConnectServer(home, process=process, stderr=stderr, port=port)
    try:
        server.sql_url = _first_line(server, time.monotonic() + START_TIMEOUT)
        server.url = process.stdout.readline().strip()  # printed right after the first (already buffered, often)
        assert server.url.startswith("sc://127.0.0.1:"), f"second line of serve's output: {server.url!r}\n{server.log()}"
        yield server
    finally:
        _close_sessions(server)
        _stop(server)

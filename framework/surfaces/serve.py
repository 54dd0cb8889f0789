"""`healthmon serve`: the local lakehouse served over SQL (Thrift) and over Spark Connect.

Spark's own Thrift JDBC/ODBC server (HiveServer2 protocol, shipped in pyspark's jars) is started
*on the session that has every table registered*: the lakehouse has no shared metastore, so a
stand-alone Thrift server would see no tables. The same JVM runs the Spark Connect service
(pyspark's ``spark-connect`` jar, started by ``spark.plugins``), whose sessions share that catalog
and Delta's session extension. Locally::

    healthmon serve --home H [--port 10000] [--connect-port 15002]
        # prints hive://127.0.0.1:10000/control, then sc://127.0.0.1:15002
    create_engine("hive://127.0.0.1:10000/control")   # PyHive's SQLAlchemy dialect
    healthmon status --home H      # any command: a Spark Connect client of the server (~1 s)

While it runs, ``<home>/server.json`` names both URLs (:mod:`framework.platform.server_file`):
``healthmon`` commands over the same home become Spark Connect clients of this server instead of
starting a JVM each. Both endpoints: 127.0.0.1 only, no authentication.

Bound to 127.0.0.1 with no authentication, binary transport. Each client connection gets its own
Spark session over the shared catalog (temporary views and ``SET``s are per connection). Tables
that other processes create while the endpoint runs (a first ``healthmon run`` creates Gold tables)
are registered by polling ``<home>/tables`` every ``refresh_seconds``; in the same tick the
catalog journal (:mod:`framework.platform.catalog`) is followed both ways: tables, views and
schemas the endpoint's clients create or drop are journaled for later processes, and what other
processes journaled (``healthmon sql``) is applied here. Writes through the endpoint
(``INSERT INTO control.gold_table_control ...``) are ordinary Delta commits that every other
process sees.

On Databricks there is nothing to start: a SQL warehouse is the endpoint, reached with
databricks-sqlalchemy as
``databricks://token:<token>@<host>?http_path=<warehouse http path>&catalog=<catalog>&schema=control``
(not installed here; verified only against a real workspace, not from this repository).
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from framework.errors import EndpointError
from framework.platform import class_archive, local_jvm, server_file
from framework.platform.catalog_journal import created_as_managed
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.platform.session import CONNECT_DEFAULT_PORT, answers, delta_jars, local_spark
from framework.surfaces.views import ensure_views

HOST = "127.0.0.1"
DEFAULT_PORT = 10000  # HiveServer2's usual port
CONNECT_PLUGIN = "org.apache.spark.sql.connect.SparkConnectPlugin"
REFRESH_SECONDS = 2.0  # how often new tables under <home>/tables are looked for
SETTLE_SECONDS = 3.0  # how old a table's first commit must be before it is registered


def endpoint_dir(home: Path) -> Path:
    """Hive's scratch space and Derby's log, kept out of /tmp and the working directory."""
    return home / "endpoint"


def sqlalchemy_url(port: int, schema: str, host: str = HOST) -> str:
    """The PyHive SQLAlchemy URL of a local endpoint, default schema ``schema``."""
    return f"hive://{host}:{port}/{schema}"


def connect_url(port: int, host: str = HOST) -> str:
    """The Spark Connect URL of a local endpoint (``SparkSession.builder.remote(url)``)."""
    return f"sc://{host}:{port}"


def endpoint_conf(home: Path, port: int, connect_port: int = CONNECT_DEFAULT_PORT) -> dict[str, str]:
    """Spark conf for the serving session; ``spark.hive.*`` entries reach the server's HiveConf."""
    work = endpoint_dir(home)
    return {
        # Spark Connect: the plugin starts its gRPC service as the session starts
        "spark.plugins": CONNECT_PLUGIN,
        "spark.connect.grpc.binding.address": HOST,
        "spark.connect.grpc.binding.port": str(connect_port),  # 0: any free port (read back from the service)
        # Closing a client session closes the class loader of `spark.jars` (Hive's SessionState
        # closes URLClassLoaders), after which Delta classes not yet loaded are missing
        # (NoClassDefFoundError, measured). On the driver's class path they never are.
        "spark.driver.extraClassPath": os.pathsep.join(delta_jars()),
        "spark.hive.server2.thrift.bind.host": HOST,
        "spark.hive.server2.thrift.port": str(port),  # 0: any free port (read back from the server)
        "spark.hive.server2.transport.mode": "binary",
        "spark.hive.server2.authentication": "NONE",
        "spark.hive.server2.enable.doAs": "false",
        "spark.hive.server2.logging.operation.enabled": "false",
        "spark.hive.exec.scratchdir": str(work / "scratch"),
        "spark.hive.exec.local.scratchdir": str(work / "local-scratch"),
        "spark.hive.downloaded.resources.dir": str(work / "resources"),
        # The server keeps a throw-away in-memory Derby metastore for Hive sessions; with
        # session.py's `derby.system.home` set, closing a client session logs "Failed to create
        # database 'memory:'" (measured). Only the log location is kept.
        "spark.driver.extraJavaOptions": f"-Dderby.stream.error.file={work / 'derby.log'} {class_archive.java_options(delta_jars())}".strip(),
    }


@dataclass(frozen=True)
class Endpoint:
    """A running Thrift server (and the session's Spark Connect service) over one lakehouse session."""

    lakehouse: Lakehouse
    server: object  # the JVM HiveThriftServer2
    port: int
    connect_port: int

    @property
    def url(self) -> str:
        return sqlalchemy_url(self.port, self.lakehouse.params.control_schema)

    @property
    def connect_url(self) -> str:
        return connect_url(self.connect_port)

    def stop(self) -> None:
        local_jvm.stop_thrift_server(self.server)


def start(lakehouse: Lakehouse) -> Endpoint:
    """Start the Thrift server on ``lakehouse``'s session (its conf from :func:`endpoint_conf`)."""
    spark = lakehouse.spark
    port = local_jvm.startup_conf(spark, "spark.hive.server2.thrift.port")
    server = local_jvm.start_thrift_server(spark, f"{HOST}:{port}")
    return Endpoint(lakehouse, server, local_jvm.thrift_bound_port(server), local_jvm.connect_bound_port(spark))


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server socket does
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check(endpoint: Endpoint) -> None:
    """One query through the wire, as a client would send it; the Connect port accepts connections.

    The first Hive session of a server initializes its in-memory metastore (seconds); doing it
    here means the URL is printed only once a client gets answers at client speed. The Connect
    service is only probed with a TCP connect: a Spark Connect client in this process would switch
    pyspark's functions to Connect mode for the serving session too.
    """
    from pyhive import hive

    if not answers(endpoint.connect_url):
        raise EndpointError(f"the Spark Connect service does not answer at {endpoint.connect_url}")

    connection = hive.connect(HOST, endpoint.port, database=endpoint.lakehouse.params.control_schema)
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        if cursor.fetchall() != [(1,)]:
            raise EndpointError(f"the endpoint at {endpoint.url} did not answer SELECT 1")
    finally:
        connection.close()


class TableWatcher:
    """Registers the tables other processes create under ``<home>/tables`` while serving, and
    (with a ``follower``) keeps the endpoint's catalog and the catalog journal in step.

    A folder is registered once its first commit is ``settle_seconds`` old: a ``CREATE TABLE``
    sent through the endpoint itself commits the Delta log *before* it enters the catalog, and
    registering it in between would fail that statement. A folder whose first commit says it was
    created as a *managed* table is never registered here, however old: a client's CTAS on a
    loaded machine can take longer than any settle time, and managed tables of other processes
    arrive through the journal. Polling costs a directory listing; a table is looked up in the
    catalog only the first time it is seen.
    """

    def __init__(self, lakehouse: Lakehouse, *, settle_seconds: float = SETTLE_SECONDS, clock=time.time, follower=None):
        self.lakehouse = lakehouse
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.follower = follower  # catalog.Follower, built before clients connect
        self.known: set[str] = set()  # in the catalog (registered here, by bootstrap, or by a client)

    def new_tables(self) -> dict[str, Path]:
        """Full name -> folder of the settled Delta tables under ``home`` not known yet."""
        cutoff = self.clock() - self.settle_seconds
        found = {}
        for name, table_dir in self.lakehouse.local_tables().items():
            if name in self.known:
                continue
            commits = [commit.stat().st_mtime for commit in (table_dir / "_delta_log").glob("*.json")]
            if commits and min(commits) <= cutoff and not created_as_managed(table_dir):
                found[name] = table_dir
        return found

    def refresh(self) -> list[str]:
        """Follow the catalog journal, then register the new settled tables; the names registered
        from folders."""
        from pyspark.errors import AnalysisException

        if self.follower is not None:
            try:
                for message in self.follower.tick():
                    print(f"healthmon serve: {message}", file=sys.stderr)
            except Exception as exc:  # noqa: BLE001 - a tick that failed is retried whole at the next one
                print(f"healthmon serve: catalog journal not followed this tick: {exc}", file=sys.stderr)
        registered = []
        for name, table_dir in self.new_tables().items():
            if not self.lakehouse.exists(name):
                try:
                    self.lakehouse.register(name, table_dir)
                except AnalysisException as exc:
                    print(f"healthmon serve: {name} not registered, retried next tick: {exc}", file=sys.stderr)
                    continue
                registered.append(name)
            self.known.add(name)
        if self.follower is not None:
            self.follower.adopt(registered)  # the folder scan's, not a client's: not journaled
        return registered


@contextmanager
def stop_on_signals(stop: threading.Event):
    """SIGINT and SIGTERM set ``stop`` instead of killing the process; handlers restored after."""
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(home: Path, params: RunParams, *, port: int | None = None, connect_port: int | None = None,
          refresh_seconds: float = REFRESH_SECONDS, quiet: bool = True) -> int:
    """Build the lakehouse session, start the endpoints, print their URLs, serve until SIGINT/SIGTERM.

    Prints the SQLAlchemy URL, then the Spark Connect URL (one line each, nothing else on stdout),
    and writes both to ``<home>/server.json`` until it stops. Needs a process of its own: the
    session must start with :func:`endpoint_conf`. ``quiet=False`` keeps Spark's own logging
    (``healthmon --verbose serve``).
    """
    home = Path(home).resolve()
    port = DEFAULT_PORT if port is None else port
    connect_port = CONNECT_DEFAULT_PORT if connect_port is None else connect_port
    for flag, number in (("--port", port), ("--connect-port", connect_port)):
        if number and not port_is_free(number):  # before Spark starts: fail in a second, not in a minute
            raise EndpointError(f"port {number} on {HOST} is in use; pass {flag} with a free port, or {flag} 0 for any")
    (endpoint_dir(home) / "local-scratch").mkdir(parents=True, exist_ok=True)
    spark = local_spark(home, app_name="healthmon-serve", extra_conf=endpoint_conf(home, port, connect_port), quiet=quiet)
    if local_jvm.startup_conf(spark, "spark.hive.server2.thrift.port") != str(port):
        raise EndpointError("serve found a Spark session already running without the endpoint's conf; "
                             "run it in a process of its own (`healthmon serve`)")
    stop = threading.Event()
    try:
        lakehouse = Lakehouse(spark, params, home)
        lakehouse.bootstrap()
        ensure_views(lakehouse)
        with stop_on_signals(stop):
            watcher = TableWatcher(lakehouse, follower=lakehouse.catalog.follower())  # before any client
            endpoint = start(lakehouse)
            try:
                check(endpoint)
                if not stop.is_set():
                    server_file.write(home, server_file.ServerInfo(os.getpid(), str(home), endpoint.connect_url, endpoint.url))
                    print(endpoint.url, flush=True)
                    print(endpoint.connect_url, flush=True)
                    print(f"healthmon serve: {endpoint.url} (SQL) and {endpoint.connect_url} (Spark Connect) over {home} "
                          f"(no authentication, {HOST} only); healthmon commands with --home {home} use it; "
                          "SIGINT/SIGTERM stops", file=sys.stderr, flush=True)
                while not stop.wait(refresh_seconds):
                    watcher.refresh()
            finally:
                server_file.remove(home, os.getpid())
                endpoint.stop()
    finally:
        spark.stop()
    return 0

"""`healthmon serve`: a real server process, reached through SQLAlchemy (PyHive's `hive://` dialect).

One server (starting Spark costs most of the time): the run's one ``healthmon serve``
(``connect_server``, tests/connect_fixture.py), which tests/spark/test_connect.py's commands reach over
Spark Connect too, in the same xdist group; this module's last test stops it. Its URL and the control and
audit tables; a table onboarded by an INSERT through SQLAlchemy, hydrated by a separate
`healthmon run` process and served back (the endpoint registers the new Gold table itself); a
busy port refused before Spark starts; a table and a view created through SQLAlchemy read by a
separate `healthmon sql` process, whose new table the endpoint then serves (the catalog journal);
SIGTERM stops it with exit 0 and frees the port. Plus one test without a JVM: when the
endpoint's watcher registers a new table folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from framework.platform.catalog_journal import Journal
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.surfaces.serve import TableWatcher
from tests.connect_fixture import SERVE, subprocess_env

pytestmark = SERVE  # one server: its tests on one worker under --dist loadgroup

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 300  # seconds; a start took 60-130 s here with other test JVMs on the same 2 cores
PARAMS = RunParams()

THINGS = [  # Bronze rows: two versions of "a", the later one must win
    ("a", "Alpha", Decimal("1.50"), "2026-01-01 01:00:00"),
    ("b", "Beta", None, "2026-01-01 02:00:00"),
    ("a", "Alpha v2", Decimal("2.25"), "2026-01-01 03:00:00"),
    ("c", "Gamma", Decimal("-4.00"), "2026-01-01 01:30:00"),
]


@dataclass
class Server:
    process: subprocess.Popen
    home: Path
    port: int
    stderr: Path
    url: str = ""

    def log(self) -> str:
        return self.stderr.read_text()[-4000:] if self.stderr.exists() else "(no stderr)"


def accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def healthmon(home: Path, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "framework", *args, "--home", str(home)],
                          cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def server(connect_server):
    """The run's `healthmon serve` (started on a free port it was given), once its port accepts."""
    running = Server(connect_server.process, connect_server.home, connect_server.port, connect_server.stderr, connect_server.sql_url)
    deadline = time.monotonic() + 30
    while not accepts(running.port):
        if time.monotonic() > deadline:
            pytest.fail(f"port {running.port} does not accept connections:\n{running.log()}")
        time.sleep(0.5)
    return running


@pytest.fixture
def engine(server):
    engine = create_engine(server.url)
    yield engine
    engine.dispose()


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(sql))]


def test_serve_prints_its_url_and_serves_the_control_and_audit_tables(server, engine):
    assert server.url == f"hive://{HOST}:{server.port}/{PARAMS.control_schema}"
    assert rows(engine, "SELECT current_database()") == [(PARAMS.control_schema,)]
    assert rows(engine, "SELECT count(*) FROM gold_table_control") == [(0,)]
    assert rows(engine, "SELECT run_id, status FROM gold_run_audit") == []
    assert rows(engine, "SELECT count(*) FROM gold_quarantine") == [(0,)]


def test_a_table_onboarded_through_sqlalchemy_is_hydrated_and_served(server, engine):
    bronze = PARAMS.bronze("things")
    location = Lakehouse(None, PARAMS, server.home).location(bronze)  # where other processes find it
    values = ", ".join(
        f"('{i}', '{n}', {'NULL' if a is None else a}, TIMESTAMP'{t}')" for i, n, a, t in THINGS
    )
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {bronze} (id STRING, name STRING, amount DECIMAL(10,2), ts TIMESTAMP)"
                                f" USING DELTA LOCATION '{location.as_posix()}'"))
        connection.execute(text(f"INSERT INTO {bronze} VALUES {values}"))
        connection.execute(text(f"""
            INSERT INTO {PARAMS.control('gold_table_control')}
              (table_name, domain, enabled, source_table, load_type, primary_keys, sequence_by,
               columns, description, spec_version, updated_at, updated_by)
            SELECT 'dim_thing', 'test', true, '{bronze}', 'scd1', array('id'), 'ts',
              array(named_struct('name', 'id', 'expr', 'id', 'type', 'STRING', 'nullable', false, 'comment', CAST(NULL AS STRING)),
                    named_struct('name', 'thing_name', 'expr', 'upper(name)', 'type', 'STRING', 'nullable', true, 'comment', 'upper-cased'),
                    named_struct('name', 'amount', 'expr', 'amount', 'type', 'DECIMAL(10,2)', 'nullable', true, 'comment', CAST(NULL AS STRING))),
              'onboarded through the SQL endpoint', 1, current_timestamp(), 'sqlalchemy'"""))

    done = healthmon(server.home, "run", "--table", "dim_thing")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dim_thing  SUCCEEDED" in done.stdout

    latest = {}
    for id_, name, amount, ts in sorted(THINGS, key=lambda r: r[3]):
        latest[id_] = (id_, name.upper(), amount)
    expected = sorted(latest.values())

    gold_sql = f"SELECT id, thing_name, amount FROM {PARAMS.gold('dim_thing')} ORDER BY id"
    deadline = time.monotonic() + 30  # the endpoint registers tables new under <home>/tables by polling
    while True:
        try:
            served = rows(engine, gold_sql)
            break
        except exc.OperationalError as error:
            if "TABLE_OR_VIEW_NOT_FOUND" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert served == expected  # PyHive returns DECIMAL as Decimal

    assert rows(engine, "SELECT status, rows_read, rows_inserted FROM gold_run_audit WHERE table_name = 'dim_thing'") \
        == [("SUCCEEDED", len(THINGS), len(expected))]
    assert rows(engine, "SELECT last_status, updated_by FROM gold_table_control WHERE table_name = 'dim_thing'") \
        == [("SUCCEEDED", "sqlalchemy")]
    assert rows(engine, "SELECT status, rows_written FROM v_run_history WHERE table_name = 'dim_thing'") \
        == [("SUCCEEDED", len(expected))]  # the dashboard views, created by the endpoint's bootstrap


def test_a_busy_port_is_refused_before_spark_starts(server):
    done = healthmon(server.home, "serve", "--port", str(server.port), timeout=60)
    assert done.returncode == 2
    assert f"port {server.port} on {HOST} is in use" in done.stderr
    assert done.stdout == ""


def outside_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (what another host would connect to)."""
    found = set()
    try:
        found.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET))
    except OSError:
        pass
    try:  # the address the default route leaves from (no packet is sent for a UDP connect)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


def test_the_endpoint_answers_on_loopback_only(server):
    """Issue 18, hostile input: the endpoint has no authentication, so nothing but this machine
    may reach it."""
    assert accepts(server.port)
    addresses = outside_addresses()
    if not addresses:
        pytest.skip("this machine has no IPv4 address but loopback to try the endpoint from")
    for address in addresses:
        with pytest.raises(OSError):  # refused: nothing listens there
            socket.create_connection((address, server.port), timeout=2).close()


def test_the_watcher_registers_a_table_once_its_first_commit_has_settled(tmp_path):
    """No JVM: which folders the endpoint would register, and when."""
    now = 1_000_000.0

    def table(schema: str, name: str, age: float | None) -> Path:
        log = tmp_path / "tables" / schema / name / "_delta_log"
        log.mkdir(parents=True)
        if age is not None:
            commit = log / "00000000000000000000.json"
            commit.write_text("{}")
            os.utime(commit, (now - age, now - age))
        return log.parent

    settled, fresh = table("gold", "settled", 10), table("gold", "fresh", 1)
    table("gold", "no_commit_yet", None)
    table("scratch", "not_ours", 10)
    watcher = TableWatcher(Lakehouse(None, PARAMS, tmp_path), settle_seconds=3, clock=lambda: now)
    assert watcher.new_tables() == {"spark_catalog.gold.settled": settled}
    watcher.known.add("spark_catalog.gold.settled")
    watcher.clock = lambda: now + 2
    assert watcher.new_tables() == {"spark_catalog.gold.fresh": fresh}


def test_objects_created_through_the_endpoint_and_by_healthmon_sql_cross_over(server, engine):
    """A table and a view made through SQLAlchemy are read by a separate `healthmon sql` process,
    whose CTAS from them is served back: the catalog journal, followed both ways."""
    with engine.begin() as connection:
        connection.execute(text(f"CREATE TABLE {PARAMS.bronze('made_in_serve')} USING DELTA AS SELECT * FROM VALUES (1), (2) AS t(id)"))
        connection.execute(text(f"CREATE VIEW {PARAMS.bronze('served_view')} AS SELECT id * 100 AS id100 FROM {PARAMS.bronze('made_in_serve')}"))
    journal = Journal(server.home)
    deadline = time.monotonic() + 30  # the endpoint journals its clients' objects every 2 s
    while not {("bronze", "made_in_serve"), ("bronze", "served_view")} <= set(journal.objects()):
        assert time.monotonic() < deadline, f"not journaled: {sorted(journal.objects())}\n{server.log()}"
        time.sleep(0.5)

    done = healthmon(server.home, "sql", f"CREATE TABLE {PARAMS.bronze('made_outside')} USING DELTA AS "
                                         f"SELECT id100 + 1 AS id FROM {PARAMS.bronze('served_view')}")
    assert done.returncode == 0, done.stdout + done.stderr

    deadline = time.monotonic() + 30  # ... and applies what other processes journaled
    while True:
        try:
            served = rows(engine, f"SELECT id FROM {PARAMS.bronze('made_outside')} ORDER BY id")
            break
        except exc.OperationalError as error:
            if "TABLE_OR_VIEW_NOT_FOUND" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(1)
    assert served == [(101,), (201,)]


@pytest.mark.stops_server  # after every other test of the server (tests/conftest.py)
def test_sigterm_stops_the_server_cleanly(server):
    server.process.send_signal(signal.SIGTERM)
    try:
        assert server.process.wait(timeout=60) == 0, server.log()
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve did not stop within 60s of SIGTERM:\n{server.log()}")
    assert not accepts(server.port)

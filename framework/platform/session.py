"""The session a local command runs on: a classic local Spark + Delta JVM, or a Spark Connect client.

On Databricks the runtime's session is used as is; this module is only for laptops and CI.
Delta's jars are found by :mod:`framework.platform.jars` (``HEALTHMON_JARS``, a checkout's ``.jars/``
filled by ``make setup``, or the user's cache), because Spark's ``--packages`` download needs the internet.

:func:`spark_session` picks one of two: with a ``sc://`` URL (``--remote``, ``SPARK_REMOTE``, or a
running ``healthmon serve``) a Spark Connect client, which costs no JVM start and is the kind of
session Databricks serverless and shared-access notebooks hand to the framework; otherwise the
local JVM of :func:`local_spark`.

A local JVM is quiet: Spark's start-up notices (its default log4j profile, the shell's log level,
Hadoop's native library, the hostname's loopback address) are not a command's output. Its driver
reads :data:`LOG4J2_FILE` (errors only) and binds to 127.0.0.1; ``quiet=False`` (``healthmon
--verbose``) keeps Spark's own logging. The framework's own records are Python logging
(:mod:`framework.platform.logs`), which this does not touch.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from framework.errors import EndpointError
from framework.platform import class_archive
from framework.platform.jars import delta_jars
from framework.platform.local_jvm import remember_pyspark_lookups

# Measured on 2 cores: these make repeated small actions ~3x faster than the defaults.
FAST_LOCAL_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.databricks.delta.snapshotPartitions": "1",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "2g",
    "spark.sql.sources.parallelPartitionDiscovery.parallelism": "1",
    "spark.databricks.delta.properties.defaults.enableChangeDataFeed": "false",
    "spark.databricks.delta.stalenessLimit": "0",
    "spark.python.sql.dataFrameDebugging.enabled": "false",
    # Files of at most a million rows (tens of MB): a MERGE's key range can then skip the files of
    # older keys, where one file per write would hold every key (decision 94). On Databricks,
    # optimized writes and liquid clustering size the files.
    "spark.sql.files.maxRecordsPerFile": "1000000",
    # Delta's commits to local folders through Hadoop's FileSystem API (decision 151). Its default
    # for file: (HDFSLogStore) renames through FileContext, which asks for the target's link status:
    # without Hadoop's native library that is a `readlink` process, two per commit. Locally both
    # stores give the same guarantee (exists + rename, serialized within the JVM; across processes
    # the framework's commit lock); the world's build took 11 % less CPU.
    "spark.delta.logStore.file.impl": "io.delta.storage.LocalLogStore",
}


# The demo's data is tiny (hundreds of rows per table): compiling generated code for each new
# plan costs more than running it interpreted (measured on `make demo`'s second run, see
# docs/benchmarks.md). Runtime SQL confs, set by `healthmon demo` on its own session only: a
# `healthmon run` over real data keeps Spark's code generation.
SMALL_DATA_CONF = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
}


def tune_for_small_data(spark) -> list[str]:
    """Apply :data:`SMALL_DATA_CONF` to ``spark``; the keys the session accepted (a serverless or
    Spark Connect session may refuse some: its defaults are slower here, never wrong)."""
    from pyspark.errors import PySparkException

    accepted = []
    for key, value in SMALL_DATA_CONF.items():
        try:
            spark.conf.set(key, value)
            accepted.append(key)
        except PySparkException:
            continue
    return accepted


# A local command's JVM (decision 121): a `healthmon` command on a laptop or in CI is start-up,
# planning and Delta's log, not hot loops over big data, so its JVM compiles with the first JIT
# tier only (measured: a cold `healthmon sql "SELECT 1"` 7.2 -> 5.3 s, a cold no-op run 17.3 ->
# 12.8 s). The code cache is as large as the tiered default: with C1 alone the JVM reserves 48 MB,
# and a full code cache switches the JIT off for the rest of the process (decision 120).
# HEALTHMON_JIT=full gives such a command the JVM's default tiers back (a local run over millions
# of rows). Databricks starts its own JVMs; a notebook's or a script's `local_spark` keeps the defaults.
QUICK_JIT_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"
JIT_ENV = "HEALTHMON_JIT"


def jit_java_options(quick: bool) -> str:
    """The driver's JIT options: :data:`QUICK_JIT_OPTIONS` for a quick command unless
    ``HEALTHMON_JIT=full``; '' (the JVM's defaults) otherwise."""
    if not quick or os.environ.get(JIT_ENV, "").strip().lower() == "full":
        return ""
    return QUICK_JIT_OPTIONS


CONNECT_DEFAULT_PORT = 15002  # Spark Connect's own default
LOG4J2_FILE = Path(__file__).with_name("log4j2.properties")  # package data (pyproject.toml)
LOOPBACK = "127.0.0.1"


def log_java_options(quiet: bool) -> str:
    """The driver JVM option that makes it quiet (errors only), or '' for Spark's own logging."""
    return f"-Dlog4j2.configurationFile={LOG4J2_FILE.as_uri()}" if quiet else ""


@contextmanager
def _launch_environment(master: str):
    """The environment the JVM is started with, set only while it starts.

    - no ``SPARK_REMOTE``: with it set, pyspark's builder (and SparkSubmit) would return a Spark
      Connect client instead of starting the local JVM;
    - ``SPARK_LOCAL_IP=127.0.0.1`` for a ``local[...]`` master, unless set already: a local session
      talks to no other machine, so its driver listens on loopback only, and Spark does not warn
      on every start that the hostname resolves to a loopback address.
    """
    changes: dict[str, str | None] = {"SPARK_REMOTE": None}
    if master.startswith("local") and not os.environ.get("SPARK_LOCAL_IP"):
        changes["SPARK_LOCAL_IP"] = LOOPBACK
    saved = {name: os.environ.get(name) for name in changes}
    _set_environment(changes)
    try:
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: dict[str, str | None]) -> None:
    """Set each variable; None removes it."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def local_spark(home: str | os.PathLike, *, app_name: str = "healthmon", extra_conf: dict | None = None, quiet: bool = True,
                quick_jit: bool = False):
    """Start (or reuse) the local session with Delta, its warehouse under ``home``.

    ``quiet=False`` keeps Spark's default logging (see the module's docstring); ``quick_jit`` is
    for a command's JVM (:func:`jit_java_options`). A ``spark.driver.extraJavaOptions`` of
    ``extra_conf`` replaces the default driver options, not the logging and JIT options.
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    jars = delta_jars()
    conf = {**FAST_LOCAL_CONF, **(extra_conf or {})}
    # the class archive: a faster cold start
    java_options = conf.pop("spark.driver.extraJavaOptions", f"-Dderby.system.home={home} {class_archive.java_options(jars)}")
    master = conf.pop("spark.master", os.environ.get("HEALTHMON_SPARK_MASTER", "local[2]"))
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.pyspark.python", sys.executable)  # Python workers use this venv too
        .config("spark.driver.extraJavaOptions", " ".join(o for o in (java_options, jit_java_options(quick_jit), log_java_options(quiet)) if o))
    )
    for key, value in conf.items():
        builder = builder.config(key, value)
    with _launch_environment(master):
        spark = builder.getOrCreate()
    remember_pyspark_lookups(spark)
    return spark


def connect_address(url: str) -> tuple[str, int]:
    """(host, port) of a ``sc://host[:port][/;params]`` URL; an EndpointError for anything else."""
    parsed = urlparse(url)
    if parsed.scheme != "sc" or not parsed.hostname:
        raise EndpointError(f"{url!r} is not a Spark Connect URL; expected sc://HOST[:PORT], e.g. sc://127.0.0.1:{CONNECT_DEFAULT_PORT}")
    try:
        port = parsed.port or CONNECT_DEFAULT_PORT
    except ValueError as exc:
        raise EndpointError(f"{url!r} has no valid port: {exc}") from exc
    return parsed.hostname, port


def answers(url: str, timeout: float = 2.0) -> bool:
    """Whether something accepts TCP connections at the URL's address (milliseconds, no gRPC)."""
    try:
        with socket.create_connection(connect_address(url), timeout=timeout):
            return True
    except OSError:
        return False


def remote_spark(url: str):
    """A Spark Connect client session to ``url`` (no local JVM).

    Checked with one TCP connect first: pyspark's default retry policy keeps retrying an absent
    server for at least 10 minutes before failing.
    """
    from pyspark.sql import SparkSession

    if not answers(url):
        host, port = connect_address(url)
        raise EndpointError(f"no Spark Connect server answers at {url} ({host}:{port}); start one with "
                             "`healthmon serve --home HOME` or drop --remote/SPARK_REMOTE for a local session")
    return SparkSession.builder.remote(url).getOrCreate()


def spark_session(home: str | os.PathLike, remote: str | None = None, *, app_name: str = "healthmon", extra_conf: dict | None = None,
                  quiet: bool = True, quick_jit: bool = False):
    """The session of a local command: a Spark Connect client when ``remote`` is a URL, else the local JVM.

    ``home`` is the lakehouse folder either way; with ``remote`` it must be the server's view of it
    (the same path on this machine for a local server). ``quiet`` and ``quick_jit`` are for the
    local JVM: a client starts none.
    """
    if remote:
        return remote_spark(remote)
    return local_spark(home, app_name=app_name, extra_conf=extra_conf, quiet=quiet, quick_jit=quick_jit)


def is_connect(spark) -> bool:
    """Whether ``spark`` is a Spark Connect session (no JVM behind it in this process)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")

"""The session a local command runs on: a classic local Spark + Delta JVM, or a Spark Connect client.

On Databricks the runtime's session is used as is; this module is only for laptops and CI.
Delta's jars are found by :mod:`framework.platform.jars` (``HEALTHMON_JARS``, a checkout's ``.jars/``
filled by ``make setup``, or the user's cache), because Spark's ``--packages`` download needs the internet.

:func:`spark_session` picks one of two: with a ``sc://`` URL (``--remote``, ``SPARK_REMOTE``, or a
running ``healthmon serve``) a Spark Connect client, which costs no JVM start and is the kind of
session Databricks serverless and shared-access notebooks hand to the framework; otherwise the
local JVM of :func:`local_spark`.
"""

from __future__ import annotations

import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from framework.errors import EndpointError
from framework.platform import class_archive, local_jvm
from framework.platform.jars import delta_jars

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
    # Files of at most a million rows (tens of MB): a MERGE's key range can then skip the files of
    # older keys, where one file per write would hold every key (decision 94). On Databricks,
    # optimized writes and liquid clustering size the files.
    "spark.sql.files.maxRecordsPerFile": "1000000",
}


CONNECT_DEFAULT_PORT = 15002  # Spark Connect's own default


@contextmanager
def _without_spark_remote():
    """Hide ``SPARK_REMOTE`` while a classic session starts: with it set, pyspark's builder (and
    SparkSubmit) would return a Spark Connect client instead of starting the local JVM."""
    saved = os.environ.pop("SPARK_REMOTE", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["SPARK_REMOTE"] = saved


def local_spark(home: str | os.PathLike, *, app_name: str = "healthmon", extra_conf: dict | None = None):
    """Start (or reuse) the local session with Delta, its warehouse under ``home``."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    home = Path(home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    jars = delta_jars()
    java_options = f"-Dderby.system.home={home} {class_archive.java_options(jars)}".strip()
    builder = (
        SparkSession.builder.master(os.environ.get("HEALTHMON_SPARK_MASTER", "local[2]"))
        .appName(app_name)
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.warehouse.dir", str(home / "warehouse"))
        .config("spark.pyspark.python", sys.executable)  # Python workers use this venv too
        .config("spark.driver.extraJavaOptions", java_options)  # the class archive: a faster cold start
    )
    for key, value in {**FAST_LOCAL_CONF, **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    with _without_spark_remote():
        spark = builder.getOrCreate()
    local_jvm.set_log_level(spark, "ERROR")
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


def spark_session(home: str | os.PathLike, remote: str | None = None, *, app_name: str = "healthmon", extra_conf: dict | None = None):
    """The session of a local command: a Spark Connect client when ``remote`` is a URL, else the local JVM.

    ``home`` is the lakehouse folder either way; with ``remote`` it must be the server's view of it
    (the same path on this machine for a local server).
    """
    if remote:
        return remote_spark(remote)
    return local_spark(home, app_name=app_name, extra_conf=extra_conf)


def is_connect(spark) -> bool:
    """Whether ``spark`` is a Spark Connect session (no JVM behind it in this process)."""
    return type(spark).__module__.startswith("pyspark.sql.connect")

"""Every remaining touch of the JVM behind a classic local session, in one module.

Databricks serverless jobs and shared-access notebooks run Spark Connect sessions: there is no
``sparkContext``, ``_jvm`` or ``_jsparkSession`` there, and any use of them on the run path breaks
the job. So the framework reaches the JVM only here, and only for things Databricks never runs:
``healthmon serve`` (Spark's Thrift server started on the serving session, the ports its
endpoints listen on, the conf the JVM started with); and for one it can do without on the run path,
the label of a classic session's jobs (:func:`job_label`: nothing on Spark Connect, nothing where
the SparkContext is refused); and for the local session :func:`local_spark
<framework.platform.session.local_spark>` starts, py4j's answers to the class names pyspark asks
on every call (:func:`remember_pyspark_lookups`). ``tests/spark/test_connect.py`` fails when any
other framework module mentions these attributes. (The local session's log level needs no call
here: its driver starts with the framework's log4j2 file, :mod:`framework.platform.session`.)

Every function but :func:`job_label` takes a classic (py4j-backed) session; handed a Spark Connect
session they raise pyspark's own ``JVM_ATTRIBUTE_NOT_SUPPORTED`` error, which is what should happen.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from framework.errors import EndpointError

THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
CONNECT_SERVICE_CLASS = "org.apache.spark.sql.connect.service.SparkConnectService"


def startup_conf(spark, key: str) -> str | None:
    """A value of the conf the JVM started with (``spark.hive.*`` and ``spark.plugins`` are not SQL confs)."""
    return spark.sparkContext.getConf().get(key)


CALL_SITE = ("callSite.short", "callSite.long")  # SparkContext's local properties (CallSite.SHORT_FORM, LONG_FORM)


@contextmanager
def job_label(spark, label: str) -> Iterator[None]:
    """Spark jobs this thread starts inside the block carry ``label`` as their call site (the
    Spark UI's job description: which run and table a job is for), restored after.

    Why: without a call site set, Spark finds one for every RDD and job it creates by walking the
    JVM thread's stack and matching each frame against its own packages: 13 % of the driver
    thread's time in a run of the demo tables (a Java Flight Recording), 3-5 % of a
    read-MERGE-collect loop's JVM CPU (decision 149). A Spark Connect session has no SparkContext (the server labels
    its own jobs), and a cluster that refuses the SparkContext (shared access mode) only loses
    the label: nothing is set then, and nothing fails.
    """
    try:  # a Spark Connect session raises on `sparkContext` (JVM_ATTRIBUTE_NOT_SUPPORTED), as a refusing cluster does
        context = spark.sparkContext
        before = [context.getLocalProperty(key) for key in CALL_SITE]
        for key in CALL_SITE:
            context.setLocalProperty(key, label)
    except Exception:  # noqa: BLE001 - the label is an optimization and a courtesy; such a session runs without it
        yield
        return
    _hold_pyspark_call_site(+1)
    try:
        yield
    finally:
        _hold_pyspark_call_site(-1)
        for key, value in zip(CALL_SITE, before):
            context.setLocalProperty(key, value)


_held = threading.Lock()


def _hold_pyspark_call_site(step: int) -> None:
    """Keep pyspark's ``collect`` from replacing the label: it sets a call site of its own and then
    removes Spark's short one, unless an outer call site is held (``SCCallSiteSync``'s depth count,
    which pyspark keeps for its own nesting). Held while any label is; a pyspark without the count
    only labels the jobs before its first collect."""
    from pyspark import traceback_utils

    sync = getattr(traceback_utils, "SCCallSiteSync", None)
    if sync is None or not isinstance(getattr(sync, "_spark_stack_depth", None), int):
        return
    with _held:
        sync._spark_stack_depth = max(0, sync._spark_stack_depth + step)


# The JVM classes pyspark looks up by name on nearly every call (a column, a function, the active
# session): py4j asks the JVM each time, and a simple name is tried against each of pyspark's star
# imports before the one that has it, every miss a class-path search of ~280 jars (decision 152).
PYSPARK_LOOKUPS = (
    "functions",  # pyspark.sql.classic.column: col, lit, a column's unary functions
    "org.apache.spark.sql.functions",  # pyspark.sql.functions: every function call
    "PythonUtils",  # _to_seq, _to_list: every list of columns
    "PythonSQLUtils",
    "org.apache.spark.sql.classic.SparkSession",  # the active session, asked by most DataFrame calls
    "org.apache.spark.sql.classic.SparkSession$",
)


def remember_pyspark_lookups(spark) -> None:
    """Keep py4j's answer to each name of :data:`PYSPARK_LOOKUPS` on the session's JVM view.

    Why: the world of the tests' demo run asked the JVM 23,000 times which class such a name is,
    and each answer was the same class (a JVM's loaded classes do not change); the view's own
    attribute now gives it without a round trip. Only what py4j answered as a class is kept
    (another pyspark may lack a name; it then asks as before), and the object kept is py4j's own.
    """
    from py4j.java_gateway import JavaClass

    view = spark.sparkContext._jvm
    for name in PYSPARK_LOOKUPS:
        found = getattr(view, name)
        if isinstance(found, JavaClass):
            setattr(view, name, found)


def _jvm_class(spark, dotted: str):
    """The JVM class of a fully qualified name, in one py4j lookup as pyspark's own (a walk part by
    part asked the JVM once per part, each short part a class-path search: decision 152)."""
    return getattr(spark._jvm, dotted)


def start_thrift_server(spark, where: str):
    """Start Spark's Thrift JDBC/ODBC server on ``spark``'s session; the JVM server object.

    ``where`` (host:port) only names the endpoint in the error raised when the start fails.
    """
    from py4j.protocol import Py4JJavaError

    thrift = _jvm_class(spark, THRIFT_SERVER_CLASS)
    try:
        return thrift.startWithSparkSession(spark._jsparkSession, False)  # False: no System.exit
    except Py4JJavaError as exc:
        raise EndpointError(f"the Thrift server did not start on {where}: {exc.java_exception}") from exc


def thrift_bound_port(server) -> int:
    """The port the Thrift server's binary service listens on (the real one when 0 was asked)."""
    for service in server.getServices():
        if service.getName() == "ThriftBinaryCLIService":
            return int(service.getPortNumber())
    raise EndpointError("the Thrift server has no ThriftBinaryCLIService; its services are "
                         + ", ".join(s.getName() for s in server.getServices()))


def stop_thrift_server(server) -> None:
    server.stop()


def connect_bound_port(spark) -> int:
    """The port of the Spark Connect service the session's plugin started (the real one when 0 was asked)."""
    # a Scala object without a static forwarder for localPort: reached through its MODULE$ instance
    service = getattr(_jvm_class(spark, CONNECT_SERVICE_CLASS + "$"), "MODULE$")
    port = int(service.localPort())
    if port <= 0:
        raise EndpointError("the Spark Connect service is not running in this session "
                             "(spark.plugins must name org.apache.spark.sql.connect.SparkConnectPlugin)")
    return port

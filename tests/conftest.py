"""Shared fixtures: one local Spark + Delta session for the whole run, fresh schemas per test.

Two layers by location: ``tests/unit`` (no Spark: a test there that starts a JVM fails, see
tests/unit/conftest.py; the whole layer runs in well under a minute) and ``tests/spark`` (real
Spark and Delta), whose tests get the ``spark`` marker here, by where they live
(``pytest tests/unit`` or ``pytest -m "not spark"`` for the fast layer).

Starting Spark costs seconds; a fresh set of schemas costs milliseconds. So a Spark test gets its
own ``Lakehouse`` (unique bronze/gold/control schema names, same session and home folder), or
shares its module's (decision 141: one lakehouse, one onboarding and shared runs for independent
scenarios, built once by one worker of its xdist group).
Pure tests (spec parsing, planning, SQL generation) never touch these fixtures and start no JVM.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from framework.platform.session import FAST_LOCAL_CONF, QUICK_JIT_OPTIONS

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # silences a pyspark.pandas warning

# Every JVM the tests start (the workers' sessions, and through the environment every `healthmon`
# process: serve, the catalog's three, the CLI's) compiles with C1 only and a 256 MB code cache:
# the options of a `healthmon` command's JVM (framework.platform.session.QUICK_JIT_OPTIONS,
# decisions 108, 120, 121). A test runs thousands of small statements; the optimizing tier's
# compiler threads competed with them for the 2 cores, and a full 48 MB code cache (C1's default)
# switched the JIT off mid-suite (19 min 15 s -> 13 min 10 s once the cache was large enough).
# SPARK_SUBMIT_OPTS is what Spark's launcher adds to the driver JVM's command line.
# And they collect garbage with the serial collector: two test JVMs share 2 cores, and G1's parallel
# and concurrent GC threads competed with both (measured -14 % per scenario of small runs, decision 132).
# And each starts with its whole heap (decision 153): the serial collector otherwise starts at
# ~365 MB and a test JVM's young generation, refilled every few hundred milliseconds, was
# collected about 400 times in the demo world's build (with the whole heap: about 115).
TEST_JVM_OPTIONS = f"{QUICK_JIT_OPTIONS} -XX:+UseSerialGC -Xms{FAST_LOCAL_CONF['spark.driver.memory']}"
if TEST_JVM_OPTIONS not in os.environ.get("SPARK_SUBMIT_OPTS", ""):
    os.environ["SPARK_SUBMIT_OPTS"] = f"{os.environ.get('SPARK_SUBMIT_OPTS', '')} {TEST_JVM_OPTIONS}".strip()

# Spark Connect services (tests/connect_fixture.py) and the shared demo run (tests/demo_world.py)
pytest_plugins = ["tests.connect_fixture", "tests.demo_world"]

# The demo generator's batches 1-4 that both layers' demo-data tests read (tests/unit's
# test_demo_generator, tests/spark's test_demo_data): pure Python, made once per worker.
DEMO_BATCHES = (1, 2, 3, 4)

@pytest.fixture(scope="session")
def rows() -> dict[int, dict[str, list[dict]]]:
    """batch -> table key -> the demo generator's rows (read-only)."""
    from framework.demo.bronze import batch_rows

    return {batch: batch_rows(batch) for batch in DEMO_BATCHES}

_ids = itertools.count(1)
SPARK_LAYER = Path(__file__).resolve().parent / "spark"


def pytest_configure(config):
    """The run's controller (or a run without workers) starts building the class archive when it
    is missing; the `healthmon` processes tests start wait for it (tests/class_archive_build.py)."""
    if not hasattr(config, "workerinput"):
        from tests import class_archive_build

        class_archive_build.start()


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput"):
        from tests import class_archive_build

        class_archive_build.forget()


def _schedule_scope(item) -> tuple[str, str]:
    """What xdist's ``loadgroup`` hands to one worker as a whole: an ``xdist_group``, else the test."""
    mark = item.get_closest_marker("xdist_group")
    if mark is None:
        return ("test", item.nodeid)
    return ("group", mark.args[0] if mark.args else mark.kwargs.get("name", ""))


def pytest_collection_modifyitems(items):
    """The ``spark`` marker by location: every test under tests/spark, none elsewhere. And the
    order the workers take the tests in (xdist runs with ``--no-loadscope-reorder``, so this one):

    - the unit layer first: it needs no JVM, so it runs while the class archive is being built;
    - then the Spark layer, the largest xdist groups first (what xdist's own reordering did: the
      shared demo world's group, the longest, starts first, and the rest fill the other worker);
    - a test that stops the session's ``healthmon serve`` (``stops_server``) after every other
      test, whichever files were named and in whatever order: the server's other tests need it
      (its xdist group keeps its place: a group is scheduled where its first test is).

    Sorting is stable: within those, tests keep the order they were collected in.
    """
    for item in items:
        if SPARK_LAYER in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.spark)
    sizes = Counter(_schedule_scope(item) for item in items)

    def order(item) -> tuple[bool, bool, int]:
        spark = item.get_closest_marker("spark") is not None
        return (item.get_closest_marker("stops_server") is not None, spark, -sizes[_schedule_scope(item)] if spark else 0)

    items.sort(key=order)

# Test data is tiny: compiling generated code costs more than it saves (measured ~40% per run),
# the per-commit checksum file only speeds up later snapshot loads of big tables, and a broadcast
# join of a few rows costs a job, a hash relation and a broadcast variable where a one-partition
# sort-merge join costs one shuffle (measured -13 % per scenario of small runs, decision 132; the
# engine's explicit broadcast hints still apply).
TEST_CONF = {
    "spark.master": "local[1]",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.databricks.delta.writeChecksumFile.enabled": "false",
    "spark.sql.autoBroadcastJoinThreshold": "-1",
}


@pytest.fixture(scope="session")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("lakehouse")


@pytest.fixture(scope="session")
def spark(home):
    from framework.platform.local_jvm import job_label
    from framework.platform.session import local_spark

    session = local_spark(home, extra_conf=TEST_CONF)
    with job_label(session, "healthmon tests"):  # the tests' own jobs: no stack walk for a call site (decision 149)
        yield session
    session.stop()


@pytest.fixture
def lakehouse(spark, home):
    """A bootstrapped lakehouse with schemas no other test uses."""
    from tests.harness import fresh_lakehouse

    # no dashboard views: the dashboard tests build their own lakehouse, with views
    return fresh_lakehouse(spark, home, str(next(_ids)))


@pytest.fixture
def clock():
    """A fixed clock: results that carry run timestamps are exactly assertable."""
    return lambda: datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def framework_logger():
    """The framework's root logger, its handlers, level and propagation restored after the test."""
    import logging

    from framework.platform import logs

    logger = logging.getLogger(logs.ROOT)
    saved = (list(logger.handlers), logger.level, logger.propagate)
    yield logger
    logger.handlers[:] = saved[0]
    logger.setLevel(saved[1])
    logger.propagate = saved[2]

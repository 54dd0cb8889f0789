"""Shared fixtures: one local Spark + Delta session for the whole run, fresh schemas per test.

Two layers by location: ``tests/unit`` (no Spark: a test there that starts a JVM fails, see
tests/unit/conftest.py; the whole layer runs in well under a minute) and ``tests/spark`` (real
Spark and Delta), whose tests get the ``spark`` marker here, by where they live
(``pytest tests/unit`` or ``pytest -m "not spark"`` for the fast layer).

Starting Spark costs seconds; a fresh set of schemas costs milliseconds. So every Spark test gets
its own ``Lakehouse`` (unique bronze/gold/control schema names, same session and home folder).
Pure tests (spec parsing, planning, SQL generation) never touch these fixtures and start no JVM.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # silences a pyspark.pandas warning

# Spark Connect services (tests/connect_fixture.py) and the shared demo run (tests/demo_world.py)
pytest_plugins = ["tests.connect_fixture", "tests.demo_world"]

_ids = itertools.count(1)
SPARK_LAYER = Path(__file__).resolve().parent / "spark"


def pytest_collection_modifyitems(items):
    """The ``spark`` marker by location: every test under tests/spark, none elsewhere."""
    for item in items:
        if SPARK_LAYER in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.spark)

# Test data is tiny: compiling generated code costs more than it saves (measured ~40% per run),
# and the per-commit checksum file only speeds up later snapshot loads of big tables.
TEST_CONF = {
    "spark.master": "local[1]",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.databricks.delta.writeChecksumFile.enabled": "false",
}


@pytest.fixture(scope="session")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("lakehouse")


@pytest.fixture(scope="session")
def spark(home):
    from framework.platform.session import local_spark

    session = local_spark(home, extra_conf=TEST_CONF)
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

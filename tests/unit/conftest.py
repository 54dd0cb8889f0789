"""The unit layer runs without Spark: a test here that needs a JVM fails, it is not just slow.

Two guards: a test that asks for a Spark fixture (``spark``, ``lakehouse``, the Connect and demo
fixtures) fails before its fixtures are set up; and while a unit test runs, launching the JVM
gateway raises, so one that starts a session itself fails as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest

UNIT_LAYER = Path(__file__).resolve().parent
SPARK_FIXTURES = {"spark", "lakehouse", "connect_service", "connect_server", "demo_world"}


def _refuse(*args, **kwargs):
    raise RuntimeError("tests/unit runs without Spark: this test starts a JVM; move it to tests/spark")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if UNIT_LAYER in Path(str(item.path)).resolve().parents:
        needs = sorted(SPARK_FIXTURES & set(item.fixturenames))
        if needs:
            pytest.fail(f"tests/unit runs without Spark: {item.name} uses {', '.join(needs)}; move it to tests/spark", pytrace=False)


@pytest.fixture(autouse=True)
def no_spark(monkeypatch):
    import pyspark.core.context as context
    import pyspark.java_gateway as gateway

    monkeypatch.setattr(gateway, "launch_gateway", _refuse)
    monkeypatch.setattr(context, "launch_gateway", _refuse, raising=False)

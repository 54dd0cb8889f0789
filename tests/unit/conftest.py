"""The unit layer runs without Spark: starting a JVM here is an error, not a slow test.

A local Spark session starts by launching the JVM gateway; every unit test runs with that launch
replaced by a failure naming the test's layer, so a test that needs Spark belongs in tests/spark.
"""

from __future__ import annotations

import pytest


def _refuse(*args, **kwargs):
    raise RuntimeError("tests/unit runs without Spark: this test starts a JVM; move it to tests/spark")


@pytest.fixture(autouse=True)
def no_spark(monkeypatch):
    import pyspark.core.context as context
    import pyspark.java_gateway as gateway

    monkeypatch.setattr(gateway, "launch_gateway", _refuse)
    monkeypatch.setattr(context, "launch_gateway", _refuse, raising=False)

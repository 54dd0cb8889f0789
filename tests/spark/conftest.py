"""The Spark layer: every test here may start a JVM (its worker's session, a `healthmon` process)."""

from __future__ import annotations

import warnings

import pytest

from tests import class_archive_build


@pytest.fixture(scope="session", autouse=True)
def class_archive_ready():
    """Before a worker's first Spark test: the class archive the run is building is there, so the
    JVMs started from here on map it (tests/class_archive_build.py)."""
    outcome = class_archive_build.wait()
    if outcome not in (None, class_archive_build.OK):
        warnings.warn(f"the class archive was not built ({outcome}); JVMs start without it", stacklevel=1)

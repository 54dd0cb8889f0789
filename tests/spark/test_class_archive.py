"""The driver JVM's class archive is an optimization only: absent, stale or damaged, the JVM starts
as without it and prints nothing; present, the local session maps it (its options say so)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from framework.platform import class_archive
from framework.platform.jars import delta_jars


@pytest.mark.skipif(shutil.which("java") is None, reason="no java on PATH")
def test_a_damaged_archive_is_ignored_quietly(tmp_path):
    """The JVM refuses a damaged archive and starts anyway, saying nothing on stdout (a command's
    output stays clean) - with the very options local sessions use."""
    damaged = tmp_path / "damaged.jsa"
    damaged.write_bytes(bytes(range(256)) * 400)
    done = subprocess.run(["java", f"-XX:SharedArchiveFile={damaged}", *class_archive.QUIET.split(), "-version"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "version" in done.stderr

def test_the_local_session_maps_the_archive_when_built(spark):
    """After `make setup` the archive exists and the running session was started with it."""
    path = class_archive.archive_path(delta_jars())
    if not path.is_file():
        pytest.skip(f"no class archive at {path} (built by `make setup`)")
    from framework.platform.local_jvm import startup_conf

    assert f"-XX:SharedArchiveFile={path}" in (startup_conf(spark, "spark.driver.extraJavaOptions") or "")

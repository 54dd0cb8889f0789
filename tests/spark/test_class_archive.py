"""The driver JVM's class archive is an optimization only: absent, stale or damaged, the JVM starts
as without it and prints nothing. Present, a command's JVM maps it: tests/spark/test_quiet_commands.py
reads the options back from a `healthmon` process started after the test run's build (a test
worker's own session may have started while the archive was being built, decision 159)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from framework.platform import class_archive


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

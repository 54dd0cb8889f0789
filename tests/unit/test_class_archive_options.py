"""The driver JVM's class archive is an optimization only: absent, stale or damaged, the JVM starts: the tests that need no Spark (the rest, and the context, in tests/spark/test_class_archive.py)."""

from __future__ import annotations

from framework.platform import class_archive


def test_no_archive_means_no_options(tmp_path):
    jars = [str(tmp_path / "delta-spark_2.13-4.0.1.jar"), str(tmp_path / "delta-storage-4.0.1.jar")]
    for jar in jars:
        (tmp_path / jar).write_bytes(b"jar")
    assert class_archive.java_options(jars) == ""
    path = class_archive.archive_path(jars)
    assert path.parent == tmp_path and path.suffix == ".jsa"
    path.write_bytes(b"not an archive")
    assert class_archive.java_options(jars) == f"-XX:SharedArchiveFile={path} {class_archive.QUIET}"

def test_key_follows_the_class_path(tmp_path):
    jars = [str(tmp_path / "delta-spark_2.13-4.0.1.jar"), str(tmp_path / "delta-storage-4.0.1.jar")]
    for jar in jars:
        (tmp_path / jar).write_bytes(b"jar")
    before = class_archive.archive_path(jars)
    (tmp_path / jars[0]).write_bytes(b"another build of the jar")
    assert class_archive.archive_path(jars) != before

def test_switched_off_by_the_environment(tmp_path, monkeypatch):
    jars = [str(tmp_path / "a.jar")]
    (tmp_path / "a.jar").write_bytes(b"jar")
    class_archive.archive_path(jars).write_bytes(b"x")
    monkeypatch.setenv(class_archive.ENV_OFF, "1")
    assert class_archive.java_options(jars) == ""

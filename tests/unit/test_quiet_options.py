"""A command's stderr holds the command's messages, not Spark's start-up notices; ``--verbose``: the tests that need no Spark (the rest, and the context, in tests/spark/test_quiet_commands.py)."""

from __future__ import annotations

from framework.platform.session import JIT_ENV, LOG4J2_FILE, QUICK_JIT_OPTIONS, jit_java_options, log_java_options
from framework.surfaces.cli import _parser


def test_verbose_is_a_global_option_before_or_after_the_command():
    parse = _parser().parse_args
    assert parse(["sql", "SELECT 1"]).verbose is False
    assert parse(["--verbose", "sql", "SELECT 1"]).verbose is True
    assert parse(["sql", "SELECT 1", "--verbose"]).verbose is True
    assert parse(["serve", "--verbose"]).verbose is True
    assert parse(["job", "status", "7", "--verbose"]).verbose is True
    assert parse(["--verbose", "job", "status", "7"]).verbose is True

def test_the_quiet_driver_option_names_the_packaged_log4j2_file():
    assert LOG4J2_FILE.is_file()
    assert log_java_options(quiet=True) == f"-Dlog4j2.configurationFile={LOG4J2_FILE.as_uri()}"
    assert " " not in log_java_options(quiet=True)  # Spark splits driver options on spaces
    assert log_java_options(quiet=False) == ""


def test_a_commands_jvm_uses_the_first_jit_tier_with_a_full_size_code_cache_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv(JIT_ENV, raising=False)
    assert jit_java_options(quick=True) == QUICK_JIT_OPTIONS
    assert set(QUICK_JIT_OPTIONS.split()) == {"-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=256m"}  # 48 MB fills (decision 120)
    assert jit_java_options(quick=False) == ""  # a notebook's or a script's local session: the JVM's defaults
    monkeypatch.setenv(JIT_ENV, " FULL ")
    assert jit_java_options(quick=True) == ""  # a local run over millions of rows

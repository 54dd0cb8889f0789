"""A failed table's audit row keeps the root cause, and its traceback is in the run's log file: the tests that need no Spark (the rest, and the context, in tests/spark/test_diagnostics.py)."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import pytest

from framework.errors import FrameworkError
from framework.platform import logs
from framework.platform.errors_text import CAUSED_BY, describe, fit

ROOT = Path(__file__).resolve().parents[2]

def test_a_plain_python_error_and_its_cause():
    try:
        try:
            {}["missing_key"]
        except KeyError as exc:
            raise ValueError("no such column") from exc
    except ValueError as exc:
        assert describe(exc) == "ValueError: no such column\nCaused by: KeyError: 'missing_key'"

def test_fit_cuts_outer_errors_before_the_root():
    root = "Root: the file /data/x is gone"
    few = fit([f"Outer{n}: " + "o" * 900 for n in range(5)] + [root], 1000)
    assert len(few) <= 1000 and few.endswith(CAUSED_BY + root)
    assert [line.split(":")[0] for line in few.split("\n")] == ["Outer0"] + ["Caused by"] * 5  # each outer one shortened, none dropped
    many = fit([f"Outer{n}: " + "o" * 900 for n in range(20)] + [root], 1000)
    assert len(many) <= 1000 and many.endswith(CAUSED_BY + root)
    assert many.startswith("Outer0: ooo") and "more cause(s) cut]" in many and "Outer19" not in many
    assert fit(["A: a", "B: b"], 1000) == "A: a\nCaused by: B: b"

@contextmanager
def records_of(name: str, level: int):
    """The records ``name`` emits inside the block (a handler on that logger itself, so a surface
    that stopped ``framework`` propagating to the root does not hide them)."""
    logger, found = logging.getLogger(name), []
    handler = logging.Handler(level)
    handler.emit = found.append
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved)

def test_a_retried_commit_race_is_logged_not_swallowed():
    from framework.platform.commit_retry import retry_on_conflict

    attempts = iter([RuntimeError("io.delta.exceptions.ConcurrentAppendException: Files were added"), None])

    def action():
        error = next(attempts)
        if error is not None:
            raise error
        return "committed"

    with records_of("framework.platform.commit_retry", logging.INFO) as found:
        assert retry_on_conflict(action, what="recording state", sleep=lambda _: None) == "committed"
    assert [r.levelname for r in found] == ["INFO"]
    assert found[0].getMessage().startswith("recording state: lost a commit race (ConcurrentAppendException), attempt 1 of 6; retrying in ")


def test_configure_twice_keeps_one_handler_and_reads_the_level(framework_logger, monkeypatch):
    monkeypatch.setenv(logs.LEVEL_ENV, "debug")
    logs.configure()
    logs.configure(tracebacks=False)
    ours = [h for h in framework_logger.handlers if isinstance(h.formatter, (logs.BriefFormatter, logs.TracebackFormatter))]
    assert len(ours) == 1 and isinstance(ours[0].formatter, logs.BriefFormatter)
    assert framework_logger.level == logging.DEBUG and framework_logger.propagate is False

def test_a_bad_level_names_the_variable(framework_logger, monkeypatch):
    monkeypatch.setenv(logs.LEVEL_ENV, "LOUD")
    with pytest.raises(FrameworkError, match=r"HEALTHMON_LOG_LEVEL='LOUD': not a logging level"):
        logs.configure()

def test_brief_stderr_lines_and_the_traceback_in_the_file(framework_logger, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(logs.LEVEL_ENV, raising=False)
    logs.configure(default_level="WARNING", tracebacks=False)  # as the CLI does
    child = logging.getLogger("framework.engine.runner")
    path = logs.run_log_path(tmp_path, "r/1")
    assert path == tmp_path / "logs" / "run-r_1.log"
    with logs.copy_to_file(child, path):
        try:
            raise ValueError("root\nsecond line")
        except ValueError as exc:
            child.error("t FAILED in run r/1 (traceback: %s)\ndetail", path, exc_info=exc)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.rstrip().endswith(f"ERROR framework.engine.runner: t FAILED in run r/1 (traceback: {path})")
    logged = path.read_text()
    assert "detail\nTraceback (most recent call last):" in logged and "ValueError: root\nsecond line" in logged
    assert child.handlers == []  # the file handler is gone after the block

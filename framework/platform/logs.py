"""Where the framework's log records go: stderr (set up by a surface) and a run's own log file.

Every module logs to its own named logger (``logging.getLogger(__name__)``, so
``framework.engine.runner`` ...), all children of ``framework``; nothing is configured at import.
A surface (the CLI's ``main``, the notebook/job entry points) calls :func:`configure` once: one
stderr handler on ``framework``. On Databricks stderr is the driver log (and the task's output),
which is where a traceback goes there, since there is no lakehouse folder.

Locally a run also has a file, ``<home>/logs/run-<run_id>.log``: the runner writes each unexpected
failure's full traceback there (:func:`run_log_path`, :func:`copy_to_file`) and names the file in
the audit row, so the audit row stays short and the traceback is one ``cat`` away.

The formatter adds the JVM stack trace that Python's traceback of a converted pyspark error does
not show (:func:`~framework.platform.errors_text.jvm_stacktrace`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from framework.errors import SettingError
from framework.platform.errors_text import jvm_stacktrace

ROOT = "framework"
LEVEL_ENV = "HEALTHMON_LOG_LEVEL"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_OURS = "_healthmon_stderr"  # marks the handler configure() added, so a second call replaces it


class TracebackFormatter(logging.Formatter):
    """The standard format, with each exception's hidden JVM stack trace after its traceback."""

    def formatException(self, ei) -> str:
        text = super().formatException(ei)
        exc = ei[1]
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            trace = jvm_stacktrace(exc)
            if trace:
                text += f"\nJVM stacktrace of {type(exc).__name__}:\n{trace.rstrip()}"
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        return text


class BriefFormatter(logging.Formatter):
    """One line per record, no traceback: for a terminal whose tracebacks are in the run's file."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage().split("\n", 1)[0]
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        return self.formatMessage(record)


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (notebooks and test capture
    replace it after configuration)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def level_from_env(default: str) -> int:
    """``HEALTHMON_LOG_LEVEL`` (DEBUG, INFO, WARNING, ERROR), else ``default``."""
    name = os.environ.get(LEVEL_ENV, "").strip().upper() or default
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise SettingError(f"{LEVEL_ENV}={name!r}: not a logging level; use DEBUG, INFO, WARNING or ERROR")
    return level


def configure(*, default_level: str = "INFO", tracebacks: bool = True) -> logging.Logger:
    """Send ``framework.*`` records at ``HEALTHMON_LOG_LEVEL`` (else ``default_level``) to stderr.

    Called by the surfaces, once per entry; calling again replaces the handler rather than adding
    a second. ``tracebacks=False`` (the CLI) prints one line per record: the terminal already shows
    each failure's root cause, and the traceback is in the run's log file.
    """
    logger = logging.getLogger(ROOT)
    for handler in [h for h in logger.handlers if getattr(h, _OURS, False)]:
        logger.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(TracebackFormatter(FORMAT) if tracebacks else BriefFormatter(FORMAT))
    setattr(handler, _OURS, True)
    logger.addHandler(handler)
    logger.setLevel(level_from_env(default_level))
    logger.propagate = False  # the records are printed once, by this handler
    return logger


def run_log_path(home: Path | None, run_id: str) -> Path | None:
    """``<home>/logs/run-<run_id>.log``; None without a home (Databricks: the driver log)."""
    if home is None:
        return None
    return Path(home) / "logs" / f"run-{re.sub(r'[^A-Za-z0-9_.-]', '_', run_id)}.log"


@contextmanager
def copy_to_file(logger: logging.Logger, path: Path | None) -> Iterator[Path | None]:
    """While inside, ``logger``'s records are also appended to ``path``; yields the path, or None
    when there is none or its folder cannot be created (the records still reach stderr)."""
    if path is None:
        yield None
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        logger.warning("cannot create the log folder %s (%s); the traceback goes to stderr only", path.parent, exc)
        yield None
        return
    handler = logging.FileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(TracebackFormatter(FORMAT))
    logger.addHandler(handler)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        handler.close()

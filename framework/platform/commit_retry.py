"""Retrying a Delta commit that lost an optimistic-concurrency race.

Parallel job tasks share the control table: each records its table's state with a MERGE that
touches only that table's row, but Delta checks conflicts per file, so two MERGEs into the same
small table conflict (``ConcurrentAppendException`` / ``ConcurrentDeleteReadException``...).
The statements retried here are idempotent (they *set* values), so re-running the whole
statement against the new snapshot is correct. Audit and quarantine rows are blind appends and
never need this.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from framework.errors import CommitConflictError

T = TypeVar("T")
log = logging.getLogger(__name__)

# Class names of Delta's concurrent-modification errors, matched by name as well as by type so
# the check also works where the JVM error arrives wrapped (e.g. Spark Connect on serverless).
CONFLICT_NAMES = (
    "ConcurrentAppendException",
    "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException",
    "ConcurrentTransactionException",
    "ConcurrentWriteException",
    "MetadataChangedException",
    "DELTA_CONCURRENT_",
)


def conflict_name(exc: BaseException) -> str | None:
    """The Delta conflict ``exc`` reports (e.g. ``ConcurrentAppendException``), or None."""
    text = f"{type(exc).__name__}: {exc}"
    found = [(text.index(name), name) for name in CONFLICT_NAMES if name in text]
    if found:
        return min(found)[1]
    try:
        from delta.exceptions import DeltaConcurrentModificationException

        if isinstance(exc, DeltaConcurrentModificationException):
            return type(exc).__name__
    except ImportError:  # pragma: no cover - delta-spark is a dependency
        pass
    return None


def is_commit_conflict(exc: BaseException) -> bool:
    return conflict_name(exc) is not None


def retry_on_conflict(
    action: Callable[[], T],
    *,
    what: str,
    attempts: int = 6,
    base_delay: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> T:
    """Run ``action``; on a Delta commit conflict wait (exponential backoff, jitter) and rerun."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except Exception as exc:  # every error is re-raised except a commit conflict, which is retried (and logged)
            if not is_commit_conflict(exc):
                raise
            if attempt == attempts:
                raise CommitConflictError(f"{what}: still losing to concurrent writers after {attempts} attempt(s) ({conflict_name(exc)})") from exc
            if on_retry is not None:
                on_retry(attempt, exc)
            delay = base_delay * (2 ** (attempt - 1)) * (1 + random.random())
            log.info("%s: lost a commit race (%s), attempt %d of %d; retrying in %.2f s", what, conflict_name(exc), attempt, attempts, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover

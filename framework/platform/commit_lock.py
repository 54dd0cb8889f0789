"""One writer at a time per Delta table of a local lakehouse, across processes and threads.

Delta's transaction log makes concurrent writers safe where the storage gives mutual exclusion on
the creation of a log file (cloud object stores through Delta's log stores, Unity Catalog): two
writers racing for version N+1 find out, and the loser retries or fails with a
``Concurrent...Exception``. A local file system gives no such guarantee across processes (the log
store's check-then-rename is atomic only within one JVM), so two ``healthmon`` processes over one
local lakehouse could each write version N+1, one silently replacing the other. Locally, every
write the framework makes to a Delta table therefore holds an exclusive ``flock`` on
``<home>/locks/<table>.lock`` for the statement's duration: the second writer waits for the first,
then runs against the version the first committed, and Delta's own conflict detection decides as
it does on Databricks. Databricks (no home) needs no lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from framework.errors import CommitConflictError

WAIT_SECONDS = 600.0  # a write of the framework takes seconds; a holder gone for this long is stuck
POLL_SECONDS = 0.05


@contextmanager
def holding(home: Path | None, table: str, *, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the write lock of ``table`` (a qualified name) of the lakehouse at ``home`` (None: no lock)."""
    if home is None:
        yield
        return
    folder = Path(home) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{table.replace('`', '')}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CommitConflictError(f"{table}: another writer held {path} for over {wait:.0f} s; nothing was written") from None
                time.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

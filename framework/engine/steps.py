"""Where a table's run spends its time: wall-clock seconds per step, kept in the audit row.

Spark is lazy, so a step's seconds are those of the work its actions trigger (e.g. ``read`` only
cuts the window bounds; the rows are read when the batch is materialized in ``prepare``). The
names are the data path's steps, in order; docs/benchmarks.md reads them back per table.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StepTimer:
    """Accumulates seconds per named step (a step entered twice adds up)."""

    def __init__(self, clock=time.perf_counter):
        self._clock = clock
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = self._clock()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + self._clock() - start, 4)

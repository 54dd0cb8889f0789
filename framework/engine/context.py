"""Everything a run depends on, built in one place that tests rebuild with overrides.

The clock and the run-id factory are injected, never read inside transformations, so results
carrying run timestamps are exactly assertable.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from framework.platform.lakehouse import Lakehouse


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    return uuid.uuid4().hex


def _silent(_: str) -> None:
    return None


@dataclass(frozen=True)
class Context:
    lakehouse: Lakehouse
    clock: Callable[[], datetime] = utc_now
    run_id_factory: Callable[[], str] = new_run_id
    job_run_id: str | None = None
    progress: Callable[[str], None] = field(default=_silent)

    @property
    def spark(self):
        return self.lakehouse.spark

    @property
    def params(self):
        return self.lakehouse.params

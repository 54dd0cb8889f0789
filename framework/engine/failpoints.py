"""Named points of a table's run where a test or the crash stress script makes the process die.

SPEC §6 promises that a re-run after a crash at any step converges; these points are the step
boundaries where a crash leaves something different behind (docs/reliability.md):

- ``after_read``: the batch is read, mapped and materialized; nothing written.
- ``after_validate``: the batch is judged; nothing written.
- ``after_quarantine``: the rows set aside are in the quarantine; Gold not written.
- ``between_gold_commits``: a load type writing two tables (scd2) committed the first only.
- ``after_gold_commit``: Gold committed (with the run's marker); no audit row or state.
- ``after_audit``: the run's audit rows appended; the state (watermark) not updated.

``HEALTHMON_FAILPOINT=<point>[@<table>][:kill]`` arms one point (for one table, or any). By
default reaching it raises :class:`InjectedCrash`, a ``BaseException``: it passes every ``except
Exception`` of the runner's per-table isolation, so nothing after the point is written, which is
what a process killed there leaves. ``:kill`` sends the process SIGKILL instead, the real thing.
Unarmed, a point costs one environment lookup.
"""

from __future__ import annotations

import os
import signal

from framework.errors import InjectedCrash

__all__ = ["ENV", "POINTS", "InjectedCrash", "armed", "reached"]

ENV = "HEALTHMON_FAILPOINT"
POINTS = ("after_read", "after_validate", "after_quarantine", "between_gold_commits", "after_gold_commit", "after_audit")


def armed() -> tuple[str, str | None, bool] | None:
    """(point, table or None, kill) of the armed failpoint, or None."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return None
    text, kill = (text[: -len(":kill")], True) if text.endswith(":kill") else (text, False)
    point, _, table = text.partition("@")
    if point not in POINTS:
        raise ValueError(f"{ENV}={os.environ[ENV]!r}: the point must be one of {', '.join(POINTS)}")
    return point, table or None, kill


def reached(point: str, tables: tuple[str, ...] | list[str] = ()) -> None:
    """Crash here when ``point`` is armed (for one of ``tables``, or for any table)."""
    found = armed()
    if found is None or found[0] != point or (found[1] is not None and found[1] not in tables):
        return
    if found[2]:
        os.kill(os.getpid(), signal.SIGKILL)
    raise InjectedCrash(f"failpoint {point}" + (f" ({found[1]})" if found[1] else ""))

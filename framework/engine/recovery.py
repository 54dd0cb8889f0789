"""The state a crashed run left only in Gold: found in the commit's marker, taken up by the next run.

A run commits Gold first (its quarantine rows before that) and writes its audit row and state
after (SPEC §6). Every Gold commit carries the run's :class:`~framework.engine.merge.Marker` in
``userMetadata``: the run id and the batch's bounds, in the same atomic commit as the data. A
process that dies between the Gold commit and the state update leaves the control row behind
Gold; the next run reads the marker and starts from the watermark the crashed run reached, so the
batch already in Gold is not applied a second time (and where it is read again, by a lookback, the
load types' diffs make that a no-op). The run names the crashed run in its audit row
(``recovered_from``).

The check costs nothing in the normal case: the history is read only when Gold's version is past
the one the table's state covers (``input_versions``), and only its last few commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from pyspark.sql import functions as F

from framework.engine.audit import AUDIT_TABLE
from framework.engine.merge import Marker
from framework.platform.control_store import TableState
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table

LOOK_BACK = 5  # commits: a crashed run is at most a few commits behind the newest


@dataclass(frozen=True)
class Recovery:
    """The crashed run whose Gold commit the control row does not account for, and the state it reached."""

    run_id: str
    watermark: str | None

    def state(self, state: TableState) -> TableState:
        """``state`` with the crashed run's watermark: where the next window starts (a marker without
        one, a table read whole each run, keeps the stored one)."""
        return state if self.watermark is None else replace(state, watermark_value=self.watermark)


def _covered_version(state: TableState) -> int | None:
    try:
        return json.loads(state.input_versions or "{}").get("gold")
    except ValueError:
        return None


def _audited(lakehouse: Lakehouse, run_id: str, table: str) -> bool:
    audit = lakehouse.spark.table(quote_table(lakehouse.params.control(AUDIT_TABLE)))
    return audit.where((F.col("run_id") == run_id) & (F.col("table_name") == table)).limit(1).count() > 0


def newest_marker(lakehouse: Lakehouse, gold: str, table: str, covered: int | None) -> Marker | None:
    """The newest run marker of ``table`` among Gold's last commits after version ``covered``."""
    if not lakehouse.exists(gold):
        return None
    for commit in lakehouse.history(gold, LOOK_BACK):
        if covered is not None and commit["version"] <= covered:
            return None
        marker = Marker.parse(commit["userMetadata"], table)
        if marker is not None:  # else not a run's commit (the table's creation, a user's OPTIMIZE): look further back
            return marker
    return None


def find_recovery(lakehouse: Lakehouse, gold: str, table: str, state: TableState, current: int | None = None) -> Recovery | None:
    """What the control row of ``table`` (Gold table ``gold``, the last its load type writes) lacks, or None.

    ``current``: Gold's version as the run's fingerprint found it, when it took one; at or below
    the version the state covers (the normal case), nothing is read. A marker is the control row's
    own when it is the last run's, or when its run was audited and reached the stored watermark
    (a later run of the table failed before writing: the state is that run's, the watermark not).
    """
    covered = _covered_version(state)
    if current is not None and covered is not None and current <= covered:
        return None
    marker = newest_marker(lakehouse, gold, table, covered)
    if marker is None or marker.run_id == state.last_run_id:
        return None
    if marker.watermark_to == state.watermark_value and _audited(lakehouse, marker.run_id, table):
        return None
    return Recovery(marker.run_id, marker.watermark_to)

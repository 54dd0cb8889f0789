"""Which crashed run left a Gold commit that nobody recorded.

A run commits Gold first and writes its audit row and state after (SPEC §6): a process that dies
in between leaves a Gold commit carrying its marker (the run id, in ``userMetadata``) and neither.
The next run re-reads the same window (the watermark did not move), its diff finds the rows already
there, and it converges; this module names the crashed run, so its audit row can say that it
recovered from it (``recovered_from``). A commit is taken for unrecorded when it is newer than the
Gold version the table's state covers (``input_versions``), carries this table's marker from a run
other than the state's last one, and that run has no audit row for the table (read only then).
"""

from __future__ import annotations

import json

from pyspark.sql import functions as F

from framework.engine.audit import AUDIT_TABLE
from framework.engine.merge import marker_run_id
from framework.platform.control_store import TableState
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table

LOOK_BACK = 5  # commits: a crashed run is at most a few commits behind the newest


def _covered_version(state: TableState) -> int | None:
    try:
        return json.loads(state.input_versions or "{}").get("gold")
    except ValueError:
        return None


def _audited(lakehouse: Lakehouse, run_id: str, table: str) -> bool:
    audit = lakehouse.spark.table(quote_table(lakehouse.params.control(AUDIT_TABLE)))
    return audit.where((F.col("run_id") == run_id) & (F.col("table_name") == table)).limit(1).count() > 0


def unrecorded_run(lakehouse: Lakehouse, gold: str, table: str, state: TableState, current: int | None = None) -> str | None:
    """The run whose Gold commit of ``table`` (Gold table ``gold``) was never audited, or None.

    ``current``: Gold's version as the run's fingerprint found it, when it took one; at or below
    the version the state covers (the normal case), nothing is read.
    """
    covered = _covered_version(state)
    if current is not None and covered is not None and current <= covered:
        return None
    if not lakehouse.exists(gold):
        return None
    for commit in lakehouse.history(gold, LOOK_BACK):
        if covered is not None and commit["version"] <= covered:
            return None
        run_id = marker_run_id(commit["userMetadata"], table)
        if run_id is None:  # not a run's commit (the table's creation, a user's OPTIMIZE): look further back
            continue
        if run_id == state.last_run_id:
            return None
        return None if _audited(lakehouse, run_id, table) else run_id
    return None

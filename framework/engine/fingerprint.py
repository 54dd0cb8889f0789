"""What a table's run depends on, so a run whose inputs have not changed can stop before reading.

A table's Gold content is a function of its metadata, the rows of its source and join tables, and
the Gold rows already there. Delta versions name those rows exactly, so a fingerprint of
(metadata hash, source/join versions, Gold version) equal to the one stored at the table's last
success means the run would write nothing: it is SUCCEEDED with zero counts, without a read.

Conservative by construction: no fingerprint (so a normal run) when an input is not a Delta table
or its history cannot be read, when an expression depends on the clock or on randomness, or on
``--full-refresh``. The source versions are taken *before* the read, so a commit landing during
the run makes the next run a normal one rather than being marked as processed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass

from pyspark.errors import AnalysisException

from framework.metadata.spec import TableSpec
from framework.platform.lakehouse import Lakehouse

log = logging.getLogger(__name__)

# Functions whose value changes between runs over the same rows: whole words only, so a column
# named like one's prefix (query.history's ``shuffle_read_bytes``) does not count.
VOLATILE = re.compile(
    r"\b(current_date|current_timestamp|current_timezone|now|localtimestamp|curdate|getdate|"
    r"rand|randn|random|uuid|shuffle|monotonically_increasing_id|spark_partition_id|"
    r"input_file_name|unix_timestamp\s*\(\s*\))(?!\w)",
    re.IGNORECASE,
)


def metadata_hash(spec: TableSpec) -> str:
    text = json.dumps(spec.to_row(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def metadata_changed(spec: TableSpec, stored: str | None) -> bool:
    """Whether ``spec`` differs from the metadata of the stored fingerprint (of the last success);
    True when there is none or it cannot be read."""
    try:
        return json.loads(stored)["metadata"] != metadata_hash(spec)
    except (TypeError, ValueError, KeyError):
        return True


def is_volatile(spec: TableSpec) -> bool:
    texts = [c.expr for c in spec.columns] + [spec.source_filter, spec.sequence_by, spec.delete_condition] + [j.on for j in spec.joins] + [spec.explode.expr if spec.explode else None]
    return any(VOLATILE.search(t) for t in texts if t)


def delta_version(lakehouse: Lakehouse, table: str) -> int | None:
    """The table's latest Delta version (:meth:`~framework.platform.lakehouse.Lakehouse.history`:
    its log folder when local); None when the analyzer rejects ``DESCRIBE HISTORY`` for it.

    That is an ``AnalysisException`` (classic and Spark Connect alike): the table is missing
    (TABLE_OR_VIEW_NOT_FOUND), a view (EXPECT_TABLE_NOT_VIEW) or not Delta (DELTA_ONLY_OPERATION).
    No fingerprint then, and the normal path reads the table and reports what is wrong with it.
    Anything else (a dead session, a failing job, a permission error of another class) is a real
    failure and propagates: the run records it with its root cause.
    """
    try:
        rows = lakehouse.history(table, 1)
    except AnalysisException as exc:
        log.debug("no Delta version for %s, so no fingerprint: %s", table, str(exc).split("\n", 1)[0])
        return None
    return int(rows[0]["version"]) if rows else None


@dataclass(frozen=True)
class Fingerprint:
    metadata: str
    inputs: tuple[tuple[str, int], ...]  # (table, Delta version) of the source and each join
    gold: int | None  # the Gold table's version (None: not created yet)

    def with_gold(self, version: int | None) -> Fingerprint:
        return Fingerprint(self.metadata, self.inputs, version)

    def to_json(self) -> str:
        return json.dumps({"metadata": self.metadata, "inputs": [list(i) for i in self.inputs], "gold": self.gold}, sort_keys=True)


def take(lakehouse: Lakehouse, spec: TableSpec, source_table: str, join_tables: list[str], target: str) -> Fingerprint | None:
    """The fingerprint of the inputs as they are now, or None when it cannot be trusted."""
    if is_volatile(spec):
        return None
    inputs = []
    for table in [source_table, *join_tables]:
        version = delta_version(lakehouse, table)
        if version is None:
            return None
        inputs.append((table, version))
    return Fingerprint(metadata_hash(spec), tuple(inputs), delta_version(lakehouse, target))

"""A Delta table's recent commits, read from its ``_delta_log`` folder on the local file system.

What the engine asks of a table's history is small: its latest version (the fingerprint of a
run's inputs), and which recent commit carries a run's marker with what metrics (the MERGE's
counts, the control table's own state commits). ``DESCRIBE HISTORY`` answers that too, but each
statement costs the session a parse that builds an encoder by Scala reflection, a Spark command
and a round trip: about a tenth of a second, four times per table run (measured: a sixth of a
fact table's run; docs/benchmarks.md). Where the lakehouse keeps the table on the local file
system (:meth:`framework.platform.lakehouse.Lakehouse.local_delta_log`), the same answer is a
directory listing and the newest commit files' ``commitInfo`` lines, as the Delta protocol
writes them: one ``<version>.json`` per commit, written whole (a hidden temporary file renamed).

The rows have the columns of ``DESCRIBE HISTORY`` the engine reads: ``version``, ``operation``,
``userMetadata``, ``operationMetrics`` (strings, as Delta stores them), newest first.
"""

from __future__ import annotations

import json
from pathlib import Path

COMMIT_INFO = '{"commitInfo"'
HISTORY_COLUMNS = ("version", "operation", "userMetadata", "operationMetrics")


def commit_versions(log_dir: Path) -> list[int]:
    """Every commit version whose ``<version>.json`` is in ``log_dir``, newest first."""
    names = (path.name[: -len(".json")] for path in log_dir.glob("*.json"))
    return sorted((int(name) for name in names if name.isdigit()), reverse=True)


def commit_info(log_dir: Path, version: int) -> dict:
    """The ``commitInfo`` action of one commit ({} when the commit has none)."""
    with open(log_dir / f"{version:020d}.json", encoding="utf-8") as commit:
        for line in commit:
            if line.startswith(COMMIT_INFO):
                return json.loads(line)["commitInfo"]
    return {}


def recent_history(log_dir: Path, limit: int) -> list[dict]:
    """The latest ``limit`` commits as ``DESCRIBE HISTORY ... LIMIT limit`` shows them (the
    columns above), newest first; [] for a folder without commits."""
    rows = []
    for version in commit_versions(log_dir)[:limit]:
        info = commit_info(log_dir, version)
        rows.append({
            "version": version,
            "operation": info.get("operation"),
            "userMetadata": info.get("userMetadata"),
            "operationMetrics": _metrics(info.get("operationMetrics")),
        })
    return rows


def _metrics(found: dict | None) -> dict[str, str] | None:
    """``operationMetrics`` as DESCRIBE HISTORY types them (MAP<STRING, STRING>): Spark writes the
    values as strings, another writer of the table (delta-rs) as JSON numbers."""
    if found is None:
        return None
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in found.items()}

"""The dashboard views (``control_tables/views.sql``), created beside the audit tables.

Every bootstrap calls :func:`ensure_views`. The views are replaced only when they are missing or
their text changed: the last view carries a hash of all the statements (placeholders filled) in
a table property, so a bootstrap that finds it current costs one catalog lookup, and the tasks of
one Databricks job run do not rewrite the views concurrently. Locally the catalog is in-memory,
so each new session creates them once.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from framework.platform.params import fill_placeholders
from framework.platform.resources import control_dir

if TYPE_CHECKING:
    from framework.platform.lakehouse import Lakehouse

VERSION_PROPERTY = "healthmon.views_sha256"
VIEW_THREADS = 4
_VIEW_NAME = re.compile(r"^CREATE\s+OR\s+REPLACE\s+VIEW\s+(\S+)", re.IGNORECASE)


def sql_statements(text: str) -> list[str]:
    """The statements of a SQL file: whole-line comments dropped, split at a ';' ending a line."""
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", body) if s.strip()]


def view_statements(lakehouse: Lakehouse) -> dict[str, str]:
    """View name (as written, placeholders filled) -> its CREATE OR REPLACE VIEW statement."""
    out = {}
    for statement in sql_statements((control_dir() / "views.sql").read_text()):
        filled = fill_placeholders(statement, lakehouse.params)
        out[_VIEW_NAME.match(filled).group(1)] = filled
    return out


def _stored_hash(lakehouse: Lakehouse, view: str) -> str | None:
    if not lakehouse.exists(view):
        return None
    rows = lakehouse.spark.sql(f"SHOW TBLPROPERTIES {view} ('{VERSION_PROPERTY}')").collect()
    return rows[0]["value"] if rows else None


def ensure_views(lakehouse: Lakehouse) -> bool:
    """Create or replace the views unless they are current; True when they were (re)created."""
    statements = view_statements(lakehouse)
    digest = hashlib.sha256("\n;\n".join(statements.values()).encode()).hexdigest()
    marker = list(statements)[-1]
    if _stored_hash(lakehouse, marker) == digest:
        return False
    # each view reads only the control and audit tables, never another view: created side by side
    # (each CREATE is an analysis round trip; a cold local command creates them all)
    with ThreadPoolExecutor(max_workers=VIEW_THREADS, thread_name_prefix="healthmon-views") as pool:
        list(pool.map(lakehouse.spark.sql, statements.values()))
    lakehouse.spark.sql(f"ALTER VIEW {marker} SET TBLPROPERTIES ('{VERSION_PROPERTY}' = '{digest}')")
    return True

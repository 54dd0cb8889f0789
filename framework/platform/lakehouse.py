"""Where tables live: schemas, table creation from DDL, and the local catalog.

Locally there is no metastore shared between processes (an embedded Derby metastore admits one
JVM at a time), so every framework table is created *by location* under
``<home>/tables/<schema>/<table>`` and re-registered by location when a session starts. The
lakehouse's schemas are created with ``LOCATION '<home>/tables/<schema>'``, so a managed table a
user creates in them lands in that same place; everything else a user creates (views, schemas,
tables elsewhere) is kept in the catalog journal, :mod:`framework.platform.catalog`. On
Databricks (``home`` is None) tables are Unity Catalog managed and nothing is registered.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from framework.platform import commit_lock
from framework.platform.catalog import FRAMEWORK_RECORDER, LocalCatalog, describe_object
from framework.platform.delta_log import HISTORY_COLUMNS, recent_history
from framework.platform.params import RunParams, fill_placeholders
from framework.platform.resources import control_dir
from framework.platform.sqltext import (
    quote_ident,
    quote_table,
    split_table_name,
    sql_string,
)

CONTROL_TABLES = ("gold_table_control", "gold_run_audit", "gold_quarantine", "gold_tombstones")
BOOTSTRAP_STAMP = "bootstrap.json"  # under home: the columns each control DDL file declares, per file content
REGISTER_THREADS = 4


def _read_stamp(path: Path | None) -> dict:
    try:
        return json.loads(path.read_text()) if path is not None else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(path: Path, content: dict) -> None:
    """Written whole, then renamed: a concurrent reader sees the old or the new stamp."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    partial.write_text(json.dumps(content, sort_keys=True, indent=1))
    os.replace(partial, path)


@dataclass(frozen=True)
class Lakehouse:
    """The session, the run parameters, and (locally) the folder holding every table."""

    spark: object
    params: RunParams
    home: Path | None = None

    # -- naming -------------------------------------------------------------------------
    def location(self, full_name: str) -> Path | None:
        if self.home is None:
            return None
        schema, table = split_table_name(full_name)[-2:]
        return self.home / "tables" / schema / table

    def local_delta_log(self, full_name: str) -> Path | None:
        """The ``_delta_log`` folder of ``full_name`` when this lakehouse keeps the table where
        bootstrap registers it (``<home>/tables/<schema>/<table>``, one of its own schemas), else
        None: on Databricks, for a name the catalog journal records (a view, a user's table with a
        location of its own) and for a folder the journal claims for another name (a rename)."""
        if self.home is None:
            return None
        parts = split_table_name(full_name)
        schema, table = parts[-2:]
        if schema not in self.schemas or (len(parts) == 3 and parts[0] != self.params.catalog):
            return None
        folder = self.location(full_name)
        log_dir = folder / "_delta_log"
        if not log_dir.is_dir():
            return None
        journal = self.catalog.journal
        if journal.has_object(schema, table) or os.path.abspath(folder) in journal.claimed_locations():
            return None
        return log_dir

    def history(self, full_name: str, limit: int) -> list[dict]:
        """The table's latest ``limit`` commits, newest first, with the columns of ``DESCRIBE
        HISTORY`` the engine reads (:mod:`framework.platform.delta_log`): from the log folder when
        the table is local, else by ``DESCRIBE HISTORY`` (whose errors propagate: a missing table,
        a view, a table that is not Delta raise ``AnalysisException``)."""
        log_dir = self.local_delta_log(full_name)
        if log_dir is not None:
            return recent_history(log_dir, limit)
        rows = self.spark.sql(f"DESCRIBE HISTORY {quote_table(full_name)} LIMIT {int(limit)}").collect()
        return [{key: row[key] for key in HISTORY_COLUMNS} for row in rows]

    def _location_clause(self, full_name: str) -> str:
        path = self.location(full_name)
        return "" if path is None else f" LOCATION '{path.as_posix()}'"

    @property
    def schemas(self) -> tuple[str, str, str]:
        return (self.params.bronze_schema, self.params.gold_schema, self.params.control_schema)

    @property
    def catalog(self) -> LocalCatalog | None:
        """The local catalog journal (None on Databricks, where Unity Catalog is the catalog)."""
        return None if self.home is None else LocalCatalog(self.spark, self.home, self.schemas)

    # -- set-up -------------------------------------------------------------------------
    def ensure_schemas(self) -> None:
        """The three schemas; locally at ``<home>/tables/<schema>``, where the folder scan finds
        the managed tables created in them."""
        for schema in self.schemas:
            where = "" if self.home is None else f" LOCATION {sql_string((self.home / 'tables' / schema).as_posix())}"
            self.spark.sql(
                f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.params.catalog)}.{quote_ident(schema)}{where}"
            )

    def local_tables(self) -> dict[str, Path]:
        """Full name -> folder of every Delta table under ``home`` in this lakehouse's schemas,
        except the folders the catalog journal accounts for (a table renamed or dropped by a user)."""
        if self.home is None or not (self.home / "tables").exists():
            return {}
        claimed = self.catalog.claimed_locations()
        found = {}
        for log_dir in sorted((self.home / "tables").glob("*/*/_delta_log")):
            table_dir = log_dir.parent
            if table_dir.parent.name in self.schemas and os.path.abspath(table_dir) not in claimed:
                found[f"{self.params.catalog}.{table_dir.parent.name}.{table_dir.name}"] = table_dir
        return found

    def register(self, full_name: str, folder: Path) -> None:
        """Make the Delta table in ``folder`` known to this session's catalog as ``full_name``."""
        self.spark.sql(f"CREATE TABLE IF NOT EXISTS {quote_table(full_name)} USING DELTA LOCATION {sql_string(folder.as_posix())}")

    def register_existing(self) -> int:
        """Register what the catalog journal holds and every Delta table found under ``home``
        in this session's catalog; views last, as they may read any of those tables."""
        catalog = self.catalog
        if catalog is not None:
            catalog.restore_tables()
        tables = self.local_tables()
        # Each registration reads its table's Delta log: a round trip that mostly waits, so a few
        # run at once (one session, several threads; a cold command registers every table).
        with ThreadPoolExecutor(max_workers=REGISTER_THREADS, thread_name_prefix="healthmon-register") as pool:
            list(pool.map(lambda item: self.register(*item), tables.items()))
        if catalog is not None:
            catalog.restore_views()
        return len(tables)

    def create_table(self, full_name: str, columns_ddl: str, comment: str | None = None) -> bool:
        """Create a Delta table from a column list if it does not exist; True when created."""
        if self.exists(full_name):
            return False
        comment_sql = "" if comment is None else " COMMENT " + sql_string(comment)
        self.spark.sql(
            f"CREATE TABLE IF NOT EXISTS {quote_table(full_name)} ({columns_ddl}) USING DELTA"
            f"{comment_sql}{self._location_clause(full_name)}"
        )
        return True

    def run_ddl_file(self, path: Path, declared: list[str] | None = None) -> list[str]:
        """Run one CREATE TABLE file with placeholders filled and (locally) a location added; on an
        existing table add the columns it lacks. The names of the columns the file declares.

        ``declared`` (those names, remembered from an earlier call) spares parsing the DDL when the
        table already has every one of them.
        """
        text = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("--")
        )
        statement = fill_placeholders(text, self.params).strip().rstrip(";")
        table = path.stem
        full_name = self.params.control(table)
        if not self.exists(full_name):
            self.spark.sql(statement + self._location_clause(full_name))
            return declared or self._declared(statement).names
        if declared is not None:
            present = {c.lower() for c in self.spark.table(quote_table(full_name)).columns}
            if all(name.lower() in present for name in declared):
                return declared
        return self._add_missing_columns(full_name, statement)

    def _declared(self, statement: str):
        """The columns a CREATE TABLE statement declares, parsed by the session (classic or Connect)."""
        columns_text = statement[statement.index("(") + 1 : statement.rindex(") USING")]
        return self.spark.createDataFrame([], columns_text).schema

    def _add_missing_columns(self, full_name: str, statement: str) -> list[str]:
        """Columns a newer DDL file declares are added to an existing table (nullable, at the end);
        the names it declares."""
        declared = self._declared(statement)
        present = {f.name.lower() for f in self.spark.table(quote_table(full_name)).schema.fields}
        missing = [f for f in declared.fields if f.name.lower() not in present]
        if missing:
            added = ", ".join(
                f"{quote_ident(f.name)} {f.dataType.simpleString()}"
                + (f" COMMENT {sql_string(f.metadata['comment'])}" if f.metadata.get("comment") else "")
                for f in missing
            )
            self.spark.sql(f"ALTER TABLE {quote_table(full_name)} ADD COLUMNS ({added})")
        return declared.names

    def ensure_control_tables(self) -> None:
        """Create the control tables, or add the columns a newer DDL declares.

        Locally the column names each DDL file declares are remembered per file content in
        ``<home>/bootstrap.json``: an unchanged file is then checked by comparing names with the
        table's columns, without parsing the DDL again (a round trip every cold command paid).
        """
        stamp = None if self.home is None else self.home / BOOTSTRAP_STAMP
        remembered = _read_stamp(stamp).get("ddl_columns", {})
        paths = [control_dir() / f"{table}.sql" for table in CONTROL_TABLES]
        digests = [hashlib.sha256(path.read_text().encode()).hexdigest() for path in paths]
        # one statement per table, each mostly a round trip and a log write: side by side (as registrations)
        with ThreadPoolExecutor(max_workers=REGISTER_THREADS, thread_name_prefix="healthmon-bootstrap") as pool:
            names = list(pool.map(lambda item: self.run_ddl_file(item[0], remembered.get(item[1])), zip(paths, digests)))
        learned = dict(zip(digests, names))
        if stamp is not None and learned != {d: remembered.get(d) for d in learned}:
            _write_stamp(stamp, {"ddl_columns": learned})

    def bootstrap(self) -> None:
        """Schemas, local registrations, control and audit tables: idempotent.

        The dashboard views over them are the surfaces' business
        (:func:`framework.surfaces.views.ensure_views`).
        """
        with commit_lock.holding(self.home, "bootstrap"):  # two processes starting at once create each table once
            self.ensure_schemas()
            self.register_existing()
            self.ensure_control_tables()

    def create_view(self, full_name: str, statement: str) -> None:
        """Run the ``CREATE OR REPLACE VIEW`` of a framework view (a Gold table of load type view).

        Locally it is also journaled (:mod:`framework.platform.catalog`), as a view a user creates
        is: the catalog is in-memory per process and a view has no folder to be found by, so the
        journal is how later sessions (``healthmon sql``, the SQL endpoint) have it too.
        """
        self.spark.sql(statement)
        if self.home is not None:
            schema, name = split_table_name(full_name)[-2:]
            self.catalog.journal.write_object(describe_object(self.spark, schema, name, by=FRAMEWORK_RECORDER))

    def writing(self, full_name: str):
        """Hold ``full_name``'s write lock for a statement that commits to it (a local lakehouse
        only: :mod:`framework.platform.commit_lock`)."""
        return commit_lock.holding(self.home, ".".join(split_table_name(full_name)))

    # -- queries ------------------------------------------------------------------------
    def exists(self, full_name: str) -> bool:
        return bool(self.spark.catalog.tableExists(".".join(split_table_name(full_name))))

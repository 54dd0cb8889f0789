"""The local catalog: what a user creates with SQL outlives the process that created it.

Why this exists: every local process starts Spark with an in-memory catalog (an embedded Derby
metastore admits one JVM at a time, and ``healthmon serve`` runs beside other commands). The
framework's own tables are found again by their folder, ``<home>/tables/<schema>/<table>``
(:meth:`Lakehouse.local_tables`), but what a user creates through ``healthmon sql`` or the SQL
endpoint -- a managed or external table, a CTAS, a view, a schema -- is either elsewhere or not a
folder at all, and without this module it is gone for the next process (its data orphaned).

So the lakehouse keeps a **journal** under ``<home>/catalog/``, one JSON file per object
(:mod:`framework.platform.catalog_journal`): kind managed/external/view, provider, location, and
for views and non-Delta tables the ``SHOW CREATE TABLE`` text, which is the only place their
definition lives; plus an "unregistered" mark for a dropped external table whose folder the
folder scan would otherwise register again. This module is the session side of it:

- Writing: :meth:`LocalCatalog.recording` lists the session catalog before and after a user's
  statement and journals the difference (:func:`record`): new objects are described and written,
  dropped ones deleted -- with the folder of a *managed* table, as a metastore would.
- Reading: every session applies the journal when it starts (:meth:`LocalCatalog.restore_tables`,
  :meth:`LocalCatalog.restore_views`); the SQL endpoint follows it while it runs
  (:class:`Follower`).

A managed table can only be registered again *by location* (Delta refuses to create a managed
table over an existing folder), so in later processes it is an EXTERNAL table to Spark; the
journal remembers it is managed, and the recorder gives it managed behaviour: ``DROP TABLE``
deletes its folder, ``RENAME TO`` moves the folder to ``<schema location>/<new name>``.

Only public Spark API is used (``spark.sql``, ``spark.catalog``): the same code runs on a Spark
Connect session. The journal is plain files: ``home`` must be a folder this process can write,
which it always is locally; on Databricks (``home`` None) Unity Catalog is the catalog and
nothing here runs.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from framework.platform.catalog_journal import (
    EXTERNAL,
    MANAGED,
    SESSION_CATALOG,
    VIEW,
    Journal,
    ObjectEntry,
    SchemaEntry,
    key_of,
    local_path,
    now,
    object_sql,
    schema_of,
)
from framework.platform.sqltext import quote_ident, sql_string

log = logging.getLogger("healthmon.catalog")

_DETAILS_MARKER = "# Detailed Table Information"
# who journals the framework's own views (Gold tables of load type view): their definition is the
# metadata's, rewritten by the run that changes it, so a user's statement does not re-describe them
FRAMEWORK_RECORDER = "healthmon run"


# -- the session catalog: listing and describing -------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """Names in the session catalog: its schemas, and the tables and views of the listed schemas."""

    schemas: frozenset[str]
    objects: frozenset[tuple[str, str]]


def take_snapshot(spark, tracked: Iterable[str], previous: Snapshot | None = None) -> Snapshot:
    """List the schemas, and the tables and views of ``tracked`` schemas (plus any schema that
    appeared since ``previous``). One ``SHOW TABLES`` per schema: cheap, unlike
    ``spark.catalog.listTables``, which loads every table."""
    schemas = frozenset(row[0] for row in spark.sql(f"SHOW SCHEMAS IN {quote_ident(SESSION_CATALOG)}").collect())
    listed = (set(tracked) | (schemas - previous.schemas if previous else set())) & schemas
    objects = set()
    for schema in sorted(listed):
        for row in spark.sql(f"SHOW TABLES IN {quote_ident(SESSION_CATALOG)}.{quote_ident(schema)}").collect():
            if not row["isTemporary"]:
                objects.add((schema, row["tableName"]))
    return Snapshot(schemas, frozenset(objects))


def _describe(spark, sql_name: str) -> tuple[list[str], dict[str, str]]:
    """``DESCRIBE TABLE EXTENDED``: the column names, and the ``# Detailed Table Information``
    part (kept apart: a column may be called ``Type`` or ``Location`` too)."""
    rows = spark.sql(f"DESCRIBE TABLE EXTENDED {sql_name}").collect()
    columns, details, part = [], {}, "columns"
    for row in rows:
        if row["col_name"] == _DETAILS_MARKER:
            part = "details"
        elif not row["col_name"] or row["col_name"].startswith("#"):
            part = "details" if part == "details" else "other"
        elif part == "columns":
            columns.append(row["col_name"])
        elif part == "details":
            details[row["col_name"]] = row["data_type"]
    return columns, details


def catalog_details(spark, schema: str, name: str) -> dict[str, str]:
    """Type, Provider, Location ... as the catalog holds them (``SHOW TABLE EXTENDED``): unlike
    ``DESCRIBE``, it does not read the table, so it answers for a table whose folder is gone."""
    rows = spark.sql(f"SHOW TABLE EXTENDED IN {quote_ident(SESSION_CATALOG)}.{quote_ident(schema)} LIKE {sql_string(name)}").collect()
    for row in rows:
        if row["tableName"] == name and not row["isTemporary"]:
            return dict(line.split(": ", 1) for line in row["information"].splitlines() if ": " in line)
    return {}


def describe_object(spark, schema: str, name: str, *, by: str) -> ObjectEntry:
    """What the session knows of one table or view, as a journal entry."""
    sql_name = object_sql(schema, name)
    columns, details = _describe(spark, sql_name)
    kind = {"VIEW": VIEW, "MANAGED": MANAGED}.get(details.get("Type", "").upper(), EXTERNAL)
    if kind == VIEW:
        ddl = spark.sql(f"SHOW CREATE TABLE {sql_name}").collect()[0][0]
        return ObjectEntry(schema, name, VIEW, ddl=ddl, namespace=details.get("View Catalog and Namespace"),
                           columns=tuple(columns), recorded_by=by, recorded_at=now())
    provider = (details.get("Provider") or "").lower() or None
    ddl = None if provider == "delta" else spark.sql(f"SHOW CREATE TABLE {sql_name}").collect()[0][0]  # Delta refuses it
    schema_location = describe_schema(spark, schema).location if kind == MANAGED else None
    return ObjectEntry(schema, name, kind, provider, local_path(details.get("Location")), schema_location, ddl,
                       recorded_by=by, recorded_at=now())


def describe_schema(spark, schema: str, *, by: str = "") -> SchemaEntry:
    rows = spark.sql(f"DESCRIBE NAMESPACE {quote_ident(SESSION_CATALOG)}.{quote_ident(schema)}").collect()
    info = {row[0]: row[1] for row in rows}
    return SchemaEntry(schema, local_path(info.get("Location")), info.get("Comment") or None, by, now())


def object_exists(spark, schema: str, name: str) -> bool:
    """Whether the catalog has the name -- from the listing: ``spark.catalog.tableExists`` loads a
    Delta table and fails when its folder is gone (another process dropped it)."""
    if schema not in {row[0] for row in spark.sql(f"SHOW SCHEMAS IN {quote_ident(SESSION_CATALOG)}").collect()}:
        return False
    rows = spark.sql(f"SHOW TABLES IN {quote_ident(SESSION_CATALOG)}.{quote_ident(schema)} LIKE {sql_string(name)}").collect()
    return any(row["tableName"] == name and not row["isTemporary"] for row in rows)


# -- registering an entry in a session -------------------------------------------------------
def _table_ddl(entry: ObjectEntry) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a non-Delta table, from its ``SHOW CREATE TABLE`` text,
    at the journal's location (a managed table's DDL has none; an external one's is replaced)."""
    lines = [line for line in entry.ddl.splitlines() if not line.startswith("LOCATION ")]
    text = "\n".join(lines).strip()
    if text.startswith("CREATE TABLE "):
        text = "CREATE TABLE IF NOT EXISTS " + text[len("CREATE TABLE "):]
    return f"{text}\nLOCATION {sql_string(entry.location)}"


@contextmanager
def _in_namespace(spark, namespace: str | None) -> Iterator[None]:
    """Resolve unqualified names as the view's creator did (``View Catalog and Namespace``)."""
    if not namespace or "." not in namespace:
        yield
        return
    catalog, database = namespace.split(".", 1)
    before = (spark.catalog.currentCatalog(), spark.catalog.currentDatabase())
    spark.catalog.setCurrentCatalog(catalog)
    spark.catalog.setCurrentDatabase(database.strip("`"))
    try:
        yield
    finally:
        spark.catalog.setCurrentCatalog(before[0])
        spark.catalog.setCurrentDatabase(before[1])


def register(spark, entry: ObjectEntry, *, replace_view: bool = False) -> None:
    """Make ``entry`` known to this session: a table by its location, a view from its text."""
    if entry.kind == VIEW:
        verb = "CREATE OR REPLACE VIEW " if replace_view else "CREATE VIEW IF NOT EXISTS "
        with _in_namespace(spark, entry.namespace):
            spark.sql(verb + entry.ddl.strip()[len("CREATE VIEW "):])
        return
    if entry.is_delta:
        spark.sql(f"CREATE TABLE IF NOT EXISTS {entry.sql_name} USING DELTA LOCATION {sql_string(entry.location)}")
        return
    spark.sql(_table_ddl(entry))
    if "\nPARTITIONED BY " in entry.ddl:  # the partitions of a non-Delta table are catalog state
        spark.sql(f"ALTER TABLE {entry.sql_name} RECOVER PARTITIONS")


STAND_IN_PROPERTY = "healthmon.stand_in"


def stand_in_view(spark, entry: ObjectEntry, reason: str) -> None:
    """A view whose query cannot be analysed any more (a table it reads was dropped or renamed)
    is still in a metastore: listed, droppable, failing when queried. Spark will not create such
    a view, so a stand-in takes its place, with its columns, failing with the reason when read;
    ``DROP VIEW`` removes it and its journal entry. Its definition is never journaled."""
    message = f"view {entry.schema}.{entry.name} could not be restored: {reason}"
    columns = ", ".join(f"CAST(NULL AS STRING) AS {quote_ident(c)}" for c in entry.columns) or "CAST(NULL AS STRING) AS unavailable"
    spark.sql(f"CREATE VIEW IF NOT EXISTS {entry.sql_name} TBLPROPERTIES ({sql_string(STAND_IN_PROPERTY)} = 'true') "
              f"AS SELECT {columns} WHERE raise_error({sql_string(message)}) IS NULL")


def is_stand_in(entry: ObjectEntry) -> bool:
    return entry.kind == VIEW and STAND_IN_PROPERTY in (entry.ddl or "")


# -- recording what a statement changed ------------------------------------------------------
@dataclass
class Changes:
    """What :func:`record` wrote, by full name (for messages and tests)."""

    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted_folders: list[str] = field(default_factory=list)


def _inside(path: str, folder: str | None) -> bool:
    return folder is not None and os.path.dirname(path) == folder


def _delete_managed_folder(entry: ObjectEntry, changes: Changes) -> None:
    """A dropped managed table's data goes with it -- only a folder directly in its schema's
    location (where managed tables live), never anything wider."""
    path = entry.location
    if path is None or not os.path.isdir(path):
        return
    if not _inside(path, entry.schema_location):
        log.warning("healthmon catalog: %s.%s was dropped; its folder %s is not in its schema's location %s, left in place",
                    entry.schema, entry.name, path, entry.schema_location)
        return
    shutil.rmtree(path)
    changes.deleted_folders.append(path)


def _move_to_managed_place(spark, entry: ObjectEntry) -> ObjectEntry:
    """After ``RENAME TO`` of a managed table registered by location, its folder still has the
    old name; move it to ``<schema location>/<new name>`` so the next ``CREATE TABLE`` of the old
    name finds the place free (what Spark does for a table it registered as managed itself)."""
    target = os.path.join(entry.schema_location, entry.name) if entry.schema_location else None
    if target is None or entry.location == target or os.path.exists(target) or not os.path.isdir(entry.location):
        return entry
    source = entry.location
    spark.sql(f"DROP TABLE {entry.sql_name}")  # registered by location: the files stay
    os.rename(source, target)
    moved = replace(entry, location=target)
    try:
        register(spark, moved)
    except Exception:
        os.rename(target, source)
        register(spark, entry)
        raise
    return moved


def _record_schemas(spark, journal: Journal, before: Snapshot, after: Snapshot, by: str, changes: Changes) -> None:
    for schema in sorted(after.schemas - before.schemas):
        journal.write_schema(describe_schema(spark, schema, by=by))
        changes.created.append(schema)
    for schema in sorted(before.schemas - after.schemas):
        journal.delete_schema(schema)
        changes.dropped.append(schema)


def _record_created(spark, journal: Journal, entries: dict, new_keys, managed_gone: dict, by: str, changes: Changes) -> dict:
    """Journal the objects that appeared; a managed table renamed in a later process stays managed."""
    created = {}
    for schema, name in new_keys:
        try:
            entry = describe_object(spark, schema, name, by=by)
        except Exception as exc:  # noqa: BLE001 - e.g. dropped again by another client of the endpoint meanwhile
            log.warning("healthmon catalog: %s.%s not journaled: %s", schema, name, _first_line(exc))
            continue
        known = entries.get(entry.key)
        if entry.kind == EXTERNAL and known is not None and known.kind == MANAGED and known.location == entry.location:
            continue  # a journaled managed table, registered by location here: nothing new
        if entry.kind == EXTERNAL and entry.location in managed_gone:  # renamed in a later process
            entry = replace(entry, kind=MANAGED, schema_location=describe_schema(spark, schema).location)
            entry = _move_to_managed_place(spark, entry)
        created[entry.key] = entry
    for entry in created.values():
        journal.write_object(entry)
        if entry.location:
            journal.clear_unregistered(entry.location)
        changes.created.append(f"{entry.schema}.{entry.name}")
    return created


def _record_dropped(journal: Journal, removed: dict, live: set, scan_root: Path | None, by: str, changes: Changes) -> None:
    """Forget dropped objects; a managed table's folder goes with it, an external one is marked."""
    for entry in removed.values():
        journal.delete_object(entry.schema, entry.name)
        changes.dropped.append(f"{entry.schema}.{entry.name}")
        if entry.location is None or entry.location in live:
            continue
        if entry.kind == MANAGED:
            _delete_managed_folder(entry, changes)
        elif scan_root is not None and os.path.dirname(os.path.dirname(entry.location)) == os.path.normpath(scan_root):
            if os.path.isdir(entry.location):
                journal.mark_unregistered(entry.location, f"{entry.schema}.{entry.name}", by)


def _record_altered(spark, journal: Journal, entries: dict, kept_keys, by: str, changes: Changes) -> None:
    """Views and non-Delta tables keep their definition in the catalog: ALTER changes only it."""
    for key in kept_keys:
        old = entries.get(key)
        if old is None or (old.kind != VIEW and old.is_delta) or old.recorded_by == FRAMEWORK_RECORDER:
            continue
        try:
            fresh = describe_object(spark, *key, by=by)
        except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
            log.warning("healthmon catalog: %s.%s not described, its journal entry kept: %s", *key, _first_line(exc))
            continue
        if is_stand_in(fresh):  # the journal keeps the real definition
            continue
        if (fresh.ddl, fresh.namespace, fresh.columns) != (old.ddl, old.namespace, tuple(old.columns)):
            journal.write_object(replace(old, ddl=fresh.ddl, namespace=fresh.namespace, columns=fresh.columns, recorded_by=by, recorded_at=now()))
            changes.updated.append(f"{key[0]}.{key[1]}")


def record(spark, journal: Journal, before: Snapshot, after: Snapshot, *, by: str, scan_root: Path | None = None) -> Changes:
    """Journal what changed in the session catalog between two snapshots.

    ``scan_root`` is ``<home>/tables``: a dropped external table with a folder right under it
    gets an "unregistered" mark, else the folder scan would register it again.
    """
    changes = Changes()
    _record_schemas(spark, journal, before, after, by, changes)
    entries = journal.objects()
    removed = {key: entries[key] for key in sorted(before.objects - after.objects) if key in entries}
    managed_gone = {e.location: e for e in removed.values() if e.kind == MANAGED and e.location}
    created = _record_created(spark, journal, entries, sorted(after.objects - before.objects), managed_gone, by, changes)
    live = {e.location for key, e in entries.items() if key not in removed and e.location}
    live |= {e.location for e in created.values() if e.location}
    _record_dropped(journal, removed, live, scan_root, by, changes)
    _record_altered(spark, journal, entries, sorted(before.objects & after.objects), by, changes)
    return changes


# -- one lakehouse's catalog -----------------------------------------------------------------
class LocalCatalog:
    """The journal of one ``home`` and a session that follows it."""

    def __init__(self, spark, home: Path, own_schemas: Iterable[str]):
        self.spark = spark
        self.home = Path(os.path.abspath(home))
        self.journal = Journal(self.home)
        self.own_schemas = tuple(own_schemas)

    @property
    def scan_root(self) -> Path:
        return self.home / "tables"

    def tracked_schemas(self) -> set[str]:
        """Schemas whose objects the recorder lists: the lakehouse's, ``default``, and every schema
        the journal knows -- in a fresh process, all of them."""
        entries = self.journal.objects()
        return {*self.own_schemas, "default", *self.journal.schemas(), *(schema for schema, _ in entries)}

    def claimed_locations(self) -> set[str]:
        return self.journal.claimed_locations()

    # start of a session
    def restore_schemas(self) -> None:
        existing = {row[0] for row in self.spark.sql(f"SHOW SCHEMAS IN {quote_ident(SESSION_CATALOG)}").collect()}
        wanted = dict(self.journal.schemas())
        for schema, _ in self.journal.objects():  # a schema of another lakehouse configuration
            wanted.setdefault(schema, SchemaEntry(schema, os.path.join(self.scan_root, schema)))
        for schema, entry in sorted(wanted.items()):
            if schema not in existing:
                self.create_schema(entry)

    def create_schema(self, entry: SchemaEntry) -> None:
        where = f" LOCATION {sql_string(entry.location)}" if entry.location else ""
        comment = f" COMMENT {sql_string(entry.comment)}" if entry.comment else ""
        self.spark.sql(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(SESSION_CATALOG)}.{quote_ident(entry.name)}{comment}{where}")

    def restore_tables(self) -> list[str]:
        """Register every journaled table this session lacks; the problems, one line each."""
        if not self.journal.root.is_dir():
            return []
        self.restore_schemas()
        entries = self.journal.objects()
        present = take_snapshot(self.spark, {schema for schema, _ in entries}).objects
        problems = []
        for entry in entries.values():
            if entry.kind == VIEW or entry.key in present:
                continue
            try:
                register(self.spark, entry)
            except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                problems.append(f"table {entry.schema}.{entry.name} ({entry.location}) not registered: {_first_line(exc)}")
        for problem in problems:
            log.warning("healthmon catalog: %s", problem)
        return problems

    def restore_views(self) -> list[str]:
        """Create every journaled view this session lacks, views over views included (repeated
        passes until none more can be created), a stand-in for each that cannot be; the
        problems, one line each."""
        if not self.journal.root.is_dir():
            return []
        entries = self.journal.objects()
        present = take_snapshot(self.spark, {schema for schema, _ in entries}).objects
        pending = [e for e in entries.values() if e.kind == VIEW and e.key not in present]
        errors: dict[tuple[str, str], str] = {}
        while pending:
            left = []
            for entry in pending:
                try:
                    register(self.spark, entry)
                except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                    errors[entry.key] = _first_line(exc)
                    left.append(entry)
            if len(left) == len(pending):
                break
            pending = left
        problems = []
        for entry in pending:
            problems.append(f"view {entry.schema}.{entry.name} could not be restored: {errors[entry.key]}")
            try:
                stand_in_view(self.spark, entry, errors[entry.key])
            except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                problems.append(f"view {entry.schema}.{entry.name} has no stand-in either: {_first_line(exc)}")
        for problem in problems:
            log.warning("healthmon catalog: %s", problem)
        return problems

    # user statements
    def snapshot(self, previous: Snapshot | None = None) -> Snapshot:
        return take_snapshot(self.spark, self.tracked_schemas(), previous)

    @contextmanager
    def recording(self, by: str = "healthmon sql") -> Iterator[None]:
        """Journal what the statements run inside the block create, alter and drop -- also when
        one of them fails half-way."""
        before = self.snapshot()
        try:
            yield
        except BaseException:
            try:
                self.record_since(before, by)
            except Exception as exc:  # noqa: BLE001 - the statement's own error is the one to report
                log.warning("healthmon catalog: journal not updated after a failed statement: %s", _first_line(exc))
            raise
        self.record_since(before, by)

    def record_since(self, before: Snapshot, by: str) -> Changes:
        return record(self.spark, self.journal, before, self.snapshot(before), by=by, scan_root=self.scan_root)

    def follower(self) -> Follower:
        return Follower(self)


class Follower:
    """Keeps a long-lived session (the SQL endpoint's) and the journal in step, one tick at a time:
    what its clients created or dropped is journaled, what other processes journaled is applied.

    Built *before* clients connect: its first snapshot is the baseline of what was not theirs.
    """

    def __init__(self, catalog: LocalCatalog, *, by: str | None = None):
        self.catalog = catalog
        self.by = by or f"healthmon serve (pid {os.getpid()})"  # its own entries are not re-applied
        self.baseline = catalog.snapshot()
        self.seen = catalog.journal.state()
        self.failures: dict[str, str] = {}  # journal file -> the message reported for it

    def adopt(self, names: Iterable[str]) -> None:
        """Tables registered by someone else in this session (the folder scan): not a client's."""
        extra = {tuple(name.split(".")[-2:]) for name in names}
        self.baseline = replace(self.baseline, objects=self.baseline.objects | extra)

    def tick(self) -> list[str]:
        """One round; messages for the log (a failure is reported once, and retried each tick)."""
        catalog = self.catalog
        now = catalog.snapshot(self.baseline)
        record(catalog.spark, catalog.journal, self.baseline, now, by=self.by, scan_root=catalog.scan_root)
        schemas, objects = set(now.schemas), set(now.objects)
        messages, failures = [], {}
        state = catalog.journal.state()
        changed = sorted(path for path, stamp in state.items() if self.seen.get(path) != stamp)
        gone = sorted(path for path in self.seen if path not in state)
        for path in changed:
            entry = catalog.journal.read_state_file(path)
            if entry is None or entry.recorded_by == self.by:
                continue
            try:
                if isinstance(entry, SchemaEntry):
                    catalog.create_schema(entry)
                    schemas.add(entry.name)
                elif self._apply(entry):
                    objects.add(entry.key)
                    messages.append(f"{entry.schema}.{entry.name} registered")
            except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                failures[path] = f"{path} not applied, retried next tick: {_first_line(exc)}"
        for path in gone:
            key = key_of(path)
            try:
                if key is not None and self._unregister(*key):
                    objects.discard(key)
                    messages.append(f"{key[0]}.{key[1]} unregistered")
            except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                messages.append(f"{path} not unregistered: {_first_line(exc)}")
        for path in gone:  # schemas after their objects; a schema still holding tables stays
            schema = schema_of(path)
            if schema is not None and schema in schemas and not any(s == schema for s, _ in objects):
                try:
                    catalog.spark.sql(f"DROP SCHEMA IF EXISTS {quote_ident(SESSION_CATALOG)}.{quote_ident(schema)}")
                    schemas.discard(schema)
                    messages.append(f"schema {schema} dropped")
                except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                    messages.append(f"schema {schema} not dropped: {_first_line(exc)}")
        messages += [m for path, m in failures.items() if self.failures.get(path) != m]
        self.failures = failures
        self.seen = {path: stamp for path, stamp in state.items() if path not in failures}
        self.baseline = Snapshot(frozenset(schemas), frozenset(objects))
        return messages

    def _apply(self, entry: ObjectEntry) -> bool:
        """Register a journaled object here, or re-register it where it moved; True if changed.
        A view that cannot be created gets a stand-in (not retried: what it reads is gone)."""
        spark = self.catalog.spark
        if entry.kind == VIEW:
            try:
                register(spark, entry, replace_view=True)
            except Exception as exc:  # noqa: BLE001 - one catalog object's failure must not stop the others; it is logged or reported
                if object_exists(spark, entry.schema, entry.name):
                    spark.sql(f"DROP VIEW {entry.sql_name}")
                stand_in_view(spark, entry, _first_line(exc))
                log.warning("healthmon catalog: view %s.%s could not be created: %s", entry.schema, entry.name, _first_line(exc))
            return True
        if object_exists(spark, entry.schema, entry.name):
            where = local_path(catalog_details(spark, entry.schema, entry.name).get("Location"))
            if where == entry.location or not self._unregister(entry.schema, entry.name):
                return False
        register(spark, entry)
        return True

    def _unregister(self, schema: str, name: str) -> bool:
        """Drop a name another process dropped or renamed. A table this session registered as
        managed would take its folder with it: not while a journaled object still uses it."""
        spark = self.catalog.spark
        if not object_exists(spark, schema, name):
            return False
        details = catalog_details(spark, schema, name)
        if details.get("Type", "").upper() == "VIEW":
            spark.sql(f"DROP VIEW IF EXISTS {object_sql(schema, name)}")
            return True
        where = local_path(details.get("Location"))
        if details.get("Type", "").upper() == "MANAGED" and where in self.catalog.claimed_locations():
            log.warning("healthmon catalog: %s.%s left registered: its folder %s belongs to another journaled table", schema, name, where)
            return False
        spark.sql(f"DROP TABLE IF EXISTS {object_sql(schema, name)}")
        return True


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

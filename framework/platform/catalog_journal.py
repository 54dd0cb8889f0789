"""The catalog journal's files: one JSON file per schema, table or view a user created.

Why a module of its own: the journal is plain files under ``<home>/catalog/`` that several
processes write and read at once, and none of that needs Spark -- the folder scan and the SQL
endpoint's watcher read it without a session, and its rules (names as file names, atomic writes,
which folders it accounts for) are tested without a JVM. What is written, and when, is
:mod:`framework.platform.catalog`'s business.

Layout::

    <home>/catalog/schemas/<schema>.json            a schema a user created
    <home>/catalog/objects/<schema>/<name>.json     a table or view
    <home>/catalog/unregistered/<hash>.json         a dropped external table's folder in <home>/tables

Every file is written to a temporary name in its folder and renamed into place, so a reader sees
a whole file or none.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from framework.platform.sqltext import quote_ident

log = logging.getLogger("healthmon.catalog")

SESSION_CATALOG = "spark_catalog"  # the only catalog of a local session
JOURNAL_DIR = "catalog"
MANAGED, EXTERNAL, VIEW = "managed", "external", "view"


# -- names and paths ----------------------------------------------------------------------
def object_sql(schema: str, name: str) -> str:
    """``spark_catalog.schema.name`` quoted for a statement."""
    return ".".join(quote_ident(part) for part in (SESSION_CATALOG, schema, name))


def local_path(location: str | None) -> str | None:
    """A location as Spark reports it (``file:/a/b``, ``file:///a/b``, ``/a/b``) as a plain path;
    other schemes are kept as they are. One spelling per folder, so locations compare."""
    if not location:
        return None
    parsed = urlparse(location)
    if parsed.scheme in ("", "file"):
        return os.path.normpath(unquote(parsed.path))
    return location


def _file_name(name: str) -> str:
    """One path segment for any identifier (``/``, ``.`` and ``%`` escaped)."""
    return quote(name, safe="").replace(".", "%2E") + ".json"


@dataclass(frozen=True)
class ObjectEntry:
    """One table or view a user created: what a fresh session needs to have it again."""

    schema: str
    name: str
    kind: str  # MANAGED, EXTERNAL or VIEW (the kind it was created as, not how it is registered now)
    provider: str | None = None  # "delta", "parquet", ...; None for views
    location: str | None = None  # plain path (see local_path); None for views
    schema_location: str | None = None  # managed tables live in <schema_location>/<name>
    ddl: str | None = None  # SHOW CREATE TABLE: views and non-Delta tables (their only definition)
    namespace: str | None = None  # views: catalog.schema their unqualified names resolve in
    columns: tuple[str, ...] = ()  # views: the column names (for a stand-in, see stand_in_view)
    recorded_by: str = ""
    recorded_at: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.schema, self.name)

    @property
    def sql_name(self) -> str:
        return object_sql(self.schema, self.name)

    @property
    def is_delta(self) -> bool:
        return (self.provider or "").lower() == "delta"


@dataclass(frozen=True)
class SchemaEntry:
    """A schema a user created (the lakehouse's own schemas are created by the bootstrap)."""

    name: str
    location: str | None = None
    comment: str | None = None
    recorded_by: str = ""
    recorded_at: str = ""


# -- the journal: files only, no Spark ----------------------------------------------------------
class Journal:
    """The files under ``<home>/catalog/``; every write is a temporary file renamed into place."""

    def __init__(self, home: Path):
        self.root = Path(home) / JOURNAL_DIR

    def _object_file(self, schema: str, name: str) -> Path:
        return self.root / "objects" / _file_name(schema)[: -len(".json")] / _file_name(name)

    def _schema_file(self, schema: str) -> Path:
        return self.root / "schemas" / _file_name(schema)

    def _unregistered_file(self, location: str) -> Path:
        return self.root / "unregistered" / (hashlib.sha1(location.encode()).hexdigest()[:20] + ".json")

    @staticmethod
    def _write(path: Path, data: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @staticmethod
    def _read(path: Path) -> dict | None:
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:  # deleted by another process since it was listed
            return None
        except (OSError, ValueError) as exc:
            log.warning("healthmon catalog: %s is not readable, ignored: %s", path, exc)
            return None

    def _files(self, folder: str, pattern: str) -> list[Path]:
        base = self.root / folder
        return sorted(p for p in base.glob(pattern) if not p.name.startswith(".")) if base.is_dir() else []

    # objects
    def objects(self) -> dict[tuple[str, str], ObjectEntry]:
        found = {}
        for path in self._files("objects", "*/*.json"):
            data = self._read(path)
            if data is not None:
                entry = object_entry(data)
                found[entry.key] = entry
        return found

    def write_object(self, entry: ObjectEntry) -> None:
        self._write(self._object_file(entry.schema, entry.name), asdict(entry))

    def delete_object(self, schema: str, name: str) -> None:
        self._object_file(schema, name).unlink(missing_ok=True)

    def has_object(self, schema: str, name: str) -> bool:
        return self._object_file(schema, name).exists()

    # schemas
    def schemas(self) -> dict[str, SchemaEntry]:
        found = {}
        for path in self._files("schemas", "*.json"):
            data = self._read(path)
            if data is not None:
                found[data["name"]] = SchemaEntry(**data)
        return found

    def write_schema(self, entry: SchemaEntry) -> None:
        self._write(self._schema_file(entry.name), asdict(entry))

    def delete_schema(self, schema: str) -> None:
        self._schema_file(schema).unlink(missing_ok=True)

    # dropped external tables in the folder-scan area
    def unregistered(self) -> dict[str, dict]:
        found = {}
        for path in self._files("unregistered", "*.json"):
            data = self._read(path)
            if data is not None:
                found[data["location"]] = data
        return found

    def mark_unregistered(self, location: str, name: str, by: str) -> None:
        self._write(self._unregistered_file(location), {"location": location, "dropped": name, "recorded_by": by, "recorded_at": now()})

    def clear_unregistered(self, location: str) -> None:
        self._unregistered_file(location).unlink(missing_ok=True)

    def claimed_locations(self) -> set[str]:
        """Folders the journal accounts for: the folder scan must not register them by name."""
        claimed = {e.location for e in self.objects().values() if e.location}
        return claimed | set(self.unregistered())

    def state(self) -> dict[str, tuple[int, int]]:
        """Journal file -> (mtime_ns, size): what a follower compares to see other processes' writes."""
        if not self.root.is_dir():
            return {}
        state = {}
        for folder, pattern in (("schemas", "*.json"), ("objects", "*/*.json")):
            for path in self._files(folder, pattern):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                state[str(path.relative_to(self.root))] = (st.st_mtime_ns, st.st_size)
        return state

    def read_state_file(self, relative: str) -> ObjectEntry | SchemaEntry | None:
        data = self._read(self.root / relative)
        if data is None:
            return None
        return SchemaEntry(**data) if relative.startswith("schemas/") else object_entry(data)


def object_entry(data: dict) -> ObjectEntry:
    return ObjectEntry(**{**data, "columns": tuple(data.get("columns") or ())})  # JSON has lists


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def created_as_managed(table_dir: Path) -> bool:
    """Whether a Delta table's first commit says it was created as a managed table (Delta writes
    ``isManaged`` into the commit info of ``CREATE TABLE``). Such a folder belongs to the session
    that is creating it -- which registers it, and journals it for the others."""
    first = Path(table_dir) / "_delta_log" / "00000000000000000000.json"
    try:
        with first.open() as commits:
            info = json.loads(commits.readline() or "{}").get("commitInfo", {})
    except (OSError, ValueError):
        return False
    return str(info.get("operationParameters", {}).get("isManaged", "")).lower() == "true"


def key_of(relative: str) -> tuple[str, str] | None:
    """(schema, name) of an ``objects/<schema>/<name>.json`` journal path."""
    parts = Path(relative).parts
    if len(parts) != 3 or parts[0] != "objects":
        return None
    return (unquote(parts[1]), unquote(parts[2][: -len(".json")]))


def schema_of(relative: str) -> str | None:
    """The schema of a ``schemas/<schema>.json`` journal path."""
    parts = Path(relative).parts
    if len(parts) != 2 or parts[0] != "schemas":
        return None
    return unquote(parts[1][: -len(".json")])

"""The exact shapes of the system tables, as packaged DDL, and Bronze tables created from them.

Why: Bronze is a copy of ``system.*``, so its columns, their order and their nested types must be
the system tables' own. They are derived once from an ``information_schema`` export by
``bootstrap/derive_source_schemas.py`` into ``source_schemas/system_tables.sql`` beside this
module (packaged with the framework); this module only reads that file. The local demo builds its
Bronze tables from it, and tests hold it against the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from framework.errors import SourceError

if TYPE_CHECKING:
    from framework.platform.lakehouse import Lakehouse

SQL_FILE = Path(__file__).parent / "source_schemas" / "system_tables.sql"

_BLOCK = re.compile(
    r"^-- system\.(?P<schema>\w+)\.(?P<table>\w+)\n"
    r"CREATE TABLE IF NOT EXISTS \$\{catalog\}\.\$\{bronze_schema\}\.(?P<name>\w+) \(\n"
    r"(?P<columns>.*?)\n\);$",
    re.MULTILINE | re.DOTALL,
)
# One column per line: name, type, optional NOT NULL, optional one-line COMMENT literal.
_COLUMN = re.compile(
    r"^\s*(?P<name>`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\s+(?P<type>.+?)"
    r"(?P<not_null>\s+NOT\s+NULL)?(?:\s+COMMENT\s+'(?P<comment>(?:[^'\\]|\\.)*)')?\s*,?\s*$"
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True)
class SourceColumn:
    """One column of a system table as the packaged DDL declares it."""

    name: str
    data_type: str
    nullable: bool
    comment: str | None


@dataclass(frozen=True)
class SourceTable:
    """One system table: where it lives upstream and its column list as DDL."""

    system_schema: str
    name: str
    columns_ddl: str

    @property
    def key(self) -> str:
        """``<system_schema>.<name>``, e.g. ``billing.usage``: the key of :func:`source_tables`."""
        return f"{self.system_schema}.{self.name}"

    @property
    def system_table(self) -> str:
        return f"system.{self.key}"

    @property
    def columns(self) -> tuple[SourceColumn, ...]:
        return tuple(_parse_column(line, self.key) for line in self.columns_ddl.splitlines() if line.strip())

    @property
    def schema_ddl(self) -> str:
        """The columns without comments, e.g. for ``DataType.fromDDL`` or ``createDataFrame``."""
        return ", ".join(
            f"{_quote(c.name)} {c.data_type}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _unescape(literal: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), literal)


def _parse_column(line: str, table_key: str) -> SourceColumn:
    match = _COLUMN.match(line)
    if match is None:
        raise SourceError(
            f"{table_key}: cannot read column definition {line!r} in {str(SQL_FILE)!r}; expected "
            "`name type [NOT NULL] [COMMENT '...']` on one line (regenerate the file with "
            "bootstrap/derive_source_schemas.py)"
        )
    name = match.group("name")
    if name.startswith("`"):
        name = name[1:-1].replace("``", "`")
    comment = match.group("comment")
    return SourceColumn(
        name=name,
        data_type=match.group("type"),
        nullable=match.group("not_null") is None,
        comment=None if comment is None else _unescape(comment),
    )


def parse_source_ddl(text: str) -> dict[str, SourceTable]:
    """Every ``-- system.<schema>.<table>`` block of a generated DDL file, keyed by its key."""
    tables: dict[str, SourceTable] = {}
    for match in _BLOCK.finditer(text):
        table = SourceTable(match.group("schema"), match.group("name"), match.group("columns"))
        if match.group("table") != table.name:
            raise SourceError(
                f"block for system.{match.group('schema')}.{match.group('table')} creates "
                f"{table.name!r}; the Bronze table must be named as the system table"
            )
        table.columns  # parse now, so a malformed file fails on load rather than on first use
        tables[table.key] = table
    return tables


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[SourceTable, ...]:
    return tuple(parse_source_ddl(path.read_text(encoding="utf-8")).values())


def source_tables(path: Path = SQL_FILE) -> dict[str, SourceTable]:
    """The packaged system-table DDL keyed by ``<system_schema>.<name>``, e.g. ``billing.usage``."""
    return {table.key: table for table in _load(Path(path))}


def source_table(key: str) -> SourceTable:
    """One table by key; an unknown key lists the known ones."""
    tables = source_tables()
    if key not in tables:
        raise SourceError(
            f"unknown system table {key!r}; valid keys are: " + ", ".join(sorted(tables))
        )
    return tables[key]


def create_bronze_table(lakehouse: Lakehouse, key: str) -> str:
    """Create the Bronze copy of system table ``key`` (if absent); its full name."""
    table = source_table(key)
    full_name = lakehouse.params.bronze(table.name)
    lakehouse.create_table(full_name, table.columns_ddl, f"Bronze copy of {table.system_table}")
    return full_name

"""SQL text built from values: quoted identifiers and literals.

Every identifier that reaches a statement goes through :func:`quote_ident` / :func:`quote_table`;
every value through :func:`sql_string` / :func:`sql_timestamp`. Nothing here parses or runs SQL.
"""

from __future__ import annotations

import re
from datetime import UTC

from framework.errors import UnsafeSqlError

_IDENT_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

def quote_ident(name: str) -> str:
    """Backtick-quote one identifier, doubling embedded backticks."""
    if not isinstance(name, str) or not name:
        raise UnsafeSqlError(f"identifier must be a non-empty string, found {name!r}")
    return "`" + name.replace("`", "``") + "`"


def split_table_name(name: str) -> list[str]:
    """Split `a.b.c` (optionally backticked parts) into plain parts, rejecting anything else."""
    parts = [p.strip("`") for p in name.split(".")]
    if not 1 <= len(parts) <= 3 or not all(_IDENT_PART.match(p) for p in parts):
        raise UnsafeSqlError(
            f"table name must be up to three dot-separated identifiers "
            f"([A-Za-z_][A-Za-z0-9_]*), found {name!r}"
        )
    return parts


def quote_table(name: str) -> str:
    """Quote a (possibly catalog- and schema-qualified) table name part by part."""
    return ".".join(quote_ident(p) for p in split_table_name(name))


def is_plain_identifier(name: str) -> bool:
    return isinstance(name, str) and bool(_IDENT_PART.match(name))


def sql_string(value: str) -> str:
    """A Spark SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sql_timestamp(value) -> str:
    """A Spark SQL TIMESTAMP literal for an aware datetime, explicit about UTC."""

    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00'"

"""SQL text built from values: quoted identifiers and literals.

Every identifier that reaches a statement goes through :func:`quote_ident` / :func:`quote_table`;
every value through :func:`sql_string` / :func:`sql_timestamp`. Nothing here parses or runs SQL.
"""

from __future__ import annotations

import re
from datetime import UTC

from framework.errors import UnsafeSqlError

_IDENT_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # whole string: fullmatch (a "$" would let a trailing newline through)

def quote_ident(name: str) -> str:
    """Backtick-quote one identifier, doubling embedded backticks."""
    if not isinstance(name, str) or not name:
        raise UnsafeSqlError(f"identifier must be a non-empty string, found {name!r}")
    return "`" + name.replace("`", "``") + "`"


def split_table_name(name: str) -> list[str]:
    """Split `a.b.c` (optionally backticked parts) into plain parts, rejecting anything else."""
    parts = [p.strip("`") for p in name.split(".")]
    if not 1 <= len(parts) <= 3 or not all(_IDENT_PART.fullmatch(p) for p in parts):
        raise UnsafeSqlError(
            f"table name must be up to three dot-separated identifiers "
            f"([A-Za-z_][A-Za-z0-9_]*), found {name!r}"
        )
    return parts


def quote_table(name: str) -> str:
    """Quote a (possibly catalog- and schema-qualified) table name part by part."""
    return ".".join(quote_ident(p) for p in split_table_name(name))


def is_plain_identifier(name: str) -> bool:
    return isinstance(name, str) and bool(_IDENT_PART.fullmatch(name))


def sql_string(value: str) -> str:
    """A Spark SQL string literal.

    ``$`` is written as the escape ``\\u0024``: Spark substitutes ``${name}`` in a statement's text
    before parsing it (``spark.sql.variable.substitute``), literals included, so a value holding
    ``${catalog}`` (an error message quoting metadata) would otherwise lose it.
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("$", "\\u0024") + "'"


def sql_timestamp(value) -> str:
    """A Spark SQL TIMESTAMP literal for an aware datetime, explicit about UTC."""

    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return f"TIMESTAMP '{utc.strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00'"


def sql_literal(value, data_type) -> str:
    """A literal of ``value`` typed as the column it goes to (``data_type``: a Spark DataType).

    Every value is cast to the column's type, so a NULL, an empty array or an integral double
    lands as the column says, not as what the literal alone would infer. Lists render as ARRAY,
    dicts as MAP; strings go through :func:`sql_string`, datetimes through :func:`sql_timestamp`.
    """
    type_sql = data_type.simpleString()
    if value is None:
        return f"CAST(NULL AS {type_sql})"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = sql_string(repr(value))
    elif isinstance(value, str):
        text = sql_string(value)
    elif hasattr(value, "astimezone"):
        text = sql_timestamp(value)
    elif isinstance(value, list | tuple):
        element = data_type.elementType
        text = "ARRAY(" + ", ".join(sql_literal(v, element) for v in value) + ")"
    elif isinstance(value, dict):
        pairs = [f"{sql_literal(k, data_type.keyType)}, {sql_literal(v, data_type.valueType)}" for k, v in value.items()]
        text = "MAP(" + ", ".join(pairs) + ")"
    else:
        raise UnsafeSqlError(f"no SQL literal for a value of type {type(value).__name__}")
    return f"CAST({text} AS {type_sql})"

"""Run parameters and the only way ``${...}`` placeholders in metadata get filled.

Placeholders are filled from a fixed set of names; anything else is an error, so metadata can
never pull arbitrary values (environment, secrets) into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from framework.errors import PlaceholderError
from framework.platform.sqltext import is_plain_identifier

PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class RunParams:
    """Where the lakehouse lives: catalog and the three schemas."""

    catalog: str = "spark_catalog"
    bronze_schema: str = "bronze"
    gold_schema: str = "gold"
    control_schema: str = "control"

    def __post_init__(self) -> None:
        """Each value becomes part of a table name in SQL: only a plain identifier is accepted."""
        for name in self.names():
            value = getattr(self, name)
            if not is_plain_identifier(value):
                raise PlaceholderError(f"run parameter {name} must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*), found {value!r}")

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.names()}

    def qualified(self, schema_field: str, table: str) -> str:
        """`catalog.schema.table` for one of the three schemas, e.g. ('gold_schema', 'dim_job')."""
        return f"{self.catalog}.{getattr(self, schema_field)}.{table}"

    def gold(self, table: str) -> str:
        return self.qualified("gold_schema", table)

    def control(self, table: str) -> str:
        return self.qualified("control_schema", table)

    def bronze(self, table: str) -> str:
        return self.qualified("bronze_schema", table)


def unknown_placeholders(text: str) -> list[str]:
    """The placeholder names in ``text`` that are not run parameters."""
    allowed = set(RunParams.names())
    return [name for name in PLACEHOLDER.findall(text or "") if name not in allowed]


def fill_placeholders(text: str, params: RunParams) -> str:
    """Replace every ``${name}`` with its run parameter; unknown names raise."""
    values = params.as_dict()

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            raise PlaceholderError(
                f"unknown placeholder ${{{name}}} in {text!r}; valid placeholders are: "
                + ", ".join(f"${{{n}}}" for n in sorted(values))
            )
        return values[name]

    return PLACEHOLDER.sub(substitute, text)

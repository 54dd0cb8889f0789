"""The Gold table: created from the metadata on first run, columns added when metadata grows.

Besides the metadata's columns a Gold table holds ``valid_from``/``valid_to``/``is_current``
(scd2), ``_hm_sequence`` (the ``sequence_by`` value, which guards against older versions
overwriting newer ones), and ``_hm_run_id``/``_hm_updated_at`` (which run last wrote the row).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import (
    StructField,
    StructType,
)

from framework.errors import TargetSchemaError
from framework.metadata.spec import TableSpec
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_ident, quote_table, sql_string

GOLD_PROPERTIES = {"delta.enableDeletionVectors": "true"}


@dataclass(frozen=True)
class TargetLayout:
    """The Gold table's columns, and which of them the engine compares to detect a change."""

    schema: StructType
    business: tuple[str, ...]  # metadata columns
    compared: tuple[str, ...]  # columns whose difference means "changed"
    merge_keys: tuple[str, ...]  # MERGE ON columns


def _column_ddl(field: StructField) -> str:
    comment = field.metadata.get("comment")
    not_null = "" if field.nullable else " NOT NULL"
    text = f"{quote_ident(field.name)} {field.dataType.simpleString()}{not_null}"
    return text + (f" COMMENT {sql_string(comment)}" if comment else "")


def ensure_target(lakehouse: Lakehouse, spec: TableSpec, name: str, wanted: TargetLayout) -> None:
    """Create the Gold table, or add the columns the metadata gained; refuse type changes."""
    spark = lakehouse.spark
    if not lakehouse.exists(name):
        properties = ", ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in GOLD_PROPERTIES.items())
        columns = ", ".join(_column_ddl(f) for f in wanted.schema.fields)
        comment = f" COMMENT {sql_string(spec.description)}" if spec.description else ""
        location = lakehouse.location(name)
        where = "" if location is None else f" LOCATION '{location.as_posix()}'"
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {quote_table(name)} ({columns}) USING DELTA{comment}"
            f"{where} TBLPROPERTIES ({properties})"
        )
        return
    existing = {f.name.lower(): f for f in spark.table(quote_table(name)).schema.fields}
    missing = [f for f in wanted.schema.fields if f.name.lower() not in existing]
    for field in wanted.schema.fields:
        have = existing.get(field.name.lower())
        if have is not None and have.dataType != field.dataType:
            raise TargetSchemaError(
                f"{spec.table_name}: Gold column {field.name!r} is {have.dataType.simpleString()} in "
                f"{name!r} but the metadata declares {field.dataType.simpleString()}; change the type "
                f"back or run with --full-refresh after recreating the table"
            )
    if missing:
        added = ", ".join(_column_ddl(StructField(f.name, f.dataType, True, f.metadata)) for f in missing)
        spark.sql(f"ALTER TABLE {quote_table(name)} ADD COLUMNS ({added})")

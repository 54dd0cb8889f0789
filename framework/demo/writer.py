"""Rows to Delta: a DataFrame with exactly a system table's schema, written to its Bronze copy.

Why checked here: ``createDataFrame`` drops a struct key the schema does not name, silently, so
a misspelt field in a generator would become a NULL column nobody notices; every row is checked
against the nested type first, and the error names the table and the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from framework.errors import DemoDataError
from framework.platform.local_rows import rows_frame
from framework.platform.source_schemas import SourceTable

if TYPE_CHECKING:
    from framework.platform.lakehouse import Lakehouse


def check_fields(value: object, data_type: object, path: str) -> None:
    """Fail on a key the schema does not have (Spark would drop it silently)."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    if value is None:
        return
    if isinstance(data_type, StructType) and isinstance(value, dict):
        unknown = sorted(set(value) - set(data_type.names))
        if unknown:
            raise DemoDataError(
                f"{path}: fields {unknown} are not in the schema; valid fields are: {data_type.names}"
            )
        for f in data_type.fields:
            check_fields(value.get(f.name), f.dataType, f"{path}.{f.name}")
    elif isinstance(data_type, ArrayType):
        for item in value:
            check_fields(item, data_type.elementType, f"{path}[]")
    elif isinstance(data_type, MapType):
        for item in value.values():
            check_fields(item, data_type.valueType, f"{path}{{}}")


def frame(spark, table: SourceTable, rows: list[dict]):
    """A DataFrame with exactly the table's schema (column comments included), from rows keyed
    by column name."""
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(table.columns_ddl)
    for row in rows:
        check_fields(row, schema, table.key)
    return rows_frame(spark, [tuple(row.get(n) for n in schema.names) for row in rows], schema)


def write(lakehouse: Lakehouse, table: SourceTable, data, *, replace: bool) -> str:
    """Append ``data`` to the Bronze copy of ``table`` (or replace its content); its full name.

    A table not there yet is created by this write, in one commit, with the table's comment
    and (locally) its location under ``<home>/tables``: the same table ``create_bronze_table``
    makes, for half the commits of creating it empty and appending.
    """
    from pyspark.sql import functions as F

    full_name = lakehouse.params.bronze(table.name)
    if not lakehouse.exists(full_name):
        writer = data.writeTo(full_name).using("delta").tableProperty("comment", f"Bronze copy of {table.system_table}")
        location = lakehouse.location(full_name)
        if location is not None:
            writer = writer.tableProperty("location", location.as_posix())
        writer.create()
    elif replace:
        data.writeTo(full_name).overwrite(F.lit(True))
    else:
        data.writeTo(full_name).append()
    return full_name

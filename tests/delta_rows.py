"""A local Delta table's rows read by delta-rs, as Spark's ``collect()`` hands them back.

Why: a test that checks what a run wrote reads a tiny Delta table, and through Spark each such
read costs about half a second of driver work (the table's snapshot, Delta's file filtering, a
scan job) on a machine whose two cores the suite keeps busy: hundreds of reads, minutes of the
suite. delta-rs (the ``deltalake`` package, Delta's Rust implementation) reads the same folder in
milliseconds, in this process: the table's log, its deletion vectors, a version by time travel.
It is a second, independent reader of what the framework wrote, not an imitation of one.

The values are Spark's: :func:`rows` converts each field by the table's own schema the way
pyspark's ``collect()`` does (``Row`` objects with the schema's field order, a struct a nested
``Row``, a map a ``dict``, a TIMESTAMP the naive local time of this process, a BINARY a
``bytearray``), so a test compares them as it did before. ``tests/spark/test_delta_rows.py``
holds the two readers equal on every type the framework writes.

A table delta-rs cannot open (a view, a table outside the lakehouse's folders, a reader feature
it lacks) is read through Spark, so a caller never needs to know which reader answered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pyspark.sql import Row
from pyspark.sql.types import (
    ArrayType,
    BinaryType,
    DataType,
    MapType,
    StructType,
    TimestampType,
)

from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def rows(lh: Lakehouse, full_name: str, columns: list[str] | None = None, *, where: str | None = None,
         order: list[str] | None = None, version: int | None = None) -> list[Row]:
    """``SELECT columns FROM full_name [VERSION AS OF version] [WHERE where] [ORDER BY order]``, collected.

    ``where`` is a SQL condition both readers understand (``table_name = 'x'``); ``order`` sorts
    ascending with NULLs first, as Spark's ``orderBy`` does.
    """
    folder = lh.local_delta_log(full_name)
    if folder is not None:
        found = _read_delta(folder.parent, columns, where, order, version)
        if found is not None:
            return found
    return _read_spark(lh, full_name, columns, where, order, version)


def _read_spark(lh: Lakehouse, full_name: str, columns, where, order, version) -> list[Row]:
    at = "" if version is None else f" VERSION AS OF {int(version)}"
    df = lh.spark.sql(f"SELECT * FROM {quote_table(full_name)}{at}")
    if where:
        df = df.where(where)
    if columns:
        df = df.select(*columns)  # a name, or a path into a struct (``owner.name``)
    if order:
        df = df.orderBy(*order)
    return df.collect()


def _read_delta(folder: Path, columns, where, order, version) -> list[Row] | None:
    """The rows through delta-rs, or None when it cannot read the table (Spark answers then)."""
    import pyarrow as pa
    from deltalake import DeltaTable, QueryBuilder

    try:
        table = DeltaTable(str(folder), version=version)
        schema = StructType.fromJson(json.loads(table.schema().to_json()))
        by_name = {f.name.lower(): f for f in schema.fields}  # Spark resolves names case-insensitively
        if any(c.lower() not in by_name for c in columns or ()):
            return None  # a path into a struct: Spark selects it
        picked = StructType([by_name[c.lower()] for c in columns]) if columns else schema
        sql = f"SELECT {', '.join(_quoted(f.name) for f in picked.fields)} FROM t"
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += " ORDER BY " + ", ".join(f"{_quoted(by_name[c.lower()].name)} ASC NULLS FIRST" for c in order)
        found = pa.table(QueryBuilder().register("t", table).execute(sql).read_all()).to_pylist()
    except Exception:  # noqa: BLE001 - whatever delta-rs cannot read or parse, Spark reads (and names the error if it is one)
        return None
    return [_row(picked, record) for record in found]


def _quoted(name: str) -> str:
    """An identifier as DataFusion's SQL quotes it."""
    return '"' + name.replace('"', '""') + '"'


def _row(schema: StructType, record: dict) -> Row:
    return Row(**{f.name: _value(f.dataType, record[f.name]) for f in schema.fields})


def _value(data_type: DataType, value):
    """``value`` as pyspark's ``collect()`` gives a value of ``data_type``."""
    if value is None:
        return None
    if isinstance(data_type, StructType):
        return _row(data_type, value)
    if isinstance(data_type, ArrayType):
        return [_value(data_type.elementType, v) for v in value]
    if isinstance(data_type, MapType):
        return {_value(data_type.keyType, k): _value(data_type.valueType, v) for k, v in value}
    if isinstance(data_type, TimestampType):  # an instant: pyspark's naive local time of it, to the microsecond
        return data_type.fromInternal((value - EPOCH) // MICROSECOND)
    if isinstance(data_type, BinaryType):
        return bytearray(value)
    return value

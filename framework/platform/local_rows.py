"""A DataFrame from rows held in Python, built through Arrow: no Python worker behind it.

Why: on a classic session, ``createDataFrame(list_of_rows, schema)`` parallelizes the rows as a
Python RDD, and every action on the frame (a write, a MERGE that scans its source twice) starts
a Python worker to decode them again: ~0.2 s per action on 2 cores for a handful of rows, paid by
each onboarding's control write and each demo Bronze table. An Arrow table handed to
``createDataFrame`` is decoded in the JVM once (measured: 20 ms against 180-260 ms to collect two
rows; docs/benchmarks.md). A Spark Connect session builds Arrow on the client already, so it gets
the rows as before.

Values are read as ``createDataFrame`` reads them: a struct from a dict (by field name) or a
tuple/``Row`` (by position), a map from a dict, and a naive ``datetime`` in a ``TIMESTAMP`` column
as this process's local time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pyspark.sql.types import ArrayType, MapType, StructType, TimestampType

from framework.platform.session import is_connect


def _value(value, data_type):
    """``value`` as pyarrow takes it for ``data_type`` (nested types converted all the way down)."""
    if value is None:
        return None
    if isinstance(data_type, StructType):
        if isinstance(value, dict):
            return {f.name: _value(value.get(f.name), f.dataType) for f in data_type.fields}
        return {f.name: _value(v, f.dataType) for f, v in zip(data_type.fields, value, strict=True)}
    if isinstance(data_type, ArrayType):
        return [_value(v, data_type.elementType) for v in value]
    if isinstance(data_type, MapType):
        return [(_value(k, data_type.keyType), _value(v, data_type.valueType)) for k, v in value.items()]
    if isinstance(data_type, TimestampType) and isinstance(value, datetime):
        # the instant as a naive UTC time: pyarrow reads that the same with or without
        # PYARROW_IGNORE_TIMEZONE (which makes it drop an offset); naive input means local time
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def arrow_rows(rows: Iterable[Sequence], schema):
    """``rows`` (tuples in the order of ``schema``'s fields) as a pyarrow Table of ``schema``'s
    Arrow types, each value read as ``createDataFrame`` reads it."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import to_arrow_schema

    rows = list(rows)
    arrow = to_arrow_schema(schema)
    columns = [
        pa.array([_value(row[i], field.dataType) for row in rows], type=arrow.field(i).type)
        for i, field in enumerate(schema.fields)
    ]
    return pa.Table.from_arrays(columns, schema=arrow)


def rows_frame(spark, rows: Iterable[Sequence], schema):
    """A DataFrame of ``rows`` (tuples in the order of ``schema``'s fields) with exactly ``schema``
    (a ``StructType``: names, types, nullability and column comments)."""
    rows = list(rows)
    if is_connect(spark):
        return spark.createDataFrame(rows, schema)
    return spark.createDataFrame(arrow_rows(rows, schema), schema)

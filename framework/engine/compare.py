"""How the engine compares rows and keys: null-safe, maps as sorted entries.

Spark can neither order nor compare maps, and ``=`` is NULL for NULL keys; every equality, tie
break and "rows of these keys" selection of the engine goes through here, so dedup, the scd2
history and the diff against Gold agree on what "the same" means.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import ArrayType, DataType, MapType, StructType

from framework.engine.folds import all_of
from framework.metadata.spec import TableSpec
from framework.platform.sqltext import quote_ident


def contains_map(data_type: DataType) -> bool:
    if isinstance(data_type, MapType):
        return True
    if isinstance(data_type, StructType):
        return any(contains_map(f.dataType) for f in data_type.fields)
    if isinstance(data_type, ArrayType):
        return contains_map(data_type.elementType)
    return False


def comparable(column: Column, data_type: DataType) -> Column:
    """An orderable, equality-comparable form of a column (maps are neither in Spark)."""
    if isinstance(data_type, MapType):
        return F.array_sort(F.map_entries(column)) if not contains_map(data_type.valueType) else F.to_json(column)
    if contains_map(data_type):
        return F.to_json(column)
    return column


def same(left: str, right: str, names, schema) -> Column:
    """Null-safe equality of ``names`` between two aliases (maps compared as sorted entries)."""
    equal = []
    for name in names:
        dtype = schema[name].dataType
        a = comparable(F.col(f"{left}.{quote_ident(name)}"), dtype)
        b = comparable(F.col(f"{right}.{quote_ident(name)}"), dtype)
        equal.append(a.eqNullSafe(b))
    return all_of(equal)  # a balanced tree: Spark Connect refuses plans nested > 100 levels


def rows_of_keys(rows: DataFrame, keys_from: DataFrame, keys: list[str], *, broadcast: bool = False) -> DataFrame:
    """The rows of ``rows`` whose key (null-safe) occurs in ``keys_from`` (a semi join).

    ``broadcast``: ``keys_from`` is small; its keys go to every task, so ``rows`` is scanned once
    and neither shuffled nor sorted (the plan Spark picks from size estimates can be the reverse:
    ``rows`` collected into a hash table, or both sides sorted).
    """
    touched = keys_from.select(*[F.col(quote_ident(k)).alias(f"_hm_k{i}") for i, k in enumerate(keys)]).distinct()
    if broadcast:
        touched = F.broadcast(touched)
    on = all_of([F.col(quote_ident(k)).eqNullSafe(F.col(f"_hm_k{i}")) for i, k in enumerate(keys)])
    return rows.join(touched, on, "left_semi")


def tie_break_values(spec: TableSpec, df: DataFrame) -> list[Column]:
    """Every non-key Gold column in comparable form: together a total order over one key's rows."""
    return [
        comparable(F.col(quote_ident(c)), df.schema[c].dataType)
        for c in spec.column_names
        if c not in spec.primary_keys
    ]


def content_hash(values: list[Column]) -> Column:
    """One 64-bit hash of ``values`` (in comparable form, at least one): what tells one key's rows
    apart in dedup, as a single column, where comparing each value took one window expression per
    column (a table of 70 columns planned ~1.3 s longer per run; decision 150).

    Each value is hashed with whether it is NULL: Spark's hash skips NULLs, so ``(NULL, 'a')`` and
    ``('a', NULL)`` would otherwise hash alike. Rows that differ hash alike only by a 64-bit collision.
    """
    return F.xxhash64(*[part for value in values for part in (value, value.isNull())])


def with_comparable_values(spec: TableSpec, df: DataFrame) -> tuple[DataFrame, list[Column], list[str]]:
    """``df`` with the comparable form of each non-key column that needs one (maps) computed once
    as a helper column, the non-key values in comparable form (:func:`tie_break_values`' order),
    and the helper columns' names (to drop).

    Once, because several window functions order and compare by them: one computed column is
    sorted and compared, instead of one expression per use (each its own sort key). Plain columns
    are used as they are: a copy would be carried through the sort for nothing.
    """
    non_keys = [c for c in spec.column_names if c not in spec.primary_keys]
    helpers = {c: f"_hm_cmp{i}" for i, c in enumerate(non_keys) if contains_map(df.schema[c].dataType)}
    if helpers:
        df = df.select("*", *[comparable(F.col(quote_ident(c)), df.schema[c].dataType).alias(h) for c, h in helpers.items()])
    values = [F.col(helpers[c]) if c in helpers else F.col(quote_ident(c)) for c in non_keys]
    return df, values, list(helpers.values())


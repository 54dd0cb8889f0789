"""The batch's key range as a predicate: what lets the diff and the MERGE skip Gold files."""

from __future__ import annotations

from pyspark.sql.types import StructType

from framework.platform.sqltext import quote_ident, sql_string


def key_range(ranges: dict[str, tuple[str, str]], schema: StructType, alias: str | None = None) -> str:
    """``k BETWEEN lo AND hi`` for each key: a predicate Delta prunes Gold files with (min/max stats).

    The bounds are the batch's own, as Spark formatted them, cast back to the key's type, so the
    predicate keeps every Gold row the batch can match and lets the diff and the MERGE skip files
    that hold none of its keys (all of them, for keys that grow with time or ids).
    """
    prefix = f"{alias}." if alias else ""
    return " AND ".join(
        f"{prefix}{quote_ident(k)} BETWEEN CAST({sql_string(lo)} AS {schema[k].dataType.simpleString()}) "
        f"AND CAST({sql_string(hi)} AS {schema[k].dataType.simpleString()})"
        for k, (lo, hi) in ranges.items()
    )

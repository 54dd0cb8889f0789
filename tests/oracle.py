"""Plain-Python restatements the whole-row coverage tests share: Gold rows by key, and the JSON text
Spark's ``to_json`` writes (so expectations never use the engine's own SQL)."""

from __future__ import annotations

import json

from tests.harness import business


def by_key(rows: list[dict], key: tuple[str, ...]) -> dict[tuple, dict]:
    """Business columns of each row by its key; the key must determine a row."""
    found = {tuple(r[k] for k in key): business(r) for r in rows}
    assert len(found) == len(rows), f"{key} does not determine a row"
    return found


def as_json(value) -> str | None:
    """Spark's ``to_json``: compact, not ASCII-escaped; maps in their entry order."""
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sorted_map_json(value: dict | None) -> str | None:
    """A map rendered with its keys sorted (the metadata's ``map_from_entries(array_sort(...))``)."""
    return None if value is None else as_json(dict(sorted(value.items())))


def spark_json(value) -> str | None:
    """``to_json`` of a struct or array: compact, struct fields that are NULL left out, UTF-8 kept.

    (A map's NULL values would be written; the demo's maps of structs have none.)
    """
    def drop_nulls(v):
        if isinstance(v, dict):
            return {k: drop_nulls(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [drop_nulls(x) for x in v]
        return v

    return None if value is None else json.dumps(drop_nulls(value), separators=(",", ":"), ensure_ascii=False)

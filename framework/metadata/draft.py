"""A first onboarding entry drafted from a Gold design and its source's columns (``healthmon draft``).

A design (the user's format: ``table_name``, ``domain``, ``bronze_source``, ``description``,
``primary_key.columns``, ``columns`` with ``name``, ``type``, ``nullable``, ``description``) names
the Gold columns; the source's schema says where each comes from. A column is matched by name, or
by struct path (``usage_metadata_job_id`` is ``usage_metadata.job_id``); a nested value the design
types as STRING is rendered as JSON text (a map with its entries sorted, so equal maps give equal
text); a type the design leaves open (a bare ``DECIMAL``) takes the source's. The load type is
proposed from the source's kind: a change feed (``change_time`` and ``delete_time``) is scd2, a
``*_latest`` or catalog-like table without time columns a snapshot, anything else an append-only
fact read from its time column. What it could not decide is a ``# TODO`` comment beside the value.
The draft is text (YAML with comments); :func:`draft_entry` gives the same entry as a mapping.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from framework.platform.source_schemas import SourceTable

BRONZE = "${catalog}.${bronze_schema}."
WATERMARK_CANDIDATES = ("ingestion_date", "event_time", "period_end_time", "end_time", "event_date", "request_date", "update_time",
                        "start_time", "timestamp", "usage_date", "price_start_time", "end_time_ms", "create_time")
SIMPLE = re.compile(r"[A-Za-z_]\w*")


def struct_fields(type_text: str) -> list[tuple[str, str]]:
    """The (name, type) fields of a ``struct<...>`` type string; [] for any other type."""
    text = type_text.strip()
    if not text.lower().startswith("struct<") or not text.endswith(">"):
        return []
    body, fields_, depth, start = text[7:-1], [], 0, 0
    for i, ch in enumerate(body + ","):
        if ch in "<(":
            depth += 1
        elif ch in ">)":
            depth -= 1
        elif ch == "," and depth == 0:
            name, _, kind = body[start:i].partition(":")
            fields_.append((name.strip().strip("`"), kind.strip()))
            start = i + 1
    return [f for f in fields_ if f[0]]


def source_paths(table: SourceTable, depth: int = 3) -> dict[str, tuple[str, str]]:
    """Flattened name -> (path, type) of every column and struct field (``a_b`` -> ``a.b``)."""
    found: dict[str, tuple[str, str]] = {}

    def walk(flat: str, path: str, kind: str, level: int) -> None:
        found.setdefault(flat.lower(), (path, kind))
        if level < depth:
            for name, sub in struct_fields(kind):
                walk(f"{flat}_{name}", f"{path}.{name}" if SIMPLE.fullmatch(name) else f"{path}.`{name}`", sub, level + 1)

    for column in table.columns:
        walk(column.name, column.name, column.data_type, 1)
    return found


@dataclass
class DraftColumn:
    name: str
    expr: str
    type: str
    nullable: bool
    comment: str | None
    todo: str | None = None


@dataclass
class Draft:
    """The drafted entry: its fields in the onboarding file's order, and TODOs per field."""

    entry: dict
    columns: list[DraftColumn]
    todos: dict[str, str] = field(default_factory=dict)  # field -> why it is a guess (beside the field)
    notes: list[str] = field(default_factory=list)  # what else needs a decision (at the top)

    def as_mapping(self) -> dict:
        """The entry as an onboarding mapping (what the YAML says)."""
        columns = [{"name": c.name, "expr": c.expr, "type": c.type, "nullable": c.nullable, "comment": c.comment} for c in self.columns]
        return {**{k: v for k, v in self.entry.items() if v is not None}, "columns": columns}


def _base(type_text: str) -> str:
    return re.split(r"[<(]", type_text.strip(), maxsplit=1)[0].strip().upper()


def draft_column(design: dict, paths: dict[str, tuple[str, str]]) -> DraftColumn:
    """One Gold column from its design entry and the source's paths."""
    name, declared = design["name"], str(design.get("type") or "STRING").strip()
    nullable, comment = bool(design.get("nullable", True)), design.get("description")
    if name.lower() not in paths:
        return DraftColumn(name, "NULL", declared.upper(), nullable, comment, "no source column or struct field matches this name: write its expression")
    path, kind = paths[name.lower()]
    base = _base(kind)
    if _base(declared) == "STRING" and base in ("STRUCT", "ARRAY", "MAP"):
        expr = f"to_json(map_from_entries(array_sort(map_entries({path}))))" if base == "MAP" else f"to_json({path})"
        return DraftColumn(name, expr, "STRING", nullable, comment)
    if _base(declared) == base:
        typed = kind.upper() if declared.upper() == base and kind.upper() != base else declared.upper()  # a bare DECIMAL takes the source's
        return DraftColumn(name, path, typed, nullable, comment)
    return DraftColumn(name, path, declared.upper(), nullable, comment, f"the source's type is {kind.upper()}: check the cast (a narrowing one must be written in expr)")


def propose_load(design: dict, table: SourceTable) -> tuple[dict, dict[str, str]]:
    """The load type and its reading fields, from the source's kind, with why."""
    names = {c.name for c in table.columns}
    if "change_time" in names:
        deletion = next((n for n in sorted(names) if n.endswith("delete_time")), None)
        load = {"load_type": "scd2", "sequence_by": "change_time", "watermark_column": "change_time", "lookback": "2 days"}
        why = {"load_type": "a change feed (change_time): scd2 keeps every version in <name>_history"}
        if deletion:
            load["delete_condition"] = f"{deletion} IS NOT NULL"
        else:
            why["lookback"] = "no *delete_time column: add a delete_condition if the feed marks deletions"
        return load, why
    time_column = next((c for c in WATERMARK_CANDIDATES if c in names), None)
    if table.name.endswith("_latest") or time_column is None:
        return {"load_type": "snapshot"}, {"load_type": "no time column to read from (or a *_latest table): read whole, keys absent from it removed"}
    return ({"load_type": "fact_insert", "watermark_column": time_column, "lookback": "2 days"},
            {"load_type": f"append-only events read from {time_column}: use fact_upsert if rows are corrected by key",
             "lookback": "how late rows arrive in this source is a guess"})


def draft_entry(design: dict, table: SourceTable, source_ref: str | None = None) -> Draft:
    """The onboarding entry of ``design`` over ``table``: its Bronze copy, or ``source_ref`` as given."""
    paths = source_paths(table)
    columns = [draft_column(c, paths) for c in design.get("columns") or []]
    load, todos = propose_load(design, table)
    keys = list((design.get("primary_key") or {}).get("columns") or [])
    if not keys:
        todos["primary_keys"] = "the design names no primary key"
    entry = {"table_name": design["table_name"], "domain": design.get("domain"), "description": (design.get("description") or "").strip() or None,
             "source_table": source_ref or BRONZE + table.name, **load, "primary_keys": keys}
    return Draft(entry, columns, todos)


def _scalar(value) -> str:
    """A YAML scalar: plain when it is a simple name, else double-quoted (JSON's quoting is YAML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][\w.]*", text) and text.lower() not in ("null", "true", "false", "yes", "no", "on", "off", "y", "n"):
        return text
    return json.dumps(text)


def draft_yaml(draft: Draft) -> str:
    """The draft as an onboarding file (one entry), TODOs as comments beside their values."""
    lines = ["# yaml-language-server: $schema=../docs/onboarding.schema.json", f"# Drafted by healthmon draft from the design of {draft.entry['table_name']}.",
             *[f"# TODO: {note}" for note in draft.notes], "tables:"]
    first = True
    for key, value in draft.entry.items():
        if value is None:
            continue
        todo = f"  # TODO: {draft.todos[key]}" if key in draft.todos else ""
        lead = "  - " if first else "    "
        first = False
        if isinstance(value, list):
            lines.append(f"{lead}{key}: [{', '.join(_scalar(v) for v in value)}]{todo}")
        else:
            lines.append(f"{lead}{key}: {_scalar(value)}{todo}")
    lines.append("    columns:")
    for c in draft.columns:
        if c.todo:
            lines.append(f"      # TODO: {c.todo}")
        lines.append(f"      - {{name: {c.name}, expr: {_scalar(c.expr)}, type: {_scalar(c.type)}, nullable: {_scalar(c.nullable)}"
                     + (f", comment: {_scalar(c.comment)}}}" if c.comment else "}"))
    return "\n".join(lines) + "\n"

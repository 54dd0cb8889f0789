"""The onboarding file's format as a JSON Schema, built from the parser's own field lists.

Editors validate and complete onboarding YAML with it (the files' first line names it, for the
YAML language server); ``healthmon schema`` prints it and ``docs/onboarding.schema.json`` is that
output. Every name here comes from :mod:`framework.metadata.spec` (the fields of
:class:`~framework.metadata.spec.TableSpec`, the keys of list items, ``explode`` and ``flatten``
entries, the check names, the actions), so the schema cannot name a field the parser does not
accept, nor miss one; ``tests/unit/test_onboarding_schema.py`` holds the two to each other by
behaviour as well. What the schema cannot say (an expression that parses, a type that holds the
expression's values, a dependency cycle) onboarding still checks, naming table and field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import MISSING, fields

from framework.metadata.spec import (
    ACTION_ALIASES,
    ACTIONS,
    CHECK_ARGS,
    FLAG_FIELDS,
    JOIN_TYPES,
    LIST_FIELDS,
    ROW_POLICIES,
    SCHEMA_CHANGES,
    TEXT_FIELDS,
    TableSpec,
)
from framework.metadata.vetting import LOOKBACK_UNITS

SCHEMA_ID = "https://healthmon.invalid/onboarding.schema.json"


def _any_case(word: str) -> str:
    """A regex matching ``word`` in any case, without inline flags (editors use ECMA-262 regexes)."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


# '<n> <unit>' (lookback, freshness_sla, tombstone_retention), as framework.metadata.vetting parses it
DURATION = rf"^\s*\d+\s+({'|'.join(_any_case(u) for u in LOOKBACK_UNITS)})[sS]?\s*$"

# One line per field, for editors' hover text; docs/control-table.md says the rest.
FIELD_DOCS = {
    "table_name": "Gold table name (an identifier): the key of the control table.",
    "domain": "Grouping for `healthmon run --domain` and the dashboards.",
    "enabled": "false: the table is audited SKIPPED (disabled); its dependents still run.",
    "source_table": "The source, e.g. ${catalog}.${bronze_schema}.usage.",
    "source_filter": "A Spark SQL predicate applied to the source.",
    "load_type": "How Gold is written: scd1, scd2, fact_upsert, fact_insert, snapshot, or view (a second name for another Gold table).",
    "primary_keys": "Gold columns forming the grain; they must determine a row.",
    "sequence_by": "Source expression ordering versions (latest wins); valid_from in an scd2 history.",
    "watermark_column": "Source column read incrementally; absent: the whole source each run.",
    "lookback": "How far behind the watermark a run re-reads, '<n> <unit>' (e.g. 2 days).",
    "columns": "The Gold columns: {name, expr, type, nullable, comment}, or a {flatten: struct} entry expanded at onboarding.",
    "joins": "Lookups joined to the source (alias s) before columns are mapped: {table, alias, on, how}.",
    "checks": "Data checks on the mapped batch (pandera): {column, check, args, severity, name}.",
    "depends_on": "Gold tables to hydrate first.",
    "delete_condition": "Source predicate marking a deletion of its key.",
    "track_columns": "scd2: the columns whose change opens a version (default: every non-key column).",
    "aggregate": "true: key columns are GROUP BY expressions, the others aggregates over every source row of the touched keys.",
    "freshness_sla": "How long after its last success a table counts as late, '<n> <unit>'.",
    "description": "The Gold table's comment.",
    "spec_version": "Metadata language version.",
    "explode": "One source row per element of an array: {expr, alias, outer, position}.",
    "cluster_by": "Liquid clustering: a list of Gold columns (at most 4), auto, or [] (not clustered).",
    "deletion_vectors": "true/false; default off for fact_insert, on for the others.",
    "source_optional": "true: the source may be absent (a preview system table); absent, the table is SKIPPED.",
    "on_null": "A row with NULL in a nullable: false column: quarantine (default) or fail.",
    "on_key_conflict": "Rows of one key (and sequence value) that differ: quarantine (default) or fail.",
    "quarantine_limit": "The table fails when a batch sets aside more rows than this: a count (100) or a share ('5%').",
    "tombstone_retention": "How long a deleted key's tombstone keeps older versions out, '<n> <unit>'; absent: for good.",
    "on_schema_change": "When the metadata adds Gold columns: append_new_columns (default), backfill, or fail.",
}
REQUIRED = tuple(f.name for f in fields(TableSpec) if f.default is MISSING and f.default_factory is MISSING)


def _text(doc: str | None = None) -> dict:
    return {"type": "string", **({"description": doc} if doc else {})}


def _object(required: list[str], properties: dict) -> dict:
    """A mapping with these keys only (an unknown key is a typo, as the parser says)."""
    return {"type": "object", "required": required, "additionalProperties": False, "properties": properties}


def _column_entries() -> dict:
    column = _object(["name", "type"], {
        "name": _text("The Gold column's name."),
        "expr": _text("Spark SQL over the source (alias s) and joins; default: the column's name."),
        "type": _text("A Spark SQL type the value is cast to (no narrowing: state an intended cast in expr)."),
        "nullable": {"type": "boolean", "description": "false: a NULL sets the row aside (on_null)."},
        "comment": _text("The Gold column's comment."),
    })
    flatten = _object(["flatten"], {
        "flatten": _text("A source struct column: one Gold column per field, expanded at onboarding."),
        "prefix": _text("Prepended to each generated column's name."),
        "except": {"type": "array", "items": {"type": "string", "minLength": 1}, "description": "Fields left out."},
        "depth": {"type": "integer", "minimum": 1, "description": "How many struct levels to walk (1: nested structs stay STRUCT columns)."},
        "json": {"type": "boolean", "description": "true: arrays, maps and unwalked structs become JSON text."},
        "json_suffix": _text("Appended to the name of a column rendered as JSON text."),
        "comments": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Generated column name -> its comment."},
    })
    return {"oneOf": [column, flatten]}


def _join() -> dict:
    join = _object(["table", "alias", "on"], {
        "table": _text("The joined table (placeholders allowed)."),
        "alias": _text("Its alias in expressions."),
        "on": _text("The join condition (quote the key: YAML 1.1 reads a bare on as true)."),
        "how": {"enum": list(JOIN_TYPES), "description": "left (default) or inner."},
    })
    return join


def _check() -> dict:
    actions = sorted(set(ACTIONS) | set(ACTION_ALIASES))
    check = _object(["check"], {
        "column": _text("The Gold column checked (absent for an expr check)."),
        "check": {"enum": list(CHECK_ARGS), "description": "The check."},
        "args": {"description": "The check's arguments: a list (isin, notin), a value (ge, gt, le, lt), a pair (between), text (str_matches, expr)."},
        "severity": {"enum": actions, "description": "What a failing row gets: keep, quarantine (default) or fail; aliases warn, error, expect, expect_or_drop, expect_or_quarantine, expect_or_fail."},
        "name": _text("The check's name in audit and quarantine rows (default <column>_<check>)."),
    })
    return check


def _explode() -> dict:
    explode = _object(["expr", "alias"], {
        "expr": _text("An array expression over the source."),
        "alias": _text("The element's name for joins and columns."),
        "outer": {"type": "boolean", "description": "true: keep a row (NULL element) for an empty or NULL array."},
        "position": _text("The 0-based index's name, when wanted."),
    })
    return explode


def _policies() -> list[str]:
    """What ``on_null`` and ``on_key_conflict`` accept: quarantine or fail, or an alias of either."""
    return sorted(set(ROW_POLICIES) | {alias for alias, action in ACTION_ALIASES.items() if action in ROW_POLICIES})


def _field(name: str, load_types: Mapping[str, str]) -> dict:
    """The schema of one top-level field, by the parser's lists of what shape each field has."""
    special = {
        "load_type": {"enum": list(load_types)},
        "columns": {"type": "array", "minItems": 1, "items": _column_entries()},
        "joins": {"type": "array", "items": _join()},
        "checks": {"type": "array", "items": _check()},
        "explode": _explode(),
        "cluster_by": {"oneOf": [{"type": "array", "maxItems": 4, "items": {"type": "string", "minLength": 1}},
                                 {"type": "string", "pattern": f"^{_any_case('auto')}$"}]},
        "spec_version": {"type": "integer", "minimum": 1},
        "quarantine_limit": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": r"^\s*(\d+|\d+(\.\d+)?\s*%)\s*$"}]},
        "on_null": {"enum": _policies()},
        "on_key_conflict": {"enum": _policies()},
        "on_schema_change": {"enum": list(SCHEMA_CHANGES)},
        "lookback": {"type": "string", "pattern": DURATION},
        "freshness_sla": {"type": "string", "pattern": DURATION},
        "tombstone_retention": {"type": "string", "pattern": DURATION},
    }
    if name in special:
        schema = special[name]
    elif name in LIST_FIELDS:  # lists of names
        schema = {"type": "array", "items": {"type": "string", "minLength": 1}}
    elif name in FLAG_FIELDS:
        schema = {"type": "boolean"}
    elif name in TEXT_FIELDS:
        schema = {"type": "string"}
    else:
        raise ValueError(f"{name}: a TableSpec field of no known shape (add it to framework.metadata.format)")
    return {**schema, "description": FIELD_DOCS[name]}


def onboarding_schema(load_types: Mapping[str, str]) -> dict:
    """The JSON Schema (draft 2020-12) of an onboarding file: ``tables:``, a list of table mappings.
    ``load_types``: the valid load type names and what each means (the engine's registry)."""
    table = _object(list(REQUIRED), {f.name: _field(f.name, load_types) for f in fields(TableSpec)})
    meanings = "; ".join(f"{name}: {meaning}" for name, meaning in load_types.items())
    table["properties"]["load_type"]["description"] += f" ({meanings})"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Health Monitor onboarding file",
        "description": "One file per domain under control_tables/: the Gold tables it onboards (docs/onboarding.md, docs/control-table.md).",
        "type": "object",
        "required": ["tables"],
        "additionalProperties": False,
        "properties": {"tables": {"type": "array", "items": {"$ref": "#/$defs/table"}}},
        "$defs": {"table": table},
    }


def schema_text(load_types: Mapping[str, str]) -> str:
    """The schema as ``docs/onboarding.schema.json`` holds it."""
    return json.dumps(onboarding_schema(load_types), indent=2) + "\n"

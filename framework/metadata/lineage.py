"""Column lineage, generated from the metadata: each Gold column <- the source columns its expression reads.

``healthmon lineage`` renders it from the control table (``docs/lineage.md`` is that output for
the onboarding files; a test fails when the committed file is stale). Per table: its load type,
source, filter, keys, joins and dependencies; per Gold column: its type, the source columns its
expression reads (``usage.usage_metadata.job_id``: table, column, struct path) and the
expression itself.

An expression's columns are found without Spark: its identifiers (outside string literals, not
followed by ``(``) that name a column of the source (bare, or after ``s.``), of a join (after the
join's alias) or the ``explode`` alias. The columns of a Bronze copy of a system table come from
the packaged DDL (:mod:`framework.platform.source_schemas`); those of a Gold table from its own
metadata. A source of neither kind (a user's table) is named with the expression's identifiers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from framework.metadata.spec import TableSpec
from framework.platform.source_schemas import source_tables

BRONZE = "${catalog}.${bronze_schema}."
GOLD = "${catalog}.${gold_schema}."
_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_CHAIN = re.compile(r"`[^`]+`(?:\.`[^`]+`|\.[A-Za-z_]\w*)*|[A-Za-z_]\w*(?:\s*\.\s*(?:`[^`]+`|[A-Za-z_]\w*))*")


def _columns_by_table(specs: list[TableSpec]) -> dict[str, tuple[str, ...]]:
    """Known column names per table reference as metadata writes it (placeholders kept)."""
    known = {BRONZE + t.name: tuple(c.name for c in t.columns) for t in source_tables().values()}
    known.update({GOLD + s.table_name: tuple(s.column_names) for s in specs})
    return known


def _short(reference: str) -> str:
    return reference.rsplit(".", 1)[-1]


def referenced(expr: str, scopes: dict[str, tuple[str, tuple[str, ...] | None]]) -> list[str]:
    """The columns ``expr`` reads, as ``<table>.<column>[.<path>]``, in order of appearance.

    ``scopes``: alias -> (short table name, its columns or None when unknown); the alias ``s``
    (the source) is also the scope of a bare name.
    """
    text = _STRINGS.sub(" ", expr or "")
    found: list[str] = []
    for match in _CHAIN.finditer(text):
        if text[match.end():].lstrip().startswith("("):  # a function's name
            continue
        parts = [p.strip().strip("`") for p in match.group(0).split(".")]
        aliased = parts[0] in scopes and (len(parts) > 1 or scopes[parts[0]][1] is None)  # alias.column, or an element alone
        alias, rest = (parts[0], parts[1:]) if aliased else ("s", parts)
        table, columns = scopes.get(alias, (None, None))
        if table is None:
            continue
        if not rest:  # the exploded element itself
            found.append(table)
            continue
        if columns is None:
            if rest[0].upper() != rest[0]:  # unknown source: keep names, not keywords (upper case)
                found.append(".".join([table, *rest]))
        elif rest[0] in columns:
            found.append(".".join([table, *rest]))
    return list(dict.fromkeys(found))


def _scopes(spec: TableSpec, known: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, tuple[str, ...] | None]]:
    scopes = {"s": (_short(spec.source_table), known.get(spec.source_table))}
    for join in spec.joins:
        scopes[join.alias] = (_short(join.table), known.get(join.table))
    if spec.explode is not None:  # the element, by its alias (its fields: alias.field)
        scopes[spec.explode.alias] = (f"{_short(spec.source_table)}[{spec.explode.expr}]", None)
    return scopes


def _cell(text: str | None) -> str:
    return f"`{text.replace('|', '&#124;')}`" if text else ""


@dataclass(frozen=True)
class TableLineage:
    """One table's lineage: what it reads and runs after, and per Gold column (name, type, the
    source columns its expression reads, the expression)."""

    name: str
    domain: str
    load_type: str
    reads: tuple[tuple[tuple[str, bool], ...], ...]  # per fact (source, filter, explode, key, join...): (text, is code) parts
    after: tuple[str, ...]
    columns: tuple[tuple[str, str, tuple[str, ...], str], ...]


def table_lineage(spec: TableSpec, known: dict[str, tuple[str, ...]]) -> TableLineage:
    def fact(*parts: str) -> tuple[tuple[str, bool], ...]:  # text, code, text, code...
        return tuple((part, i % 2 == 1) for i, part in enumerate(parts) if part)

    reads = [fact("from ", spec.source_table)]
    if spec.source_filter:
        reads.append(fact("where ", spec.source_filter))
    if spec.explode is not None:
        reads.append(fact("one row per element of ", spec.explode.expr, " as ", spec.explode.alias))
    reads.append(fact("key ", ", ".join(spec.primary_keys)))
    reads += [fact(f"{join.how} join ", join.table, " as ", join.alias, " on ", join.on) for join in spec.joins]
    if spec.aggregate:
        reads.append(fact("aggregated over the touched keys' source rows"))
    scopes = _scopes(spec, known)
    columns = tuple((c.name, c.type, tuple(referenced(c.expr, scopes)), c.expr) for c in spec.columns)
    return TableLineage(spec.table_name, spec.domain, spec.load_type, tuple(reads), tuple(spec.depends_on), columns)


def lineages(specs: list[TableSpec]) -> list[TableLineage]:
    """Every table's lineage, by domain then name."""
    known = _columns_by_table(specs)
    return [table_lineage(s, known) for s in sorted(specs, key=lambda s: (s.domain, s.table_name))]


def _section(table: TableLineage) -> list[str]:
    facts = [table.load_type, *("".join(_cell(text) if code else text for text, code in parts) for parts in table.reads)]
    if table.after:
        facts.append("after " + ", ".join(f"[{d}](#{d})" for d in table.after))
    lines = [f"### {table.name}", "", " · ".join(facts), "", "| Gold column | type | from | expression |", "| --- | --- | --- | --- |"]
    lines += [f"| `{name}` | {type_} | {', '.join(sources)} | {_cell(expr)} |" for name, type_, sources, expr in table.columns]
    return [*lines, ""]


def lineage_markdown(specs: list[TableSpec]) -> str:
    """``docs/lineage.md``: every table of ``specs`` by domain, each column with its sources."""
    by_domain: dict[str, list[TableLineage]] = defaultdict(list)
    for table in lineages(specs):
        by_domain[table.domain].append(table)
    lines = [
        "# Lineage",
        "",
        "<!-- generated by `healthmon lineage --out docs/lineage.md` from the control table; do not edit -->",
        "",
        "Each Gold table: its load type, what it reads (source, filter, joins) and what runs before it;",
        "each Gold column: the source columns its expression reads (`table.column.path`) and the expression.",
        "",
        " · ".join(f"[{domain}](#{domain})" for domain in by_domain),
        "",
    ]
    for domain, tables in by_domain.items():
        lines += [f"## {domain}", "", " · ".join(f"[{t.name}](#{t.name})" for t in tables), ""]
        for table in tables:
            lines += _section(table)
    return "\n".join(lines).rstrip("\n") + "\n"

"""Which tables run, and in what order: dependency layers over the enabled specs.

A layer holds tables whose dependencies are all in earlier layers, so tables within a layer are
independent (the Databricks job fans out over one layer at a time). Dependencies outside the
selection are assumed to be satisfied by earlier runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.errors import SelectionError
from framework.metadata.graph import layers_of
from framework.metadata.spec import TableSpec


@dataclass(frozen=True)
class Plan:
    """Selected tables in dependency layers; ``layers[0]`` runs first."""

    layers: tuple[tuple[str, ...], ...]


def select(domain_of: dict[str, str], tables: list[str] | None = None, domains: list[str] | None = None) -> set[str]:
    """The tables named by ``--table`` / ``--domain`` (all when neither is given).

    ``domain_of`` maps every onboarded table (valid metadata or not) to its domain; unknown names
    are errors that list the valid ones.
    """
    for name in tables or ():
        if name not in domain_of:
            raise SelectionError(
                f"table {name!r} is not onboarded. Valid tables are: {', '.join(sorted(domain_of))}"
            )
    known_domains = set(domain_of.values())
    for domain in domains or ():
        if domain not in known_domains:
            raise SelectionError(
                f"domain {domain!r} has no onboarded table. Valid domains are: {', '.join(sorted(known_domains))}"
            )
    return {
        name
        for name, domain in domain_of.items()
        if (not tables or name in tables) and (not domains or domain in domains)
    }


def plan(specs: list[TableSpec]) -> Plan:
    """Topological layers of ``specs`` (name order within a layer, so plans are stable)."""
    names = {s.table_name for s in specs}
    return Plan(layers_of({s.table_name: {d for d in s.depends_on if d in names} for s in specs}))



def upstream(specs: list[TableSpec], table: str) -> set[str]:
    """Every table ``table`` depends on, directly or not."""
    by_name = {s.table_name: s for s in specs}
    seen: set[str] = set()
    todo = list(by_name[table].depends_on) if table in by_name else []
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(by_name[dep].depends_on if dep in by_name else ())
    return seen

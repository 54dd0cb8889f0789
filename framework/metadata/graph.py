"""Dependency graphs over table names: cycles and topological layers. Pure data, no specs.

Kept apart so both the spec validator (cycles) and the planner (layers) use one implementation
without importing each other.
"""

from __future__ import annotations

from framework.errors import DependencyCycleError


def dependency_cycles(graph: dict[str, list[str] | set[str] | tuple[str, ...]]) -> list[list[str]]:
    """Every cycle of ``graph`` (table -> tables it depends on), each as the tables on it."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def layers_of(graph: dict[str, set[str]]) -> tuple[tuple[str, ...], ...]:
    """Topological layers of ``graph`` (table -> the tables of the graph it waits for)."""
    pending = {t: set(deps) for t, deps in graph.items()}
    layers: list[tuple[str, ...]] = []
    while pending:
        ready = sorted(t for t, deps in pending.items() if not deps)
        if not ready:
            raise DependencyCycleError("dependency cycle among: " + ", ".join(sorted(pending)))
        layers.append(tuple(ready))
        for t in ready:
            del pending[t]
        for deps in pending.values():
            deps.difference_update(ready)
    return tuple(layers)

"""The planning step of the generic job: which tables run in which layer of task fan-out.

The ``gold_hydration`` job has a ``plan`` task, then a fixed number of ``layer_<k>`` tasks, each a
``for_each_task`` running one table per iteration, each layer after the previous one. The plan
task publishes one task value per layer (a JSON array of table names) and the list of planned
tables; the layers' ``inputs`` reference them. Databricks declares the layers in the job, so the
number of layers is fixed (:data:`MAX_LAYERS`, asserted against the bundle by a test); a plan
deeper than that is refused with the chain that makes it deep.

Invalid metadata rows go to the first layer (their task records them FAILED, naming the field),
and tables that depend on them land in later layers, where the job-run gate skips them.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.engine.control import ControlSnapshot
from framework.errors import PlanError
from framework.metadata.graph import layers_of
from framework.metadata.planner import select

MAX_LAYERS = 4
# A layer with nothing to run still gets one iteration: an empty table name, which the table
# task treats as "nothing to do" (an empty for_each input is not relied upon).
EMPTY_SLOT = ""


@dataclass(frozen=True)
class FanoutPlan:
    layers: tuple[tuple[str, ...], ...]

    @property
    def tables(self) -> list[str]:
        return [t for layer in self.layers for t in layer]

    def task_values(self, max_layers: int = MAX_LAYERS) -> dict[str, object]:
        """The values the plan task sets: ``layer_0`` ... ``layer_<max-1>``, ``tables``, counts."""
        if len(self.layers) > max_layers:
            raise PlanError(
                f"the plan needs {len(self.layers)} dependency layers ({' -> '.join(self.deepest_chain())}) "
                f"but the job declares {max_layers}: add layer tasks to resources/gold_hydration.job.yml "
                "and raise framework.engine.fanout.MAX_LAYERS"
            )
        values: dict[str, object] = {
            f"layer_{k}": list(self.layers[k]) if k < len(self.layers) and self.layers[k] else [EMPTY_SLOT]
            for k in range(max_layers)
        }
        values["tables"] = ",".join(self.tables)
        values["layer_count"] = len(self.layers)
        values["table_count"] = len(self.tables)
        return values

    def deepest_chain(self) -> list[str]:
        """One table per layer from the last layer back to the first, along dependencies."""
        return list(self._chain)

    _chain: tuple[str, ...] = ()


def plan_fanout(snapshot: ControlSnapshot, tables: list[str] | None = None, domains: list[str] | None = None) -> FanoutPlan:
    """Layers of the selected tables, every table after the selected tables it depends on."""
    chosen = select(snapshot.domains, tables, domains)
    graph = {name: set() for name in chosen if name in snapshot.invalid}
    for name, spec in snapshot.specs.items():
        if name in chosen:
            graph[name] = {d for d in spec.depends_on if d in chosen}
    layers = layers_of(graph)
    return FanoutPlan(layers, _chain=_deepest_chain(layers, graph))


def _deepest_chain(layers: tuple[tuple[str, ...], ...], graph: dict[str, set[str]]) -> tuple[str, ...]:
    if not layers:
        return ()
    layer_of = {t: k for k, layer in enumerate(layers) for t in layer}
    chain = [layers[-1][0]]
    while layer_of[chain[-1]] > 0:
        # a table sits in layer k because one of its dependencies sits in layer k-1
        chain.append(sorted(d for d in graph[chain[-1]] if layer_of[d] == layer_of[chain[-1]] - 1)[0])
    return tuple(reversed(chain))

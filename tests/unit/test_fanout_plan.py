"""The generic job's fan-out, run locally the way Databricks runs it: the tests that need no Spark (the rest, and the context, in tests/spark/test_fanout.py)."""

from __future__ import annotations

import pytest

from framework.engine.control import ControlSnapshot
from framework.engine.fanout import EMPTY_SLOT, MAX_LAYERS, plan_fanout
from framework.errors import FrameworkError, SpecIssue
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec


def snapshot(*raws: dict, invalid: dict[str, str] | None = None) -> ControlSnapshot:
    specs = {r["table_name"]: TableSpec.from_dict(r) for r in raws}
    domains = {name: s.domain for name, s in specs.items()}
    bad = {}
    for name, field in (invalid or {}).items():
        domains[name] = "test"
        bad[name] = [SpecIssue(name, field, "does not parse")]
    return ControlSnapshot(specs, {}, bad, domains)

def table(name: str, *depends_on: str, domain: str = "test") -> dict:
    return raw_spec(table_name=name, depends_on=list(depends_on), domain=domain)

def test_layers_follow_dependencies_and_pad_empty_layers():
    plan = plan_fanout(snapshot(table("a"), table("b", "a"), table("c", "a", "b"), table("d")))
    assert plan.layers == (("a", "d"), ("b",), ("c",))
    values = plan.task_values()
    assert values == {
        "layer_0": ["a", "d"], "layer_1": ["b"], "layer_2": ["c"], "layer_3": [EMPTY_SLOT],
        "tables": "a,d,b,c", "layer_count": 3, "table_count": 4,
    }

def test_selection_keeps_only_selected_dependencies():
    plan = plan_fanout(snapshot(table("a", domain="x"), table("b", "a", domain="y"), table("c", "b", domain="y")), domains=["y"])
    assert plan.layers == (("b",), ("c",))

def test_invalid_rows_run_first_and_their_dependents_after_them():
    plan = plan_fanout(snapshot(table("b", "broken"), table("c"), invalid={"broken": "columns[0].expr"}))
    assert plan.layers == (("broken", "c"), ("b",))

def test_a_plan_deeper_than_the_job_is_refused_with_the_chain():
    chain = [table("t0")] + [table(f"t{i}", f"t{i - 1}") for i in range(1, MAX_LAYERS + 1)]
    with pytest.raises(FrameworkError) as caught:
        plan_fanout(snapshot(*chain)).task_values()
    message = str(caught.value)
    assert f"needs {MAX_LAYERS + 1} dependency layers" in message
    assert " -> ".join(f"t{i}" for i in range(MAX_LAYERS + 1)) in message

def test_no_table_selected_gives_empty_slots_only():
    values = plan_fanout(snapshot()).task_values()
    assert [values[f"layer_{k}"] for k in range(MAX_LAYERS)] == [[EMPTY_SLOT]] * MAX_LAYERS
    assert values["tables"] == "" and values["table_count"] == 0

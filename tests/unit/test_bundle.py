"""databricks.yml with its included resources validates against the real bundle JSON schema."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "reference" / "databricks-bundle" / "jsonschema.json"


def merged_bundle() -> dict:
    """databricks.yml plus every included file, merged the way the CLI merges resources."""
    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())
    for pattern in bundle.get("include", []):
        for path in sorted(glob.glob(str(ROOT / pattern))):
            part = yaml.safe_load(Path(path).read_text())
            for kind, items in part.get("resources", {}).items():
                bundle.setdefault("resources", {}).setdefault(kind, {}).update(items)
    return bundle


def schema_for_python() -> dict:
    """The schema's patterns use \\p{L} / \\p{N}, which Python's re lacks: \\w and \\d stand in
    (\\w is a superset of \\p{L}, so reference patterns get slightly more permissive, never stricter)."""
    text = SCHEMA.read_text().replace("\\\\p{L}", "\\\\w").replace("\\\\p{N}", "\\\\d")
    return json.loads(text)


def test_bundle_validates_against_the_databricks_bundle_schema():
    if not SCHEMA.exists():
        pytest.skip(f"bundle JSON schema not present: {SCHEMA}")
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema_for_python())
    errors = sorted(validator.iter_errors(merged_bundle()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message[:300]}" for e in errors)


def _notebook(task: dict) -> Path:
    return (ROOT / "resources" / task["notebook_task"]["notebook_path"]).resolve()


def test_generic_job_plans_then_fans_out_one_layer_per_dependency_level_then_summarizes():
    from framework.engine.fanout import MAX_LAYERS

    job = merged_bundle()["resources"]["jobs"]["gold_hydration"]
    assert job["max_concurrent_runs"] == 1
    assert {p["name"] for p in job["parameters"]} == {"domain", "tables", "full_refresh"}
    tasks = {t["task_key"]: t for t in job["tasks"]}
    layers = [f"layer_{k}" for k in range(MAX_LAYERS)]
    assert list(tasks) == ["plan", *layers, "summary"]
    assert _notebook(tasks["plan"]) == ROOT / "notebooks" / "plan_gold_hydration.py"
    for k, key in enumerate(layers):
        task = tasks[key]
        assert task["depends_on"] == [{"task_key": "plan" if k == 0 else f"layer_{k - 1}"}]
        assert task.get("run_if") == (None if k == 0 else "ALL_DONE")  # a failed layer does not stop later ones
        assert task["for_each_task"]["inputs"] == f"{{{{tasks.plan.values.{key}}}}}"
        inner = task["for_each_task"]["task"]
        assert _notebook(inner) == ROOT / "notebooks" / "hydrate_table.py"
        assert inner["notebook_task"]["base_parameters"]["table"] == "{{input}}"
        assert inner["notebook_task"]["base_parameters"]["job_run_id"] == "{{job.run_id}}"
    summary = tasks["summary"]
    assert summary["depends_on"] == [{"task_key": layers[-1]}] and summary["run_if"] == "ALL_DONE"
    assert summary["notebook_task"]["base_parameters"]["planned"] == "{{tasks.plan.values.tables}}"
    for task in tasks.values():  # job parameters are pushed down, never repeated per task
        inner = task.get("for_each_task", {}).get("task", task)
        assert not {"domain", "tables", "full_refresh"} & set(inner["notebook_task"]["base_parameters"])


def test_the_schedule_runs_in_prod_only():
    bundle = merged_bundle()
    assert bundle["resources"]["jobs"]["gold_hydration"]["schedule"]["pause_status"] == "PAUSED"
    assert bundle["targets"]["dev"]["mode"] == "development"
    prod = bundle["targets"]["prod"]
    assert prod["mode"] == "production"
    assert prod["resources"]["jobs"]["gold_hydration"]["schedule"]["pause_status"] == "UNPAUSED"


def test_every_notebook_the_bundle_runs_exists():
    jobs = merged_bundle()["resources"]["jobs"].values()
    tasks = [t.get("for_each_task", {}).get("task", t) for job in jobs for t in job["tasks"]]
    assert all(_notebook(t).exists() for t in tasks)


def test_the_schema_check_catches_a_violation():
    """Guard against a validator that cannot fail: a misspelt job field is reported."""
    if not SCHEMA.exists():
        pytest.skip(f"bundle JSON schema not present: {SCHEMA}")
    from jsonschema import Draft202012Validator

    broken = merged_bundle()
    broken["resources"]["jobs"]["gold_hydration"]["max_concurent_runs"] = 1
    assert list(Draft202012Validator(schema_for_python()).iter_errors(broken))

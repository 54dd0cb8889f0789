"""databricks.yml with its included resources validates against the real bundle JSON schema."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
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


def test_generic_job_runs_the_runner_notebook_with_the_job_parameters():
    job = merged_bundle()["resources"]["jobs"]["gold_hydration"]
    assert job["max_concurrent_runs"] == 1
    assert {p["name"] for p in job["parameters"]} == {"domain", "tables", "full_refresh"}
    task = job["tasks"][0]["notebook_task"]
    assert (ROOT / "resources" / task["notebook_path"]).resolve() == ROOT / "notebooks" / "run_gold_hydration.py"
    assert task["base_parameters"]["tables"] == "{{job.parameters.tables}}"


def test_the_schema_check_catches_a_violation():
    """Guard against a validator that cannot fail: a misspelt job field is reported."""
    if not SCHEMA.exists():
        pytest.skip(f"bundle JSON schema not present: {SCHEMA}")
    from jsonschema import Draft202012Validator

    broken = merged_bundle()
    broken["resources"]["jobs"]["gold_hydration"]["max_concurent_runs"] = 1
    assert list(Draft202012Validator(schema_for_python()).iter_errors(broken))

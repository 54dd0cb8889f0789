"""`pip install .` (not editable) gives a working `healthmon`: the wheel is built, installed into a: the tests that need no Spark (the rest, and the context, in tests/spark/test_wheel.py)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

SETUPTOOLS = PYPROJECT["tool"]["setuptools"]

def test_the_listed_packages_are_every_folder_of_the_framework_package():
    """pyproject lists packages (the mapped data folders forbid `find`): a new subpackage that is
    not listed would be missing from the wheel, so the list is held against the source tree."""
    on_disk = {
        ".".join(p.relative_to(ROOT).parts)
        for p in [ROOT / "framework", *(ROOT / "framework").rglob("*")]
        if p.is_dir() and p.name != "__pycache__" and any(c.is_file() for c in p.iterdir())
    }
    listed = set(SETUPTOOLS["packages"])
    mapped = set(SETUPTOOLS["package-dir"])
    assert listed - mapped == on_disk
    assert mapped == {"framework._data.control_tables", "framework._data.resources"}
    assert {SETUPTOOLS["package-dir"][m] for m in mapped} == {"control_tables", "resources"}

def test_a_checkout_reads_its_own_control_tables_and_resources():
    """The editable install of `make setup` finds the checkout's folders (no framework/_data there)."""
    from framework.platform.resources import control_dir, onboarding_files, project_dir

    assert not (ROOT / "framework" / "_data").exists()
    assert control_dir() == ROOT / "control_tables"
    assert project_dir("resources") == ROOT / "resources"
    assert [p.name for p in onboarding_files()] == sorted(p.name for p in (ROOT / "control_tables").glob("*.yml"))

# What the Databricks runtime (serverless, DBR 17.3) already has: the notebooks must not install
# these over it (above all pyspark, which there is the runtime's Spark Connect client).
RUNTIME_PROVIDED = {"pyspark", "delta-spark", "pandas", "pyarrow", "databricks-sdk", "matplotlib"}

def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower()

def test_the_notebooks_pip_install_what_the_package_needs_and_the_runtime_lacks_at_the_pinned_versions():
    """On Databricks the package arrives as synced source, its dependencies by each notebook's
    `%pip install` (docs/decisions.md, "Packaging"): a dependency added to pyproject must be
    installed there or declared provided by the runtime, and a pin must be requirements.txt's."""
    needed = {_name(d) for d in PYPROJECT["project"]["dependencies"]} - RUNTIME_PROVIDED
    pins = dict(line.split("==", 1) for line in (ROOT / "requirements.txt").read_text().splitlines() if "==" in line and not line.startswith("#"))
    pins = {_name(k): v.strip() for k, v in pins.items()}
    notebooks = sorted((ROOT / "notebooks").glob("*.py"))
    assert notebooks
    for notebook in notebooks:
        lines = [line for line in notebook.read_text().splitlines() if "%pip install" in line]
        assert len(lines) == 1, f"{notebook.name}: {lines}"
        installs = lines[0].split("%pip install", 1)[1].split()
        assert {_name(r) for r in installs} == needed, notebook.name
        for requirement in installs:
            if "==" in requirement:
                assert requirement.split("==", 1)[1] == pins[_name(requirement)], f"{notebook.name}: {requirement}"

def test_the_bundle_ships_no_wheel():
    """The decision above, as the bundle states it: no artifact build and no job environments."""
    from tests.unit.test_bundle import merged_bundle

    bundle = merged_bundle()
    assert "artifacts" not in bundle
    for job in bundle["resources"]["jobs"].values():
        assert "environments" not in job
        for task in job["tasks"]:
            inner = task.get("for_each_task", {}).get("task", task)
            assert "notebook_task" in inner and "libraries" not in inner and "environment_key" not in inner
    assert not {"framework/**", "control_tables/**", "notebooks/**"} & set(bundle["sync"].get("exclude", []))

# -- build, install, run ---------------------------------------------------------------------

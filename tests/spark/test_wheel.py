"""`pip install .` (not editable) gives a working `healthmon`: the wheel is built, installed into a
fresh venv and run from a folder outside the checkout.

The heavy dependencies (pyspark, pandas, ...) are not downloaded again: after the wheel is
installed, a ``.pth`` file puts this project's venv site-packages on the new venv's path. Paths
in a ``.pth`` are appended without processing their own ``.pth`` files, so the checkout's editable
install (a ``.pth`` import hook) stays out, and the test asserts that ``framework`` is the copy
inside the new venv. The wheel is built from a copy of the build inputs, so the checkout gets no
``build/`` folder and parallel runs do not race.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from tests.unit.test_package_layout import SETUPTOOLS  # helpers both layers use, defined once

ROOT = Path(__file__).resolve().parents[2]


# its module-scoped fixture is built once: the module's tests on one worker (xdist would build it on each)
pytestmark = pytest.mark.xdist_group("wheel")

OWN_TABLE = {
    "table_name": "dim_wheel_check",
    "domain": "wheelcheck",
    "source_table": "${catalog}.${bronze_schema}.wheel_things",
    "load_type": "scd1",
    "primary_keys": ["id"],
    "columns": [
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "amount", "expr": "CAST(amount AS DECIMAL(10,2))", "type": "DECIMAL(10,2)"},
    ],
}

def run(cmd: list[str], cwd: Path, env: dict, timeout: int = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    return result

def ok(cmd: list[str], cwd: Path, env: dict, timeout: int = 300) -> str:
    result = run(cmd, cwd, env, timeout)
    assert result.returncode == 0, f"{' '.join(cmd)} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr[-4000:]}"
    return result.stdout

# -- build, install, run ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv python, venv bin, a working folder outside the checkout, env for the commands)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", src)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ["framework", *SETUPTOOLS["package-dir"].values()]:
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEALTHMON_", "PYTHON", "SPARK_REMOTE", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    ok([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(base / "dist"), str(src)], base, env)
    (wheel,) = (base / "dist").glob("healthmon-*.whl")

    venv = base / "venv"
    ok([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env)
    python = venv / "bin" / "python"
    ok([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)], base, env)
    # only now the dependencies: pip must not see (or try to replace) the checkout's editable healthmon
    site = Path(ok([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], base, env).strip())
    (site / "healthmon_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    work = base / "work"
    work.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return python, venv / "bin", work, env

def test_the_installed_package_is_the_wheel_with_its_data_not_the_checkout(installed):
    python, _bin, work, env = installed
    probe = (
        "import json, framework, pyspark\n"
        "from framework.platform.resources import control_dir, onboarding_files, project_dir\n"
        "print(json.dumps({'framework': framework.__file__, 'pyspark': pyspark.__file__,"
        " 'control': str(control_dir()), 'resources': str(project_dir('resources')),"
        " 'onboarding': [str(p) for p in onboarding_files()]}))"
    )
    found = json.loads(ok([str(python), "-c", probe], work, env))
    venv = python.parent.parent
    packaged = Path(found["framework"]).parent / "_data"
    assert Path(found["framework"]).is_relative_to(venv), found["framework"]
    assert Path(found["pyspark"]).is_relative_to(Path(sysconfig.get_paths()["purelib"]))  # the .pth works
    assert Path(found["control"]) == packaged / "control_tables"
    assert Path(found["resources"]) == packaged / "resources"
    assert [Path(p).name for p in found["onboarding"]] == sorted(p.name for p in (ROOT / "control_tables").glob("*.yml"))

    installed_files = {p.relative_to(packaged.parent).as_posix() for p in packaged.parent.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    source_py = {p.relative_to(ROOT / "framework").as_posix() for p in (ROOT / "framework").rglob("*.py")}
    assert source_py <= installed_files, sorted(source_py - installed_files)
    for name in ["gold_table_control.sql", "gold_run_audit.sql", "gold_quarantine.sql", "views.sql"]:
        assert (packaged / "control_tables" / name).read_text() == (ROOT / "control_tables" / name).read_text()
    assert (packaged / "resources" / "health_monitor.lvdash.json").is_file()
    assert (packaged.parent / "platform" / "source_schemas" / "system_tables.sql").is_file()
    assert (packaged.parent / "platform" / "log4j2.properties").read_text() == (ROOT / "framework" / "platform" / "log4j2.properties").read_text()


def test_without_jars_the_installed_cli_says_how_to_fetch_them(installed, tmp_path):
    """No HEALTHMON_JARS, no checkout, an empty user cache: a clear error before any JVM starts."""
    _python, bin_dir, work, env = installed
    bare = {**env, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    result = run([str(bin_dir / "healthmon"), "status", "--home", str(tmp_path / "lh")], work, bare, timeout=120)
    assert result.returncode == 2, result.stderr
    for needle in ["io.delta:delta-spark_2.13:4.0.1", "io.delta:delta-storage:4.0.1", "HEALTHMON_JARS", "fetch_jars.sh", str(tmp_path / "cache" / "healthmon" / "jars")]:
        assert needle in result.stderr, needle

def test_the_installed_cli_bootstraps_and_onboards_from_outside_the_checkout(installed, tmp_path, spark):
    python, bin_dir, work, env = installed
    env = {**env, "HEALTHMON_JARS": str(ROOT / ".jars"), "HEALTHMON_SPARK_MASTER": "local[1]"}  # one core: the suite runs beside it
    healthmon = str(bin_dir / "healthmon")
    home = tmp_path / "lakehouse"

    booted = run([healthmon, "bootstrap", "--home", str(home)], work, env)
    assert booted.returncode == 0, booted.stderr[-4000:]
    assert booted.stdout.strip().splitlines()[-1] == f"lakehouse ready at {home}"
    # the wheel's log4j2 file was found: no Spark default profile, no log4j complaint about the file
    assert "Using Spark's default log4j profile" not in booted.stderr and "Reconfiguration failed" not in booted.stderr, booted.stderr
    assert not (work / ".lakehouse").exists() and not (ROOT / "framework" / "_data").exists()

    own = tmp_path / "own.yml"
    own.write_text(yaml.safe_dump({"tables": [OWN_TABLE]}))
    packaged = Path(ok([str(python), "-c", "from framework.platform.resources import control_dir; print(control_dir() / 'shared.yml')"], work, env).strip())
    assert packaged.is_relative_to(python.parent.parent)
    packaged_tables = [t["table_name"] for t in yaml.safe_load(packaged.read_text())["tables"]]
    assert packaged_tables  # the shipped file holds tables

    out = ok([healthmon, "onboard", str(own), str(packaged), "--home", str(home)], work, env)
    expected = [OWN_TABLE["table_name"], *packaged_tables]
    assert out.strip().splitlines()[-1] == f"onboarded {len(expected)} table(s): {', '.join(expected)}"

    # the control rows, read by the test's own session from the documented table location (no third JVM)
    control = spark.read.format("delta").load(str(home / "tables" / "control" / "gold_table_control"))
    rows = sorted(tuple(r) for r in control.select("table_name", "domain", "load_type").collect())
    shipped = yaml.safe_load(packaged.read_text())["tables"]
    assert rows == sorted((t["table_name"], t["domain"], t["load_type"]) for t in [OWN_TABLE, *shipped])

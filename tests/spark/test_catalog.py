"""The local catalog across real processes: what `healthmon sql` creates is there for the next one.

Three processes over one home, one after the other (each starts its own JVM):

- A creates: a schema, managed tables (``CREATE TABLE`` and CTAS, Delta and partitioned
  parquet), external tables (one in the folder-scan area ``<home>/tables``, one elsewhere), and
  views whose unqualified names resolve in the schema they were created in (one over another);
- B reads them, inserts, alters (``ADD COLUMNS`` and ``SET TBLPROPERTIES`` on Delta and on
  parquet, ``ALTER VIEW ... AS``), renames, drops a managed table, an external table and a view;
- C checks, from the catalog (``SHOW TABLES``, rows, columns) and from the disk (folders kept,
  moved, deleted), that B's changes are what a fresh process sees.

Each process runs its statements through `healthmon sql`'s own code, ``cli.main(["sql", ...])``,
once per statement; what matters is that nothing crosses from A to B to C but the lakehouse
folder. The journal's file handling is tested without a JVM at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from framework.platform.catalog_journal import MANAGED, Journal
from tests.connect_fixture import subprocess_env

ROOT = Path(__file__).resolve().parents[2]

TIMEOUT = 600  # seconds per process; one took ~2 min on 2 cores shared with other test JVMs

pytestmark = pytest.mark.xdist_group("catalog")  # one worker runs the three processes, once

# One process: each statement through `healthmon sql` (cli.main), its JSON output or its error.
# The context (session + bootstrap, which restores the catalog) is built once per process, as a
# `healthmon sql` process does; the statements after the first reuse it instead of bootstrapping
# again (seconds each, and nothing the catalog depends on).
DRIVER = """
import contextlib, io, json, sys, time
import framework.surfaces.cli as cli
home, statements = sys.argv[1], json.loads(sys.argv[2])
built = {}
build = cli._context
cli._context = lambda args, progress=None, **options: built.setdefault("ctx", build(args, progress, **options))
results = []
for statement in statements:
    out, started = io.StringIO(), time.monotonic()
    try:
        with contextlib.redirect_stdout(out):
            code = cli.main(["sql", statement, "--home", home, "--format", "json"])
        results.append({"rows": json.loads(out.getvalue()), "code": code})
    except Exception as exc:
        results.append({"error": str(exc).splitlines()[0]})
    results[-1]["seconds"] = round(time.monotonic() - started, 1)
print("RESULTS " + json.dumps(results))
"""

def process(home: Path, statements: list[str]) -> dict[str, dict]:
    """Run ``statements`` in one new process; statement -> {"rows": [...]} or {"error": "..."}."""
    done = subprocess.run([sys.executable, "-c", DRIVER, str(home), json.dumps(statements)], cwd=ROOT,
                          env=subprocess_env(), capture_output=True, text=True, timeout=TIMEOUT)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return dict(zip(statements, json.loads(lines[-1][len("RESULTS "):]), strict=True))

def rows(result: dict) -> list[dict]:
    assert "error" not in result, result["error"]
    return result["rows"]

def names(result: dict) -> set[str]:
    return {row["tableName"] for row in rows(result)}

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """Runs A, B and C; their results and the folders they worked in."""
    home = tmp_path_factory.mktemp("catalog_home")
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "outside"
    in_scan_area = home / "tables" / "bronze" / "ext_files"
    a = process(home, [
        "CREATE TABLE bronze.x (id INT) USING delta",
        "CREATE TABLE bronze.gone USING delta AS SELECT 1 AS id",
        "CREATE TABLE bronze.old USING delta AS SELECT 5 AS id",
        f"CREATE TABLE bronze.ext USING delta LOCATION '{in_scan_area}' AS SELECT 3 AS id",
        "CREATE SCHEMA lab",
        "CREATE TABLE lab.m USING delta AS SELECT 1 AS id, 'a' AS s",
        f"CREATE TABLE lab.outside USING delta LOCATION '{elsewhere}' AS SELECT 7 AS id",
        "CREATE TABLE lab.p USING parquet PARTITIONED BY (s) AS SELECT 1 AS id, 'a' AS s",
        "USE bronze",
        "CREATE VIEW v AS SELECT id * 10 AS id10 FROM x",  # `x` means bronze.x: resolved where created
        "USE lab",
        "CREATE VIEW vv AS SELECT id10 + 1 AS id11 FROM bronze.v",
    ])
    b = process(home, [
        "INSERT INTO bronze.x VALUES (1)",
        "SELECT * FROM lab.vv",
        "SELECT * FROM bronze.ext",
        "ALTER TABLE bronze.x ADD COLUMNS (note STRING)",
        "INSERT INTO bronze.x VALUES (2, 'after alter')",
        "ALTER TABLE bronze.x SET TBLPROPERTIES ('team' = 'health')",
        "ALTER VIEW bronze.v AS SELECT id * 10 AS id10, note FROM bronze.x",
        "ALTER TABLE bronze.old RENAME TO bronze.renamed",
        "DROP TABLE bronze.gone",
        "DROP TABLE bronze.ext",
        "DROP VIEW lab.vv",
        "ALTER TABLE lab.p ADD COLUMNS (extra INT)",
        "ALTER TABLE lab.p SET TBLPROPERTIES ('team' = 'lab')",
        "INSERT INTO lab.p VALUES (2, 20, 'b')",
    ])
    c = process(home, [
        "SHOW TABLES IN bronze",
        "SHOW TABLES IN lab",
        "SELECT * FROM bronze.x ORDER BY id",
        "SHOW TBLPROPERTIES bronze.x ('team')",
        "SHOW TBLPROPERTIES lab.p ('team')",
        "SELECT * FROM bronze.v ORDER BY id10",
        "SELECT * FROM bronze.renamed",
        "SELECT * FROM lab.p ORDER BY id",
        "SELECT * FROM lab.m",
        "SELECT * FROM lab.outside",
    ])
    return {"home": home, "elsewhere": elsewhere, "in_scan_area": in_scan_area, "a": a, "b": b, "c": c}

def test_every_statement_of_the_creating_process_succeeds(lab):
    for statement, result in lab["a"].items():
        assert result.get("code") == 0, (statement, result)

def test_a_later_process_reads_writes_and_alters_what_an_earlier_one_created(lab):
    b, c = lab["b"], lab["c"]
    assert rows(b["SELECT * FROM lab.vv"]) == [{"id11": 11}]  # a view over a view, both restored
    assert rows(b["SELECT * FROM bronze.ext"]) == [{"id": 3}]
    for statement, result in b.items():
        assert result.get("code") == 0, (statement, result)
    # inserts, the new column and a property from B, read by C; the view as B altered it
    assert rows(c["SELECT * FROM bronze.x ORDER BY id"]) == [{"id": 1, "note": None}, {"id": 2, "note": "after alter"}]
    assert rows(c["SHOW TBLPROPERTIES bronze.x ('team')"]) == [{"key": "team", "value": "health"}]
    assert rows(c["SHOW TBLPROPERTIES lab.p ('team')"]) == [{"key": "team", "value": "lab"}]
    assert rows(c["SELECT * FROM bronze.v ORDER BY id10"]) == [{"id10": 10, "note": None}, {"id10": 20, "note": "after alter"}]
    assert rows(c["SELECT * FROM lab.m"]) == [{"id": 1, "s": "a"}]
    assert rows(c["SELECT * FROM lab.outside"]) == [{"id": 7}]
    # a non-Delta table: its new column is catalog state, its new partition is found again
    assert rows(c["SELECT * FROM lab.p ORDER BY id"]) == [{"id": 1, "extra": None, "s": "a"}, {"id": 2, "extra": 20, "s": "b"}]

def test_renamed_dropped_and_kept_objects_as_a_fresh_process_sees_them(lab):
    c = lab["c"]
    assert names(c["SHOW TABLES IN bronze"]) == {"x", "v", "renamed"}  # not old, gone, ext, ext_files
    assert names(c["SHOW TABLES IN lab"]) == {"m", "outside", "p"}  # not vv
    assert rows(c["SELECT * FROM bronze.renamed"]) == [{"id": 5}]

def test_folders_follow_the_catalog_managed_data_goes_with_its_table(lab):
    home = lab["home"]
    bronze = home / "tables" / "bronze"
    assert (bronze / "x" / "_delta_log").is_dir()  # managed tables of the lakehouse's schemas
    assert not (bronze / "gone").exists()  # dropped managed table: its data deleted (by B)
    assert (bronze / "renamed" / "_delta_log").is_dir() and not (bronze / "old").exists()  # moved with its name
    assert (lab["in_scan_area"] / "_delta_log").is_dir()  # dropped external table: files kept ...
    assert (lab["elsewhere"] / "_delta_log").is_dir()
    assert (home / "warehouse" / "lab.db" / "m" / "_delta_log").is_dir()  # a user schema's managed table
    journal = Journal(home)
    assert set(journal.objects()) == {("bronze", "x"), ("bronze", "v"), ("bronze", "renamed"),
                                      ("lab", "m"), ("lab", "outside"), ("lab", "p")}
    assert journal.objects()[("bronze", "renamed")].kind == MANAGED  # renamed in B, where it was registered by location
    assert set(journal.unregistered()) == {str(lab["in_scan_area"])}  # ... and not registered again (see SHOW TABLES)

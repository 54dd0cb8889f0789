"""The `healthmon` command line and the runner notebook, run in-process on the test session (the
console script as a real process, its stdout purity and HEALTHMON_HOME: tests/spark/test_quiet_commands.py)."""

from __future__ import annotations

import json
import runpy
import sys
from decimal import Decimal
from pathlib import Path

import yaml

from framework.surfaces.cli import main
from tests.builders import raw_spec
from tests.demo_world import onboarded_tables
from tests.harness import make_source, ts

ROOT = Path(__file__).resolve().parents[2]

THINGS = "id STRING, amount DECIMAL(10,2), ts TIMESTAMP, tags MAP<STRING,STRING>"

def cli(lakehouse, *args) -> int:
    p = lakehouse.params
    return main([*args, "--home", str(lakehouse.home), "--catalog", p.catalog, "--bronze-schema", p.bronze_schema,
                 "--gold-schema", p.gold_schema, "--control-schema", p.control_schema])

def write_yaml(tmp_path, *specs) -> str:
    path = tmp_path / "tables.yml"
    path.write_text(yaml.safe_dump({"tables": list(specs)}))
    return str(path)

def thing_spec(**overrides):
    return raw_spec(columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "amount", "expr": "amount", "type": "DECIMAL(10,2)"},
        {"name": "seen_at", "expr": "ts", "type": "TIMESTAMP"},
        {"name": "tags", "expr": "tags", "type": "MAP<STRING,STRING>"},
    ], **overrides)

def test_onboard_rejects_a_bad_file_listing_every_error_and_writes_nothing(lakehouse, tmp_path, capsys):
    path = write_yaml(tmp_path, thing_spec(table_name="ok"), thing_spec(table_name="bad", load_type="merge", primary_keys=["nope"]))
    assert cli(lakehouse, "onboard", path) == 2
    err = capsys.readouterr().err
    assert "bad.load_type: must be one of scd1, scd2, fact_upsert, fact_insert, snapshot, view, found 'merge'" in err
    assert "bad.primary_keys: key 'nope' is not among the columns" in err
    assert lakehouse.spark.table(lakehouse.params.control("gold_table_control")).count() == 0

def test_onboard_run_status_and_sql_json(lakehouse, tmp_path, capsys):
    make_source(lakehouse, "things", THINGS, [("a", Decimal("1.5"), ts(1), {"k": "v"}), ("b", None, ts(2), None)])
    assert cli(lakehouse, "onboard", write_yaml(tmp_path, thing_spec())) == 0
    assert cli(lakehouse, "run", "--table", "dim_thing") == 0
    out = capsys.readouterr().out
    assert "dim_thing  SUCCEEDED  2" in out and "run_id" in out

    assert cli(lakehouse, "status") == 0
    status = capsys.readouterr().out
    assert "dim_thing" in status and "SUCCEEDED" in status and "2026-01-01 02:00:00" in status

    assert cli(lakehouse, "lineage") == 0  # from the control table: each Gold column's source columns
    lineage = capsys.readouterr().out
    assert "### dim_thing" in lineage and "| `seen_at` | TIMESTAMP | things.ts | `ts` |" in lineage

    gold = lakehouse.params.gold("dim_thing")
    assert cli(lakehouse, "sql", f"SELECT id, amount, seen_at, tags FROM {gold} ORDER BY id", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == [
        {"id": "a", "amount": 1.5, "seen_at": "2026-01-01T01:00:00.000000Z", "tags": {"k": "v"}},
        {"id": "b", "amount": None, "seen_at": "2026-01-01T02:00:00.000000Z", "tags": None},
    ]

def test_run_exits_non_zero_when_a_table_fails(lakehouse, tmp_path, capsys):
    assert cli(lakehouse, "onboard", write_yaml(tmp_path, thing_spec(source_table="${catalog}.${bronze_schema}.missing"))) == 0
    assert cli(lakehouse, "run") == 1
    assert "FAILED" in capsys.readouterr().out

def test_notebook_runs_as_a_plain_script(lakehouse, tmp_path, monkeypatch):
    make_source(lakehouse, "things", THINGS, [("a", Decimal("1.0"), ts(1), None)])
    assert cli(lakehouse, "onboard", write_yaml(tmp_path, thing_spec())) == 0
    p = lakehouse.params
    monkeypatch.setattr(sys, "argv", ["run_gold_hydration.py", "--home", str(lakehouse.home), "--bronze-schema", p.bronze_schema,
                                      "--gold-schema", p.gold_schema, "--control-schema", p.control_schema, "--job-run-id", "job-42"])
    runpy.run_path(str(ROOT / "notebooks" / "run_gold_hydration.py"), run_name="__main__")
    row = lakehouse.spark.table(p.control("gold_run_audit")).where("table_name = 'dim_thing'").first()
    assert (row.status, row.job_run_id, row.rows_inserted) == ("SUCCEEDED", "job-42", 1)

def test_bootstrap_entry_creates_tables_and_applies_every_onboarding_file(lakehouse):
    from framework.surfaces.entry import bootstrap_lakehouse

    p = lakehouse.params
    onboarded = bootstrap_lakehouse(lakehouse.spark, catalog=p.catalog, bronze_schema=p.bronze_schema, gold_schema=p.gold_schema,
                                    control_schema=p.control_schema, home=str(lakehouse.home))
    assert sorted(onboarded) == onboarded_tables()  # every table of every control_tables/*.yml
    names = {r.table_name for r in lakehouse.spark.table(p.control("gold_table_control")).collect()}
    assert names == set(onboarded)

def test_bootstrap_with_demo_data_and_unknown_domain(lakehouse, capsys):
    assert cli(lakehouse, "bootstrap", "--demo-data") == 0
    assert "Bronze batch 1:" in capsys.readouterr().out
    assert lakehouse.exists(lakehouse.params.bronze("usage")) and lakehouse.exists(lakehouse.params.bronze("jobs"))
    assert cli(lakehouse, "run", "--domain", "nope") == 2
    assert "domain 'nope' has no onboarded table" in capsys.readouterr().err

def test_version(capsys):
    import pytest

    from framework import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"healthmon {__version__}"


def test_the_demo_runs_its_tiny_batches_without_code_generation(spark):
    """`healthmon demo` sets the small-data confs on its own session; a session without them
    (a `healthmon run`, another notebook's) keeps Spark's defaults."""
    from framework.platform.session import SMALL_DATA_CONF, tune_for_small_data

    demo, other = spark.newSession(), spark.newSession()
    for session in (demo, other):
        for key in SMALL_DATA_CONF:
            session.conf.unset(key)  # the test session starts with them (tests/conftest.py)
    assert sorted(tune_for_small_data(demo)) == sorted(SMALL_DATA_CONF)
    assert {k: demo.conf.get(k) for k in SMALL_DATA_CONF} == SMALL_DATA_CONF
    assert other.conf.get("spark.sql.codegen.wholeStage") == "true"


def test_draft_reads_a_live_source_when_named(lakehouse, tmp_path, capsys):
    """``healthmon draft DESIGN --source TABLE``: the columns matched against the table's live schema."""
    make_source(lakehouse, "things", THINGS, [])
    design = tmp_path / "dim_thing.yaml"
    design.write_text(yaml.safe_dump({"table_name": "dim_thing", "domain": "test", "bronze_source": "not.packaged",
                                      "primary_key": {"columns": ["id"]},
                                      "columns": [{"name": "id", "type": "STRING", "nullable": False}, {"name": "amount", "type": "DECIMAL"},
                                                  {"name": "tags", "type": "STRING"}, {"name": "owner", "type": "STRING"}]}))
    assert cli(lakehouse, "draft", str(design), "--source", "${catalog}.${bronze_schema}.things") == 0
    (entry,) = yaml.safe_load(capsys.readouterr().out)["tables"]
    assert entry["source_table"] == "${catalog}.${bronze_schema}.things" and entry["load_type"] == "snapshot"  # no time column it knows
    assert [(c["name"], c["expr"], c["type"]) for c in entry["columns"]] == [
        ("id", "id", "STRING"), ("amount", "amount", "DECIMAL(10,2)"),
        ("tags", "to_json(map_from_entries(array_sort(map_entries(tags))))", "STRING"), ("owner", "NULL", "STRING")]

"""Every onboarded Gold table after the shared two-batch demo run (tests/demo_world.py): it realizes
its design (names, types, nullability, key) except the deviations docs/decisions.md lists, its key
determines a current row, and the columns the design says are never NULL are not."""

from __future__ import annotations

from collections import Counter

import pytest

from framework.metadata.spec import TECHNICAL_PREFIX
from framework.platform.sqltext import quote_table
from tests.demo_world import WORLD, gold_tables, onboarded_raws, onboarded_tables
from tests.gold_design import Deviation, designs, deviations, differences, normal_type, yaml_design, yaml_designs
from tests.harness import version

pytestmark = WORLD
SPECS = {raw["table_name"]: raw for raw in onboarded_raws()}


def test_the_demo_run_hydrates_every_onboarded_table_and_a_run_with_nothing_new_writes_nothing(demo_world):
    for run in demo_world.runs:
        assert {r.table_name: r.status for r in run.rows} == dict.fromkeys(onboarded_tables(), "SUCCEEDED"), [
            (r.table_name, r.error_message) for r in run.rows if r.status != "SUCCEEDED"
        ]
    assert all(r.target_version is None for r in demo_world.runs[-1].rows)
    assert {t: version(demo_world.lakehouse, t) for t in gold_tables()} == demo_world.versions_before_noop
    assert all(demo_world.last.gold[t] for t in onboarded_tables()), "every Gold table has rows"


def gold_columns(demo_world, table: str) -> dict[str, tuple[str, bool]]:
    schema = demo_world.lakehouse.spark.table(quote_table(demo_world.lakehouse.params.gold(table))).schema
    return {f.name: (normal_type(f.dataType.simpleString()), f.nullable) for f in schema.fields if not f.name.startswith(TECHNICAL_PREFIX)}


@pytest.mark.parametrize("table", onboarded_tables())
def test_each_gold_table_realizes_its_design_except_the_listed_deviations(demo_world, table):
    all_designs = designs()
    assert table in all_designs, f"{table} has no design of that name"
    found = differences(all_designs[table], gold_columns(demo_world, table), tuple(SPECS[table]["primary_keys"]))
    expected = {d for d in deviations() if d.table == table}
    assert sorted(found - expected, key=repr) == [], f"{table}: deviations from the design not listed in docs/decisions.md"
    assert sorted(expected - found, key=repr) == [], f"{table}: listed deviations that Gold does not have (stale)"


def test_the_deviation_list_names_only_onboarded_tables():
    assert {d.table for d in deviations()} <= set(onboarded_tables())
    assert all(isinstance(d, Deviation) for d in deviations())


@pytest.mark.parametrize("table", onboarded_tables())
def test_the_design_key_is_unique_over_the_whole_table(demo_world, table):
    """What consumers join on: the design's key alone (the metadata's: the design's except listed
    key deviations), no ``is_current`` filter (an scd2 dimension's versions live in ``<name>_history``)."""
    keys = Counter(tuple(r[k] for k in SPECS[table]["primary_keys"]) for r in demo_world.last.gold[table])
    assert keys, f"{table} is empty"
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("table", [t for t in onboarded_tables() if SPECS[t]["load_type"] == "scd2"])
def test_a_dimension_is_the_current_rows_of_its_history(demo_world, table):
    """``<name>`` = the ``is_current`` rows of ``<name>_history``, column for column; each key of
    the history has exactly one current version."""
    history = demo_world.last.gold[f"{table}_history"]
    names = [f.name for f in demo_world.lakehouse.spark.table(quote_table(demo_world.lakehouse.params.gold(table))).schema.fields
             if not f.name.startswith(TECHNICAL_PREFIX)]
    current = [{n: r[n] for n in names} for r in history if r["is_current"]]
    key = SPECS[table]["primary_keys"]
    assert Counter(tuple(r[k] for k in key) for r in current) == Counter(tuple(r[k] for k in key) for r in history if r["valid_to"] is None)
    assert len({tuple(r[k] for k in key) for r in current}) == len({tuple(r[k] for k in key) for r in history})
    assert sorted(map(repr, current)) == sorted(repr({n: r[n] for n in names}) for r in demo_world.last.gold[table])


@pytest.mark.parametrize("table", onboarded_tables())
def test_columns_the_design_says_are_never_null_are_not(demo_world, table):
    design = designs()[table]
    required = [name for name, (_, nullable) in design.columns.items() if not nullable]
    rows = demo_world.last.gold[table]
    nulls = {name: sum(r.get(name) is None for r in rows) for name in required if name in rows[0]}
    assert {n: c for n, c in nulls.items() if c} == {}


def _words(text) -> str:
    return " ".join(str(text or "").split())


@pytest.mark.parametrize("table", onboarded_tables())
def test_descriptions_from_the_design_are_the_table_and_column_comments(demo_world, table):
    """Unity Catalog and Genie read Delta comments: the design's descriptions, verbatim."""
    lh = demo_world.lakehouse
    design = yaml_design(table)
    described = {r["col_name"]: r["data_type"] for r in lh.spark.sql(f"DESCRIBE TABLE EXTENDED {quote_table(lh.params.gold(table))}").collect()}
    assert _words(described.get("Comment")) == _words(design["description"])
    schema = lh.spark.table(quote_table(lh.params.gold(table))).schema
    comments = {f.name: _words(f.metadata.get("comment")) for f in schema.fields}
    wanted = {c["name"]: _words(c.get("description")) for c in design["columns"] if c["name"] in comments}
    assert {n: comments[n] for n in wanted if comments[n] != wanted[n]} == {}


# Design foreign keys that name a table or column by a name no design has: the one they mean.
REFERENCED_AS = {"fact_mlflow_run": "fact_mlflow_runs", "dim_served_entity": "dim_served_entities"}
# Design foreign keys over columns the design itself lacks (clean rooms belong to a metastore, not a
# workspace: neither the design nor access.clean_room_events has a workspace_id).
NO_SUCH_COLUMNS = {("fact_clean_room_events", ("workspace_id",))}
REFERENCED_COLUMN = {("dim_pipeline", "dlt_pipeline_id"): "pipeline_id", ("fact_job_run_timeline", "job_run_id"): "run_id",
                     ("fact_pipeline_update_timeline", "dlt_update_id"): "update_id"}


def design_references() -> list[tuple[str, tuple[str, ...], str, tuple[str, ...]]]:
    """(table, columns, referenced table, referenced columns) of every design's foreign keys."""
    found = []
    for table, doc in yaml_designs().items():
        for fk in doc.get("foreign_keys") or []:
            name, _, cols = fk["references"].partition("(")
            referenced = REFERENCED_AS.get(name.strip(), name.strip())
            keys = tuple(REFERENCED_COLUMN.get((referenced, c.strip()), c.strip()) for c in cols.rstrip(")").split(","))
            found.append((table, tuple(fk["columns"]), referenced, keys))
    return found


def test_joining_each_table_to_what_its_design_references_on_the_design_key_keeps_its_row_count(demo_world):
    """What the Gold layer's SQL does: ``fact LEFT JOIN dim ON <the dimension's design key>``, no
    ``is_current`` filter. A dimension holding more than one row per key would multiply the fact's
    rows. (A foreign key naming only part of the referenced key, e.g. ``dim_job(job_id)``, is not a
    join on the design key: nothing promises one row per value there.)"""
    gold, keys_of = demo_world.last.gold, designs()
    checked, multiplied = [], {}
    for table, columns, referenced, keys in design_references():
        if table not in gold or referenced not in gold or set(keys) != set(keys_of[referenced].primary_key):
            continue
        if (table, columns) in NO_SUCH_COLUMNS:
            assert not set(columns) & set(keys_of[table].columns), f"{table} has {columns} now: join it"
            continue
        per_key = Counter(tuple(r[k] for k in keys) for r in gold[referenced])
        joined = sum(max(1, per_key[tuple(r[c] for c in columns)]) if None not in [r[c] for c in columns] else 1 for r in gold[table])
        checked.append((table, referenced))
        if joined != len(gold[table]):
            multiplied[f"{table} -> {referenced}"] = (len(gold[table]), joined)
    assert {("fact_usage", "dim_workspace"), ("fact_usage", "dim_job"), ("fact_job_run_timeline", "dim_job"),
            ("fact_node_timeline", "dim_cluster"), ("fact_query_history", "dim_warehouse")} <= set(checked)
    assert multiplied == {}, "fact rows before and after the join"


def test_the_committed_lineage_is_what_healthmon_lineage_prints_for_the_onboarded_tables(demo_world):
    """docs/lineage.md is generated (``healthmon lineage --out docs/lineage.md`` over a lakehouse
    with every onboarding file onboarded, as the shared demo run has it); stale, this fails."""
    from pathlib import Path

    from framework.engine.control import read_control
    from framework.metadata.lineage import lineage_markdown

    specs = read_control(demo_world.lakehouse).specs
    assert sorted(specs) == onboarded_tables()
    committed = (Path(__file__).resolve().parents[2] / "docs" / "lineage.md").read_text()
    assert lineage_markdown(list(specs.values())) == committed, "docs/lineage.md is stale: run `healthmon lineage --out docs/lineage.md`"

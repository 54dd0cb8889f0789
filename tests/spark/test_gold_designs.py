"""Every onboarded Gold table after the shared two-batch demo run (tests/demo_world.py): it realizes
its design (names, types, nullability, key) except the deviations docs/decisions.md lists, its key
determines a current row, and the columns the design says are never NULL are not."""

from __future__ import annotations

from collections import Counter

import pytest

from framework.metadata.spec import TECHNICAL_PREFIX
from framework.platform.sqltext import quote_table
from tests.demo_world import WORLD, onboarded_raws, onboarded_tables
from tests.gold_design import Deviation, designs, deviations, differences, normal_type, yaml_design
from tests.harness import version

pytestmark = WORLD
SPECS = {raw["table_name"]: raw for raw in onboarded_raws()}


def test_the_demo_run_hydrates_every_onboarded_table_and_a_run_with_nothing_new_writes_nothing(demo_world):
    for run in demo_world.runs:
        assert {r.table_name: r.status for r in run.rows} == dict.fromkeys(onboarded_tables(), "SUCCEEDED"), [
            (r.table_name, r.error_message) for r in run.rows if r.status != "SUCCEEDED"
        ]
    assert all(r.target_version is None for r in demo_world.runs[-1].rows)
    assert {t: version(demo_world.lakehouse, t) for t in onboarded_tables()} == demo_world.versions_before_noop
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


def _current(table: str, rows: list[dict]) -> list[dict]:
    """Current rows: an scd2 table keeps history, of which ``is_current`` rows are the present."""
    return [r for r in rows if r.get("is_current", True)] if SPECS[table]["load_type"] == "scd2" else rows


@pytest.mark.parametrize("table", onboarded_tables())
def test_the_key_determines_one_current_row(demo_world, table):
    keys = Counter(tuple(r[k] for k in SPECS[table]["primary_keys"]) for r in _current(table, demo_world.last.gold[table]))
    assert keys, f"{table} is empty"
    assert [k for k, n in keys.items() if n > 1] == []


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

"""The package's shape: one home per load type, nothing else deciding by load type, errors named.

Import layering itself (metadata free of Spark, each layer importing only the ones below) is held by
import-linter (pyproject.toml, run by `make test`).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from framework.engine.loads import LOADS, LoadType, find_issues, load_of
from framework.engine.loads.base import LoadType as Base
from framework.errors import UnknownLoadTypeError
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec

PACKAGE = Path(__file__).resolve().parents[2] / "framework"
LOADS_PACKAGE = "engine/loads/"
FLAGS = ("deletion_vectors_default", "added_columns")  # data the entries carry, read by name (never branched on)


def sources():
    return {p.relative_to(PACKAGE).as_posix(): p.read_text() for p in PACKAGE.rglob("*.py")}


def overrides(load: LoadType, method: str) -> bool:
    return getattr(type(load), method) is not getattr(Base, method)


def test_every_load_type_has_its_rules_and_its_behaviour_in_one_entry():
    for name, load in LOADS.items():
        assert isinstance(load, LoadType) and load.name == name
        assert callable(load.spec_issues) and callable(load.dedup_grain)
        suffixes = [suffix for suffix, _ in load.parts()]
        assert suffixes[-1] == "" and len(set(suffixes)) == len(suffixes), f"{name}: the metadata's table is written last, once"
        for suffix, part in load.parts():  # behaviour the base leaves open, for every table the type writes
            assert overrides(part, "clauses") and overrides(part, "desired"), f"{name}{suffix} lacks clauses or desired"
            assert overrides(part, "diff") or overrides(part, "changes"), f"{name}{suffix} lacks a diff"


def test_scd2_writes_the_history_then_the_current_table_derived_from_it():
    parts = load_of("scd2").parts()
    assert [suffix for suffix, _ in parts] == ["_history", ""]
    history, current = (part for _, part in parts)
    spec = TableSpec.from_dict(raw_spec(load_type="scd2", sequence_by="ts", primary_keys=["id"]))
    assert [c.action for c in current.clauses(spec)] == ["UPDATE", "INSERT"]  # a deleted entity keeps its row
    assert "DELETE" in [c.action for c in history.clauses(spec)]  # superseded versions go
    assert current.merge_keys(spec) == ("id",) and history.merge_keys(spec) == ("id", "valid_from")


def test_no_module_branches_on_a_load_type_name():
    names = "|".join(LOADS)
    compared = re.compile(rf"load_type\s*(==|!=|\bin\b|\bnot in\b)|==\s*['\"]({names})['\"]")
    offenders = {path: m.group(0) for path, text in sources().items() if (m := compared.search(text))}
    assert offenders == {}, "decide by the load type's entry (framework.engine.loads), not by its name"


def test_outside_the_load_types_no_module_reads_a_load_type_attribute_but_its_methods():
    """``load.<attribute>`` outside framework/engine/loads is a method call or one of FLAGS' data."""
    offenders = []
    for path, text in sources().items():
        if path.startswith(LOADS_PACKAGE):
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
                owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
                if owner == "load" and not hasattr(getattr(Base, node.attr, None), "__call__") and node.attr not in FLAGS:
                    offenders.append(f"{path}: load.{node.attr}")
    assert offenders == []


def test_an_unknown_load_type_lists_the_valid_ones():
    with pytest.raises(UnknownLoadTypeError, match=r"unknown load type 'scd3'; valid load types are: scd1, scd2, fact_upsert, fact_insert, snapshot, view"):
        load_of("scd3")
    spec = TableSpec.from_dict(raw_spec(load_type="scd3"))
    assert [str(i) for i in find_issues([spec]) if i.field == "load_type"] == [
        "dim_thing.load_type: must be one of scd1, scd2, fact_upsert, fact_insert, snapshot, view, found 'scd3'"]


def test_each_load_type_says_what_a_spec_of_its_type_must_not_say():
    def issues(**overrides):
        return sorted(f"{i.field}: {i.message}" for i in load_of(overrides["load_type"]).spec_issues(TableSpec.from_dict(raw_spec(**overrides))))

    assert issues(load_type="scd2", sequence_by=None) == ["sequence_by: is required for scd2 (it orders versions and becomes valid_from)"]
    assert issues(load_type="snapshot", sequence_by=None, delete_condition="deleted")[0].startswith("delete_condition: is not supported for snapshot")
    assert issues(load_type="fact_insert", delete_condition="deleted") == [
        "delete_condition: is not supported for fact_insert (fact_insert never deletes; snapshot deletes absent keys)"]
    assert issues(load_type="scd1", track_columns=["name"]) == ["track_columns: applies to scd2 only"]
    assert issues(load_type="scd1") == [] and issues(load_type="scd2") == []


VIEW = dict(load_type="view", source_table="${catalog}.${gold_schema}.dim_other", depends_on=["dim_other"],
            sequence_by=None, watermark_column=None, lookback=None)


def test_a_view_reads_another_gold_table_and_says_nothing_about_loading():
    def issues(**overrides):
        return [str(i) for i in load_of("view").spec_issues(TableSpec.from_dict(raw_spec(**{**VIEW, **overrides})))]

    assert issues() == []
    assert issues(source_filter="name IS NOT NULL", description="d") == []  # a filter becomes the view's WHERE
    assert issues(source_table="${catalog}.${bronze_schema}.things") == [
        "dim_thing.source_table: must be another Gold table for view, ${catalog}.${gold_schema}.<table>, found '${catalog}.${bronze_schema}.things'"]
    assert issues(depends_on=[]) == [
        "dim_thing.depends_on: must name 'dim_other', the Gold table the view reads (so it is hydrated first)"]
    loading = dict(sequence_by="ts", watermark_column="ts", lookback="1 day", delete_condition="deleted",
                   joins=[{"table": "t", "alias": "o", "on": "true"}], explode={"expr": "a", "alias": "e"}, aggregate=True,
                   checks=[{"column": "id", "check": "not_null"}], cluster_by=["id"], deletion_vectors=True, track_columns=["name"])
    assert issues(**loading) == [
        "dim_thing.track_columns: applies to scd2 only",
        "dim_thing.watermark_column: must be empty for view: a view reads its source whole, when it is queried",
        "dim_thing.lookback: must be empty for view: a view reads its source whole, when it is queried",
        "dim_thing.sequence_by: must be empty for view: a view keeps no versions: its source table does",
        "dim_thing.delete_condition: must be empty for view: a view deletes nothing: its source table does",
        "dim_thing.joins: must be empty for view: a view is a projection of one Gold table",
        "dim_thing.explode: must be empty for view: a view is a projection of one Gold table",
        "dim_thing.aggregate: must be empty for view: a view is a projection of one Gold table",
        "dim_thing.checks: must be empty for view: a view stores no rows: its source table's rows are checked when they are loaded",
        "dim_thing.cluster_by: must be empty for view: a view has no files to lay out",
        "dim_thing.deletion_vectors: must be empty for view: a view has no files to lay out",
    ]
    assert [load.defines_view() for load in LOADS.values()] == [name == "view" for name in LOADS]


def test_a_view_is_one_statement_with_the_columns_comments_the_description_and_the_run():
    spec = TableSpec.from_dict(raw_spec(**VIEW, description="It's the thing.", source_filter="amount > 0", columns=[
        {"name": "id", "expr": "s.id", "type": "STRING", "comment": "The id."},
        {"name": "amount_text", "expr": "amount", "type": "STRING"},
    ]))
    assert load_of(spec).statement(spec, "c.gold.dim_thing", "c.gold.dim_other", "run7") == (
        "CREATE OR REPLACE VIEW `c`.`gold`.`dim_thing` (\n  `id` COMMENT 'The id.',\n  `amount_text`\n)\n"
        "COMMENT 'It\\'s the thing.'\nTBLPROPERTIES ('healthmon.run_id' = 'run7')\n"
        "AS SELECT\n  CAST(s.id AS STRING) AS `id`,\n  CAST(amount AS STRING) AS `amount_text`\nFROM `c`.`gold`.`dim_other` s\nWHERE amount > 0"
    )

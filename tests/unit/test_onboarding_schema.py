"""The published onboarding format (docs/onboarding.schema.json) against the parser, both ways.

The schema is generated from the parser's own field lists (framework/metadata/format.py); these
tests hold it to the parser's *behaviour*: every field one accepts the other accepts, every
unknown key or wrong shape one refuses the other refuses; every onboarding file and every example
in docs/onboarding.md validates; the committed file is what ``healthmon schema`` prints.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest
import yaml

from framework.engine.loads import LOADS, meanings
from framework.errors import SpecError
from framework.metadata.format import schema_text
from framework.metadata.spec import EXPLODE_KEYS, FLATTEN_KEYS, ITEM_KEYS, TableSpec, shape_issues

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "onboarding.schema.json"
FILES = sorted((ROOT / "control_tables").glob("*.yml"))
FIRST_LINE = "# yaml-language-server: $schema=../docs/onboarding.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text())
TABLE = SCHEMA["$defs"]["table"]
MINIMAL = {"table_name": "fact_thing", "domain": "test", "source_table": "${catalog}.${bronze_schema}.things", "load_type": "fact_upsert",
           "primary_keys": ["id"], "columns": [{"name": "id", "expr": "id", "type": "STRING", "nullable": False}]}
# one value of the right shape per field, beyond MINIMAL
SAMPLES = {
    "enabled": False, "source_filter": "id IS NOT NULL", "sequence_by": "ts", "watermark_column": "ts", "lookback": "2 days",
    "joins": [{"table": "${catalog}.${bronze_schema}.owners", "alias": "o", "on": "o.id = s.id", "how": "inner"}],
    "checks": [{"column": "id", "check": "isin", "args": ["a"], "severity": "expect_or_drop", "name": "known_id"}],
    "depends_on": ["dim_other"], "delete_condition": "deleted", "track_columns": ["id"], "aggregate": True, "freshness_sla": "1 day",
    "description": "Things.", "spec_version": 1, "explode": {"expr": "items", "alias": "item", "outer": True, "position": "pos"},
    "cluster_by": "auto", "deletion_vectors": True, "source_optional": True, "on_null": "fail", "on_key_conflict": "warn",
    "quarantine_limit": "5%", "tombstone_retention": "90 days", "on_schema_change": "backfill",
}


def as_yaml_12(value):
    """``value`` with the keys PyYAML (YAML 1.1) reads a bare ``on:`` as, ``True``, named ``on``
    again: as an editor's YAML 1.2 reads the file, and as the parser takes them (JoinSpec)."""
    if isinstance(value, dict):
        return {("on" if k is True else k): as_yaml_12(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_yaml_12(v) for v in value]
    return value


def schema_accepts(instance, schema=SCHEMA) -> bool:
    return not list(jsonschema.Draft202012Validator(schema).iter_errors(as_yaml_12(instance)))


def parser_accepts(raw: dict) -> bool:
    try:
        TableSpec.from_dict(raw)
    except SpecError:
        return False
    return True


def test_the_committed_schema_is_what_healthmon_schema_prints(tmp_path):
    from framework.surfaces.cli import main

    assert main(["schema", "--out", str(tmp_path / "schema.json")]) == 0  # no Spark: this layer cannot start one
    assert SCHEMA_FILE.read_text() == (tmp_path / "schema.json").read_text() == schema_text(meanings()), (
        "docs/onboarding.schema.json is stale: run `.venv/bin/healthmon schema --out docs/onboarding.schema.json`")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_schema_names_exactly_the_fields_and_keys_the_parser_knows():
    assert set(TABLE["properties"]) == {f.name for f in fields(TableSpec)}
    column, flatten = TABLE["properties"]["columns"]["items"]["oneOf"]
    assert tuple(column["properties"]) == ITEM_KEYS["columns"] and tuple(flatten["properties"]) == FLATTEN_KEYS
    assert tuple(TABLE["properties"]["joins"]["items"]["properties"]) == ITEM_KEYS["joins"]
    assert tuple(TABLE["properties"]["checks"]["items"]["properties"]) == ITEM_KEYS["checks"]
    assert tuple(TABLE["properties"]["explode"]["properties"]) == EXPLODE_KEYS
    assert TABLE["properties"]["load_type"]["enum"] == list(LOADS)
    assert set(SAMPLES) | set(MINIMAL) == set(TABLE["properties"])


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_field_the_schema_allows_the_parser_accepts_and_an_unknown_key_beside_it_both_refuse(name):
    raw = {**MINIMAL, name: SAMPLES[name]}
    assert schema_accepts({"tables": [raw]}) and parser_accepts(raw), name
    typo = {**raw, name + "x": SAMPLES[name]}
    assert not schema_accepts({"tables": [typo]})
    assert [i.field for i in shape_issues(typo)] == [name + "x"]


def wrong_shapes() -> list[tuple[str, object]]:
    """A value of the wrong shape for each field the parser checks the shape of."""
    cases = []
    for name, schema in TABLE["properties"].items():
        if schema.get("type") == "array":
            cases.append((name, "id"))  # a scalar where a list belongs
        elif schema.get("type") == "boolean":
            cases.append((name, "yes"))
        elif schema.get("type") == "string" and "pattern" not in schema:
            cases.append((name, ["a", "b"]))
    return cases


@pytest.mark.parametrize(("name", "value"), wrong_shapes())
def test_a_wrong_shape_is_refused_by_both(name, value):
    raw = {**MINIMAL, name: value}
    assert not schema_accepts({"tables": [raw]}), name
    assert not parser_accepts(raw), name


@pytest.mark.parametrize(("where", "item"), [
    ("columns", {"name": "id", "type": "STRING", "nulable": False}),
    ("columns", {"flatten": "usage_metadata", "prefx": "u_"}),
    ("joins", {"table": "t", "alias": "o", "on": "o.id = s.id", "kind": "left"}),
    ("checks", {"column": "id", "check": "not_null", "severty": "warn"}),
])
def test_an_unknown_key_in_a_list_item_is_refused_by_both(where, item):
    raw = copy.deepcopy(MINIMAL)
    raw[where] = [*raw.get(where, []), item]
    assert not schema_accepts({"tables": [raw]})
    assert not parser_accepts(raw)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_onboarding_file_names_the_schema_and_validates(path):
    text = path.read_text()
    assert text.splitlines()[0] == FIRST_LINE
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in jsonschema.Draft202012Validator(SCHEMA).iter_errors(as_yaml_12(yaml.safe_load(text)))]
    assert errors == []


def doc_examples() -> list:
    text = (ROOT / "docs" / "onboarding.md").read_text()
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_every_example_in_the_onboarding_guide_validates_as_the_fragment_it_is():
    """The guide's examples are fragments (a few fields of an entry, a list of columns entries):
    each is validated against the part of the schema it is, with nothing required."""
    partial_table = {**TABLE, "required": []}
    column_entry = TABLE["properties"]["columns"]["items"]
    examples = doc_examples()
    assert len(examples) >= 5
    for example in examples:
        if isinstance(example, dict):
            assert schema_accepts(example, partial_table), example
        elif all(isinstance(e, dict) and "table_name" in e for e in example):
            assert all(schema_accepts(e, partial_table) for e in example), example
        else:
            assert all(schema_accepts(e, column_entry) for e in example), example

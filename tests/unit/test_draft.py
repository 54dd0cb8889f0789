"""``healthmon draft``: a first onboarding entry from a Gold design (framework/metadata/draft.py), without Spark.

On a design it has never seen (tests/fixtures/designs/) the draft is held exactly; on every design
of the user's Gold layer (../shared/reference/gold-design, when present) it must parse, validate
against the onboarding format and the metadata rules, and agree with the onboarded entries on
most columns (the figures are in docs/onboarding.md, "Drafting an entry").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from framework.engine.loads import find_issues
from framework.metadata.draft import draft_entry, draft_yaml
from framework.metadata.spec import TableSpec
from framework.onboarding.drafting import checked, draft_file
from framework.platform.source_schemas import source_tables
from tests.demo_world import onboarded_raws

ROOT = Path(__file__).resolve().parents[2]
DESIGNS = ROOT.parent / "shared" / "reference" / "gold-design"
UNSEEN = ROOT / "tests" / "fixtures" / "designs" / "fact_cloud_infra_cost.yaml"
SCHEMA = json.loads((ROOT / "docs" / "onboarding.schema.json").read_text())


def entry_of(text: str) -> dict:
    document = yaml.safe_load(text)
    assert not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(document))
    (entry,) = document["tables"]
    return entry


def test_a_design_it_has_never_seen_is_drafted_column_by_column_with_todos_where_it_could_not_decide():
    text = draft_file(UNSEEN)
    entry = entry_of(text)
    assert {k: entry[k] for k in ("table_name", "domain", "source_table", "load_type", "watermark_column", "primary_keys")} == {
        "table_name": "fact_cloud_infra_cost", "domain": "billing", "source_table": "${catalog}.${bronze_schema}.cloud_infra_cost",
        "load_type": "fact_insert", "watermark_column": "usage_date", "primary_keys": ["record_id"]}
    assert [(c["name"], c["expr"], c["type"], c["nullable"]) for c in entry["columns"]] == [
        ("record_id", "record_id", "STRING", False),
        ("workspace_id", "workspace_id", "STRING", True),
        ("usage_start_time", "usage_start_time", "TIMESTAMP", True),
        ("cost", "cost", "DECIMAL(38,18)", True),  # a bare DECIMAL takes the source's precision
        ("usage_metadata_cluster_id", "usage_metadata.cluster_id", "STRING", True),  # by struct path
        ("usage_metadata", "to_json(usage_metadata)", "STRING", True),  # a nested value the design types as text
        ("cost_center", "NULL", "STRING", True),  # nothing matches: a TODO
        ("usage_date", "usage_date", "INT", True),  # the design's type kept, with a TODO naming the source's
    ]
    assert entry["columns"][0]["comment"] == "Unique record identifier." and entry["description"] == "Cloud infrastructure cost per record."
    todos = [line for line in text.splitlines() if "# TODO" in line]
    assert any("load_type" in t or "fact_upsert" in t for t in todos)
    assert any("no source column or struct field matches" in t for t in todos)
    assert any("the source's type is DATE" in t for t in todos)
    spec = TableSpec.from_dict(entry)
    assert find_issues([spec]) == []  # the metadata's and the load type's rules hold; Spark's probes come at onboarding


@pytest.mark.skipif(not DESIGNS.is_dir(), reason=f"the user's Gold designs are not present: {DESIGNS}")
def test_every_design_of_the_gold_layer_drafts_valid_and_mostly_as_onboarded():
    onboarded = {r["table_name"]: r for r in onboarded_raws()}
    tables = source_tables()

    def same(a, b) -> bool:
        return re.sub(r"\s+", "", str(a or "")).lower() == re.sub(r"\s+", "", str(b or "")).lower()

    columns = right = load_types = drafted = flagged = 0
    for path in sorted(DESIGNS.glob("*/*.yaml")):
        design = yaml.safe_load(path.read_text())
        # dim_sku's source is "Derived (DISTINCT sku_name from billing.usage)": drafted over billing.usage, as --source would
        key = next(k for k in sorted(tables, key=len, reverse=True) if k in str(design.get("bronze_source")))
        text = draft_yaml(checked(draft_entry(design, tables[key])))
        entry = entry_of(text)
        for issue in find_issues([TableSpec.from_dict(entry)]):  # valid, or it says why not
            assert issue.message in text, (path.name, issue)
        flagged += any(issue for issue in find_issues([TableSpec.from_dict(entry)]))
        drafted += 1
        ours = onboarded[design["table_name"]]
        load_types += entry["load_type"] == ours["load_type"]
        written = {c["name"]: c for c in ours["columns"] if "name" in c}
        for c in entry["columns"]:
            columns += 1
            mine = written.get(c["name"])
            right += mine is not None and same(c["expr"], mine.get("expr", c["name"])) and same(c["type"], mine["type"])
    assert drafted == 37 and flagged <= 3, flagged
    assert right / columns >= 0.75 and load_types >= 20, (right, columns, load_types)  # 517 of 681 columns, 21 of 37 load types


def test_a_change_feed_design_it_has_never_seen_is_drafted_as_a_dimension_with_its_deletions():
    entry = entry_of(draft_file(ROOT / "tests" / "fixtures" / "designs" / "dim_job_owner.yaml"))
    assert {k: entry.get(k) for k in ("load_type", "sequence_by", "watermark_column", "delete_condition", "primary_keys")} == {
        "load_type": "scd2", "sequence_by": "change_time", "watermark_column": "change_time", "delete_condition": "delete_time IS NOT NULL",
        "primary_keys": ["workspace_id", "job_id"]}
    assert [(c["name"], c["expr"], c["type"], c["nullable"]) for c in entry["columns"]] == [
        ("workspace_id", "workspace_id", "STRING", False), ("job_id", "job_id", "STRING", False),
        ("creator_id", "creator_id", "STRING", True), ("run_as", "run_as", "STRING", True),
        ("tags", "to_json(map_from_entries(array_sort(map_entries(tags))))", "STRING", True),  # a map as text, entries sorted
        ("delete_time", "delete_time", "TIMESTAMP", True)]
    assert find_issues([TableSpec.from_dict(entry)]) == []

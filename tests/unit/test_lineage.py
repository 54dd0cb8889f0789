"""Which source columns an expression reads (framework/metadata/lineage.py), without Spark."""

from __future__ import annotations

from framework.metadata.lineage import lineage_markdown, referenced
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec

SCOPES = {"s": ("usage", ("usage_quantity", "usage_metadata", "custom_tags", "sku_name")), "p": ("fact_list_prices", ("pricing_default", "sku_name")),
          "item": ("usage[items]", None)}


def test_columns_bare_aliased_and_by_struct_path_in_order_without_functions_keywords_or_literals():
    assert referenced("CAST(s.usage_quantity * p.pricing_default AS DECIMAL(18,6))", SCOPES) == ["usage.usage_quantity", "fact_list_prices.pricing_default"]
    assert referenced("usage_metadata.job_id", SCOPES) == ["usage.usage_metadata.job_id"]
    assert referenced("coalesce(custom_tags['sku_name'], 'usage_quantity')", SCOPES) == ["usage.custom_tags"]
    assert referenced("CASE WHEN sku_name IS NULL THEN 'x' ELSE upper(sku_name) END", SCOPES) == ["usage.sku_name"]
    assert referenced("`usage_metadata`.`job_id`", SCOPES) == ["usage.usage_metadata.job_id"]
    assert referenced("current_date()", SCOPES) == []


def test_an_exploded_element_and_a_source_of_unknown_columns():
    assert referenced("item.name", SCOPES) == ["usage[items].name"]
    assert referenced("to_json(item)", SCOPES) == ["usage[items]"]
    unknown = {"s": ("things", None)}
    assert referenced("upper(name) || CAST(amount AS STRING)", unknown) == ["things.name", "things.amount"]


def test_a_table_section_names_its_joins_dependencies_and_each_columns_sources():
    spec = TableSpec.from_dict(raw_spec(
        table_name="fact_cost", source_table="${catalog}.${bronze_schema}.usage", depends_on=["fact_list_prices"],
        joins=[{"table": "${catalog}.${gold_schema}.fact_list_prices", "alias": "p", "on": "p.sku_name = s.sku_name"}],
        primary_keys=["record_id"],
        columns=[{"name": "record_id", "expr": "s.record_id", "type": "STRING"},
                 {"name": "cost", "expr": "s.usage_quantity * p.pricing_default", "type": "DECIMAL(38,6)"}]))
    prices = TableSpec.from_dict(raw_spec(table_name="fact_list_prices", columns=[{"name": "sku_name", "type": "STRING"},
                                                                                 {"name": "pricing_default", "type": "DECIMAL(38,6)"}]))
    text = lineage_markdown([spec, prices])
    assert "left join `${catalog}.${gold_schema}.fact_list_prices` as `p` on `p.sku_name = s.sku_name` · after [fact_list_prices](#fact_list_prices)" in text
    assert "| `cost` | DECIMAL(38,6) | usage.usage_quantity, fact_list_prices.pricing_default | `s.usage_quantity * p.pricing_default` |" in text
    assert "| `record_id` | STRING | usage.record_id | `s.record_id` |" in text

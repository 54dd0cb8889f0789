"""The packaged system-table DDL: exact columns and types, and in step with the reference export.

Pure tests: no Spark session is started.
"""

from __future__ import annotations

import csv
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest

from framework.errors import SourceError
from framework.platform.source_schemas import (
    SQL_FILE,
    parse_source_ddl,
    source_table,
    source_tables,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_CSV = (
    Path(__file__).resolve().parents[3] / "shared/reference/system-tables/system_table_column_schema.csv"
)
INCLUDED = {
    "access", "billing", "compute", "data_classification", "data_quality_monitoring", "lakeflow",
    "marketplace", "mlflow", "query", "serving", "storage",
}  # fmt: skip
# single tables of otherwise left-out schemas (the AI Gateway payload log, a preview table)
INCLUDED_TABLES = {("__internal_logging", "payload_logs")}


def _included(schema: str, table: str) -> bool:
    return (schema, table) in INCLUDED_TABLES or (schema in INCLUDED and not table.startswith("__"))


def _types(key: str) -> list[tuple[str, str]]:
    return [(c.name, c.data_type) for c in source_table(key).columns]


def _reference_csv() -> Path:
    if not REFERENCE_CSV.is_file():
        pytest.skip(f"reference CSV not present: {REFERENCE_CSV}")
    return REFERENCE_CSV


def _derive_script() -> SimpleNamespace:
    """The bootstrap script's functions (it is a script beside the package, not part of it)."""
    script = REPO_ROOT / "bootstrap" / "derive_source_schemas.py"
    return SimpleNamespace(**runpy.run_path(str(script), run_name="derive_source_schemas"))


def test_list_prices_has_exact_columns_and_nested_pricing():
    assert _types("billing.list_prices") == [
        ("account_id", "string"),
        ("price_start_time", "timestamp"),
        ("price_end_time", "timestamp"),
        ("sku_name", "string"),
        ("cloud", "string"),
        ("currency_code", "string"),
        ("usage_unit", "string"),
        (
            "pricing",
            "struct<default:decimal(38,18),promotional:struct<default:decimal(38,18)>,"
            "effective_list:struct<default:decimal(38,18)>>",
        ),
    ]


def test_jobs_has_exact_columns():
    assert _types("lakeflow.jobs") == [
        ("account_id", "string"),
        ("workspace_id", "string"),
        ("job_id", "string"),
        ("name", "string"),
        ("creator_id", "string"),
        ("tags", "map<string,string>"),
        ("run_as", "string"),
        ("change_time", "timestamp"),
        ("delete_time", "timestamp"),
        ("description", "string"),
    ]


def test_workspaces_latest_has_exact_columns():
    assert _types("access.workspaces_latest") == [
        ("account_id", "string"),
        ("workspace_id", "string"),
        ("workspace_name", "string"),
        ("workspace_url", "string"),
        ("create_time", "timestamp"),
        ("status", "string"),
    ]


def test_usage_has_exact_columns_and_nested_types():
    types = dict(_types("billing.usage"))
    assert list(types) == [
        "account_id", "workspace_id", "record_id", "sku_name", "cloud", "usage_start_time",
        "usage_end_time", "usage_date", "custom_tags", "usage_unit", "usage_quantity", "usage_metadata",
        "identity_metadata", "record_type", "ingestion_date", "billing_origin_product", "product_features",
        "usage_type",
    ]  # fmt: skip
    assert types["usage_quantity"] == "decimal(38,18)"
    assert types["custom_tags"] == "map<string,string>"
    assert types["identity_metadata"] == "struct<run_as:string,created_by:string,owned_by:string>"
    assert types["usage_metadata"].startswith("struct<cluster_id:string,job_id:string,warehouse_id:string,")
    assert types["usage_metadata"].count(":string") == 37
    assert ",networking:struct<connectivity_type:string>," in types["product_features"]
    assert ",agent_bricks:struct<problem_type:string,workload_type:string>," in types["product_features"]


def test_bronze_names_are_the_system_table_names_and_legacy_schemas_are_left_out():
    tables = source_tables()
    assert {"billing.usage", "billing.list_prices", "lakeflow.jobs", "access.workspaces_latest"} <= set(tables)
    assert all(key == f"{t.system_schema}.{t.name}" for key, t in tables.items())
    assert all(_included(t.system_schema, t.name) for t in tables.values())
    assert {t.system_schema for t in tables.values()} == INCLUDED | {schema for schema, _ in INCLUDED_TABLES}
    assert not any(t.name.startswith("__") for t in tables.values())
    assert len({t.name for t in tables.values()}) == len(tables)


def test_the_payload_log_is_the_one_table_of_an_internal_schema_with_its_exact_columns():
    assert [k for k in source_tables() if k.startswith("__")] == ["__internal_logging.payload_logs"]
    assert source_table("__internal_logging.payload_logs").system_table == "system.__internal_logging.payload_logs"
    assert _types("__internal_logging.payload_logs") == [
        ("account_id", "string"), ("workspace_id", "string"), ("request_date", "date"),
        ("databricks_request_id", "string"), ("client_request_id", "string"), ("request_time", "timestamp"),
        ("status_code", "int"), ("sampling_fraction", "double"), ("execution_duration_ms", "bigint"),
        ("request", "string"), ("response", "string"), ("logging_error_codes", "array<string>"),
        ("served_entity_id", "string"), ("endpoint_table_id", "string"), ("requester", "string"),
    ]  # fmt: skip


def test_schema_ddl_drops_comments_and_quotes_names():
    table = source_table("access.workspaces_latest")
    assert "COMMENT" in table.columns_ddl
    assert table.schema_ddl == (
        "`account_id` string, `workspace_id` string, `workspace_name` string, `workspace_url` string, "
        "`create_time` timestamp, `status` string"
    )


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(SourceError, match=r"unknown system table 'billing\.nope'.*billing\.usage"):
        source_table("billing.nope")


def test_awkward_names_and_comments_round_trip_through_the_generated_ddl():
    derive = _derive_script()
    columns = [
        derive.ExportColumn("query", "t", "plain", 0, "map<string,array<int>>", True, "it's a \\ test\nline two"),
        derive.ExportColumn("query", "t", "odd name`x", 1, "bigint", False, None),
    ]
    parsed = parse_source_ddl(derive.render(columns, "x.csv"))["query.t"].columns
    assert [(c.name, c.data_type, c.nullable, c.comment) for c in parsed] == [
        ("plain", "map<string,array<int>>", True, "it's a \\ test\nline two"),
        ("odd name`x", "bigint", False, None),
    ]


def test_packaged_ddl_matches_the_reference_export():
    expected: dict[str, list[tuple[int, str, str, str | None]]] = {}
    with _reference_csv().open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if _included(row["table_schema"], row["table_name"]):
                comment = None if row["comment"] in ("", "null") else row["comment"]
                expected.setdefault(f"{row['table_schema']}.{row['table_name']}", []).append(
                    (int(row["ordinal_position"]), row["column_name"], row["full_data_type"], comment)
                )
    tables = source_tables()
    assert sorted(tables) == sorted(expected)
    for key, rows in expected.items():
        want = [(name, data_type, comment) for _, name, data_type, comment in sorted(rows)]
        assert [(c.name, c.data_type, c.comment) for c in tables[key].columns] == want, key


def test_packaged_file_is_what_the_bootstrap_script_generates():
    derive = _derive_script()
    csv_path = _reference_csv()
    assert derive.render(derive.read_export(csv_path), csv_path.name) == SQL_FILE.read_text(encoding="utf-8")

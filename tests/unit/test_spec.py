"""Pure tests: metadata parsing and validation, planning, placeholders, SQL safety. No JVM."""

from __future__ import annotations

import pytest

from framework.engine.loads import validate_specs
from framework.errors import FrameworkError, PlaceholderError, SpecError, UnsafeSqlError
from framework.metadata.graph import dependency_cycles
from framework.metadata.planner import plan, select
from framework.metadata.spec import TableSpec, parse_specs
from framework.metadata.vetting import check_fragment, lookback_interval_sql
from framework.platform.params import RunParams, fill_placeholders
from framework.platform.sqltext import quote_ident, quote_table
from tests.builders import raw_spec


def issues_of(*raws, known=None) -> list[str]:
    with pytest.raises(SpecError) as info:
        validate_specs(parse_specs(list(raws)), known)
    return [str(i) for i in info.value.issues]


def test_valid_spec_parses_into_frozen_dataclass():
    spec = TableSpec.from_dict(raw_spec())
    assert spec.primary_keys == ("id",)
    assert spec.column_names == ["id", "name", "amount"]
    assert spec.columns[0].nullable is False and spec.columns[1].nullable is True
    validate_specs([spec])
    with pytest.raises(AttributeError):
        spec.table_name = "x"  # frozen


def test_row_round_trip_keeps_every_field():
    spec = TableSpec.from_dict(raw_spec(checks=[{"column": "amount", "check": "between", "args": [0, 10], "severity": "warn"}]))
    again = TableSpec.from_dict(spec.to_row())
    assert again == spec
    assert again.checks[0].value == [0, 10]
    assert again.checks[0].check_name == "amount_between"


def test_every_error_is_listed_with_table_and_field():
    bad = raw_spec(
        load_type="scd3",
        primary_keys=["id", "missing_key"],
        lookback="two days",
        checks=[{"column": "nope", "check": "isin", "args": [], "severity": "fatal"}],
    )
    found = issues_of(bad)
    assert any(i.startswith("dim_thing.load_type: must be one of scd1, scd2") and "'scd3'" in i for i in found)
    assert any(i.startswith("dim_thing.primary_keys: key 'missing_key' is not among the columns") for i in found)
    assert any(i.startswith("dim_thing.lookback: lookback must look like") for i in found)
    assert any(i.startswith("dim_thing.checks[0].column: 'nope' is not a Gold column") for i in found)
    assert any(i.startswith("dim_thing.checks[0].severity") for i in found)
    assert any(i.startswith("dim_thing.checks[0].args") for i in found)


@pytest.mark.parametrize("written, action", [
    (None, "quarantine"), ("warn", "quarantine"), ("error", "fail"), ("Expect", "keep"), ("expect_or_drop", "quarantine"),
    ("expect_or_quarantine", "quarantine"), ("expect_or_fail", "fail"), ("keep", "keep"), ("fail", "fail"),
])
def test_a_checks_severity_is_one_of_three_actions_whatever_name_it_is_written_with(written, action):
    spec = TableSpec.from_dict(raw_spec(checks=[{"column": "amount", "check": "ge", "args": 0, "severity": written}]))
    validate_specs([spec])
    assert spec.checks[0].severity == action
    assert TableSpec.from_dict(spec.to_row()).checks[0].severity == action  # stored as the action


def test_dirty_row_policies_default_to_quarantine_and_bad_ones_are_named():
    spec = TableSpec.from_dict(raw_spec())
    assert (spec.on_null, spec.on_key_conflict, spec.limit) == ("quarantine", "quarantine", None)
    limits = TableSpec.from_dict(raw_spec(quarantine_limit=100)).limit, TableSpec.from_dict(raw_spec(quarantine_limit="2.5%")).limit
    assert [(lim.rows, lim.percent) for lim in limits] == [(100, None), (None, 2.5)]
    assert (limits[0].exceeded(101, 1000), limits[0].exceeded(100, 1000), limits[1].exceeded(3, 100), limits[1].exceeded(2, 100)) == (True, False, True, False)
    found = issues_of(raw_spec(on_null="keep", on_key_conflict="drop", quarantine_limit="many"))
    assert found == [
        "dim_thing.on_null: must be one of quarantine, fail, found 'keep'",
        "dim_thing.on_key_conflict: must be one of quarantine, fail, found 'drop'",
        "dim_thing.quarantine_limit: must be a number of rows (e.g. 100) or a percentage of the rows read (e.g. 5%), found 'many'",
    ]
    assert issues_of(raw_spec(quarantine_limit="100%")) == [
        "dim_thing.quarantine_limit: a percentage must be at least 0 and below 100, found '100%'"]


def test_unknown_placeholder_is_rejected_with_valid_ones_named():
    found = issues_of(raw_spec(source_table="${catalog}.${secret_schema}.things"))
    assert found == [
        "dim_thing.source_table: unknown placeholder ${secret_schema}; valid: ${catalog}, ${bronze_schema}, ${gold_schema}, ${control_schema}"
    ]
    with pytest.raises(PlaceholderError, match=r"\$\{env\}"):
        fill_placeholders("${env}.x", RunParams())
    assert fill_placeholders("${catalog}.${gold_schema}.t", RunParams(catalog="main")) == "main.gold.t"


def test_dependency_cycle_and_unknown_dependency():
    a = raw_spec(table_name="a", depends_on=["b"])
    b = raw_spec(table_name="b", depends_on=["a"])
    c = raw_spec(table_name="c", depends_on=["ghost"])
    found = issues_of(a, b, c)
    assert "a.depends_on: dependency cycle: a -> b -> a" in found
    assert any(i.startswith("c.depends_on: unknown table 'ghost'; known tables are: a, b, c") for i in found)
    assert dependency_cycles({s.table_name: list(s.depends_on) for s in parse_specs([a, b])}) == [["a", "b"]]


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"load_type": "scd2", "sequence_by": None}, "dim_thing.sequence_by: is required for scd2"),
        ({"load_type": "snapshot", "lookback": None}, "dim_thing.watermark_column: must be empty for snapshot"),
        ({"load_type": "fact_insert", "delete_condition": "d IS NOT NULL"}, "dim_thing.delete_condition: is not supported for fact_insert"),
        ({"track_columns": ["name"]}, "dim_thing.track_columns: applies to scd2 only"),
        ({"watermark_column": None}, "dim_thing.lookback: needs a watermark_column"),
        ({"source_filter": "1=1; DROP TABLE x"}, "dim_thing.source_filter: must be one SQL expression without a statement separator"),
        ({"columns": [{"name": "id", "expr": "id -- hidden", "type": "STRING"}]}, "dim_thing.columns[id].expr: must be one SQL expression without a comment"),
        ({"columns": [{"name": "id", "expr": "id", "type": "STRING"}, {"name": "_hm_x", "expr": "1", "type": "INT"}]}, "dim_thing.columns[_hm_x]: names starting with '_hm_' are reserved"),
        ({"joins": [{"table": "${catalog}.gold.p", "alias": "s", "on": "1=1"}]}, "dim_thing.joins[0].alias: must be a unique identifier other than 's'"),
        ({"tombstone_retention": "90 days"}, "dim_thing.tombstone_retention: applies only where a deletion removes a key's row"),  # no delete_condition
        ({"load_type": "scd2", "delete_condition": "deleted", "tombstone_retention": "90 days"}, "dim_thing.tombstone_retention: applies only"),
        ({"delete_condition": "deleted", "tombstone_retention": "forever"}, "dim_thing.tombstone_retention: must look like '<n> <unit>'"),
        ({"on_schema_change": "sync_all_columns"}, "dim_thing.on_schema_change: must be one of append_new_columns, backfill, fail"),
        ({"load_type": "fact_insert", "on_schema_change": "backfill"}, "dim_thing.on_schema_change: backfill updates rows Gold holds"),
    ],
)
def test_field_combination_rules(overrides, expected):
    assert any(i.startswith(expected) for i in issues_of(raw_spec(**overrides))), issues_of(raw_spec(**overrides))


def test_schema_and_deletion_policies_default_and_accept_what_they_name():
    spec = TableSpec.from_dict(raw_spec())
    assert (spec.on_schema_change, spec.tombstone_retention) == ("append_new_columns", None)
    valid = parse_specs([raw_spec(delete_condition="deleted", tombstone_retention="90 days", on_schema_change="BACKFILL")])
    validate_specs(valid)  # raises on any issue
    assert [(s.tombstone_retention, s.on_schema_change) for s in valid] == [("90 days", "backfill")]


def test_unknown_field_is_named():
    with pytest.raises(SpecError, match=r"dim_thing.primary_key: unknown field"):
        parse_specs([raw_spec(primary_key=["id"])])


def test_plan_layers_follow_dependencies_and_name_order():
    specs = parse_specs([
        raw_spec(table_name="fact_usage", depends_on=["fact_list_prices"]),
        raw_spec(table_name="fact_list_prices"),
        raw_spec(table_name="dim_sku"),
        raw_spec(table_name="report", depends_on=["fact_usage", "dim_sku"]),
    ])
    assert plan(specs).layers == (("dim_sku", "fact_list_prices"), ("fact_usage",), ("report",))


def test_select_names_valid_choices_on_unknown_names():
    domain_of = {"a": "billing", "b": "lakeflow"}
    assert select(domain_of, None, ["billing"]) == {"a"}
    assert select(domain_of, ["b"], None) == {"b"}
    with pytest.raises(FrameworkError, match="table 'zzz' is not onboarded. Valid tables are: a, b"):
        select(domain_of, ["zzz"], None)
    with pytest.raises(FrameworkError, match="Valid domains are: billing, lakeflow"):
        select(domain_of, None, ["nope"])


def test_identifiers_are_quoted_and_table_names_vetted():
    assert quote_ident("we`ird") == "`we``ird`"
    assert quote_table("main.gold.dim_job") == "`main`.`gold`.`dim_job`"
    for bad in ("a.b.c.d", "gold.t; DROP TABLE x", "gold.`x` --", ""):
        with pytest.raises(UnsafeSqlError):
            quote_table(bad)


def test_fragments_allow_literals_with_semicolons_but_not_statements():
    assert check_fragment("name = 'a;b -- c'") is None
    assert "statement separator" in check_fragment("1=1; SELECT 1")
    assert lookback_interval_sql("2 days") == "INTERVAL 2 DAY"
    assert lookback_interval_sql("1 week") == "INTERVAL 7 DAY"


def test_merge_plan_renders_null_safe_quoted_sql():
    from pyspark.sql.types import (
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    from framework.engine.write_plan import layout, plan_merge

    spec = TableSpec.from_dict(raw_spec(delete_condition="deleted"))
    batch = StructType([
        StructField("id", StringType()), StructField("name", StringType()), StructField("amount", LongType()),
        StructField("_hm_sequence", TimestampType()),
    ])
    sql = plan_merge(spec, layout(spec, batch), "main.gold.dim_thing", "__hm_changes").sql()
    assert sql.splitlines()[0] == "MERGE INTO `main`.`gold`.`dim_thing` AS t"
    assert "ON t.`id` <=> s.`id`" in sql
    assert "WHEN MATCHED AND s._hm_is_delete AND (t._hm_sequence IS NULL OR s._hm_sequence IS NULL OR s._hm_sequence >= t._hm_sequence) THEN DELETE" in sql
    assert "WHEN NOT MATCHED AND NOT s._hm_is_delete THEN INSERT (`id`, `name`, `amount`, `_hm_sequence`, `_hm_run_id`, `_hm_updated_at`)" in sql


def test_an_insert_only_write_into_a_table_the_run_created_is_a_plain_insert():
    """Nothing can match in a table this run created: its insert-only MERGE is rendered (and run,
    and shown by a dry run) as the INSERT of the same rows (decision 160); any other write stays a MERGE."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

    from framework.engine.write_plan import layout, plan_merge

    spec = TableSpec.from_dict(raw_spec(delete_condition="deleted"))
    batch = StructType([StructField("id", StringType()), StructField("name", StringType()), StructField("amount", LongType()),
                        StructField("_hm_sequence", TimestampType())])
    lay = layout(spec, batch)

    def sql(**options) -> str:
        return plan_merge(spec, lay, "main.gold.dim_thing", "__hm_changes", **options).sql()

    columns = "`id`, `name`, `amount`, `_hm_sequence`, `_hm_run_id`, `_hm_updated_at`"
    assert sql(inserts_only=True, into_empty=True).splitlines() == [
        f"INSERT INTO `main`.`gold`.`dim_thing` ({columns})",
        "SELECT s.`id`, s.`name`, s.`amount`, s.`_hm_sequence`, s.`_hm_run_id`, s.`_hm_updated_at` FROM `__hm_changes` AS s",
    ]
    assert sql(inserts_only=True).startswith("MERGE INTO")  # an existing table: the anti join keeps what Gold holds
    assert sql(into_empty=True).startswith("MERGE INTO")  # clauses that update or delete are never rendered as an insert


# -- strict parsing: typos and wrong shapes are errors naming the field --------------------------
def _issues(**overrides) -> list[str]:
    from framework.engine.loads import find_issues
    from framework.metadata.spec import parse_specs

    try:
        return [str(i) for i in find_issues(parse_specs([raw_spec(**overrides)]))]
    except SpecError as exc:
        return [str(i) for i in exc.issues]


def test_unknown_keys_inside_columns_joins_and_checks_are_rejected():
    issues = _issues(
        checks=[{"column": "id", "check": "not_null", "severty": "warn"}],
        columns=[{"name": "id", "expr": "id", "type": "STRING", "nulable": False}],
        joins=[{"table": "x", "alias": "j", "on": "j.id = s.id", "kind": "left"}],
    )
    assert sorted(issues) == [
        "dim_thing.checks[0].severty: unknown key; valid keys are: column, check, args, severity, name",
        "dim_thing.columns[0].nulable: unknown key; valid keys are: name, expr, type, nullable, comment",
        "dim_thing.joins[0].kind: unknown key; valid keys are: table, alias, on, how",
    ]


def test_a_scalar_where_a_list_belongs_is_one_error():
    assert _issues(primary_keys="record_id") == ["dim_thing.primary_keys: must be a list (e.g. ['record_id']), found str 'record_id'"]
    assert _issues(depends_on="dim_other") == ["dim_thing.depends_on: must be a list (e.g. ['dim_other']), found str 'dim_other'"]


def test_freshness_sla_is_validated():
    assert _issues(freshness_sla="1 day") == []
    assert _issues(freshness_sla="daily") == ["dim_thing.freshness_sla: must look like '<n> <unit>' (unit: minute, hour, day, week), e.g. '1 day', found 'daily'"]


def test_a_join_to_a_gold_table_needs_the_matching_depends_on():
    join = {"table": "${catalog}.${gold_schema}.fact_list_prices", "alias": "p", "on": "p.id = s.id"}
    assert _issues(joins=[join]) == [
        "dim_thing.joins[0].table: joins the Gold table 'fact_list_prices', which must then be in depends_on (so it is hydrated first)"
    ]
    assert not [i for i in _issues(joins=[join], depends_on=["fact_list_prices"]) if "joins[0]" in i]


def test_source_optional_defaults_to_false_round_trips_and_must_be_a_boolean():
    assert TableSpec.from_dict(raw_spec()).source_optional is False
    assert TableSpec.from_dict(raw_spec(source_optional=None)).source_optional is False  # an older control row: NULL
    spec = TableSpec.from_dict(raw_spec(source_optional=True))
    assert spec.source_optional is True and TableSpec.from_dict(spec.to_row()) == spec
    with pytest.raises(SpecError) as info:
        parse_specs([raw_spec(source_optional="yes")])
    assert [str(i) for i in info.value.issues] == ["dim_thing.source_optional: must be true or false, found 'yes'"]


def test_a_table_skipped_for_a_reason_of_its_own_blocks_its_dependents_in_a_job_run():
    """An absent optional source blocks; a disabled table does not; a table skipped for a failed
    dependency is not named as a cause (its own cause is upstream of the dependent too)."""
    from framework.engine.audit import DISABLED
    from framework.engine.job_run import blocks_dependents

    assert [blocks_dependents(row) for row in (
        {"status": "FAILED", "error_message": "x: boom"},
        {"status": "VALIDATION_FAILED", "error_message": "x: validation failed"},
        {"status": "SKIPPED", "error_message": "source spark_catalog.bronze.t does not exist (source_optional)"},
        {"status": "SKIPPED", "error_message": "dependency failed: y"},
        {"status": "SKIPPED", "error_message": DISABLED},
        {"status": "SUCCEEDED", "error_message": None},
    )] == [True, True, True, False, False, False]

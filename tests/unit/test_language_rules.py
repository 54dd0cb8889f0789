"""The metadata language's generic shapes: flatten, aggregate over history, explode, maps, time ranges: the tests that need no Spark (the rest, and the context, in tests/spark/test_language.py)."""

from __future__ import annotations

from pyspark.sql.types import ArrayType, DecimalType, IntegerType, MapType, StringType, StructField, StructType

from framework.engine.loads import find_issues, load_of
from framework.errors import SpecError
from framework.metadata.spec import TableSpec, parse_specs
from framework.onboarding.flatten import expand_entry, expand_flattens, sql_type
from tests.builders import raw_spec


def problems(**overrides) -> list[str]:
    try:
        specs = parse_specs([raw_spec(**overrides)])
    except SpecError as exc:
        return [str(i) for i in exc.issues]
    return [str(i) for i in find_issues(specs)]

FLAT = {"flatten": "usage_metadata", "prefix": "u_"}

def with_columns(*extra) -> list[dict]:
    return raw_spec()["columns"] + list(extra)

def test_flatten_entries_are_strict_and_must_be_expanded_before_a_spec_is_built():
    assert problems(columns=with_columns({**FLAT, "exclude": ["a"]})) == [
        "dim_thing.columns[3].exclude: unknown key; valid keys of a flatten entry are: flatten, prefix, except, depth, json, json_suffix, comments"
    ]
    assert problems(columns=with_columns({**FLAT, "prefix": "u-", "depth": 0, "except": "a"})) == [
        "dim_thing.columns[3].prefix: must be empty or start an identifier (e.g. usage_), found 'u-'",
        "dim_thing.columns[3].except: must be a list of field names (e.g. [job_id]), found 'a'",
        "dim_thing.columns[3].depth: must be a whole number >= 1 (1: nested structs stay STRUCT columns), found 0",
    ]
    assert problems(columns=with_columns({"flatten": ""})) == [
        "dim_thing.columns[3].flatten: must name a source struct column (e.g. usage_metadata), found ''"
    ]
    # a well-formed entry in a control row: onboarding expands it, the control table never holds one
    assert problems(columns=with_columns(FLAT)) == [
        "dim_thing.columns[3].flatten: is expanded into explicit columns by onboarding (healthmon onboard); a control row must list the columns"
    ]

def test_explode_entry_shape_and_names():
    join = {"table": "${catalog}.${bronze_schema}.other", "alias": "o", "on": "o.id = s.id"}
    assert problems(explode={"expr": "s.items", "alias": "item", "outr": True}) == [
        "dim_thing.explode.outr: unknown key; valid keys are: expr, alias, outer, position"
    ]
    assert problems(explode="items") == ["dim_thing.explode: must be a mapping with keys expr, alias, outer, position, found 'items'"]
    found = problems(joins=[join], explode={"expr": "items", "alias": "o", "position": "o"})
    assert found == [
        "dim_thing.explode.alias: must be an identifier other than 's', the join aliases and _hm_*, found 'o'",
        "dim_thing.explode.position: must be an identifier other than 's', the join aliases and _hm_*, found 'o'",
    ]
    assert problems(explode={"alias": "s"}) == [
        "dim_thing.explode.expr: is required (an array expression over the source), found None",
        "dim_thing.explode.alias: must be an identifier other than 's', the join aliases and _hm_*, found 's'",
    ]
    assert problems(explode={"expr": "items; DROP TABLE x", "alias": "item"})[0].startswith("dim_thing.explode.expr: ")
    # round trip through the control-table representation
    spec = parse_specs([raw_spec(explode={"expr": "items", "alias": "item", "outer": True, "position": "pos"})])[0]
    assert TableSpec.from_dict(spec.to_row()) == spec
    assert spec.to_row()["explode"] == {"expr": "items", "alias": "item", "outer": True, "position": "pos"}
    assert parse_specs([raw_spec(explode={"expr": "items", "alias": "item"})])[0].explode.outer is False

def test_which_specs_recompute_the_touched_keys_history():
    def recomputes(**overrides) -> bool:
        spec = parse_specs([raw_spec(**overrides)])[0]
        return load_of(spec).reads_key_history(spec)

    assert recomputes() is False
    assert recomputes(aggregate=True, sequence_by=None) is True
    assert recomputes(load_type="scd2") is True
    assert recomputes(load_type="fact_insert") is False

USAGE = StructType([
    StructField("job_id", StringType()),
    StructField("node", StructType([StructField("type", StringType()), StructField("count", IntegerType())])),
    StructField("amount", DecimalType(18, 6)),
    StructField("tags", MapType(StringType(), StringType())),
    StructField("odd-name", ArrayType(StringType())),
])

def expanded(entry: dict, struct_type=USAGE):
    raw = raw_spec(columns=with_columns(entry))
    result, issues = expand_flattens(raw, lambda expr: struct_type)
    return [(c["name"], c["expr"], c["type"]) for c in result["columns"][3:]], [str(i) for i in issues]

def test_flatten_expands_one_level_by_default_deeper_when_asked_and_skips_excepted_fields():
    assert expanded({"flatten": "usage_metadata", "except": ["odd-name"]}) == ([
        ("usage_metadata_job_id", "usage_metadata.job_id", "STRING"),
        ("usage_metadata_node", "usage_metadata.node", "STRUCT<`type`: STRING, `count`: INT>"),
        ("usage_metadata_amount", "usage_metadata.amount", "DECIMAL(18,6)"),
        ("usage_metadata_tags", "usage_metadata.tags", "MAP<STRING, STRING>"),
    ], [])
    assert expanded({"flatten": "s.usage_metadata", "prefix": "u_", "depth": 2, "except": ["job_id", "node.count", "tags", "odd-name"]}) == ([
        ("u_node_type", "s.usage_metadata.node.type", "STRING"),
        ("u_amount", "s.usage_metadata.amount", "DECIMAL(18,6)"),
    ], [])
    names, _ = expanded({"flatten": "m", "prefix": ""})
    assert names[-1] == ("odd-name", "m.`odd-name`", "ARRAY<STRING>")  # then rejected as a column name by validation
    assert sql_type(USAGE.fields[1].dataType) == "STRUCT<`type`: STRING, `count`: INT>"

def test_flatten_errors_name_the_table_and_field():
    assert expanded({"flatten": "usage_metadata", "except": ["job", "node.kind"]})[1] == [
        "dim_thing.columns[3].except: 'job', 'node.kind' is not a field of 'usage_metadata'; its fields are: amount, job_id, node, odd-name, tags"
    ]
    assert expanded({"flatten": "usage_metadata"}, StringType())[1] == [
        "dim_thing.columns[3].flatten: 'usage_metadata' is STRING, not a STRUCT; only a struct can be flattened"
    ]

    def missing(expr):
        raise LookupError(f"{expr!r} does not resolve")

    _, issues = expand_flattens(raw_spec(columns=with_columns({"flatten": "nope"})), missing)
    assert [str(i) for i in issues] == ["dim_thing.columns[3].flatten: 'nope' does not resolve"]


NESTED = StructType([
    StructField("status", StringType()),
    StructField("history", ArrayType(StructType([StructField("version", StringType()), StructField("metrics", MapType(StringType(), StringType()))]))),
    StructField("labels", MapType(StringType(), StringType())),
    StructField("params", MapType(StringType(), MapType(StringType(), IntegerType()))),
    StructField("detail", StructType([StructField("level", IntegerType()), StructField("ids", ArrayType(StringType()))])),
])

def test_flatten_json_renders_arrays_maps_and_unwalked_structs_as_text_with_map_keys_sorted():
    columns, issues = expand_entry("fact_x", "columns[2]", {"flatten": "info", "json": True}, NESTED)
    assert issues == []
    assert [(c["name"], c["expr"], c["type"]) for c in columns] == [
        ("info_status", "info.status", "STRING"),  # a scalar stays a typed column
        ("info_history_json", "to_json(transform(info.history, e0 -> IF(e0 IS NULL, NULL, named_struct("
                              "'version', e0.version, 'metrics', map_from_entries(array_sort(map_entries(e0.metrics)))))))", "STRING"),
        # the form the hand-written tags_json columns use
        ("info_labels_json", "to_json(map_from_entries(array_sort(map_entries(info.labels))))", "STRING"),
        # values that are maps are not orderable: sorted by key alone (a map's keys are unique)
        ("info_params_json", "to_json(map_from_entries(array_sort(map_entries(transform_values(info.params, (k0, v0) -> "
                             "map_from_entries(array_sort(map_entries(v0))))), (a0, b0) -> CASE WHEN a0.key < b0.key THEN -1 "
                             "WHEN a0.key > b0.key THEN 1 ELSE 0 END)))", "STRING"),
        ("info_detail_json", "to_json(info.detail)", "STRING"),  # no map inside: no rebuild
    ]
    # a walked struct is flattened; its nested fields follow the same rule; the suffix is an option
    deeper, _ = expand_entry("fact_x", "columns[2]", {"flatten": "info", "json": True, "depth": 2, "json_suffix": "",
                                                      "except": ["history", "labels", "params"]}, NESTED)
    assert [(c["name"], c["expr"], c["type"]) for c in deeper] == [
        ("info_status", "info.status", "STRING"), ("info_detail_level", "info.detail.level", "INT"),
        ("info_detail_ids", "to_json(info.detail.ids)", "STRING"),
    ]
    # without json: true nested fields stay typed, as before
    typed, _ = expand_entry("fact_x", "columns[2]", {"flatten": "info", "except": ["history", "params"]}, NESTED)
    assert [(c["name"], c["type"]) for c in typed] == [
        ("info_status", "STRING"), ("info_labels", "MAP<STRING, STRING>"), ("info_detail", "STRUCT<`level`: INT, `ids`: ARRAY<STRING>>")]

def test_flatten_comments_are_carried_by_output_name_and_a_stranger_is_an_error():
    entry = {"flatten": "info", "prefix": "", "json": True, "except": ["history", "params"],
             "comments": {"status": "The status.", "labels_json": "The labels, as JSON."}}
    columns, issues = expand_entry("fact_x", "columns[2]", entry, NESTED)
    assert issues == []
    assert [(c["name"], c.get("comment")) for c in columns] == [
        ("status", "The status."), ("labels_json", "The labels, as JSON."), ("detail_json", None)]
    _, issues = expand_entry("fact_x", "columns[2]", {**entry, "comments": {"labels": "x", "history_json": "y"}}, NESTED)
    assert [str(i) for i in issues] == [
        "fact_x.columns[2].comments: 'labels', 'history_json' is not a column this entry generates; "
        "it generates: status, labels_json, detail_json"]

def test_flatten_json_options_are_checked_before_expansion():
    assert problems(columns=with_columns({**FLAT, "json": "yes", "json_suffix": "-j", "comments": {"u_job_id": 3}})) == [
        "dim_thing.columns[3].json: must be true or false (true: arrays, maps and unwalked structs become JSON text), found 'yes'",
        "dim_thing.columns[3].json_suffix: must be empty or letters, digits and underscores (e.g. _json), found '-j'",
        "dim_thing.columns[3].comments: must map generated column names to their comments (e.g. {usage_job_id: The job.}), found {'u_job_id': 3}",
    ]

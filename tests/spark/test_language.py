"""The metadata language's generic shapes: flatten, aggregate over history, explode, maps, time ranges.

Pure tests first (spec parsing and struct expansion, no JVM); then real Spark + Delta runs over
small synthetic sources, each asserting values computed here in plain Python.

The run tests share one lakehouse (decision 119): each scenario has sources and Gold tables of its
own, all are onboarded together and hydrated by one run (the aggregate's second batch by a second
run of its table alone), and each test asserts on its own tables (``shapes``). A run costs seconds
whatever its tables; one failing table (``clashing``) has no dependents, so it changes no other's run.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from framework.engine.runner import RunResult
from framework.errors import SpecError
from framework.platform.lakehouse import Lakehouse
from tests.builders import raw_spec
from tests.demo_world import fixed_clock
from tests.harness import add_rows, control_row, fresh_lakehouse, gold, hydrate, make_source, onboard, ts

SHAPES = pytest.mark.xdist_group("language_shapes")  # the tests of the shared runs: one worker builds them once


@dataclass(frozen=True)
class Shapes:
    """The shared lakehouse after both runs, and what was recorded on the way."""

    lh: Lakehouse
    columns: dict[str, list]  # table -> its control row's columns, right after the onboarding
    broken: list | None  # the issues of the refused onboarding of an explode that does not parse (None: accepted)
    first: RunResult  # every table
    second: RunResult  # fact_run_cost alone, after its second batch: every other table stays as the first run left it

    def statuses(self, table: str, *runs: RunResult) -> list[str]:
        return [r.status for run in runs or (self.first,) for r in run.rows if r.table_name == table]


@pytest.fixture(scope="module")
def shapes(spark, home) -> Shapes:
    lh = fresh_lakehouse(spark, home, "language_shapes")
    make_source(lh, "usage", USAGE_DDL, FLATTEN_ROWS)
    make_source(lh, "slices", SLICES, AGGREGATE_BATCH1)
    make_source(lh, "orders_outer", ORDERS, OUTER_ORDERS)
    make_source(lh, "orders", ORDERS, INNER_ORDERS)
    make_source(lh, "events", EVENTS, EVENT_ROWS)
    make_source(lh, "prices", PRICES, PRICE_ROWS)
    onboard(lh, FLATTEN, AGGREGATE, OUTER_EXPLODE, *INNER_EXPLODES, PRICED)
    columns = {t: list(control_row(lh, t).columns) for t in ("fact_usage", "fact_order_items")}
    broken = None
    try:  # onboarding is all-or-nothing: a refused one writes nothing
        onboard(lh, BROKEN_EXPLODE)
    except SpecError as refused:
        broken = refused.issues
    first = hydrate(lh, fixed_clock)
    add_rows(lh, "slices", SLICES, AGGREGATE_BATCH2)
    second = hydrate(lh, fixed_clock, tables=["fact_run_cost"])
    return Shapes(lh, columns, broken, first, second)


USAGE_DDL = (
    "record_id STRING, ts TIMESTAMP, "
    "usage_metadata STRUCT<job_id: STRING, warehouse_id: STRING, node: STRUCT<type: STRING, n: INT>, dbus: DECIMAL(18,6), "
    "tags: MAP<STRING, STRING>, runs: ARRAY<STRUCT<id: STRING, conf: MAP<STRING, INT>>>>"
)

FLATTEN_ROWS = [
    # map entries out of key order, in the map and in the map inside the array's struct
    ("r1", ts(1), ("j1", None, ("i3", 2), Decimal("1.500000"), {"team": "a", "env": "prod"}, [("x", {"z": 1, "b": 2}), None])),
    ("r2", ts(2), None),
]

FLATTEN = raw_spec(
    table_name="fact_usage", source_table="${catalog}.${bronze_schema}.usage", primary_keys=["record_id"],
    load_type="fact_upsert", sequence_by=None, lookback=None,
    columns=[{"name": "record_id", "expr": "record_id", "type": "STRING", "nullable": False},
             {"flatten": "usage_metadata", "prefix": "u_", "except": ["warehouse_id", "tags", "runs"], "comments": {"u_dbus": "DBUs."}},
             {"flatten": "usage_metadata", "prefix": "j_", "json": True, "except": ["job_id", "warehouse_id", "dbus"],
              "comments": {"j_tags_json": "Tags, as JSON."}}],
)

@SHAPES
def test_flatten_from_the_live_source_gives_typed_columns_and_values(shapes):
    lakehouse = shapes.lh
    stored = [(c.name, c.type, c.nullable, c.comment) for c in shapes.columns["fact_usage"]]
    assert stored == [
        ("record_id", "STRING", False, None),
        ("u_job_id", "STRING", True, None),
        ("u_node", "STRUCT<`type`: STRING, `n`: INT>", True, None),
        ("u_dbus", "DECIMAL(18,6)", True, "DBUs."),
        ("j_node_json", "STRING", True, None), ("j_tags_json", "STRING", True, "Tags, as JSON."), ("j_runs_json", "STRING", True, None),
    ]
    assert shapes.statuses("fact_usage") == ["SUCCEEDED"]
    table = lakehouse.spark.table(lakehouse.params.gold("fact_usage"))
    assert [(f.name, f.dataType.simpleString()) for f in table.schema.fields if not f.name.startswith("_hm_")] == [
        ("record_id", "string"), ("u_job_id", "string"), ("u_node", "struct<type:string,n:int>"), ("u_dbus", "decimal(18,6)"),
        ("j_node_json", "string"), ("j_tags_json", "string"), ("j_runs_json", "string"),
    ]
    assert table.schema["u_dbus"].metadata.get("comment") == "DBUs."
    rows = gold(lakehouse, "fact_usage", ["record_id", "u_job_id", "u_node.type", "u_node.n", "u_dbus", "j_node_json", "j_tags_json", "j_runs_json"])
    # the text Spark's to_json gives for these values, maps in key order (written out here by hand)
    assert rows == [
        ("r1", "j1", "i3", 2, Decimal("1.500000"), '{"type":"i3","n":2}', '{"env":"prod","team":"a"}', '[{"id":"x","conf":{"b":2,"z":1}},null]'),
        ("r2", None, None, None, None, None, None, None),
    ]

def test_flatten_before_the_bronze_copy_exists_uses_the_packaged_ddl_and_errors_name_the_field(lakehouse):
    # its own lakehouse: it needs one with no Bronze `usage` and nothing onboarded
    from framework.onboarding.onboard import expand_columns
    from framework.platform.source_schemas import source_table

    declared = next(c.data_type for c in source_table("billing.usage").columns if c.name == "usage_metadata")
    # the field names, read from the DDL text itself: `STRUCT<a: T, b: T, ...>` (no nested structs in it)
    fields = [part.split(":")[0].strip().strip("`") for part in declared[len("STRUCT<"):-1].split(",")]
    assert "STRUCT<" not in declared[len("STRUCT<"):], "the packaged usage_metadata has no nested struct"
    raw = raw_spec(source_table="${catalog}.${bronze_schema}.usage", columns=[{"flatten": "usage_metadata"}])
    result, issues = expand_columns(lakehouse, raw)
    assert issues == []
    assert [c["name"] for c in result["columns"]] == [f"usage_metadata_{f}" for f in fields]
    assert {c["expr"] for c in result["columns"]} == {f"usage_metadata.{f}" for f in fields}
    job = next(c for c in result["columns"] if c["name"] == "usage_metadata_job_id")
    assert job["type"] == "STRING"

    for entry, message in (
        ({"flatten": "usage_metadatum"}, "dim_thing.columns[0].flatten: 'usage_metadatum' does not resolve against system.billing.usage"),
        ({"flatten": "sku_name"}, "dim_thing.columns[0].flatten: 'sku_name' is STRING, not a STRUCT; only a struct can be flattened"),
    ):
        with pytest.raises(SpecError) as caught:
            onboard(lakehouse, raw_spec(source_table="${catalog}.${bronze_schema}.usage", columns=[entry]))
        assert str(caught.value.issues[0]).startswith(message)
    with pytest.raises(SpecError) as caught:
        onboard(lakehouse, raw_spec(source_table="${catalog}.${bronze_schema}.nowhere", columns=[{"flatten": "x"}]))
    assert str(caught.value.issues[0]).startswith("dim_thing.columns[0].flatten: needs the struct's type: source 'spark_catalog.bronze_")
    assert lakehouse.spark.table(lakehouse.params.control("gold_table_control")).count() == 0  # nothing written

SLICES = "run_id STRING, hour INT, cost DOUBLE, ts TIMESTAMP, kind STRING"

# r1's first slices lie before batch 1's watermark (ts(2), re-read inclusively): batch 2's window misses them
AGGREGATE_BATCH1 = [("r1", 0, 1.5, ts(1), "job"), ("r1", 1, 2.0, ts(1), "job"), ("r2", 0, 4.0, ts(2), "job"),
                    ("r1", 1, 100.0, ts(1), "test")]  # filtered out by source_filter
AGGREGATE_BATCH2 = [("r1", 2, 0.25, ts(5), "job"), ("r1", 3, 3.0, ts(5), "job"), ("r3", 0, 7.0, ts(5), "job")]

AGGREGATE = raw_spec(
    table_name="fact_run_cost", source_table="${catalog}.${bronze_schema}.slices", load_type="fact_upsert",
    primary_keys=["run_id"], aggregate=True, sequence_by=None, lookback=None, source_filter="kind = 'job'",
    columns=[{"name": "run_id", "expr": "run_id", "type": "STRING", "nullable": False},
             {"name": "total_cost", "expr": "SUM(cost)", "type": "DOUBLE"},
             {"name": "slices", "expr": "COUNT(*)", "type": "BIGINT"},
             {"name": "last_hour", "expr": "MAX(hour)", "type": "INT"}],
)

@SHAPES
def test_an_aggregate_regroups_every_source_row_of_the_keys_a_batch_touches(shapes):
    # batch 1, the first run; batch 2, the second run (fact_run_cost alone)
    lakehouse, first, second = shapes.lh, shapes.first, shapes.second
    assert shapes.statuses("fact_run_cost", first, second) == ["SUCCEEDED", "SUCCEEDED"]

    def expected(rows):  # the aggregate over all rows, in plain Python
        groups: dict[str, list] = {}
        for run_id, hour, cost, _, kind in rows:
            if kind == "job":
                groups.setdefault(run_id, []).append((hour, cost))
        return sorted((k, sum(c for _, c in v), len(v), max(h for h, _ in v)) for k, v in groups.items())

    assert gold(lakehouse, "fact_run_cost", ["run_id", "total_cost", "slices", "last_hour"]) == expected(AGGREGATE_BATCH1 + AGGREGATE_BATCH2)
    # incremental: r2 (not in batch 2) was neither regrouped nor rewritten
    written_by = dict(gold(lakehouse, "fact_run_cost", ["run_id", "_hm_run_id"]))
    assert written_by == {"r1": second.run_id, "r2": first.run_id, "r3": second.run_id}

ORDERS = "order_id STRING, ts TIMESTAMP, items ARRAY<STRUCT<sku: STRING, qty: INT>>"

OUTER_ORDERS = [
    ("o1", ts(1), [("a", 1), ("b", 2)]),
    ("o2", ts(1), []),
    ("o3", ts(1), None),
]

OUTER_EXPLODE = raw_spec(
    table_name="fact_order_items", source_table="${catalog}.${bronze_schema}.orders_outer", load_type="fact_upsert",
    primary_keys=["order_id", "line"], sequence_by=None, lookback=None,
    explode={"expr": "s.items", "alias": "item", "outer": True, "position": "pos"},
    columns=[{"name": "order_id", "expr": "order_id", "type": "STRING", "nullable": False},
             {"name": "line", "expr": "COALESCE(pos, -1)", "type": "INT", "nullable": False},
             {"flatten": "item", "prefix": "item_"}],
)

@SHAPES
def test_explode_gives_one_row_per_element_and_outer_keeps_empty_and_null_arrays(shapes):
    assert [c.name for c in shapes.columns["fact_order_items"]] == ["order_id", "line", "item_sku", "item_qty"]
    assert shapes.statuses("fact_order_items") == ["SUCCEEDED"]
    assert gold(shapes.lh, "fact_order_items", ["order_id", "line", "item_sku", "item_qty"]) == [
        ("o1", 0, "a", 1), ("o1", 1, "b", 2), ("o2", -1, None, None), ("o3", -1, None, None),
    ]

INNER_ORDERS = [("o1", ts(1), [("a", 1)]), ("o2", ts(1), [])]

EXPLODE_BASE = dict(source_table="${catalog}.${bronze_schema}.orders", load_type="fact_upsert", sequence_by=None, lookback=None,
                    primary_keys=["order_id", "sku"],
                    columns=[{"name": "order_id", "expr": "order_id", "type": "STRING"}, {"name": "sku", "expr": "item.sku", "type": "STRING"}])

INNER_EXPLODES = (raw_spec(table_name="inner_items", explode={"expr": "items", "alias": "item"}, **EXPLODE_BASE),
                  raw_spec(table_name="clashing", explode={"expr": "items", "alias": "ts"}, **EXPLODE_BASE))

BROKEN_EXPLODE = raw_spec(table_name="broken", explode={"expr": "items[", "alias": "item"}, **EXPLODE_BASE)

@SHAPES
def test_explode_without_outer_drops_empty_arrays_and_an_alias_hiding_a_source_column_fails_by_name(shapes):
    # BROKEN_EXPLODE was refused (onboarded after INNER_EXPLODES, before the run): the explode expression is probed like the others
    assert shapes.broken is not None, "an explode expression that does not parse was onboarded"
    assert [i.field for i in shapes.broken] == ["explode.expr"]
    assert "does not parse as a Spark SQL expression: 'items['" in str(shapes.broken[0])
    rows = {r.table_name: r for r in shapes.first.rows}
    assert gold(shapes.lh, "inner_items", ["order_id", "sku"]) == [("o1", "a")]
    assert rows["clashing"].status == "FAILED"
    assert rows["clashing"].error_message.startswith(
        "clashing: explode.alias 'ts' is also a column of source '${catalog}.${bronze_schema}.orders'"
    )

EVENTS = "event_id STRING, sku STRING, t TIMESTAMP, tags MAP<STRING, STRING>, props STRING"

PRICES = "sku STRING, price DOUBLE, start_time TIMESTAMP, end_time TIMESTAMP"

EVENT_ROWS = [
    ("e1", "x", ts(1), {"team": "a"}, '{"k": "v"}'),
    ("e2", "x", ts(5), None, None),
    ("e3", "x", ts(9), {}, "{}"),
]

PRICE_ROWS = [("x", 1.0, ts(0), ts(4)), ("x", 2.0, ts(4), ts(8)), ("x", 3.0, ts(8), None)]

PRICED = raw_spec(
    table_name="fact_priced", source_table="${catalog}.${bronze_schema}.events", load_type="fact_upsert",
    primary_keys=["event_id"], sequence_by=None, watermark_column="t", lookback=None,
    joins=[{"table": "${catalog}.${bronze_schema}.prices", "alias": "p",
            "on": "p.sku = s.sku AND s.t >= p.start_time AND (p.end_time IS NULL OR s.t < p.end_time)"}],
    columns=[{"name": "event_id", "expr": "event_id", "type": "STRING"},
             {"name": "tags_json", "expr": "to_json(tags)", "type": "STRING"},
             {"name": "props", "expr": "from_json(props, 'MAP<STRING,STRING>')", "type": "MAP<STRING,STRING>"},
             {"name": "price", "expr": "p.price", "type": "DOUBLE"}],
)

@SHAPES
def test_map_json_round_trip_and_a_time_range_join(shapes):
    assert shapes.statuses("fact_priced") == ["SUCCEEDED"]
    assert gold(shapes.lh, "fact_priced", ["event_id", "tags_json", "props", "price"]) == [
        ("e1", '{"team":"a"}', {"k": "v"}, 1.0), ("e2", None, None, 2.0), ("e3", "{}", {}, 3.0),
    ]

def test_bootstrap_adds_explode_and_source_optional_to_an_older_control_table_and_rows_round_trip(lakehouse, tmp_path):
    from dataclasses import replace

    from framework.engine.control import read_control
    from framework.platform.lakehouse import Lakehouse
    from framework.platform.resources import control_dir

    ddl = (control_dir() / "gold_table_control.sql").read_text()
    older = tmp_path / "gold_table_control.sql"
    older.write_text("\n".join(line for line in ddl.splitlines() if not line.lstrip().startswith(("explode ", "source_optional "))))
    lh = Lakehouse(lakehouse.spark, replace(lakehouse.params, control_schema=lakehouse.params.control_schema + "_old"), lakehouse.home)
    lh.ensure_schemas()
    lh.run_ddl_file(older)
    control = lh.params.control("gold_table_control")
    assert "explode" not in lh.spark.table(control).columns and "source_optional" not in lh.spark.table(control).columns
    lh.ensure_control_tables()
    assert lh.spark.table(control).schema["source_optional"].dataType.simpleString() == "boolean"
    assert lh.spark.table(control).schema["explode"].dataType.simpleString() == (
        "struct<expr:string,alias:string,outer:boolean,position:string>"
    )
    explode = {"expr": "items", "alias": "item", "outer": True, "position": "pos"}
    onboard(lh, raw_spec(explode=explode))
    assert control_row(lh, "dim_thing").explode.asDict() == explode
    assert read_control(lh).specs["dim_thing"].explode.position == "pos"

"""Design defects are caught, not copied (issue 9, item 4).

The Gold designs hold a truncated type (``DECIMAL(38``), a bare ``DECIMAL`` (DECIMAL(10,0) to
Spark) over DECIMAL(38,18) quantities, and primary keys that do not determine a row. Onboarding
refuses the first two, naming table, column and both types; a run refuses the third, writing
nothing. Pure tests of the narrowing rule first, then real Spark + Delta.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

import pytest

from framework.engine.runner import RunResult
from framework.errors import SpecError
from framework.platform.lakehouse import Lakehouse
from tests.builders import raw_spec
from tests.demo_world import fixed_clock
from tests.harness import add_rows, audit, control_row, fresh_lakehouse, gold, hydrate, make_source, onboard, quarantine, ts, version


def control_rows(lh) -> int:
    return lh.spark.table(lh.params.control("gold_table_control")).count()

def refused(lh, *raws) -> list[str]:
    """The issues onboarding reports for ``raws``; the control table must stay empty."""
    with pytest.raises(SpecError) as caught:
        onboard(lh, *raws)
    assert control_rows(lh) == 0
    return [str(i) for i in caught.value.issues]

def test_a_truncated_type_is_refused_naming_table_and_column(lakehouse):
    # the design's fact_account_prices has `type: DECIMAL(38` (the ",18)" lost)
    issues = refused(lakehouse, raw_spec(columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "amount", "expr": "amount", "type": "DECIMAL(38"},
    ]))
    assert len(issues) == 1
    assert issues[0].startswith("dim_thing.columns[amount].type: is not a Spark SQL type: 'DECIMAL(38' ([PARSE_SYNTAX_ERROR]")
    assert issues[0].endswith(
        "; its '(' is never closed (truncated?); types look like STRING, BIGINT, DECIMAL(38,18), TIMESTAMP, ARRAY<STRING>, MAP<STRING,STRING>"
    )

USAGE = "record_id STRING, sku STRING, qty DECIMAL(38,18), n BIGINT, ratio DOUBLE, at TIMESTAMP"

PRICES = "sku STRING, price DECIMAL(38,18)"

def usage_spec(*columns, **overrides) -> dict:
    return raw_spec(**{
        "table_name": "fact_use", "source_table": "${catalog}.${bronze_schema}.use", "load_type": "fact_upsert",
        "primary_keys": ["record_id"], "sequence_by": None, "watermark_column": None, "lookback": None,
        "joins": [{"table": "${catalog}.${bronze_schema}.prices", "alias": "p", "on": "p.sku = s.sku"}],
        "columns": [{"name": "record_id", "expr": "record_id", "type": "STRING", "nullable": False}, *columns],
        **overrides,
    })

NARROWING = [
    {"name": "qty", "expr": "qty", "type": "DECIMAL"},  # the design's fact_usage.usage_quantity
    {"name": "n", "expr": "n", "type": "INT"},
    {"name": "ratio", "expr": "ratio", "type": "DECIMAL(18,6)"},
    {"name": "day", "expr": "at", "type": "DATE"},
    {"name": "price", "expr": "p.price", "type": "DECIMAL(38,6)"},  # typed over the joined table
]

PASSING = [
    {"name": "qty_exact", "expr": "qty", "type": "decimal(38, 18)"},
    {"name": "qty_text", "expr": "qty", "type": "STRING"},
    {"name": "n_wide", "expr": "n", "type": "DECIMAL(20,0)"},
    {"name": "qty_rounded", "expr": "CAST(qty AS DECIMAL(10,2))", "type": "DECIMAL(10,2)"},  # the loss, stated
    {"name": "seen", "expr": "CAST(at AS DATE)", "type": "DATE"},
    {"name": "cost", "expr": "CAST(qty * p.price AS DECIMAL(18,6))", "type": "DECIMAL(18,6)"},
]

def test_a_narrowing_cast_is_refused_naming_the_types_and_how_to_state_it(lakehouse, clock):
    make_source(lakehouse, "use", USAGE, [("r1", "A", Decimal("1.123456789012345678"), 5, 0.5, ts(1))])
    make_source(lakehouse, "prices", PRICES)
    table = f"source {lakehouse.params.bronze('use')!r} joined with p = source {lakehouse.params.bronze('prices')!r}"
    issues = refused(lakehouse, usage_spec(*NARROWING, *PASSING))
    assert issues == [
        f"fact_use.columns[qty].type: narrowing cast: expr 'qty' is DECIMAL(38,18) over {table}, and the declared "
        "'DECIMAL' (which Spark reads as DECIMAL(10,0)) cannot hold it without loss (fewer integer digits, 10 < 20: larger "
        "values overflow to NULL; less scale, 0 < 18: digits after the point are rounded away). Declare DECIMAL(38,18), or, "
        "if the loss is intended, write the cast in expr: CAST(qty AS DECIMAL(10,0))",
        f"fact_use.columns[n].type: narrowing cast: expr 'n' is BIGINT over {table}, and the declared 'INT' cannot "
        "hold it without loss (a smaller integral type: larger values overflow). Declare BIGINT, or, if the loss is intended, "
        "write the cast in expr: CAST(n AS INT)",
        f"fact_use.columns[ratio].type: narrowing cast: expr 'ratio' is DOUBLE over {table}, and the declared "
        "'DECIMAL(18,6)' cannot hold it without loss (a floating-point value has no fixed scale: it is rounded, and overflows "
        "to NULL beyond the integer digits). Declare DOUBLE, or, if the loss is intended, write the cast in expr: "
        "CAST(ratio AS DECIMAL(18,6))",
        f"fact_use.columns[day].type: narrowing cast: expr 'at' is TIMESTAMP over {table}, and the declared 'DATE' "
        "cannot hold it without loss (the time of day is dropped). Declare TIMESTAMP, or, if the loss is intended, write the "
        "cast in expr: CAST(at AS DATE)",
        f"fact_use.columns[price].type: narrowing cast: expr 'p.price' is DECIMAL(38,18) over {table}, and the "
        "declared 'DECIMAL(38,6)' cannot hold it without loss (less scale, 6 < 18: digits after the point are rounded away). "
        "Declare DECIMAL(38,18), or, if the loss is intended, write the cast in expr: CAST(p.price AS DECIMAL(38,6))",
    ]

    # each cast the message suggests, written in expr, states the intent: onboarded, and the run casts as stated
    stated = [{**c, "expr": issue.rsplit("write the cast in expr: ", 1)[1]} for c, issue in zip(NARROWING, issues)]
    onboard(lakehouse, usage_spec(*stated, *PASSING))
    assert [c.name for c in control_row(lakehouse, "fact_use").columns] == ["record_id"] + [c["name"] for c in stated + PASSING]
    add_rows(lakehouse, "prices", PRICES, [("A", Decimal("0.250000123"))])
    assert [r.status for r in hydrate(lakehouse, clock).rows] == ["SUCCEEDED"]
    assert gold(lakehouse, "fact_use", ["qty", "qty_exact", "qty_rounded", "price", "cost"]) == [
        (Decimal("1"), Decimal("1.123456789012345678"), Decimal("1.12"), Decimal("0.250000"), Decimal("0.280864")),
    ]

def test_aggregates_are_typed_as_groups_and_the_packaged_ddl_stands_in_for_a_missing_bronze_copy(lakehouse, clock):
    # no Bronze table `usage` yet: the packaged DDL of system.billing.usage types the expressions
    by_sku = raw_spec(
        table_name="fact_sku_use", source_table="${catalog}.${bronze_schema}.usage", load_type="fact_upsert",
        primary_keys=["sku_name"], aggregate=True, sequence_by=None, watermark_column=None, lookback=None,
        columns=[{"name": "sku_name", "expr": "sku_name", "type": "STRING", "nullable": False},
                 {"name": "quantity", "expr": "SUM(usage_quantity)", "type": "DECIMAL(38,6)"},
                 {"name": "records", "expr": "COUNT(*)", "type": "INT"},
                 {"name": "first_day", "expr": "MIN(usage_date)", "type": "DATE"}],
    )
    packaged = f"system.billing.usage (packaged DDL; {lakehouse.params.bronze('usage')!r} does not exist yet)"
    assert refused(lakehouse, by_sku) == [
        f"fact_sku_use.columns[quantity].type: narrowing cast: expr 'SUM(usage_quantity)' is DECIMAL(38,18) over {packaged}, "
        "and the declared 'DECIMAL(38,6)' cannot hold it without loss (less scale, 6 < 18: digits after the point are rounded "
        "away). Declare DECIMAL(38,18), or, if the loss is intended, write the cast in expr: CAST(SUM(usage_quantity) AS DECIMAL(38,6))",
        f"fact_sku_use.columns[records].type: narrowing cast: expr 'COUNT(*)' is BIGINT over {packaged}, and the declared 'INT' "
        "cannot hold it without loss (a smaller integral type: larger values overflow). Declare BIGINT, or, if the loss is "
        "intended, write the cast in expr: CAST(COUNT(*) AS INT)",
    ]
    # a source that neither exists nor is a packaged system table: nothing to type against, the run types it
    elsewhere = {**by_sku, "source_table": "${catalog}.${bronze_schema}.not_yet_there"}
    onboard(lakehouse, elsewhere)
    assert control_rows(lakehouse) == 1

def test_a_join_to_a_gold_table_onboarded_alongside_is_typed_by_its_declared_columns(lakehouse):
    make_source(lakehouse, "prices", PRICES)
    make_source(lakehouse, "use", USAGE)
    prices = raw_spec(table_name="fact_price", source_table="${catalog}.${bronze_schema}.prices", load_type="snapshot",
                      primary_keys=["sku"], sequence_by=None, watermark_column=None, lookback=None,
                      columns=[{"name": "sku", "expr": "sku", "type": "STRING", "nullable": False},
                               {"name": "price", "expr": "CAST(price AS DECIMAL(20,4))", "type": "DECIMAL(20,4)"}])
    use = usage_spec({"name": "price", "expr": "p.price", "type": "DECIMAL(18,2)"}, depends_on=["fact_price"],
                     joins=[{"table": "${catalog}.${gold_schema}.fact_price", "alias": "p", "on": "p.sku = s.sku"}])
    assert refused(lakehouse, prices, use) == [
        f"fact_use.columns[price].type: narrowing cast: expr 'p.price' is DECIMAL(20,4) over source {lakehouse.params.bronze('use')!r} "
        f"joined with p = the declared columns of 'fact_price' ({lakehouse.params.gold('fact_price')!r} does not exist yet), and the "
        "declared 'DECIMAL(18,2)' cannot hold it without loss (less scale, 2 < 4: digits after the point are rounded away). "
        "Declare DECIMAL(20,4), or, if the loss is intended, write the cast in expr: CAST(p.price AS DECIMAL(18,2))"
    ]

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"

def quarantined(lh, table: str) -> list[tuple]:
    """(check_name, severity, the row's columns) of the table's quarantine rows, sorted."""
    rows = quarantine(lh, table)
    return sorted((q.check_name, q.severity, tuple(json.loads(q.row_json).values())) for q in rows)


def test_differing_rows_of_one_key_are_quarantined_or_fail_the_run_as_the_table_says(lakehouse, clock):
    """dim_thing says ``on_key_conflict: fail``: the run fails and leaves Gold and the watermark as
    they were. dim_thing_q, over the same rows, keeps the default: the differing rows of each such
    key go to quarantine, the key's Gold row stays as it was, every other key is written."""
    make_source(lakehouse, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False)])
    onboard(lakehouse, raw_spec(delete_condition="deleted", on_key_conflict="fail"),  # scd1, sequence_by ts
            raw_spec(table_name="dim_thing_q", delete_condition="deleted"))
    assert [r.status for r in hydrate(lakehouse, clock).rows] == ["SUCCEEDED", "SUCCEEDED"]
    before = (gold(lakehouse, "dim_thing", ["id", "name", "amount"]), version(lakehouse, "dim_thing"), control_row(lakehouse, "dim_thing").watermark_value)

    add_rows(lakehouse, "things", THINGS, [
        ("b", "b2", 2, ts(2), False), ("b", "b2", 3, ts(2), False),  # same key, same sequence value, different amount
        ("c", "c1", 1, ts(2), False), ("c", "c2", 1, ts(2), False), ("c", "c3", 1, ts(2), False),
        ("d", "d1", 1, ts(2), False), ("d", "d1", 1, ts(2), False),  # an exact duplicate: fine
        ("e", "e1", 1, ts(2), False), ("e", "e2", 1, ts(3), False),  # two versions: the latest wins
        ("f", "f1", 1, ts(2), False), ("f", "f2", 1, ts(2), False),
    ])
    result = hydrate(lakehouse, clock)
    row, kept = (next(r for r in result.rows if r.table_name == t) for t in ("dim_thing", "dim_thing_q"))
    assert row.status == "FAILED" and result.failed
    assert row.error_message == (
        "dim_thing: primary key (id) does not determine a row: 3 keys have differing rows with the same sequence_by value in "
        "this batch, e.g. (id=b) at sequence_by 'ts' = 2026-01-01 02:00:00; dedup would keep one of them and drop the others. "
        "Add the column that tells them apart to primary_keys (or to sequence_by), or fix the mapping that multiplies them "
        "(a join matching several rows); exact duplicates are fine"
    )
    assert audit(lakehouse, "dim_thing")[-1].error_message == row.error_message
    state = control_row(lakehouse, "dim_thing")
    assert (gold(lakehouse, "dim_thing", ["id", "name", "amount"]), version(lakehouse, "dim_thing"), state.watermark_value) == before
    assert state.last_status == "FAILED"

    assert kept.status == "SUCCEEDED", kept.error_message
    assert kept.failed_checks == ["primary_key_conflict (quarantine): 3 keys with differing rows at one sequence_by value"]
    assert (kept.rows_quarantined, kept.rows_inserted, kept.rows_updated) == (7, 2, 0)  # b: 2 rows, c: 3, f: 2; d, e new
    assert gold(lakehouse, "dim_thing_q", ["id", "name", "amount"]) == [("a", "a1", 1), ("b", "b1", 2), ("d", "d1", 1), ("e", "e2", 1)]
    assert quarantined(lakehouse, "dim_thing_q") == sorted(("primary_key_conflict", "quarantine", r) for r in [
        ("b", "b2", 2), ("b", "b2", 3), ("c", "c1", 1), ("c", "c2", 1), ("c", "c3", 1), ("f", "f1", 1), ("f", "f2", 1)])
    assert control_row(lakehouse, "dim_thing_q").watermark_value == "2026-01-01 03:00:00"

# The three tests below share one lakehouse (decision 119): each scenario has its own source and
# Gold tables, all are onboarded together and hydrated by one run (the scd2 pair's second batch by a
# second run of those two alone), and each test asserts on its own tables. The tables that fail have
# no dependents, so they change no other table's run; every other table stays as the first run left it.
# (The test above keeps a lakehouse of its own: tests/spark/test_connect.py runs it whole on Spark Connect.)
KEYS = pytest.mark.xdist_group("design_defects_keys")  # one worker builds the shared runs once


@dataclass(frozen=True)
class KeyRuns:
    lh: Lakehouse
    first: RunResult  # every table
    history_after_first: list[tuple]  # dim_hist_history (id, name, valid_from) after the first run
    second: RunResult  # dim_hist and dim_hist_q alone, after their second batch

    def row(self, table: str):
        return next(r for r in self.first.rows if r.table_name == table)


@pytest.fixture(scope="module")
def keys(spark, home) -> KeyRuns:
    lh = fresh_lakehouse(spark, home, "design_defects_keys")
    make_source(lh, "things", THINGS, DUPLICATES)
    for suffix, ordered in UNSEQUENCED.items():
        make_source(lh, f"things_{suffix}", THINGS, ordered)
    make_source(lh, "events", EVENTS, HISTORY_BATCH1)
    onboard(lh, raw_spec(delete_condition="deleted"),
            *[spec for suffix in UNSEQUENCED for spec in unsequenced_specs(suffix)],
            {**HISTORY, "on_key_conflict": "fail"}, {**HISTORY, "table_name": "dim_hist_q"})
    first = hydrate(lh, fixed_clock)
    history = gold(lh, "dim_hist_history", ["id", "name", "valid_from"])
    add_rows(lh, "events", EVENTS, HISTORY_BATCH2)
    second = hydrate(lh, fixed_clock, tables=["dim_hist", "dim_hist_q"])
    return KeyRuns(lh, first, history, second)


DUPLICATES = [
    ("a", "a1", 1, ts(1), False), ("a", "a1", 1, ts(1), False), ("a", "a1", 1, ts(1), False),  # re-delivered
    ("b", "b1", 2, ts(1), False), ("b", None, None, ts(1), True),  # deleted at the instant of its version: deletion wins
    ("c", "c1", 3, ts(1), False), ("c", "c2", 4, ts(2), False),  # versions
]

@KEYS
def test_exact_duplicates_and_a_deletion_beside_a_version_are_no_violation(keys):
    # dim_thing over `things`: raw_spec(delete_condition="deleted")
    row = keys.row("dim_thing")
    assert row.status == "SUCCEEDED", row.error_message
    assert gold(keys.lh, "dim_thing", ["id", "name", "amount"]) == [("a", "a1", 1), ("c", "c2", 4)]
    assert (row.rows_read, row.rows_deduplicated) == (7, 4)

UNSEQUENCED_ROWS = [("k", f"n{i % 3}", i % 2, ts(i), False) for i in range(6)] + [("j", "same", 1, ts(1), False)] * 2
UNSEQUENCED = {"fwd": UNSEQUENCED_ROWS, "rev": list(reversed(UNSEQUENCED_ROWS))}  # suffix -> the rows of things_<suffix>, in that order

def unsequenced_specs(suffix: str) -> list[dict]:
    """dim_thing_<suffix> (on_key_conflict: fail) and dim_thing_<suffix>_q (the default), over things_<suffix>."""
    source = f"${{catalog}}.${{bronze_schema}}.things_{suffix}"
    return [raw_spec(table_name=f"dim_thing_{suffix}", source_table=source, load_type="fact_insert", sequence_by=None, on_key_conflict="fail"),
            raw_spec(table_name=f"dim_thing_{suffix}_q", source_table=source, load_type="fact_insert", sequence_by=None)]

@KEYS
def test_without_sequence_by_any_differing_rows_of_a_key_violate_whatever_their_order(keys):
    lh, rows = keys.lh, UNSEQUENCED_ROWS
    messages = []
    for suffix in UNSEQUENCED:  # the same rows, forwards and reversed
        table = f"dim_thing_{suffix}"
        row, kept = keys.row(table), keys.row(f"{table}_q")
        assert row.status == "FAILED" and not lh.exists(lh.params.gold(table))
        # the message starts with its table's name (each order has its own table here); the rest must not depend on the order
        assert row.error_message.startswith(f"{table}: ")
        messages.append(row.error_message.removeprefix(f"{table}: "))
        assert (kept.status, kept.rows_quarantined, gold(lh, f"{table}_q", ["id", "name"])) == ("SUCCEEDED", 6, [("j", "same")])
        assert quarantined(lh, f"{table}_q") == sorted(("primary_key_conflict", "quarantine", r[:3]) for r in rows if r[0] == "k")
    assert messages[0] == messages[1]
    assert messages[0].startswith("primary key (id) does not determine a row: 1 key has differing rows in this batch, e.g. (id=k); ")

EVENTS = "id STRING, name STRING, ts TIMESTAMP"

HISTORY_BATCH1 = [("j", "A", ts(1)), ("j", "B", ts(2)), ("j", "B", ts(2))]
HISTORY_BATCH2 = [("j", "C", ts(3)), ("j", "D", ts(3)), ("k", "X", ts(3)), ("k", "Y", ts(3)), ("k", "Z", ts(4))]

HISTORY = raw_spec(table_name="dim_hist", source_table="${catalog}.${bronze_schema}.events", load_type="scd2", lookback="30 days",
                   columns=[{"name": "id", "expr": "id", "type": "STRING", "nullable": False},
                            {"name": "name", "expr": "name", "type": "STRING"}])

@KEYS
def test_scd2_versions_of_one_key_at_one_instant_must_agree(keys):
    # dim_hist (on_key_conflict: fail) and dim_hist_q (the default); HISTORY_BATCH1, the first run; HISTORY_BATCH2, the second
    lakehouse = keys.lh
    assert [r.status for r in keys.first.rows if r.table_name in ("dim_hist", "dim_hist_q")] == ["SUCCEEDED", "SUCCEEDED"]
    history = keys.history_after_first
    assert history == [("j", "A", ts(1)), ("j", "B", ts(2))]

    row, kept = keys.second.rows
    # the default: the versions that disagree are set aside, every other version is history as usual
    assert (kept.status, kept.rows_quarantined) == ("SUCCEEDED", 4), kept.error_message
    assert gold(lakehouse, "dim_hist_q_history", ["id", "name", "valid_from", "valid_to"]) == [
        ("j", "A", ts(1), ts(2)), ("j", "B", ts(2), None), ("k", "Z", ts(4), None)]
    assert gold(lakehouse, "dim_hist_q", ["id", "name"]) == [("j", "B"), ("k", "Z")]
    assert [name for name, _, _ in quarantined(lakehouse, "dim_hist_q")] == ["primary_key_conflict"] * 4
    assert row.status == "FAILED"
    assert row.error_message.startswith(
        "dim_hist: primary key (id) does not determine a row: 2 key versions (key and sequence_by value) have differing rows "
        "with the same sequence_by value in this batch, e.g. (id=j) at sequence_by 'ts' = 2026-01-01 03:00:00; "
    )
    assert gold(lakehouse, "dim_hist_history", ["id", "name", "valid_from"]) == history
    assert gold(lakehouse, "dim_hist", ["id", "name"]) == [("j", "B")]  # nothing written

"""Validation on a prepared batch: every check kind, its verdict, its name, each action on the
failing rows (keep, quarantine, fail), NULLs in NOT NULL columns and the quarantine limit.

Batches are built directly in the prepared shape (Gold columns plus the technical ones), so each
case states its rows and the expected outcome computed by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from framework.engine.transform import deduplicate
from framework.engine.validate import KEY_UNIQUE, validate
from framework.errors import ValidationFailedError
from framework.metadata.spec import TableSpec
from tests.builders import raw_spec

SCHEMA = "id STRING, name STRING, amount BIGINT, _hm_sequence TIMESTAMP, _hm_is_delete BOOLEAN, _hm_source_rows INT"


def batch(spark, rows):
    return spark.createDataFrame([(*r, None, False, 1) if len(r) == 3 else r for r in rows], SCHEMA)


def spec(*checks, **overrides) -> TableSpec:
    return TableSpec.from_dict(raw_spec(checks=list(checks), **overrides))


ROWS = [("a", "x", 1), ("b", "y", -2), ("c", None, 30), ("d", "zz", 4)]


@pytest.mark.parametrize(
    "check, failing",
    [
        ({"column": "amount", "check": "ge", "args": 0}, {"b"}),
        ({"column": "amount", "check": "gt", "args": 1}, {"a", "b"}),
        ({"column": "amount", "check": "le", "args": 4}, {"c"}),
        ({"column": "amount", "check": "lt", "args": 4}, {"c", "d"}),
        ({"column": "amount", "check": "between", "args": [0, 10]}, {"b", "c"}),
        ({"column": "name", "check": "isin", "args": ["x", "y"]}, {"d"}),  # NULL passes
        ({"column": "name", "check": "notin", "args": ["x"]}, {"a"}),
        ({"column": "name", "check": "not_null"}, {"c"}),
        ({"column": "name", "check": "str_matches", "args": "^[a-z]$"}, {"d"}),
        ({"check": "expr", "args": "amount < 10"}, {"c"}),
    ],
)
def test_each_check_kind_fails_the_batch_naming_the_check_and_its_failing_rows(spark, check, failing):
    s = spec({**check, "severity": "error"})
    name = s.checks[0].check_name
    with pytest.raises(ValidationFailedError) as err:
        validate(s, batch(spark, ROWS))
    assert len(err.value.failed_checks) == 1
    assert err.value.failed_checks[0].startswith(f"{name} (fail): {len(failing)} failing rows")
    passing = [r for r in ROWS if r[0] not in failing]
    assert validate(s, batch(spark, passing)).failed_checks == ()


def test_unique_not_nullable_and_key_duplicates(spark):
    s = spec({"column": "name", "check": "unique", "severity": "error"})
    rows = [("a", "x", 1), ("b", "x", 2), ("c", None, 3), ("d", None, 4)]  # NULLs are not duplicates
    with pytest.raises(ValidationFailedError) as err:
        validate(s, batch(spark, rows))
    assert [f.split(" ")[0] for f in err.value.failed_checks] == ["name_unique"]

    with pytest.raises(ValidationFailedError) as err:
        validate(spec(on_null="fail"), batch(spark, [(None, "x", 1)]))  # id is declared nullable: false
    assert [f.split(" ")[0] for f in err.value.failed_checks] == ["id_not_nullable"]

    with pytest.raises(ValidationFailedError) as err:
        validate(spec(), batch(spark, [("a", "x", 1), ("a", "y", 2)]))
    assert [f.split(" ")[0] for f in err.value.failed_checks] == [KEY_UNIQUE]


def test_a_deletion_row_is_not_checked_and_counts_come_from_the_same_pass(spark):
    s = spec({"column": "amount", "check": "ge", "args": 0})
    rows = [("a", "x", 1, None, False, 3), ("b", None, None, None, True, 2)]
    checked = validate(s, batch(spark, rows))
    assert (checked.rows_read, checked.rows_deduplicated, checked.rows_quarantined) == (5, 3, 0)


def test_warn_checks_split_exactly_the_failing_rows_and_count_them(spark):
    s = spec(
        {"column": "amount", "check": "ge", "args": 0, "severity": "warn"},
        {"column": "name", "check": "unique", "severity": "warn"},
        {"column": "name", "check": "isin", "args": ["x", "y", "q"], "severity": "warn"},
    )
    rows = [("a", "x", 1), ("b", "q", -2), ("c", "q", 3), ("d", "y", 4), ("e", "w", 5)]
    checked = validate(s, batch(spark, rows))
    # b fails ge and unique, c fails unique, e fails isin: a and d stay
    assert sorted(r["id"] for r in checked.good.collect()) == ["a", "d"]
    assert checked.rows_quarantined == 3
    split = sorted((r["check_name"], r["row_json"]) for r in checked.quarantine.collect())
    assert [c for c, _ in split] == ["amount_ge", "name_isin", "name_unique", "name_unique"]
    assert {f.name for f in checked.failed_checks} == {"amount_ge", "name_unique", "name_isin"}


def test_a_null_key_is_quarantined_by_default_deletions_included_and_the_rest_kept(spark):
    rows = [(None, "x", 1, None, False, 1), ("b", "y", 2, None, False, 1), (None, None, None, None, True, 1)]
    checked = validate(spec(), batch(spark, rows))
    assert [r["id"] for r in checked.good.collect()] == ["b"]
    assert checked.rows_quarantined == 2
    assert sorted((q["check_name"], q["severity"], q["row_json"]) for q in checked.quarantine.collect()) == [
        ("id_not_nullable", "quarantine", '{"name":"x","amount":1}'), ("id_not_nullable", "quarantine", "{}")]
    assert [str(f) for f in checked.failed_checks] == ["id_not_nullable (quarantine): 2 failing rows"]


def test_keep_counts_the_failing_rows_and_writes_them(spark):
    s = spec({"column": "amount", "check": "ge", "args": 0, "severity": "expect"})  # Lakeflow's name for keep
    checked = validate(s, batch(spark, ROWS))
    assert sorted(r["id"] for r in checked.good.collect()) == ["a", "b", "c", "d"]
    assert (checked.quarantine, checked.rows_quarantined) == (None, 0)
    assert [str(f) for f in checked.failed_checks] == ["amount_ge (keep): 1 failing rows"]


@pytest.mark.parametrize("limit, fails", [("1", True), ("2", False), ("49%", True), ("50%", False), (None, False)])
def test_the_quarantine_limit_fails_the_table_beyond_a_count_or_a_share_of_the_rows_read(spark, limit, fails):
    s = spec({"column": "amount", "check": "between", "args": [0, 10]}, quarantine_limit=limit)  # b and c fail: 2 of 4
    if fails:
        with pytest.raises(ValidationFailedError, match=f"quarantine_limit {limit}: 2 of the 4 rows read would be set aside"):
            validate(s, batch(spark, ROWS))
    else:
        checked = validate(s, batch(spark, ROWS))
        assert (sorted(r["id"] for r in checked.good.collect()), checked.rows_quarantined) == (["a", "d"], 2)


def test_dedup_tells_rows_apart_by_every_value_and_where_it_is_null(spark):
    """Rows of one key at one sequence value that differ only in which column is NULL differ (a
    conflict, quarantined); exact duplicates and a deletion beside a version do not. Dedup compares
    one hash of each row's values (decision 150): Spark's own hash skips NULLs, so without the NULL
    markers ``(NULL, 'x')`` and ``('x', NULL)`` would hash alike and the conflict go unseen."""
    s = TableSpec.from_dict(raw_spec(columns=[
        {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
        {"name": "name", "expr": "name", "type": "STRING"}, {"name": "label", "expr": "label", "type": "STRING"}]))
    schema = "id STRING, name STRING, label STRING, _hm_sequence TIMESTAMP, _hm_is_delete BOOLEAN, _hm_source_rows INT"
    at = datetime(2026, 1, 1)
    rows = [("a", None, "x", at, False, 1), ("a", "x", None, at, False, 1),  # differ only where the NULL is
            ("b", "y", None, at, False, 1), ("b", "y", None, at, False, 1),  # exact duplicates
            ("c", "z", "z", at, False, 1), ("c", None, None, at, True, 1)]  # a deletion beside a version
    mapped = spark.createDataFrame(rows, schema)
    assert spark.sql("SELECT xxhash64(CAST(NULL AS STRING), 'x') = xxhash64('x', CAST(NULL AS STRING))").first()[0]
    checked = validate(s, deduplicate(s, mapped), deduplicated=True, mapped=mapped)
    assert sorted((r["id"], r["_hm_is_delete"]) for r in checked.good.collect()) == [("b", False), ("c", True)]
    assert sorted((q["check_name"], q["row_json"]) for q in checked.quarantine.collect()) == [
        ("primary_key_conflict", '{"id":"a","label":"x"}'), ("primary_key_conflict", '{"id":"a","name":"x"}')]
    assert [str(f) for f in checked.failed_checks] == ["primary_key_conflict (quarantine): 1 key with differing rows at one sequence_by value"]

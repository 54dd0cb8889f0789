"""Schema drift, source side and metadata side, each with what the table's metadata says (SPEC §6).

One lakehouse, one source and a table per case; between the two runs the source's schema changes
at once (a column widened past a declared type, a mapped column gone, a new column) and three
tables' metadata gains a Gold column under each ``on_schema_change`` policy:

- a new source column: ignored, reported in the audit row (``unused_source_columns``);
- a mapped source column gone: the table FAILED naming table and column, nothing written;
- a widened source type the declared Gold type cannot hold: FAILED naming column and both types,
  nothing written (onboarding refused the same narrowing cast; the run refuses it when it appears
  later), while a table declaring the wide type runs on;
- a metadata change adding a Gold column: ``append_new_columns`` (old rows NULL, the window's rows
  filled), ``backfill`` (the whole source read and merged: every row the source holds filled),
  ``fail`` (FAILED naming the column, Gold untouched).
"""

from __future__ import annotations

from tests.builders import raw_spec
from tests.harness import audit, control_row, gold, hydrate, make_source, onboard, ts, version

BEFORE = "id STRING, name STRING, amount INT, ts TIMESTAMP, note STRING, deleted BOOLEAN"
AFTER = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, extra STRING, deleted BOOLEAN"  # widened, gone, new
UPPER = {"name": "name_upper", "expr": "upper(name)", "type": "STRING"}
BASE = [{"name": "id", "expr": "id", "type": "STRING", "nullable": False}, {"name": "name", "expr": "name", "type": "STRING"}]


def spec(table: str, *extra: dict, **overrides) -> dict:
    columns = BASE + [{"name": "amount", "expr": "amount", "type": "BIGINT"}, *extra]
    return raw_spec(table_name=table, lookback=None, columns=columns, **overrides)


TABLES = {
    "d_append": spec("d_append"),
    "d_backfill": spec("d_backfill", on_schema_change="backfill"),
    "d_fail": spec("d_fail", on_schema_change="fail"),
    "d_narrow": raw_spec(table_name="d_narrow", lookback=None, columns=BASE + [{"name": "amount", "expr": "amount", "type": "INT"}]),
    "d_gone": spec("d_gone", {"name": "note", "expr": "note", "type": "STRING"}),
}


def test_schema_drift_follows_each_tables_policy(lakehouse, clock):
    # batch 1: z a little later, so the second window (from the watermark, no lookback) holds z, not a and b
    make_source(lakehouse, "things", BEFORE, [("a", "a1", 1, ts(1), "n", False), ("b", "b1", 2, ts(1), "n", False),
                                               ("z", "z1", 3, ts(1.5), "n/a", False)])
    parse = spec("d_parse", {"name": "note_number", "expr": "note", "type": "BIGINT"})  # a text value that is no number
    onboard(lakehouse, *TABLES.values(), parse)
    first = {r.table_name: r for r in hydrate(lakehouse, clock, parallel=2).rows}
    assert {t: r.status for t, r in first.items()} == {**dict.fromkeys(TABLES, "SUCCEEDED"), "d_parse": "FAILED"}
    # hostile input: a value that does not convert fails the table (ANSI SQL), naming it; no row silently lost
    assert "CAST_INVALID_INPUT] The value 'n' of the type \"STRING\" cannot be cast to \"BIGINT\"" in first["d_parse"].error_message
    assert not lakehouse.spark.catalog.tableExists(lakehouse.params.gold("d_parse"))
    before = {t: (version(lakehouse, t), control_row(lakehouse, t).watermark_value) for t in TABLES}

    onboard(lakehouse, *[spec(t, UPPER, **({"on_schema_change": p} if p else {})) for t, p in
                         (("d_append", None), ("d_backfill", "backfill"), ("d_fail", "fail"))])
    old = [("a", "a1", 1, ts(1), None, False), ("b", "b1", 2, ts(1), None, False), ("z", "z1", 3, ts(1.5), None, False)]
    replace_source(lakehouse, old + [("c", "c1", 3_000_000_000, ts(2), "x", False)])  # c's amount needs a BIGINT
    rows = {r.table_name: r for r in hydrate(lakehouse, clock, tables=list(TABLES), parallel=2).rows}

    assert {t: r.status for t, r in rows.items()} == {
        "d_append": "SUCCEEDED", "d_backfill": "SUCCEEDED", "d_fail": "FAILED", "d_narrow": "FAILED", "d_gone": "FAILED"}
    # a new source column: ignored, reported
    assert sorted(rows["d_append"].unused_source_columns) == ["deleted", "extra"]
    # a metadata change adding a Gold column, by policy
    assert gold(lakehouse, "d_append", ["id", "name_upper", "amount"]) == [
        ("a", None, 1), ("b", None, 2), ("c", "C1", 3_000_000_000), ("z", "Z1", 3)]  # the window's rows filled
    assert gold(lakehouse, "d_backfill", ["id", "name_upper", "amount"]) == [
        ("a", "A1", 1), ("b", "B1", 2), ("c", "C1", 3_000_000_000), ("z", "Z1", 3)]  # every row the source holds
    assert (rows["d_backfill"].rows_read, rows["d_append"].rows_read) == (4, 2)  # the whole source; the window (z, c)
    assert "'name_upper'" in rows["d_fail"].error_message and "on_schema_change is fail" in rows["d_fail"].error_message
    assert "name_upper" not in lakehouse.spark.table(lakehouse.params.gold("d_fail")).columns
    # the source's own drift
    assert rows["d_narrow"].error_message.startswith("d_narrow: the source's types changed since onboarding; nothing was written")
    assert "columns[amount]: expr 'amount' is now BIGINT and the declared INT cannot hold it" in rows["d_narrow"].error_message
    assert "d_gone" in rows["d_gone"].error_message and "'note'" in rows["d_gone"].error_message
    for table in ("d_fail", "d_narrow", "d_gone"):  # nothing written, the watermark where it was
        assert (version(lakehouse, table), control_row(lakehouse, table).watermark_value) == before[table], table
        assert gold(lakehouse, table, ["id", "name"]) == [("a", "a1"), ("b", "b1"), ("z", "z1")], table
        assert audit(lakehouse, table)[-1].target_version is None


def replace_source(lakehouse, rows: list[tuple]) -> None:
    """The source table replaced in place by one with the new schema (a Delta commit, as an upstream
    ingestion that changed its schema makes)."""
    df = lakehouse.spark.createDataFrame(rows, AFTER)
    df.write.format("delta").mode("overwrite").option("overwriteSchema", "true").saveAsTable(lakehouse.params.bronze("things"))

"""A dry run (``healthmon plan``, ``run --dry-run``) predicts what the next real run does, writing nothing.

Per table it computes the run's own window, batch and diff, and counts what the write would
insert, update and delete as Delta's MERGE decides each row; the real run that follows must report
exactly those counts in its audit row, for every load type, on new and on existing Gold tables.
"""

from __future__ import annotations

from tests.builders import raw_spec
from tests.harness import add_rows, audit, hydrate, make_source, onboard, replace_rows, ts, version

KEYED = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, deleted BOOLEAN"
TABLES = ["p_scd1", "p_upsert", "p_dim", "p_insert", "p_snapshot"]
COUNTED = ("status", "watermark_from", "watermark_to", "rows_read", "rows_deduplicated", "rows_inserted", "rows_updated", "rows_deleted",
           "rows_quarantined")


def counts(rows) -> dict:
    return {r.table_name: tuple(getattr(r, c) for c in COUNTED) for r in rows}


def test_a_dry_run_predicts_the_counts_of_the_next_real_run_for_every_load_type(lakehouse, clock, capsys):
    make_source(lakehouse, "keyed", KEYED, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False), ("c", "c1", 3, ts(1), False),
                                            ("a", "a1", 1, ts(1), False)])
    make_source(lakehouse, "snap", KEYED, [("x", "x1", 1, ts(1), False), ("y", "y1", 1, ts(1), False)])
    keyed = dict(source_table="${catalog}.${bronze_schema}.keyed", delete_condition="deleted")
    onboard(lakehouse,
            raw_spec(table_name="p_scd1", **keyed), raw_spec(table_name="p_upsert", load_type="fact_upsert", **keyed),
            raw_spec(table_name="p_dim", load_type="scd2", **keyed),
            raw_spec(table_name="p_insert", load_type="fact_insert", source_table="${catalog}.${bronze_schema}.keyed", sequence_by=None),
            raw_spec(table_name="p_snapshot", load_type="snapshot", source_table="${catalog}.${bronze_schema}.snap", sequence_by=None,
                     watermark_column=None, lookback=None))

    def plan_then_run(expected_writes: dict) -> None:
        def written() -> dict:  # each Gold table's Delta version (None: absent) and its audit rows
            gold = lakehouse.params.gold
            return {t: (version(lakehouse, t) if lakehouse.exists(gold(t)) else None, len(audit(lakehouse, t))) for t in TABLES}

        before = written()
        plan = hydrate(lakehouse, clock, dry_run=True, parallel=2)
        assert written() == before  # nothing written, nothing audited
        real = hydrate(lakehouse, clock, parallel=2)
        assert counts(plan.rows) == counts(real.rows)
        assert {t: c[5:8] for t, c in counts(real.rows).items()} == expected_writes  # (inserted, updated, deleted)

    plan_then_run({"p_scd1": (3, 0, 0), "p_upsert": (3, 0, 0), "p_dim": (3, 0, 0), "p_insert": (3, 0, 0), "p_snapshot": (2, 0, 0)})

    # a new key, an update, a deletion, a re-delivered key with other values (fact_insert keeps the
    # first), a version older than the watermark's window start; the snapshot loses y and gains z
    add_rows(lakehouse, "keyed", KEYED, [("d", "d1", 4, ts(2), False), ("a", "a2", 9, ts(2), False), ("b", None, None, ts(2), True)])
    replace_rows(lakehouse, "snap", KEYED, [("x", "x2", 1, ts(2), False), ("z", "z1", 1, ts(2), False)])
    plan_then_run({"p_scd1": (1, 1, 1), "p_upsert": (1, 1, 1), "p_dim": (1, 2, 0), "p_insert": (1, 0, 0), "p_snapshot": (1, 1, 1)})

    # the CLI's plan prints the window and the counts, and the SQL only when asked
    from tests.spark.test_cli import cli

    add_rows(lakehouse, "keyed", KEYED, [("e", "e1", 5, ts(3), False)])
    assert cli(lakehouse, "plan", "--table", "p_scd1") == 0
    out = capsys.readouterr().out
    assert "MERGE INTO" not in out
    line = next(x for x in out.splitlines() if " p_scd1 " in f" {x} ")
    assert line.split()[2:] == ["SUCCEEDED", "2026-01-01", "02:00:00", "2026-01-01", "03:00:00", "8", "1", "0", "0", "0"], line
    assert cli(lakehouse, "plan", "--table", "p_scd1", "--sql") == 0
    assert "MERGE INTO" in capsys.readouterr().out
    assert len(audit(lakehouse, "p_scd1")) == 2  # plans audit nothing

    # metadata that adds a Gold column: the plan sees Gold as the run's write will (the column
    # added, NULL in stored rows), so its counts still equal the run's
    onboard(lakehouse, raw_spec(table_name="p_scd1", columns=[*raw_spec()["columns"], {"name": "name_upper", "expr": "upper(name)", "type": "STRING"}],
                                **keyed))
    plan = hydrate(lakehouse, clock, tables=["p_scd1"], dry_run=True)
    real = hydrate(lakehouse, clock, tables=["p_scd1"])
    assert counts(plan.rows) == counts(real.rows) and real.rows[0].rows_updated > 0  # the re-read rows get the new column's values

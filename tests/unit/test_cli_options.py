"""The `healthmon` command line and the runner notebook, run in-process on the test session: the tests that need no Spark (the rest, and the context, in tests/spark/test_cli.py)."""

from __future__ import annotations


def test_common_options_are_accepted_before_or_after_the_command():
    from framework.surfaces.cli import _parser

    before = _parser().parse_args(["--home", "/h1", "--catalog", "c1", "status"])
    after = _parser().parse_args(["status", "--home", "/h2", "--gold-schema", "g2"])
    both = _parser().parse_args(["--home", "/h1", "run", "--home", "/h3", "--table", "t"])
    assert (before.command, before.home, before.catalog, before.gold_schema) == ("status", "/h1", "c1", "gold")
    assert (after.home, after.catalog, after.gold_schema) == ("/h2", "spark_catalog", "g2")
    assert (both.home, both.tables) == ("/h3", ["t"])  # the later one wins

def test_only_queries_skip_the_catalog_journal():
    """`healthmon sql` lists the catalog around a statement to journal what it changed; a query
    cannot change it, so that listing is skipped for queries and only for them."""
    from framework.surfaces.cli import reads_only

    for query in ["SELECT 1", "  select * from t", "(SELECT 1) UNION (SELECT 2)", "WITH a AS (SELECT 1) SELECT * FROM a",
                  "SHOW TABLES IN bronze", "DESCRIBE TABLE x", "desc x", "EXPLAIN SELECT 1", "VALUES (1)",
                  "-- a comment\nSELECT 1", "/* note */ SELECT 1"]:
        assert reads_only(query), query
    for statement in ["CREATE TABLE x (id INT)", "DROP VIEW v", "ALTER TABLE x RENAME TO y", "INSERT INTO x VALUES (1)",
                      "USE lab", "CREATE VIEW selected AS SELECT 1", "-- SELECT\nDROP TABLE x", "SELECTED", "REPLACE TABLE x AS SELECT 1"]:
        assert not reads_only(statement), statement


def test_the_reports_filters_parse_to_days_and_repeat():
    from datetime import date

    import pytest

    from framework.surfaces.cli import _parser

    args = _parser().parse_args(["report", "--domain", "billing", "--domain", "shared", "--table", "dim_sku", "--from", "2026-02-01"])
    assert (args.domains, args.tables, args.since, args.until) == (["billing", "shared"], ["dim_sku"], date(2026, 2, 1), None)
    with pytest.raises(SystemExit):
        _parser().parse_args(["report", "--to", "yesterday"])

"""Small helpers for Spark tests: Bronze tables from inline rows, onboarding, runs, Gold reads."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from framework.engine.context import Context
from framework.engine.runner import RunResult, run
from framework.metadata.spec import TECHNICAL_PREFIX
from framework.onboarding.onboard import onboard_specs
from framework.platform.lakehouse import Lakehouse
from framework.platform.local_rows import arrow_rows, rows_frame
from framework.platform.params import RunParams
from framework.platform.session import is_connect
from framework.platform.sqltext import quote_table
from tests import delta_rows

T0 = datetime(2026, 1, 1, tzinfo=UTC)
_run_numbers = itertools.count(1)


def ts(hours: float) -> datetime:
    """A naive UTC timestamp ``hours`` after 2026-01-01 (the session time zone is UTC)."""
    return (T0 + timedelta(hours=hours)).replace(tzinfo=None)


def fresh_lakehouse(spark, home, tag: str) -> Lakehouse:
    """A bootstrapped lakehouse whose schemas (``bronze_<tag>`` ...) no other test uses."""
    params = RunParams(catalog="spark_catalog", bronze_schema=f"bronze_{tag}", gold_schema=f"gold_{tag}", control_schema=f"control_{tag}")
    lh = Lakehouse(spark, params, home)
    lh.bootstrap()
    return lh


def business(row: dict) -> dict:
    """A Gold row without the engine's ``_hm_*`` columns."""
    return {k: v for k, v in row.items() if not k.startswith(TECHNICAL_PREFIX)}


def bronze_source(table: str) -> str:
    """An onboarding entry's reference to the Bronze table ``table`` (placeholders as the YAML files write them)."""
    return "${catalog}.${bronze_schema}." + table


def frame(lh: Lakehouse, rows: list[tuple], ddl: str):
    """Test rows as a DataFrame of the columns ``ddl`` declares (through Arrow, as the framework builds
    its own: framework/platform/local_rows.py)."""
    from pyspark.sql.types import StructType

    return rows_frame(lh.spark, rows, StructType.fromDDL(ddl))


def _by_delta_rs(lh: Lakehouse, schema) -> bool:
    """Whether delta-rs writes a local Bronze table of ``schema`` for the test (decision 146): not on
    a Spark Connect lakehouse, nor with column comments (delta-rs writes none; a Bronze copy made by
    Spark has them)."""
    return not is_connect(lh.spark) and not any(f.metadata.get("comment") for f in schema.fields)


def _arrow(rows: list[tuple], schema, *, like=None):
    """The rows as Arrow, every column nullable as a DataFrame write leaves a Bronze table's, or in
    the Arrow schema of the existing Delta table ``like`` (a folder), which an append must match."""
    from pyspark.sql.types import StructField, StructType

    table = arrow_rows(rows, StructType([StructField(f.name, f.dataType, True, f.metadata) for f in schema.fields]))
    if like is None:
        return table
    import pyarrow as pa
    from deltalake import DeltaTable

    return table.cast(pa.schema(DeltaTable(str(like)).schema().to_arrow()))


def make_source(lh: Lakehouse, table: str, ddl: str, rows: list[tuple] = ()) -> str:
    """A Bronze Delta table of ``ddl``, holding ``rows``: created with its rows in one commit.

    Bronze is another system's copy of the system tables, so the tests write it as another system
    does: locally delta-rs writes the folder and Spark only registers it (0.1 s where a Spark CTAS
    took 0.4 s; decision 146); a table without rows is Spark's ``CREATE TABLE`` (it keeps the DDL's
    NOT NULL), and a Connect lakehouse writes through Spark."""
    from pyspark.sql.types import StructType

    name = lh.params.bronze(table)
    if not rows:
        lh.create_table(name, ddl)
        return name
    schema = StructType.fromDDL(ddl)
    folder = lh.location(name)  # locally the folder create_table gives it; elsewhere the catalog's managed location
    if folder is not None and _by_delta_rs(lh, schema):
        from deltalake import write_deltalake

        write_deltalake(str(folder), _arrow(list(rows), schema))
        lh.register(name, folder)
        return name
    writer = rows_frame(lh.spark, rows, schema).write.format("delta")
    (writer if folder is None else writer.option("path", folder.as_posix())).saveAsTable(name)
    return name


def _write_rows(lh: Lakehouse, table: str, ddl: str, rows: list[tuple], mode: str) -> None:
    """Append (or replace) Bronze rows: one delta-rs commit where the table is a local folder of the
    lakehouse (Spark's next read of the table sees it: local sessions read the log for every
    query), a Spark write elsewhere."""
    from pyspark.sql.types import StructType

    name, schema = lh.params.bronze(table), StructType.fromDDL(ddl)
    log = lh.local_delta_log(name)
    if log is not None and _by_delta_rs(lh, schema):
        from deltalake import write_deltalake

        write_deltalake(str(log.parent), _arrow(list(rows), schema, like=log.parent), mode=mode)
        return
    rows_frame(lh.spark, rows, schema).write.format("delta").mode(mode).saveAsTable(name)


def add_rows(lh: Lakehouse, table: str, ddl: str, rows: list[tuple]) -> None:
    _write_rows(lh, table, ddl, rows, "append")


def replace_rows(lh: Lakehouse, table: str, ddl: str, rows: list[tuple]) -> None:
    _write_rows(lh, table, ddl, rows, "overwrite")


def onboard(lh: Lakehouse, *raws: dict, now: datetime = T0) -> None:
    onboard_specs(lh, list(raws), now=now, user="test")


def hydrate(lh: Lakehouse, clock, **options) -> RunResult:
    """Run with sortable run ids: with a fixed clock, audit rows are ordered by run id."""
    return run(Context(lh, clock=clock, run_id_factory=lambda: f"run{next(_run_numbers):06d}"), **options)


def gold(lh: Lakehouse, table: str, columns: list[str], order: list[str] | None = None) -> list[tuple]:
    """The Gold table's ``columns``, sorted (by ``order`` when given), read by delta-rs (tests/delta_rows.py)."""
    found = delta_rows.rows(lh, lh.params.gold(table), columns, order=order)
    return sorted(tuple(r) for r in found) if order is None else [tuple(r) for r in found]


def version(lh: Lakehouse, table: str) -> int | str:
    """The Gold table's Delta version; for a view (load type view: no versions), the run that
    (re)created it, from its TBLPROPERTIES: either changes exactly when a run rewrote it."""
    full_name = lh.params.gold(table)
    if lh.local_delta_log(full_name) is not None:  # a local table: its log folder (DESCRIBE HISTORY's answer, tests/spark/test_delta_log.py)
        return lh.history(full_name, 1)[0]["version"]
    name = quote_table(full_name)
    if lh.spark.catalog.getTable(name).tableType == "VIEW":
        return lh.spark.sql(f"SHOW TBLPROPERTIES {name} ('healthmon.run_id')").first()["value"]
    return lh.spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").first()["version"]


def audit(lh: Lakehouse, table: str) -> list:
    """The table's audit rows in run order."""
    return delta_rows.rows(lh, lh.params.control("gold_run_audit"), where=f"table_name = '{table}'", order=["ended_at", "run_id"])


def quarantine(lh: Lakehouse, table: str) -> list:
    """The table's quarantine rows (in no particular order)."""
    return delta_rows.rows(lh, lh.params.control("gold_quarantine"), where=f"table_name = '{table}'")


def control_row(lh: Lakehouse, table: str):
    """The table's control row (None when it has none)."""
    found = delta_rows.rows(lh, lh.params.control("gold_table_control"), where=f"table_name = '{table}'")
    return found[0] if found else None


# The Bronze tables the first five onboarded Gold tables read (tests/demo_world.py derives the full
# list from the onboarding files): tests that hydrate those five write only these of a demo batch's 35.
ONBOARDED_SOURCES = ("access.workspaces_latest", "lakeflow.jobs", "billing.list_prices", "billing.usage")

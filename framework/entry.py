"""The one entry point the Databricks notebook (and the job) calls.

On Databricks the runtime's Spark session is passed in and tables are Unity Catalog managed
(no local home); job parameters arrive as strings from widgets.
"""

from __future__ import annotations

from framework.context import Context
from framework.lakehouse import Lakehouse
from framework.params import RunParams
from framework.runner import RunResult, run


def _split(text: str | None) -> list[str] | None:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    return items or None


def run_gold_hydration(
    spark,
    *,
    catalog: str,
    bronze_schema: str = "bronze",
    gold_schema: str = "gold",
    control_schema: str = "control",
    tables: str | None = None,
    domain: str | None = None,
    full_refresh: str | bool = False,
    job_run_id: str | None = None,
    home: str | None = None,
) -> RunResult:
    """Bootstrap (idempotent) and hydrate; raises when any table failed so the job run fails."""
    from pathlib import Path

    from framework.errors import FrameworkError
    from framework.output import run_summary

    lakehouse = Lakehouse(spark, RunParams(catalog, bronze_schema, gold_schema, control_schema), Path(home) if home else None)
    lakehouse.bootstrap()
    refresh = full_refresh if isinstance(full_refresh, bool) else str(full_refresh).strip().lower() in ("true", "1", "yes")
    result = run(
        Context(lakehouse, job_run_id=job_run_id or None, progress=print),
        tables=_split(tables),
        domains=_split(domain),
        full_refresh=refresh,
    )
    print(run_summary(result.rows))
    if result.failed:
        raise FrameworkError(f"run {result.run_id}: at least one table failed; see {lakehouse.params.control('gold_run_audit')}")
    return result


def bootstrap_lakehouse(spark, *, catalog: str, bronze_schema: str = "bronze", gold_schema: str = "gold", control_schema: str = "control", home: str | None = None) -> list[str]:
    """Schemas, control/audit/quarantine tables, then every onboarding file in control_tables/."""
    from datetime import datetime, timezone
    from pathlib import Path

    from framework.lakehouse import CONTROL_DDL_DIR
    from framework.onboarding import onboard_files

    lakehouse = Lakehouse(spark, RunParams(catalog, bronze_schema, gold_schema, control_schema), Path(home) if home else None)
    lakehouse.bootstrap()
    specs = onboard_files(lakehouse, sorted(CONTROL_DDL_DIR.glob("*.yml")), now=datetime.now(timezone.utc))
    return [s.table_name for s in specs]

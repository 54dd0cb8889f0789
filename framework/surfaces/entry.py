"""The one entry point the Databricks notebook (and the job) calls.

On Databricks the runtime's Spark session is passed in and tables are Unity Catalog managed
(no local home); job parameters arrive as strings from widgets.
"""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from framework.engine.context import Context
from framework.engine.runner import RunResult, run
from framework.platform.lakehouse import Lakehouse
from framework.platform.logs import configure as configure_logging
from framework.platform.params import RunParams
from framework.surfaces.views import ensure_views


def _split(text: str | None) -> list[str] | None:
    items = [t.strip() for t in (text or "").split(",") if t.strip()]
    return items or None


def _lakehouse(spark, catalog: str, bronze_schema: str, gold_schema: str, control_schema: str, home: str | None) -> Lakehouse:
    # Every entry point starts here: the framework's records (tracebacks included) go to stderr,
    # which on Databricks is the driver log and the task's output.
    configure_logging(default_level="INFO", tracebacks=True)
    lakehouse = Lakehouse(spark, RunParams(catalog, bronze_schema, gold_schema, control_schema), Path(home) if home else None)
    lakehouse.bootstrap()
    ensure_views(lakehouse)
    return lakehouse


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
    from framework.errors import RunFailedError
    from framework.surfaces.output import run_summary

    lakehouse = _lakehouse(spark, catalog, bronze_schema, gold_schema, control_schema, home)
    refresh = full_refresh if isinstance(full_refresh, bool) else str(full_refresh).strip().lower() in ("true", "1", "yes")
    result = run(
        Context(lakehouse, job_run_id=job_run_id or None, progress=print),
        tables=_split(tables),
        domains=_split(domain),
        full_refresh=refresh,
    )
    print(run_summary(result.rows))
    if result.failed:
        failed = "; ".join(f"{r.table_name} {r.status}: {r.error_message}" for r in result.rows if r.status in ("FAILED", "VALIDATION_FAILED"))
        raise RunFailedError(f"run {result.run_id} failed ({failed}); see {lakehouse.params.control('gold_run_audit')}")
    return result


def bootstrap_lakehouse(spark, *, catalog: str, bronze_schema: str = "bronze", gold_schema: str = "gold", control_schema: str = "control", home: str | None = None) -> list[str]:
    """Schemas, control/audit/quarantine tables, then every onboarding file in control_tables/."""
    from datetime import datetime

    from framework.onboarding.onboard import onboard_files
    from framework.platform.resources import onboarding_files

    lakehouse = _lakehouse(spark, catalog, bronze_schema, gold_schema, control_schema, home)
    specs = onboard_files(lakehouse, onboarding_files(), now=datetime.now(UTC))
    return [s.table_name for s in specs]


# -- the fan-out job: plan task, one task per table (for_each), summary task -------------------

def plan_gold_hydration(spark, *, catalog: str, bronze_schema: str = "bronze", gold_schema: str = "gold", control_schema: str = "control",
                        tables: str | None = None, domain: str | None = None, home: str | None = None) -> dict[str, object]:
    """The plan task: the task values (``layer_<k>`` arrays, ``tables``) the layer tasks iterate on."""
    from framework.engine.control import read_control
    from framework.engine.fanout import plan_fanout

    lakehouse = _lakehouse(spark, catalog, bronze_schema, gold_schema, control_schema, home)
    fanout = plan_fanout(read_control(lakehouse), _split(tables), _split(domain))
    values = fanout.task_values()
    for k, layer in enumerate(fanout.layers):
        print(f"layer_{k}: {', '.join(layer)}")
    return values


def hydrate_table_task(spark, *, table: str, catalog: str, bronze_schema: str = "bronze", gold_schema: str = "gold", control_schema: str = "control",
                       full_refresh: str | bool = False, job_run_id: str | None = None, home: str | None = None) -> RunResult | None:
    """One iteration of a layer task: hydrate ``table`` (an empty slot does nothing)."""
    from framework.engine.fanout import EMPTY_SLOT

    if (table or "").strip() == EMPTY_SLOT:
        print("empty layer: nothing to hydrate")
        return None
    return run_gold_hydration(spark, catalog=catalog, bronze_schema=bronze_schema, gold_schema=gold_schema, control_schema=control_schema,
                              tables=table.strip(), full_refresh=full_refresh, job_run_id=job_run_id, home=home)


def summarize_gold_hydration(spark, *, job_run_id: str, planned: str, catalog: str, bronze_schema: str = "bronze", gold_schema: str = "gold",
                             control_schema: str = "control", home: str | None = None):
    """The summary task: prints every table's outcome; raises when a planned table failed or never ran."""
    from framework.engine.job_run import require_success, summarize

    lakehouse = _lakehouse(spark, catalog, bronze_schema, gold_schema, control_schema, home)
    summary = summarize(lakehouse, job_run_id, _split(planned) or [])
    print("\n".join(summary.lines()))
    require_success(summary)
    return summary

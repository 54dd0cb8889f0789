"""A run: the control table's snapshot → the plan → every selected table → audit rows → state.

:func:`run` reads the (cached) control snapshot, plans the selected tables in dependency layers
and hands them to the scheduler (:mod:`framework.engine.scheduler`), each table's data path being
:func:`framework.engine.table_run.hydrate_table`. A failed table does not stop unrelated tables,
its dependents are SKIPPED, and every table gets exactly one audit row. The run's bookkeeping
comes last, after every Gold commit: the audit rows in one append and every table's state in one
UPDATE, side by side (:func:`record_run`), so a watermark never moves before its table's Gold commit.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from framework.engine import failpoints
from framework.engine.audit import FAILED, SKIPPED, VALIDATION_FAILED, AuditRow, write_audit
from framework.engine.context import Context
from framework.engine.control import ControlSnapshot, read_control, record_states
from framework.engine.job_run import blocks_dependents, latest_outcomes
from framework.engine.scheduler import Outcomes, not_run, run_layers, table_sessions
from framework.engine.table_run import hydrate_table
from framework.errors import ConcurrentRunError, FrameworkError, SourceAbsentError, ValidationFailedError
from framework.metadata.planner import plan, select, upstream
from framework.metadata.spec import TableSpec
from framework.platform.control_store import StateUpdate, TableState
from framework.platform.errors_text import describe
from framework.platform.local_jvm import job_label
from framework.platform.logs import copy_to_file, run_log_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    rows: tuple[AuditRow, ...]
    plans: tuple[str, ...] = ()  # rendered MERGE plans (dry runs)

    @property
    def failed(self) -> bool:
        return any(r.status in (FAILED, VALIDATION_FAILED) for r in self.rows)


def _unexpected_failure(ctx: Context, run_id: str, table: str, exc: Exception) -> str:
    """The audit message of an error the framework did not raise on purpose.

    The error and its causes down to the root (a Java error's own message, not the Python bridge's
    "An error occurred while calling o12.sql"), bounded; the full traceback (with the JVM's) is logged, to
    ``<home>/logs/run-<run_id>.log`` as well when there is a home, and the message says where.
    """
    with copy_to_file(log, run_log_path(ctx.lakehouse.home, run_id)) as path:
        where = f"traceback: {path}" if path else "traceback: the driver log (stderr)"
        text = f"{table}: {describe(exc)}"
        log.error("%s FAILED in run %s (%s)\n%s", table, run_id, where, text, exc_info=exc)
    return f"{text}\n({where})"


def hydrate_one(ctx: Context, table_ctx: Context, spec: TableSpec, state: TableState, outcomes: Outcomes, *,
                full_refresh: bool, dry_run: bool) -> None:
    """One table's run, its outcome recorded whatever happens (per-table isolation)."""
    table, run_id, started = spec.table_name, outcomes.run_id, table_ctx.clock()
    ctx.progress(f"{table}: running ({spec.load_type})")
    failure = dict(run_id=run_id, table=table, domain=spec.domain, load_type=spec.load_type, started=started)
    try:
        with job_label(table_ctx.spark, f"healthmon {run_id} {table}"):
            outcome = hydrate_table(table_ctx, spec, state, run_id, full_refresh=full_refresh, dry_run=dry_run)
    except ValidationFailedError as exc:
        outcomes.finish(not_run(ctx, status=VALIDATION_FAILED, message=str(exc), failed_checks=exc.failed_checks, **failure))
        return
    except ConcurrentRunError as exc:  # another run of the table wrote first: refused, its state left to that run
        outcomes.finish(not_run(ctx, status=SKIPPED, message=str(exc), **failure), state=False)
        return
    except SourceAbsentError as exc:  # an optional source this workspace lacks: skipped, and so are its dependents
        outcomes.block(table)
        outcomes.finish(not_run(ctx, status=SKIPPED, message=str(exc), **failure))
        return
    except FrameworkError as exc:
        outcomes.finish(not_run(ctx, status=FAILED, message=str(exc), **failure))
        return
    except Exception as exc:  # noqa: BLE001 - per-table isolation: a failed table must not stop unrelated ones; recorded with its root cause, traceback logged
        outcomes.finish(not_run(ctx, status=FAILED, message=_unexpected_failure(ctx, run_id, table, exc), **failure))
        return
    ended = table_ctx.clock()
    if outcome.plan_sql:
        outcomes.add_plan(table, outcome.plan_sql)
    row = replace(outcome.audit, ended_at=ended, duration_seconds=(ended - started).total_seconds())
    outcomes.finish(row, row.watermark_to, outcome.input_versions)


def _blocked_by(ctx: Context, snapshot: ControlSnapshot, chosen: set[str], outcomes: Outcomes):
    """Why a table cannot run: a dependency failed in this run, or, for a task of a fan-out job
    run, an upstream table failed in an earlier task."""
    failed_earlier = (
        {t for t, r in latest_outcomes(ctx.lakehouse, ctx.job_run_id).items() if blocks_dependents(r) and t not in chosen}
        if ctx.job_run_id else set()
    )
    all_specs = list(snapshot.specs.values())

    def blocked(spec: TableSpec) -> list[str]:
        upstream_failed = upstream(all_specs, spec.table_name) & failed_earlier if failed_earlier else set()
        return sorted({d for d in spec.depends_on if d in outcomes.failed} | upstream_failed)

    return blocked


def record_run(ctx: Context, rows: list[AuditRow], states: list[StateUpdate]) -> None:
    """The run's bookkeeping after every Gold commit: the audit rows (one append) and every table's
    state (one UPDATE of the control table), written side by side, so a run pays one commit's time
    for both (decision 100). Two commits to two tables: each on a session of its own (the state
    commit carries its marker as a session conf); one after the other where a second session
    cannot be had (e.g. Spark Connect without ``newSession``), the audit first.
    """
    audit_sessions = table_sessions(ctx, 2)[1:]
    tables = [r.table_name for r in rows]
    if not audit_sessions:
        write_audit(ctx.lakehouse, rows)
        failpoints.reached("after_audit", tables)
        record_states(ctx.lakehouse, states)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthmon-audit") as pool:
        audit = pool.submit(write_audit, audit_sessions[0].lakehouse, rows)
        try:
            failpoints.reached("after_audit", tables)  # raised: the pool still finishes the audit append
            record_states(ctx.lakehouse, states)
        finally:
            audit.result()


def run(ctx: Context, *, tables: list[str] | None = None, domains: list[str] | None = None, full_refresh: bool = False,
        dry_run: bool = False, parallel: int = 1) -> RunResult:
    """Hydrate the selected tables in dependency order; one audit row per table.

    Tables of one dependency layer run ``parallel`` at a time (each thread on its own session).
    """
    run_id = ctx.run_id_factory()
    with job_label(ctx.spark, f"healthmon {run_id}"):  # the run's own jobs; a table's carry its name too (decision 149)
        return _run(ctx, run_id, tables=tables, domains=domains, full_refresh=full_refresh, dry_run=dry_run, parallel=parallel)


def _run(ctx: Context, run_id: str, *, tables: list[str] | None, domains: list[str] | None, full_refresh: bool, dry_run: bool,
         parallel: int) -> RunResult:
    snapshot = read_control(ctx.lakehouse)
    chosen = select(snapshot.domains, tables, domains)
    outcomes = Outcomes(run_id, ctx.progress)
    for table in sorted(t for t in chosen if t in snapshot.invalid):
        issues = "; ".join(str(i) for i in snapshot.invalid[table])
        outcomes.finish(not_run(ctx, run_id, table, snapshot.domains.get(table), None, FAILED, f"invalid metadata: {issues}", ctx.clock()))
    layers = plan([spec for name, spec in snapshot.specs.items() if name in chosen]).layers

    def hydrate(table_ctx: Context, spec: TableSpec) -> None:
        state = snapshot.states.get(spec.table_name, TableState())
        hydrate_one(ctx, table_ctx, spec, state, outcomes, full_refresh=full_refresh, dry_run=dry_run)

    run_layers(table_sessions(ctx, parallel), layers, snapshot.specs, outcomes, hydrate, _blocked_by(ctx, snapshot, chosen, outcomes))
    order = {name: i for i, name in enumerate(t for layer in layers for t in layer)}
    rows = sorted(outcomes.rows, key=lambda r: (r.table_name not in snapshot.invalid, order.get(r.table_name, -1)))
    if not dry_run:
        record_run(ctx, rows, outcomes.states)
    return RunResult(run_id, tuple(rows), tuple(outcomes.plans))

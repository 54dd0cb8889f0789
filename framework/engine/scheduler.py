"""The order of tables in a run: dependency layers, ``parallel`` at a time, dependents of a failure skipped.

Nothing here knows what a table's run does: :func:`run_layers` calls ``hydrate(ctx, spec)`` for
each runnable table, on one of the contexts it was given (one Spark session per worker thread, so
session confs such as the commit marker stay per table), and records through :class:`Outcomes`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from pyspark.errors import PySparkException

from framework.engine.audit import DEPENDENCY_FAILED, DISABLED, FAILED, SKIPPED, SUCCEEDED, VALIDATION_FAILED, AuditRow
from framework.engine.context import Context
from framework.metadata.spec import TableSpec
from framework.platform.control_store import StateUpdate

log = logging.getLogger(__name__)


@dataclass
class Outcomes:
    """Every table's audit row and state update of one run, recorded from any worker thread."""

    run_id: str
    progress: Callable[[str], None]
    rows: list[AuditRow] = field(default_factory=list)
    states: list[StateUpdate] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def finish(self, row: AuditRow, advance_to: str | None = None, input_versions: str | None = None, *, state: bool = True) -> None:
        """One table's outcome: its audit row, and its state (the watermark only on success; none at
        all when ``state`` is False: a run refused because another run of the table wrote first
        leaves the state to that run)."""
        with self._lock:
            self.rows.append(row)
            if row.status in (FAILED, VALIDATION_FAILED):
                self.failed.add(row.table_name)
            self.progress(progress_line(row))
            advance = advance_to if row.status == SUCCEEDED else None
            if state:
                self.states.append(StateUpdate(row.table_name, row.status, self.run_id, row.ended_at, advance, input_versions))

    def add_plan(self, table: str, sql: str) -> None:
        with self._lock:
            self.plans.append(f"-- {table}\n{sql}")

    def block(self, table: str) -> None:
        """``table`` was skipped: its own dependents are skipped as well."""
        with self._lock:
            self.failed.add(table)


def progress_line(row: AuditRow) -> str:
    if row.status == SUCCEEDED:
        return (f"{row.table_name}: {row.status} read={row.rows_read} inserted={row.rows_inserted} "
                f"updated={row.rows_updated} deleted={row.rows_deleted} quarantined={row.rows_quarantined}")
    return f"{row.table_name}: {row.status} {row.error_message or ''}"


def not_run(ctx: Context, run_id: str, table: str, domain: str | None, load_type: str | None, status: str, message: str, started,
            **extra) -> AuditRow:
    """The audit row of a table that did not succeed (failed, skipped), ended now."""
    ended = ctx.clock()
    return AuditRow(run_id, ctx.job_run_id, table, domain, load_type, status, started, ended,
                    duration_seconds=(ended - started).total_seconds(), error_message=message, **extra)


def table_sessions(ctx: Context, parallel: int) -> list[Context]:
    """Contexts for ``parallel`` worker threads, each on a session of its own (its own SQL confs:
    the commit marker is a session conf), sharing the catalog; one context when that is not possible."""
    if parallel <= 1:
        return [ctx]
    try:
        return [ctx] + [replace(ctx, lakehouse=replace(ctx.lakehouse, spark=ctx.spark.newSession())) for _ in range(parallel - 1)]
    except (AttributeError, NotImplementedError, PySparkException) as exc:  # e.g. a session kind without newSession
        log.info("tables run one at a time: no separate session per thread (%s)", exc)
        return [ctx]


def runnable(ctx: Context, outcomes: Outcomes, layer: tuple[str, ...], specs: dict[str, TableSpec],
             blocked_by: Callable[[TableSpec], list[str]]) -> list[TableSpec]:
    """The tables of ``layer`` to run; the disabled and those with a failed dependency are SKIPPED."""
    chosen = []
    for table in layer:
        spec = specs[table]
        blocked = blocked_by(spec)
        if not spec.enabled:
            outcomes.finish(not_run(ctx, outcomes.run_id, table, spec.domain, spec.load_type, SKIPPED, DISABLED, ctx.clock()))
        elif blocked:
            outcomes.block(table)
            outcomes.finish(not_run(ctx, outcomes.run_id, table, spec.domain, spec.load_type, SKIPPED,
                                    DEPENDENCY_FAILED + ", ".join(blocked), ctx.clock()))
        else:
            chosen.append(spec)
    return chosen


def run_layers(contexts: list[Context], layers: tuple[tuple[str, ...], ...], specs: dict[str, TableSpec], outcomes: Outcomes,
               hydrate: Callable[[Context, TableSpec], None], blocked_by: Callable[[TableSpec], list[str]]) -> None:
    """Each layer's runnable tables, ``len(contexts)`` at a time; a layer starts when the one before ended."""
    ctx = contexts[0]
    with ThreadPoolExecutor(max_workers=len(contexts), thread_name_prefix="healthmon-table") as pool:
        for layer in layers:
            tables = runnable(ctx, outcomes, layer, specs, blocked_by)
            if len(contexts) == 1:
                for spec in tables:
                    hydrate(ctx, spec)
                continue
            free = list(contexts)
            slots = threading.Condition()

            def on_session(spec: TableSpec) -> None:
                with slots:
                    slots.wait_for(lambda: free)
                    table_ctx = free.pop()
                try:
                    hydrate(table_ctx, spec)
                finally:
                    with slots:
                        free.append(table_ctx)
                        slots.notify()

            for future in [pool.submit(on_session, spec) for spec in tables]:
                future.result()

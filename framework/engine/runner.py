"""The runner: control rows -> plan -> per table: read, transform, validate, merge, audit, watermark.

:func:`hydrate_table` is the data path for one table, in the order the data flows. :func:`run`
walks the dependency plan: a failed table does not stop unrelated tables, its dependents are
SKIPPED, and every table gets exactly one audit row. The watermark moves only after the Gold
commit and the audit row.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from pyspark.errors import PySparkException
from pyspark.sql import functions as F

from framework.engine import fingerprint
from framework.engine.audit import (
    FAILED,
    SKIPPED,
    SUCCEEDED,
    VALIDATION_FAILED,
    AuditRow,
    write_audit,
    write_quarantine,
)
from framework.engine.columns import WATERMARK
from framework.engine.context import Context
from framework.engine.job_run import FAILURES, latest_outcomes
from framework.engine.loads import SMALL_BATCH_ROWS, key_range, layout, load_of, plan_merge
from framework.engine.merge import commit_marker, overwrite, stamp, write_changes
from framework.engine.source import open_source, read_window, unused_columns
from framework.engine.steps import StepTimer
from framework.engine.target import ensure_target
from framework.engine.transform import deduplicate, prepared_rows
from framework.engine.validate import validate
from framework.errors import FrameworkError, SourceError, ValidationFailedError
from framework.metadata.control import (
    StateUpdate,
    TableState,
    read_control,
    record_states,
)
from framework.metadata.planner import plan, select, upstream
from framework.metadata.spec import TableSpec
from framework.platform.checkpoint import materialize
from framework.platform.errors_text import describe
from framework.platform.logs import copy_to_file, run_log_path
from framework.platform.params import fill_placeholders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    run_id: str
    rows: tuple[AuditRow, ...]
    plans: tuple[str, ...] = ()  # rendered MERGE plans (dry runs)

    @property
    def failed(self) -> bool:
        return any(r.status in (FAILED, VALIDATION_FAILED) for r in self.rows)


@dataclass(frozen=True)
class TableOutcome:
    """A table's successful run: its audit row, the MERGE plan (dry runs), what to store as state."""

    audit: AuditRow
    plan_sql: str | None = None
    input_versions: str | None = None  # fingerprint JSON of the inputs this run covered


def _zero_audit(ctx: Context, spec: TableSpec, run_id: str, started, watermark_from, watermark_to, full_refresh: bool, unused) -> AuditRow:
    return AuditRow(
        run_id, ctx.job_run_id, spec.table_name, spec.domain, spec.load_type, SUCCEEDED, started, started,
        rows_read=0, rows_deduplicated=0, rows_inserted=0, rows_updated=0, rows_deleted=0, rows_quarantined=0,
        watermark_from=watermark_from, watermark_to=watermark_to, full_refresh=full_refresh,
        unused_source_columns=list(unused),
    )


def hydrate_table(ctx: Context, spec: TableSpec, state: TableState, run_id: str, *, full_refresh: bool = False, dry_run: bool = False) -> TableOutcome:
    """Load one Gold table; raises on failure, else returns its SUCCEEDED outcome."""
    spark, params, started = ctx.spark, ctx.params, ctx.clock()
    timer = StepTimer()
    step = timer.step
    target = params.gold(spec.table_name)
    source_table = fill_placeholders(spec.source_table, params)
    joins = [fill_placeholders(j.table, params) for j in spec.joins]
    with step("fingerprint"):
        inputs = None if dry_run else fingerprint.take(spark, spec, source_table, joins, target)
    if inputs is not None and not full_refresh and inputs.to_json() == state.input_versions:
        # nothing it reads changed since its last success: the run would write nothing
        unused = unused_columns(spec, open_source(spark, spec, source_table).columns)
        audit = _zero_audit(ctx, spec, run_id, started, state.watermark_value, state.watermark_value, full_refresh, unused)
        return TableOutcome(replace(audit, step_seconds=timer.seconds), None, state.input_versions)

    with step("read"):
        window = read_window(spark, spec, source_table, state.watermark_value, full_refresh=full_refresh)
    load = load_of(spec)
    with step("prepare"):  # map, (scd2, aggregate) touched keys' history, dedup; materialized once
        mapped = prepared_rows(spark, spec, window.df, window.source, joins)
        batch = materialize(deduplicate(spec, mapped))
    upper = window.next_watermark()
    with step("validate"):  # the same scan finds where the window ends: no query of its own
        checked = validate(spec, batch, deduplicated=True, also={"watermark_to": upper} if upper is not None else None)  # dedup made the keys unique
    watermark_to = checked.also.get("watermark_to")
    audit = _zero_audit(ctx, spec, run_id, started, window.watermark_from, watermark_to, full_refresh, window.unused_columns)
    if upper is not None and watermark_to is None:  # nothing in the window: the watermark stays
        audit = replace(audit, watermark_to=window.watermark_from, step_seconds=timer.seconds)
        return TableOutcome(audit, None, inputs.to_json() if inputs else None)
    rows = checked.good.drop(WATERMARK)  # the window's bound is taken; Gold does not store it
    refusal = load.check_batch(spec, checked.rows_read)
    if refusal:
        raise SourceError(f"{spec.table_name}: {refusal}")
    target_layout = layout(spec, batch.schema)
    if dry_run:
        merge_plan = plan_merge(spec, target_layout, target, f"__hm_changes_{spec.table_name}")
        return TableOutcome(audit, merge_plan.sql())
    with step("target"):
        created = ensure_target(ctx.lakehouse, spec, target, target_layout, metadata_changed=fingerprint.metadata_changed(spec, state.input_versions))
        gold = spark.table(target)
    ranges = None if load.reads_whole_target else checked.key_ranges
    marker = commit_marker(run_id, spec.table_name, watermark_to)
    now = ctx.clock()

    def whole_content():  # the Gold rows from the batch alone: a full refresh's, or an empty table's
        return stamp(load.desired(spec, rows, gold.limit(0)), target_layout, run_id, now)

    if full_refresh:
        with step("merge"):
            commit = overwrite(spark, target, target_layout, whole_content(), f"__hm_full_{spec.table_name}", marker)
    else:
        # A Gold table created just now holds nothing: the desired rows are the batch's own, and an
        # insert-only MERGE writes them (no diff join). fact_insert never needs a diff either.
        inserts_only = created or load.inserts_only
        with step("diff"):
            if inserts_only:
                changes = whole_content()
            else:
                touched = gold if ranges is None else gold.where(F.expr(key_range(ranges, batch.schema)))
                small = checked.rows_kept <= SMALL_BATCH_ROWS
                changes = stamp(load.diff(spec, target_layout, rows, touched, small_batch=small), target_layout, run_id, now)
        with step("merge"):
            target_filter = None if ranges is None or created else key_range(ranges, batch.schema, "t")
            merge_plan = plan_merge(spec, target_layout, target, f"__hm_changes_{spec.table_name}", target_filter, inserts_only=inserts_only)
            commit = write_changes(spark, merge_plan, changes, marker)
    if checked.quarantine is not None:
        with step("quarantine"):
            write_quarantine(ctx.lakehouse, spec.table_name, run_id, now, checked.quarantine)
    covered = None
    if inputs is not None:  # Gold's version after this run: the commit's, else unchanged (or just created)
        gold_after = commit.version if commit.version is not None else inputs.gold
        with step("fingerprint"):
            covered = inputs.with_gold(gold_after if gold_after is not None else fingerprint.delta_version(spark, target)).to_json()
    return TableOutcome(replace(
        audit,
        rows_read=checked.rows_read, rows_deduplicated=checked.rows_deduplicated,
        rows_inserted=commit.rows_inserted, rows_updated=commit.rows_updated, rows_deleted=commit.rows_deleted,
        rows_quarantined=checked.rows_quarantined, target_version=commit.version,
        failed_checks=[str(f) for f in checked.failed_checks] or None, step_seconds=timer.seconds,
    ), None, covered)


def _failure_row(ctx: Context, run_id: str, table: str, domain: str | None, load_type: str | None, status: str, message: str, started, **extra) -> AuditRow:
    ended = ctx.clock()
    return AuditRow(
        run_id, ctx.job_run_id, table, domain, load_type, status, started, ended,
        duration_seconds=(ended - started).total_seconds(), error_message=message, **extra,
    )


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


def _table_sessions(ctx: Context, parallel: int):
    """Contexts for ``parallel`` worker threads, each on a session of its own (its own SQL confs:
    the commit marker is a session conf), sharing the catalog; one context when that is not possible."""
    if parallel <= 1:
        return [ctx]
    try:
        return [ctx] + [replace(ctx, lakehouse=replace(ctx.lakehouse, spark=ctx.spark.newSession())) for _ in range(parallel - 1)]
    except (AttributeError, NotImplementedError, PySparkException) as exc:  # e.g. a session kind without newSession
        log.info("tables run one at a time: no separate session per thread (%s)", exc)
        return [ctx]


def run(ctx: Context, *, tables: list[str] | None = None, domains: list[str] | None = None, full_refresh: bool = False,
        dry_run: bool = False, parallel: int = 1) -> RunResult:
    """Hydrate the selected tables in dependency order; one audit row per table.

    Tables of one dependency layer run ``parallel`` at a time (each thread on its own session).
    The audit rows of the run are appended in one write after the last table, then the state of
    every table is stored in one MERGE: Gold commits, then audit, then watermarks, as before, with
    two bookkeeping commits per run instead of one per table.
    """
    run_id = ctx.run_id_factory()
    snapshot = read_control(ctx.lakehouse)
    chosen = select(snapshot.domains, tables, domains)
    invalid_selected = sorted(t for t in chosen if t in snapshot.invalid)
    valid_selected = [spec for name, spec in snapshot.specs.items() if name in chosen]
    failed: set[str] = set()
    rows: list[AuditRow] = []
    plans: list[str] = []
    states: list[StateUpdate] = []
    # Fan-out tasks of one job run: an upstream table that failed in an earlier task blocks too.
    failed_earlier = (
        {t for t, r in latest_outcomes(ctx.lakehouse, ctx.job_run_id).items() if r["status"] in FAILURES and t not in chosen}
        if ctx.job_run_id else set()
    )
    all_specs = list(snapshot.specs.values())
    lock = threading.Lock()

    def finish(row: AuditRow, advance_to: str | None = None, input_versions: str | None = None) -> None:
        with lock:
            rows.append(row)
            if row.status in (FAILED, VALIDATION_FAILED):
                failed.add(row.table_name)
            ctx.progress(_progress_line(row))
            advance = row.status == SUCCEEDED and advance_to is not None
            states.append(StateUpdate(row.table_name, row.status, run_id, row.ended_at, advance_to if advance else None, input_versions))

    def hydrate(table_ctx: Context, spec: TableSpec) -> None:
        table, started = spec.table_name, table_ctx.clock()
        ctx.progress(f"{table}: running ({spec.load_type})")
        try:
            outcome = hydrate_table(table_ctx, spec, snapshot.states.get(table, TableState()), run_id, full_refresh=full_refresh, dry_run=dry_run)
            ended = table_ctx.clock()
            row = replace(outcome.audit, ended_at=ended, duration_seconds=(ended - started).total_seconds())
            if outcome.plan_sql:
                with lock:
                    plans.append(f"-- {table}\n{outcome.plan_sql}")
            finish(row, row.watermark_to, outcome.input_versions)
        except ValidationFailedError as exc:
            finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, VALIDATION_FAILED, str(exc), started, failed_checks=exc.failed_checks))
        except FrameworkError as exc:
            finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, FAILED, str(exc), started))
        except Exception as exc:  # noqa: BLE001 - per-table isolation: a failed table must not stop unrelated ones; recorded with its root cause, traceback logged
            finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, FAILED, _unexpected_failure(ctx, run_id, table, exc), started))

    for table in invalid_selected:
        issues = "; ".join(str(i) for i in snapshot.invalid[table])
        finish(_failure_row(ctx, run_id, table, snapshot.domains.get(table), None, FAILED, f"invalid metadata: {issues}", ctx.clock()))

    layers = plan(valid_selected).layers
    contexts = _table_sessions(ctx, parallel)
    with ThreadPoolExecutor(max_workers=len(contexts), thread_name_prefix="healthmon-table") as pool:
        for layer in layers:
            runnable: list[TableSpec] = []
            for table in layer:
                spec = snapshot.specs[table]
                blocked = sorted({d for d in spec.depends_on if d in failed} | (upstream(all_specs, table) & failed_earlier))
                if not spec.enabled:
                    finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, SKIPPED, "disabled in the control table", ctx.clock()))
                elif blocked:
                    failed.add(table)  # its own dependents are skipped as well
                    finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, SKIPPED, f"dependency failed: {', '.join(blocked)}", ctx.clock()))
                else:
                    runnable.append(spec)
            if len(contexts) == 1:
                for spec in runnable:
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

            for future in [pool.submit(on_session, spec) for spec in runnable]:
                future.result()
    order = {name: i for i, name in enumerate(t for layer in layers for t in layer)}
    rows.sort(key=lambda r: (r.table_name not in snapshot.invalid, order.get(r.table_name, -1)))
    if not dry_run:
        write_audit(ctx.lakehouse, rows)
        record_states(ctx.lakehouse, states)
    return RunResult(run_id, tuple(rows), tuple(plans))


def _progress_line(row: AuditRow) -> str:
    if row.status == SUCCEEDED:
        return (f"{row.table_name}: {row.status} read={row.rows_read} inserted={row.rows_inserted} "
                f"updated={row.rows_updated} deleted={row.rows_deleted} quarantined={row.rows_quarantined}")
    return f"{row.table_name}: {row.status} {row.error_message or ''}"

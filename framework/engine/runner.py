"""The runner: control rows -> plan -> per table: read, transform, validate, merge, audit, watermark.

:func:`hydrate_table` is the data path for one table, in the order the data flows. :func:`run`
walks the dependency plan: a failed table does not stop unrelated tables, its dependents are
SKIPPED, and every table gets exactly one audit row. The watermark moves only after the Gold
commit and the audit row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
from framework.engine.context import Context
from framework.engine.job_run import FAILURES, latest_outcomes
from framework.engine.merge import (
    commit_marker,
    desired_rows,
    diff,
    overwrite,
    plan_merge,
    stamp,
    write_changes,
)
from framework.engine.source import open_source, read_window, unused_columns
from framework.engine.target import ensure_target, layout
from framework.engine.transform import deduplicate, key_history, map_rows
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
from framework.platform.params import fill_placeholders


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
    target = params.gold(spec.table_name)
    source_table = fill_placeholders(spec.source_table, params)
    joins = [fill_placeholders(j.table, params) for j in spec.joins]
    inputs = None if dry_run else fingerprint.take(spark, spec, source_table, joins, target)
    if inputs is not None and not full_refresh and inputs.to_json() == state.input_versions:
        # nothing it reads changed since its last success: the run would write nothing
        unused = unused_columns(spec, open_source(spark, spec, source_table).columns)
        audit = _zero_audit(ctx, spec, run_id, started, state.watermark_value, state.watermark_value, full_refresh, unused)
        return TableOutcome(audit, None, state.input_versions)

    window = read_window(spark, spec, source_table, state.watermark_value, full_refresh=full_refresh)
    audit = _zero_audit(ctx, spec, run_id, started, window.watermark_from, window.watermark_to, full_refresh, window.unused_columns)
    if window.empty:
        return TableOutcome(audit, None, inputs.to_json() if inputs else None)

    mapped = map_rows(spark, spec, window.df, joins)
    if spec.load_type == "scd2":
        mapped = key_history(spec, mapped, map_rows(spark, spec, window.source, joins))
    batch = materialize(deduplicate(spec, mapped))
    checked = validate(spec, batch)
    if spec.load_type == "snapshot" and checked.rows_read == 0:
        raise SourceError(f"{spec.table_name}: snapshot source {spec.source_table!r} is empty; refusing to delete every Gold row")
    target_layout = layout(spec, batch.schema)
    if dry_run:
        merge_plan = plan_merge(spec, target_layout, target, f"__hm_changes_{spec.table_name}")
        return TableOutcome(audit, merge_plan.sql())
    ensure_target(ctx.lakehouse, spec, target, target_layout)
    gold = spark.table(target)
    marker = commit_marker(run_id, spec.table_name, window.watermark_to)
    now = ctx.clock()
    if full_refresh:
        rows = stamp(desired_rows(spec, checked.good, gold.limit(0)), target_layout, run_id, now)
        commit = overwrite(spark, target, target_layout, rows, f"__hm_full_{spec.table_name}", marker)
    else:
        changes = stamp(diff(spec, target_layout, checked.good, gold), target_layout, run_id, now)
        merge_plan = plan_merge(spec, target_layout, target, f"__hm_changes_{spec.table_name}")
        # materialized once: the MERGE reads its source more than once (match, then write)
        commit = write_changes(spark, merge_plan, materialize(changes), marker)
    if checked.quarantine is not None:
        write_quarantine(ctx.lakehouse, spec.table_name, run_id, now, checked.quarantine)
    covered = None
    if inputs is not None:  # Gold's version after this run: the commit's, else unchanged (or just created)
        gold_after = commit.version if commit.version is not None else inputs.gold
        covered = inputs.with_gold(gold_after if gold_after is not None else fingerprint.delta_version(spark, target)).to_json()
    return TableOutcome(replace(
        audit,
        rows_read=checked.rows_read, rows_deduplicated=checked.rows_deduplicated,
        rows_inserted=commit.rows_inserted, rows_updated=commit.rows_updated, rows_deleted=commit.rows_deleted,
        rows_quarantined=checked.rows_quarantined, target_version=commit.version,
        failed_checks=[str(f) for f in checked.failed_checks] or None,
    ), None, covered)


def _failure_row(ctx: Context, run_id: str, table: str, domain: str | None, load_type: str | None, status: str, message: str, started, **extra) -> AuditRow:
    ended = ctx.clock()
    return AuditRow(
        run_id, ctx.job_run_id, table, domain, load_type, status, started, ended,
        duration_seconds=(ended - started).total_seconds(), error_message=message, **extra,
    )


def run(ctx: Context, *, tables: list[str] | None = None, domains: list[str] | None = None, full_refresh: bool = False, dry_run: bool = False) -> RunResult:
    """Hydrate the selected tables in dependency order; one audit row per table."""
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

    def finish(row: AuditRow, advance_to: str | None = None, input_versions: str | None = None) -> None:
        rows.append(row)
        ctx.progress(_progress_line(row))
        if dry_run:
            return
        write_audit(ctx.lakehouse, [row])
        advance = row.status == SUCCEEDED and advance_to is not None
        states.append(StateUpdate(row.table_name, row.status, run_id, row.ended_at, advance_to if advance else None, input_versions))

    for table in invalid_selected:
        failed.add(table)
        issues = "; ".join(str(i) for i in snapshot.invalid[table])
        finish(_failure_row(ctx, run_id, table, snapshot.domains.get(table), None, FAILED, f"invalid metadata: {issues}", ctx.clock()))

    for layer in plan(valid_selected).layers:
        for table in layer:
            spec = snapshot.specs[table]
            started = ctx.clock()
            blocked = sorted({d for d in spec.depends_on if d in failed} | (upstream(all_specs, table) & failed_earlier))
            if not spec.enabled:
                finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, SKIPPED, "disabled in the control table", started))
                continue
            if blocked:
                failed.add(table)
                finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, SKIPPED, f"dependency failed: {', '.join(blocked)}", started))
                continue
            ctx.progress(f"{table}: running ({spec.load_type})")
            try:
                outcome = hydrate_table(ctx, spec, snapshot.states.get(table, TableState()), run_id, full_refresh=full_refresh, dry_run=dry_run)
                ended = ctx.clock()
                row = replace(outcome.audit, ended_at=ended, duration_seconds=(ended - started).total_seconds())
                if outcome.plan_sql:
                    plans.append(f"-- {table}\n{outcome.plan_sql}")
                finish(row, row.watermark_to, outcome.input_versions)
            except ValidationFailedError as exc:
                failed.add(table)
                finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, VALIDATION_FAILED, str(exc), started, failed_checks=exc.failed_checks))
            except FrameworkError as exc:
                failed.add(table)
                finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, FAILED, str(exc), started))
            except Exception as exc:  # a failed table must not stop unrelated ones; it is recorded
                failed.add(table)
                message = f"{table}: {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                finish(_failure_row(ctx, run_id, table, spec.domain, spec.load_type, FAILED, message, started))
    if not dry_run:
        record_states(ctx.lakehouse, states)
    return RunResult(run_id, tuple(rows), tuple(plans))


def _progress_line(row: AuditRow) -> str:
    if row.status == SUCCEEDED:
        return (f"{row.table_name}: {row.status} read={row.rows_read} inserted={row.rows_inserted} "
                f"updated={row.rows_updated} deleted={row.rows_deleted} quarantined={row.rows_quarantined}")
    return f"{row.table_name}: {row.status} {row.error_message or ''}"

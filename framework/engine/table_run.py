"""One table's run, in the order its data flows, one function per step.

fingerprint → recover (state a crashed run left only in Gold) → read window → prepare (map,
deduplicate; materialized once) → scan (the batch's statistics and every check's count, one pass)
→ validate (pandera's verdict, the quarantine split) → target (create or evolve Gold) → quarantine
→ diff → write (one MERGE, or an overwrite, per Gold table; each commit carries the run's marker)
→ outcome (the audit row and the state to store). The run-level bookkeeping (audit append, state) and
the order of tables are :mod:`framework.engine.runner`'s and :mod:`framework.engine.scheduler`'s.
Each step's wall-clock seconds land in the audit row (``step_seconds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine import failpoints, fingerprint, tombstones
from framework.engine.audit import SUCCEEDED, AuditRow, write_quarantine
from framework.engine.batch_stats import BatchStats, batch_stats, scan, stat_measures
from framework.engine.columns import WATERMARK
from framework.engine.context import Context
from framework.engine.layout import TargetLayout
from framework.engine.loads import LoadType, load_of
from framework.engine.loads.base import Changes
from framework.engine.merge import NO_COMMIT, Commit, Marker, MergePlan, overwrite, predicted, stamp, write_changes
from framework.engine.pruning import key_range
from framework.engine.recovery import find_recovery
from framework.engine.source import SourceWindow, open_source, read_window, unused_columns
from framework.engine.steps import StepTimer
from framework.engine.target import ensure_target
from framework.engine.transform import deduplicate, prepared_rows
from framework.engine.validate import ValidatedBatch, check_measures, validate
from framework.engine.write_plan import layout, plan_merge
from framework.errors import SourceError
from framework.metadata.spec import BACKFILL, TableSpec
from framework.platform.checkpoint import materialize
from framework.platform.control_store import TableState
from framework.platform.params import fill_placeholders


@dataclass(frozen=True)
class TableOutcome:
    """A table's successful run: its audit row, the MERGE plan (dry runs), what to store as state."""

    audit: AuditRow
    plan_sql: str | None = None
    input_versions: str | None = None  # fingerprint JSON of the inputs this run covered


@dataclass
class TableRun:
    """What every step of one table's run shares: the spec, its state, the names, the step timer."""

    ctx: Context
    spec: TableSpec
    state: TableState
    run_id: str
    full_refresh: bool
    started: datetime
    load: LoadType
    target: str
    source_table: str
    joins: list[str]
    parts: tuple[tuple[str, LoadType], ...]  # (Gold table, the load type writing it), in write order; the last is ``target``
    timer: StepTimer = field(default_factory=StepTimer)
    recovered_from: str | None = None  # the crashed run whose Gold commit the state lacked (framework.engine.recovery)
    backfill: bool = False  # the metadata added Gold columns and says backfill: the whole source is read (and merged)

    @classmethod
    def start(cls, ctx: Context, spec: TableSpec, state: TableState, run_id: str, full_refresh: bool) -> TableRun:
        params, load = ctx.params, load_of(spec)
        parts = tuple((params.gold(spec.table_name + suffix), part) for suffix, part in load.parts())
        return cls(ctx, spec, state, run_id, full_refresh, ctx.clock(), load, params.gold(spec.table_name),
                   fill_placeholders(spec.source_table, params), [fill_placeholders(j.table, params) for j in spec.joins], parts)

    @property
    def spark(self):
        return self.ctx.spark

    def step(self, name: str):
        return self.timer.step(name)

    def audit(self, watermark_from, watermark_to, unused, **counts) -> AuditRow:
        """The SUCCEEDED audit row of this run (zero counts unless given); ended_at is the runner's."""
        zero = dict(rows_read=0, rows_deduplicated=0, rows_inserted=0, rows_updated=0, rows_deleted=0, rows_quarantined=0)
        return AuditRow(
            self.run_id, self.ctx.job_run_id, self.spec.table_name, self.spec.domain, self.spec.load_type, SUCCEEDED,
            self.started, self.started, watermark_from=watermark_from, watermark_to=watermark_to,
            full_refresh=self.full_refresh, unused_source_columns=list(unused), step_seconds=self.timer.seconds,
            recovered_from=self.recovered_from, **{**zero, **counts},
        )


def hydrate_table(ctx: Context, spec: TableSpec, state: TableState, run_id: str, *, full_refresh: bool = False,
                  dry_run: bool = False) -> TableOutcome:
    """Load one Gold table; raises on failure, else returns its SUCCEEDED outcome."""
    run = TableRun.start(ctx, spec, state, run_id, full_refresh)
    if run.load.defines_view():  # another Gold table's rows under a second name: nothing to read or write
        covered, plan_sql = run.load.ensure_view(run, dry_run=dry_run)
        return TableOutcome(run.audit(None, None, ()), plan_sql, covered)
    inputs = None if dry_run else take_fingerprint(run)
    if inputs is not None and not full_refresh and inputs.to_json() == state.input_versions:
        return unchanged_inputs(run)
    if not dry_run:
        recover(run, inputs.gold if inputs else None)
        run.backfill = needs_backfill(run)
    window = read(run)
    batch, mapped = prepare(run, window)
    failpoints.reached("after_read", (spec.table_name,))
    stats, values = measure(run, window, batch)
    if window.watermark_type is not None and stats.watermark_to is None:  # nothing in the window: the watermark stays
        covered = inputs.to_json() if inputs is not None else None
        return TableOutcome(run.audit(window.watermark_from, window.watermark_from, window.unused_columns), None, covered)
    checked = check(run, batch, values, stats, mapped)
    failpoints.reached("after_validate", (spec.table_name,))
    layouts = [layout(spec, batch.schema, part) for _, part in run.parts]
    if dry_run:
        return dry_outcome(run, window, checked, layouts)
    created = prepare_targets(run, layouts)
    now = ctx.clock()
    # before Gold: a Gold commit (and its marker) means the whole batch is written
    if checked.quarantine is not None:
        with run.step("quarantine"):
            write_quarantine(ctx.lakehouse, spec.table_name, run_id, now, checked.quarantine)
    if checked.stats.deletions and run.load.keeps_tombstones(spec):
        with run.step("tombstones"):
            tombstones.record(ctx.lakehouse, spec, checked.good, run_id, now)
    failpoints.reached("after_quarantine", (spec.table_name,))
    commit = write(run, layouts, checked, created, now, Marker(run_id, spec.table_name, window.watermark_from, stats.watermark_to))
    failpoints.reached("after_gold_commit", (spec.table_name,))
    return succeeded(run, window, checked, commit, inputs)


def recover(run: TableRun, gold_version: int | None) -> None:
    """Take up the state a crashed run left only in Gold's commit marker (the control row is
    behind): the window starts where that run's batch ended, the audit row names the run."""
    found = find_recovery(run.ctx.lakehouse, run.target, run.spec.table_name, run.state, gold_version)
    if found is not None:
        run.state, run.recovered_from = found.state(run.state), found.run_id


def take_fingerprint(run: TableRun):
    """The Delta versions of what the table reads (None where volatile): unchanged means a no-op."""
    with run.step("fingerprint"):
        return fingerprint.take(run.ctx.lakehouse, run.spec, run.source_table, run.joins, run.target)


def unchanged_inputs(run: TableRun) -> TableOutcome:
    """Nothing the table reads changed since its last success: nothing to read, nothing written."""
    unused = unused_columns(run.spec, open_source(run.spark, run.spec, run.source_table).columns)
    watermark = run.state.watermark_value
    return TableOutcome(run.audit(watermark, watermark, unused), None, run.state.input_versions)


def needs_backfill(run: TableRun) -> bool:
    """Whether this run fills Gold columns the metadata added: ``on_schema_change: backfill``, the
    metadata changed since the last success, and the Gold table lacks one of its columns. Such a run
    reads the whole source, as a full refresh does, but merges: the rows the source still holds get
    the new values, and rows whose source aged out keep theirs."""
    spec = run.spec
    if spec.on_schema_change != BACKFILL or not fingerprint.metadata_changed(spec, run.state.input_versions):
        return False
    if not run.ctx.lakehouse.exists(run.target):
        return False
    have = {c.lower() for c in run.spark.table(run.target).columns}
    return any(c.lower() not in have for c in spec.column_names)


def read(run: TableRun) -> SourceWindow:
    """The source rows from the stored watermark (minus lookback) on (all of them for a full
    refresh or a backfill); lazy, read by ``prepare``."""
    with run.step("read"):
        return read_window(run.spark, run.spec, run.source_table, run.state.watermark_value, full_refresh=run.full_refresh or run.backfill)


def prepare(run: TableRun, window: SourceWindow) -> tuple[DataFrame, DataFrame]:
    """Map (joins, explode, column expressions; the touched keys' history where the load type
    re-reads it), deduplicate, and keep the result: every later step reads the same rows, computed
    once, by ``measure``'s scan (the next step, a read of every row anyway). Also
    the mapped rows before dedup (lazy: read again only to quarantine the rows of a key that
    differ at one sequence value)."""
    with run.step("prepare"):
        mapped = prepared_rows(run.spark, run.spec, window.df, window.source, run.joins)
        return materialize(deduplicate(run.spec, mapped), eager=False), mapped


def measure(run: TableRun, window: SourceWindow, batch: DataFrame) -> tuple[BatchStats, dict[str, object]]:
    """One scan of the batch: its statistics (counts, key range, upper watermark) and every check's
    count; the scan computes the batch, which is kept for every later step (:func:`prepare`)."""
    with run.step("validate"):
        measures = (stat_measures(run.spec, window.next_watermark(), deletions=run.load.keeps_tombstones(run.spec))
                    + check_measures(run.spec, batch, deduplicated=True))
        values = scan(batch, measures)
    return batch_stats(run.spec, values), values


def check(run: TableRun, batch: DataFrame, values: dict[str, object], stats: BatchStats, mapped: DataFrame) -> ValidatedBatch:
    """pandera's verdict on the scan's counts and the quarantine split; a batch the load type refuses raises."""
    with run.step("validate"):
        checked = validate(run.spec, batch, values=values, stats=stats, mapped=mapped)
    refusal = run.load.check_batch(run.spec, stats.rows_read)
    if refusal:
        raise SourceError(f"{run.spec.table_name}: {refusal}")
    return checked


def prepare_targets(run: TableRun, layouts: list[TargetLayout]) -> list[bool]:
    """Create each Gold table the load type writes, or evolve it to the metadata; per table, True
    when created just now (empty)."""
    with run.step("target"):
        changed = fingerprint.metadata_changed(run.spec, run.state.input_versions)
        return [ensure_target(run.ctx.lakehouse, run.spec, name, lay, metadata_changed=changed, description=part.describe(run.spec))
                for (name, part), lay in zip(run.parts, layouts)]


def rows_to_write(run: TableRun, checked: ValidatedBatch, now: datetime) -> DataFrame:
    """The validated rows the Gold write reads: without the window's bound (Gold does not store
    it), and, where the load type keeps tombstones, without versions a deletion buried."""
    rows = checked.good.drop(WATERMARK)
    if run.load.keeps_tombstones(run.spec):
        rows = tombstones.unburied(run.spec, rows, tombstones.live(run.ctx.lakehouse, run.spec, now))
    return rows


def dry_outcome(run: TableRun, window: SourceWindow, checked: ValidatedBatch, layouts: list[TargetLayout]) -> TableOutcome:
    """What the run would write, computed by the same diff, writing nothing: each Gold table's
    MERGE (its SQL) and the counts the run's audit row would carry (the last table's, as a run's)."""
    spec, now = run.spec, run.ctx.clock()
    rows, plans, counts, upstream = rows_to_write(run, checked, now), [], NO_COMMIT, None
    for (name, part), lay in zip(run.parts, layouts):
        exists = run.ctx.lakehouse.exists(name)
        gold = planned_gold(run, name, lay) if exists else run.spark.createDataFrame([], lay.schema)
        view = f"__hm_changes_{spec.table_name}"
        if run.full_refresh:
            content = part.desired(spec, rows, gold.limit(0), upstream)
            plans.append(plan_merge(spec, lay, name, view, part=part))
            counts, upstream = Commit(None, content.count()), content
            continue
        changes, plan = planned_changes(run, part, name, lay, rows, checked.stats, gold, created=not exists, upstream=upstream)
        plans.append(plan)
        counts = predicted(plan, stamp(changes.rows, lay, run.run_id, now), gold)
        upstream = changes.handed_on if changes.handed_on is not None else gold
    audit = run.audit(window.watermark_from, checked.stats.watermark_to, window.unused_columns, rows_read=checked.rows_read,
                      rows_deduplicated=checked.rows_deduplicated, rows_inserted=counts.rows_inserted, rows_updated=counts.rows_updated,
                      rows_deleted=counts.rows_deleted, rows_quarantined=checked.rows_quarantined)
    return TableOutcome(audit, ";\n".join(p.sql() for p in plans))


def planned_gold(run: TableRun, name: str, lay: TargetLayout) -> DataFrame:
    """The Gold table as the run's write would see it: a column the metadata added (which the
    run's ``target`` step adds before writing) present, NULL in the stored rows."""
    gold = run.spark.table(name)
    have = {c.lower() for c in gold.columns}
    missing = {f.name: F.lit(None).cast(f.dataType) for f in lay.schema.fields if f.name.lower() not in have}
    return gold.withColumns(missing) if missing else gold


def write(run: TableRun, layouts: list[TargetLayout], checked: ValidatedBatch, created: list[bool], now: datetime, marker: Marker) -> Commit:
    """The Gold commits, one per table the load type writes, in its order, each carrying the run's
    marker; the last one's (the table the metadata names) is the run's. A table after the first may
    be derived from the one written before it (scd2: ``<name>`` from ``<name>_history``)."""
    rows = rows_to_write(run, checked, now)
    commit, upstream = NO_COMMIT, None
    for i, ((name, part), lay, new) in enumerate(zip(run.parts, layouts, created)):
        if i:
            failpoints.reached("between_gold_commits", (run.spec.table_name,))
        commit, handed_on = write_table(run, part, name, lay, rows, checked.stats, new, now, upstream, marker)
        upstream = handed_on if handed_on is not None else run.spark.table(name)
    return commit


def write_table(run: TableRun, part: LoadType, target: str, target_layout: TargetLayout, rows: DataFrame, stats: BatchStats,
                created: bool, now: datetime, upstream: DataFrame | None, marker: Marker) -> tuple[Commit, DataFrame | None]:
    """One Gold commit: an overwrite (full refresh), else one MERGE over the rows that change
    something (none when nothing does); and what the load type hands on to the next part.

    What the MERGE reads is the load type's (:meth:`~framework.engine.loads.base.LoadType.changes`):
    the diff against Gold, or the batch's own rows for an insert-only MERGE (a Gold table created
    just now, fact_insert).
    """
    spec = run.spec
    base = fingerprint.delta_version(run.ctx.lakehouse, target)  # the version the write is computed against
    gold = run.spark.table(target)
    if run.full_refresh:
        with run.step("merge"):
            content = stamp(part.desired(spec, rows, gold.limit(0), upstream), target_layout, run.run_id, now)
            return overwrite(run.ctx.lakehouse, target, target_layout, content, f"__hm_full_{spec.table_name}", marker, base), None
    with run.step("diff"):
        changes, plan = planned_changes(run, part, target, target_layout, rows, stats, gold, created=created, upstream=upstream)
        source = stamp(changes.rows, target_layout, run.run_id, now)
        if not changes.inserts_only:  # the diff is small and its plan deep (windows, joins): computed once, not by each MERGE pass
            source = materialize(source, eager=False)  # computed by the count, which reads every row anyway
            if source.count() == 0:  # nothing changes: no MERGE to run, no commit
                return NO_COMMIT, changes.handed_on
    with run.step("merge"):
        return write_changes(run.ctx.lakehouse, plan, source, marker, base), changes.handed_on


def planned_changes(run: TableRun, part: LoadType, target: str, lay: TargetLayout, rows: DataFrame, stats: BatchStats, gold: DataFrame, *,
                    created: bool, upstream: DataFrame | None) -> tuple[Changes, MergePlan]:
    """What one Gold table's MERGE reads (the load type's changes over the Gold rows the batch's
    key ranges can touch) and the MERGE itself: the same for a run and for its dry run."""
    ranges = part.pruning(stats.key_ranges)
    changes = part.changes(run.spec, lay, rows, gold, ranges=ranges, rows_kept=stats.rows_kept, created=created, upstream=upstream)
    target_filter = None if ranges is None or created else key_range(ranges, rows.schema, "t")
    view = f"__hm_changes_{run.spec.table_name}"
    return changes, plan_merge(run.spec, lay, target, view, target_filter, inserts_only=changes.inserts_only, part=part,
                               into_empty=created)


def succeeded(run: TableRun, window: SourceWindow, checked: ValidatedBatch, commit: Commit, inputs) -> TableOutcome:
    """The audit row of a run that wrote, and the inputs it covered (Gold at its new version)."""
    covered = None
    if inputs is not None:  # Gold's version after this run: the commit's, else unchanged (or just created)
        gold_after = commit.version if commit.version is not None else inputs.gold
        with run.step("fingerprint"):
            covered = inputs.with_gold(gold_after if gold_after is not None else fingerprint.delta_version(run.ctx.lakehouse, run.target)).to_json()
    audit = run.audit(
        window.watermark_from, checked.stats.watermark_to, window.unused_columns,
        rows_read=checked.rows_read, rows_deduplicated=checked.rows_deduplicated, rows_inserted=commit.rows_inserted,
        rows_updated=commit.rows_updated, rows_deleted=commit.rows_deleted, rows_quarantined=checked.rows_quarantined,
    )
    return TableOutcome(replace(audit, target_version=commit.version, failed_checks=[str(f) for f in checked.failed_checks] or None),
                        None, covered)

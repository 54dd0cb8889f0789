"""Benchmarks of issues #8 and #16: the framework against what it replaces, side by side, in one run.

Every measure runs both sides alternately (``--reps`` repetitions, medians), in one local session
where that is fair (same JVM, same warm caches), and writes its section of docs/benchmarks.md
with the machine, the date and the exact command:

    .venv/bin/python benchmarks/hydration.py [--rows 1000000,5000000] [--gold-rows 5000000] [--reps 3]
        [--only upsert,refresh,fixed,validation,startup]

- upsert: framework run vs a hand-written row_number() dedup + one MERGE with a watermark filter
  (what a competent engineer writes), initial load, 1 % increment, no-op, at each ``--rows`` size;
- refresh: a 1 % increment into a big Gold fact vs a full refresh of it (both the framework);
- fixed: one tiny table's run on a warm session (bookkeeping + plan + validation + MERGE), and its
  no-op run; per-step seconds from the audit rows, and the Spark jobs each step launched;
- validation: validate() (pandera verdict + split) vs one aggregate pass computing the same checks;
- startup: one cold `healthmon sql "SELECT 1"` (a new process, no server running), with the JVM's
  class archive and without it (``HEALTHMON_NO_CLASS_ARCHIVE``); and a cold `healthmon run --table T`
  with nothing new against that `SELECT 1`, alternately.

`make demo`'s time and memory are measured by ``benchmarks/demo.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sections import write_section  # noqa: E402
from framework.engine.context import Context  # noqa: E402
from framework.engine.runner import run  # noqa: E402
from framework.onboarding.onboard import onboard_specs  # noqa: E402
from framework.platform.lakehouse import Lakehouse  # noqa: E402
from framework.platform.params import RunParams  # noqa: E402
from framework.platform.session import local_spark  # noqa: E402

COLUMNS = [
    {"name": "id", "expr": "id", "type": "BIGINT", "nullable": False},
    {"name": "name", "expr": "name", "type": "STRING"},
    {"name": "amount", "expr": "amount", "type": "DECIMAL(18,6)"},
    {"name": "event_date", "expr": "event_date", "type": "DATE"},
    {"name": "ts", "expr": "ts", "type": "TIMESTAMP"},
]
CHECKS = [
    {"column": "amount", "check": "ge", "args": 0},
    {"column": "name", "check": "str_matches", "args": "^(n|u)"},
    {"column": "event_date", "check": "not_null"},
]
BRONZE_DDL = "id BIGINT, name STRING, amount DECIMAL(18,6), event_date DATE, ts TIMESTAMP"


SPEC_OVERRIDES: dict = {}  # set by --no-deletion-vectors: every benchmarked table's metadata gets them


def spec(table: str, source: str, **overrides) -> dict:
    base = {
        "table_name": table, "domain": "bench", "source_table": "${catalog}.${bronze_schema}." + source,
        "load_type": "fact_upsert", "primary_keys": ["id"], "sequence_by": "ts", "watermark_column": "ts",
        "lookback": "1 hour", "columns": COLUMNS, "checks": CHECKS,
    }
    return {**base, **SPEC_OVERRIDES, **overrides}


HAND = """
MERGE INTO {gold} t
USING (
  SELECT id, name, CAST(amount AS DECIMAL(18,6)) AS amount, event_date, ts FROM (
    SELECT *, row_number() OVER (PARTITION BY id ORDER BY ts DESC, name DESC) AS rn
    FROM {bronze} WHERE ts >= {since} - INTERVAL 1 HOUR) WHERE rn = 1
) s ON t.id = s.id
WHEN MATCHED AND s.ts >= t.ts THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
"""


MERGE_METRICS = ("executionTimeMs", "materializeSourceTimeMs", "scanTimeMs", "rewriteTimeMs", "numSourceRows",
                 "numTargetRowsInserted", "numTargetRowsUpdated", "numTargetRowsCopied", "numTargetFilesAdded", "numTargetFilesRemoved")

INITIAL_HOURS = 100  # the first load's rows are spread over this many hours, ids growing with time


def append(spark, table: str, first_id: int, count: int, hour: int, updates: int = 0, hours: int = 1) -> None:
    """``count`` new rows with ids from ``first_id``, their ``ts`` spread evenly over ``hours``
    hours ending at ``hour`` (ids grow with time, as record ids and event times do in system
    tables), plus ``updates`` corrections of the oldest ids (ids 0..) at ``hour``.

    Spread, so a 1-hour lookback re-reads the last hour's rows only, not a whole earlier load.
    """
    end = f"TIMESTAMP '2026-01-01 00:00:00' + make_interval(0, 0, 0, 0, {hour}, 0, 0)"
    spread = f"{end} - make_interval(0, 0, 0, 0, 0, 0, CAST(({first_id + count} - id) * {hours * 3600.0 / count} AS DECIMAL(18,6)))"
    df = spark.range(first_id, first_id + count).selectExpr(
        "id", "concat('n', id % 1000) AS name", "CAST(id % 997 AS DECIMAL(18,6)) AS amount",
        "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", f"{spread} AS ts")
    if updates:
        df = df.unionByName(spark.range(0, updates).selectExpr(
            "id", "'updated' AS name", "CAST(1 AS DECIMAL(18,6)) AS amount",
            "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", f"{end} AS ts"))
    df.write.format("delta").mode("append").saveAsTable(table)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class Bench:
    def __init__(self, reps: int):
        self.reps = reps
        self.home = Path(tempfile.mkdtemp(prefix="hm-bench-"))
        self.spark = local_spark(self.home)
        self._n = 0

    def lakehouse(self) -> Lakehouse:
        self._n += 1
        n = self._n
        lh = Lakehouse(self.spark, RunParams(bronze_schema=f"bronze_{n}", gold_schema=f"gold_{n}", control_schema=f"control_{n}"), self.home)
        lh.bootstrap()
        return lh

    def run(self, lh: Lakehouse, **options):
        result = run(Context(lh), **options)
        assert not result.failed, [r.error_message for r in result.rows]
        return result


def upsert_target(rows: int) -> float:
    """Issue #16: at most 1.3x the hand-written MERGE at 1 M rows, 1.15x from 5 M rows on."""
    return 1.15 if rows >= 5_000_000 else 1.3


def bench_upsert(b: Bench, rows: int) -> list[str]:
    increment = rows // 100
    times: dict[str, dict[str, list[float]]] = {s: {"hand": [], "framework": []} for s in ("initial", "increment", "noop")}
    steps: dict[str, dict[str, list[float]]] = {s: {} for s in times}  # the framework's step_seconds, per measure
    merges: dict[str, dict[str, list[float]]] = {"hand": {}, "framework": {}}  # the increment's MERGE commit metrics
    for rep in range(b.reps):
        lh = b.lakehouse()
        bronze, hand = lh.params.bronze("events"), lh.params.gold("hand_events")
        lh.create_table(bronze, BRONZE_DDL)
        lh.create_table(hand, BRONZE_DDL)
        onboard_specs(lh, [spec("fact_events", "events")], now=datetime.now(UTC))
        append(b.spark, bronze, 0, rows, hour=INITIAL_HOURS, hours=INITIAL_HOURS)

        def framework(step: str) -> None:
            for name, seconds in (b.run(lh).rows[0].step_seconds or {}).items():
                steps[step].setdefault(name, []).append(seconds)

        def both(step: str, since: str) -> None:
            sides = [("framework", lambda: framework(step)), ("hand", lambda: b.spark.sql(HAND.format(gold=hand, bronze=bronze, since=since)).collect())]
            for side, fn in (sides if rep % 2 == 0 else sides[::-1]):  # alternate who goes first
                times[step][side].append(timed(fn))

        # the hand-written side keeps its watermark too: the previous load's highest ts
        both("initial", "TIMESTAMP '2025-12-01 00:00:00'")
        append(b.spark, bronze, rows, increment - increment // 2, hour=INITIAL_HOURS + 1, updates=increment // 2)
        both("increment", f"TIMESTAMP '2026-01-01 00:00:00' + INTERVAL {INITIAL_HOURS} HOURS")
        for side, table in (("hand", hand), ("framework", lh.params.gold("fact_events"))):
            metrics = b.spark.sql(f"DESCRIBE HISTORY {table} LIMIT 1").first()["operationMetrics"]
            for name in MERGE_METRICS:
                merges[side].setdefault(name, []).append(float(metrics.get(name) or 0))
        both("noop", f"TIMESTAMP '2026-01-01 00:00:00' + INTERVAL {INITIAL_HOURS + 1} HOURS")
        print(f"upsert rep {rep + 1}: " + ", ".join(f"{s} {times[s]['framework'][-1]:.1f}/{times[s]['hand'][-1]:.1f}s" for s in times), flush=True)
    lines = ["| step | hand-written dedup + MERGE (s) | framework run (s) | ratio | target | met? |", "| --- | --- | --- | --- | --- | --- |"]
    labels = {"initial": f"initial load ({rows:,} rows)", "increment": f"1 % increment ({increment // 2:,} new + {increment // 2:,} updated)", "noop": "no-op (unchanged inputs)"}
    for step, label in labels.items():
        h, f = median(times[step]["hand"]), median(times[step]["framework"])
        target = upsert_target(rows) if step != "noop" else 1.0
        lines.append(f"| {label} | {h:.2f} | {f:.2f} | {f / h:.2f}x | <= {target:.2f}x | {met(f / h <= target)} |")
    names = list(dict.fromkeys(n for step in steps.values() for n in step))
    lines += ["", "Where the framework's run goes (`gold_run_audit.step_seconds`, medians; the rest is the per-run "
              "bookkeeping: control read, audit append and state UPDATE side by side, and the run's own set-up):", "",
              "| step | " + " | ".join(labels[s].split(" (")[0] for s in labels) + " |", "| --- |" + " --- |" * len(labels)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(f"{median(steps[s].get(name, [0.0])):.2f}" for s in labels) + " |")
    rest = [median(times[s]["framework"]) - sum(median(steps[s].get(n, [0.0])) for n in names) for s in labels]
    lines.append("| the rest (per run) | " + " | ".join(f"{r:.2f}" for r in rest) + " |")
    lines += ["", "The increment's MERGE as Delta reports it (its commit's `operationMetrics`, medians):", "",
              "| metric | hand-written | framework |", "| --- | --- | --- |"]
    for name in MERGE_METRICS:
        lines.append(f"| {name} | {median(merges['hand'][name]):,.0f} | {median(merges['framework'][name]):,.0f} |")
    return lines


def bench_refresh(b: Bench, gold_rows: int) -> list[str]:
    increment, full = [], []
    lh = b.lakehouse()
    bronze = lh.params.bronze("facts")
    lh.create_table(bronze, BRONZE_DDL)
    onboard_specs(lh, [spec("fact_big", "facts", load_type="fact_insert", sequence_by=None)], now=datetime.now(UTC))
    append(b.spark, bronze, 0, gold_rows, hour=INITIAL_HOURS, hours=INITIAL_HOURS)
    b.run(lh)
    next_id = gold_rows
    for rep in range(b.reps):
        append(b.spark, bronze, next_id, gold_rows // 100, hour=INITIAL_HOURS + 1 + rep)
        next_id += gold_rows // 100
        increment.append(timed(lambda: b.run(lh)))
        full.append(timed(lambda: b.run(lh, full_refresh=True)))
        print(f"refresh rep {rep + 1}: increment {increment[-1]:.1f}s, full refresh {full[-1]:.1f}s", flush=True)
    i, f = median(increment), median(full)
    return [
        "| measure | 1 % increment (s) | full refresh (s) | ratio | target | met? |", "| --- | --- | --- | --- | --- | --- |",
        f"| fact_insert Gold of {gold_rows:,} rows, increment {gold_rows // 100:,} rows | {i:.2f} | {f:.2f} | {i / f:.2f}x | <= 0.10x | {met(i / f <= 0.10)} |",
    ]


class Profile:
    """Seconds and Spark jobs per step of a run (one table at a time: ``parallel=1``).

    Wraps the engine's step timer and the runner's bookkeeping calls (the control read; the audit
    append and state UPDATE, written side by side by ``record_run``) for the benchmark's
    lifetime, counting the session's jobs (``statusTracker``, classic session) at each boundary.
    """

    BOOKKEEPING = ("read_control", "record_run")

    def __init__(self, spark):
        import framework.engine.runner as runner
        from framework.engine.steps import StepTimer

        self.tracker = spark.sparkContext.statusTracker()
        self._jvm = spark.sparkContext._jvm
        self.seconds: dict[str, list[float]] = {}
        self.jobs: dict[str, list[int]] = {}
        self.recording = False
        original_step = StepTimer.step
        profile = self

        @contextmanager
        def step(timer, name):
            with profile.measure(name), original_step(timer, name):
                yield

        StepTimer.step = step
        for name in self.BOOKKEEPING:
            setattr(runner, name, self.wrapped(name, getattr(runner, name)))

    def job_count(self) -> int:
        """The highest job id so far: ids only grow, while the tracker forgets old jobs.

        Taken in the JVM: pyspark's ``getJobIdsForGroup`` copies the id array one py4j call per
        element (up to ``spark.ui.retainedJobs``, 1,000), which cost seconds per profiled run.
        """
        ids = self.tracker._jtracker.getJobIdsForGroup(None)
        return self._jvm.java.util.Arrays.stream(ids).max().orElse(-1)

    @contextmanager
    def measure(self, name: str):
        jobs, start = self.job_count(), time.perf_counter()
        try:
            yield
        finally:
            if self.recording:
                self.seconds.setdefault(name, []).append(time.perf_counter() - start)
                self.jobs.setdefault(name, []).append(self.job_count() - jobs)

    def wrapped(self, name: str, fn):
        def call(*args, **kwargs):
            with self.measure(name):
                return fn(*args, **kwargs)
        return call


def bench_fixed(b: Bench, tables: int = 8) -> list[str]:
    """Per-table cost as the slope between a run of one tiny table and a run of ``tables`` of them
    (the per-run bookkeeping is paid once by both), with new data and unchanged inputs."""
    lh = b.lakehouse()
    names = [f"fact_tiny_{i}" for i in range(tables)]
    for i, name in enumerate(names):
        lh.create_table(lh.params.bronze(f"tiny_{i}"), BRONZE_DDL)
    onboard_specs(lh, [spec(name, f"tiny_{i}") for i, name in enumerate(names)], now=datetime.now(UTC))

    def fresh(which: list[int], hour: int) -> None:
        for i in which:
            append(b.spark, lh.params.bronze(f"tiny_{i}"), 100 * hour, 10, hour=hour)

    fresh(list(range(tables)), 1)
    b.run(lh)  # creates the Gold tables
    profile = Profile(b.spark)
    t: dict[str, list[float]] = {k: [] for k in ("one", "all", "all2", "noop_one", "noop_all")}
    hour = 2
    for rep in range(max(b.reps, 3)):
        fresh([0], hour)
        t["one"].append(timed(lambda: b.run(lh, tables=[names[0]])))
        t["noop_one"].append(timed(lambda: b.run(lh, tables=[names[0]])))
        fresh(list(range(tables)), hour + 1)
        t["all"].append(timed(lambda: b.run(lh)))
        t["noop_all"].append(timed(lambda: b.run(lh)))
        fresh(list(range(tables)), hour + 2)
        t["all2"].append(timed(lambda: b.run(lh, parallel=2)))
        hour += 3
        print(f"fixed rep {rep + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in t.items()), flush=True)
    profile.recording = True  # profiled runs of their own: the profile's bookkeeping stays out of the timings
    profiled = 3
    for _ in range(profiled):
        fresh([0], hour)
        b.run(lh, tables=[names[0]])
        hour += 1
    profile.recording = False
    m = {k: median(v) for k, v in t.items()}
    per_table = (m["all"] - m["one"]) / (tables - 1)
    per_table2 = (m["all2"] - m["one"]) / (tables - 1)
    noop_table = (m["noop_all"] - m["noop_one"]) / (tables - 1)
    bookkeeping = sum(sum(profile.seconds.get(n, [])) for n in Profile.BOOKKEEPING) / profiled
    lines = [
        "| measure | seconds (median) | target | met? |", "| --- | --- | --- | --- |",
        f"| a run of 1 tiny table, new data (control read, fingerprint, read, validate, diff, MERGE, audit, state) | {m['one']:.2f} | - | - |",
        f"| a run of {tables} tiny tables, new data, one at a time | {m['all']:.2f} | - | - |",
        f"| per table, new data: ({tables} tables - 1 table) / {tables - 1} | {per_table:.2f} | - | - |",
        f"| **per table**, new data, `--parallel 2` (the CLI's default) | {per_table2:.2f} | <= 1.0 | {met(per_table2 <= 1.0)} |",
        f"| per run: 1 table's run - per table | {m['one'] - per_table:.2f} | - | - |",
        f"| **per-run bookkeeping** (control read + audit append and state UPDATE side by side; profiled runs) | {bookkeeping:.2f} | <= 0.5 | {met(bookkeeping <= 0.5)} |",
        f"| **per table**, unchanged inputs (no-op): ({m['noop_all']:.2f} s - {m['noop_one']:.2f} s) / {tables - 1} | {noop_table:.2f} | <= 0.3 | {met(noop_table <= 0.3)} |",
        "", "The run of one table with new data, step by step (seconds and Spark jobs per run, the mean of "
        f"{profiled} more runs; steps as in `gold_run_audit.step_seconds`, bookkeeping from the runner):", "",
        "| step | seconds | Spark jobs |", "| --- | --- | --- |",
    ]
    for name in profile.seconds:
        lines.append(f"| {name} | {sum(profile.seconds[name]) / profiled:.3f} | {sum(profile.jobs[name]) / profiled:.1f} |")
    return lines


def bench_validation(b: Bench, rows: int) -> list[str]:
    from framework.engine.batch_stats import stat_measures
    from framework.engine.validate import check_measures, validate
    from framework.metadata.spec import TableSpec

    s = TableSpec.from_dict(spec("fact_v", "v"))
    batch = b.spark.range(rows).selectExpr(
        "id", "concat('n', id % 1000) AS name", "CAST(id % 997 AS DECIMAL(18,6)) AS amount",
        "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", "TIMESTAMP '2026-01-01 00:00:00' AS ts",
        "TIMESTAMP '2026-01-01 00:00:00' AS _hm_sequence", "false AS _hm_is_delete", "1 AS _hm_source_rows",
    ).localCheckpoint(eager=True)
    # the same aggregate validate()'s pass computes: the batch statistics (counts, the key range the
    # diff and the MERGE prune with) and every check's count; what validate() adds is pandera's verdict and the split
    def one_pass():  # built per run, as a script builds its query each run
        return [c.alias(f"m{i}") for i, (_, c) in enumerate(stat_measures(s, None) + check_measures(s, batch, deduplicated=True))]
    validate(s, batch, deduplicated=True)  # pandera's first verdict in a process imports its backends (~0.1 s)
    framework, baseline = [], []
    for _ in range(max(b.reps, 5)):  # cheap: more repetitions for a steadier median
        framework.append(timed(lambda: validate(s, batch, deduplicated=True)))  # as the engine calls it
        baseline.append(timed(lambda: batch.agg(*one_pass()).first()))
    f, a = median(framework), median(baseline)
    return [
        "| measure | one aggregate pass (s) | validate(): pandera verdict + split (s) | ratio | target | met? |", "| --- | --- | --- | --- | --- | --- |",
        f"| {len(s.checks)} checks + not-null + key range on {rows:,} deduplicated rows ({len(framework)} repetitions) | {a:.2f} | {f:.2f} | {f / a:.2f}x | <= 1.2x | {met(f / a <= 1.2)} |",
    ]


def _noop_home(home: Path) -> None:
    """A lakehouse with one tiny table hydrated: a later `healthmon run --table` finds nothing new."""
    from framework.engine.context import Context as _Context

    spark = local_spark(home)
    lh = Lakehouse(spark, RunParams(), home)
    lh.bootstrap()
    lh.create_table(lh.params.bronze("tiny"), BRONZE_DDL)
    onboard_specs(lh, [spec("fact_tiny", "tiny")], now=datetime.now(UTC))
    append(spark, lh.params.bronze("tiny"), 0, 10, hour=1)
    assert not run(_Context(lh)).failed
    spark.stop()


def bench_startup(reps: int) -> list[str]:
    """Cold commands in new processes: `SELECT 1` with the JVM's class archive (as `make setup`
    leaves it) and without it, and a `run --table` with nothing new against that `SELECT 1`."""
    home = Path(tempfile.mkdtemp(prefix="hm-bench-start-"))
    healthmon = str(ROOT / ".venv" / "bin" / "healthmon")
    select = [healthmon, "sql", "SELECT 1", "--home", str(home)]
    noop = [healthmon, "run", "--table", "fact_tiny", "--home", str(home)]
    _noop_home(home)
    subprocess.run(select, check=True, capture_output=True)
    off = {**os.environ, "HEALTHMON_NO_CLASS_ARCHIVE": "1"}
    with_archive, without, noop_runs = [], [], []
    for _ in range(reps):
        with_archive.append(timed(lambda: subprocess.run(select, check=True, capture_output=True)))
        noop_runs.append(timed(lambda: subprocess.run(noop, check=True, capture_output=True)))
        without.append(timed(lambda: subprocess.run(select, check=True, capture_output=True, env=off)))
    shutil.rmtree(home, ignore_errors=True)
    cold, extra = median(with_archive), median(noop_runs) - median(with_archive)
    return ["| measure | seconds (median) | target | met? |", "| --- | --- | --- | --- |",
            f"| `healthmon sql \"SELECT 1\"`, cold (new process, no server), with the class archive | {cold:.2f} | <= 5 | {met(cold <= 5)} |",
            f"| the same without the class archive (`HEALTHMON_NO_CLASS_ARCHIVE=1`) | {median(without):.2f} | - | - |",
            f"| `healthmon run --table T`, nothing new, cold | {median(noop_runs):.2f} | - | - |",
            f"| **its cost beyond `SELECT 1`** | {extra:.2f} | <= 2 | {met(extra <= 2)} |"]


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _load(values) -> str:
    return ", ".join(f"{x:.1f}" for x in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000000,5000000", help="comma-separated sizes of the upsert measure")
    parser.add_argument("--gold-rows", type=int, default=5_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="upsert,refresh,fixed,validation,startup")
    parser.add_argument("--no-deletion-vectors", action="store_true",
                        help="the benchmarked tables' metadata says deletion_vectors: false (prints, writes no section)")
    args = parser.parse_args()
    if args.no_deletion_vectors:
        SPEC_OVERRIDES["deletion_vectors"] = False
    chosen = set(args.only.split(","))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    command = "`.venv/bin/python benchmarks/hydration.py " + " ".join(sys.argv[1:]) + "`"
    started, load_before = datetime.now(UTC), os.getloadavg()
    sections: dict[str, list[str]] = {}
    if "startup" in chosen:  # first: a cold start with no other JVM of this script alive
        sections["startup"] = bench_startup(args.reps)
    if chosen & {"upsert", "refresh", "fixed", "validation"}:
        b = Bench(args.reps)
        sizes = [int(n) for n in str(args.rows).split(",")]
        if "upsert" in chosen:
            sections["upsert"] = [line for n in sizes for line in [f"**{n:,} rows**", "", *bench_upsert(b, n), ""]]
        if "refresh" in chosen:
            sections["refresh"] = bench_refresh(b, args.gold_rows)
        if "fixed" in chosen:
            sections["fixed"] = bench_fixed(b)
        if "validation" in chosen:
            sections["validation"] = bench_validation(b, sizes[0])
        b.spark.stop()
        shutil.rmtree(b.home, ignore_errors=True)
    header = [f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine} with {command}; medians of {args.reps} repetitions; "
              f"load average before {_load(load_before)}, after {_load(os.getloadavg())} "
              "(the machine is shared: compare the figures within a section, not across days).", ""]
    for name, lines in sections.items():
        if not SPEC_OVERRIDES:  # the sections hold the metadata's defaults
            write_section(ROOT / "docs" / "benchmarks.md", f"hydration-{name}", header + lines)
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()

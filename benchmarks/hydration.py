"""Benchmarks of issue #8: the framework against what it replaces, side by side, in one run.

Every measure runs both sides alternately (``--reps`` repetitions, medians), in one local session
where that is fair (same JVM, same warm caches), and writes its section of docs/benchmarks.md
with the machine, the date and the exact command:

    .venv/bin/python benchmarks/hydration.py [--rows 1000000] [--gold-rows 5000000] [--reps 3]
        [--only upsert,refresh,fixed,validation,startup,demo]

- upsert: framework run vs a hand-written row_number() dedup + one MERGE with a watermark filter
  (what a competent engineer writes), initial load, 1 % increment, no-op;
- refresh: a 1 % increment into a big Gold fact vs a full refresh of it (both the framework);
- fixed: one tiny table's run on a warm session (bookkeeping + plan + validation + MERGE), and its
  no-op run; per-step seconds from the audit rows, and the Spark jobs each step launched;
- validation: validate() (pandera verdict + split) vs one aggregate pass computing the same checks;
- startup: one cold `healthmon sql "SELECT 1"` (a new process, no server running);
- demo: the second `healthmon demo` on a fresh home (2 cores, incl. Spark start) and the peak
  resident memory of its process tree (driver JVM + Python).
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
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.sections import write_section  # noqa: E402
from framework.engine.context import Context  # noqa: E402
from framework.engine.runner import run  # noqa: E402
from framework.metadata.onboarding import onboard_specs  # noqa: E402
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


def spec(table: str, source: str, **overrides) -> dict:
    base = {
        "table_name": table, "domain": "bench", "source_table": "${catalog}.${bronze_schema}." + source,
        "load_type": "fact_upsert", "primary_keys": ["id"], "sequence_by": "ts", "watermark_column": "ts",
        "lookback": "1 hour", "columns": COLUMNS, "checks": CHECKS,
    }
    return {**base, **overrides}


HAND = """
MERGE INTO {gold} t
USING (
  SELECT id, name, CAST(amount AS DECIMAL(18,6)) AS amount, event_date, ts FROM (
    SELECT *, row_number() OVER (PARTITION BY id ORDER BY ts DESC, name DESC) AS rn
    FROM {bronze} WHERE ts >= CAST('{since}' AS TIMESTAMP) - INTERVAL 1 HOUR) WHERE rn = 1
) s ON t.id = s.id
WHEN MATCHED AND s.ts >= t.ts THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
"""


def append(spark, table: str, first_id: int, count: int, hour: int, updates: int = 0) -> None:
    at = f"TIMESTAMP '2026-01-01 00:00:00' + make_interval(0, 0, 0, 0, {hour}, 0, 0)"
    df = spark.range(first_id, first_id + count).selectExpr(
        "id", "concat('n', id % 1000) AS name", "CAST(id % 997 AS DECIMAL(18,6)) AS amount",
        "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", f"{at} AS ts")
    if updates:
        df = df.unionByName(spark.range(0, updates).selectExpr(
            "id", "'updated' AS name", "CAST(1 AS DECIMAL(18,6)) AS amount",
            "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", f"{at} AS ts"))
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


def bench_upsert(b: Bench, rows: int) -> list[str]:
    increment = rows // 100
    times: dict[str, dict[str, list[float]]] = {s: {"hand": [], "framework": []} for s in ("initial", "increment", "noop")}
    for rep in range(b.reps):
        lh = b.lakehouse()
        bronze, hand = lh.params.bronze("events"), lh.params.gold("hand_events")
        lh.create_table(bronze, BRONZE_DDL)
        lh.create_table(hand, BRONZE_DDL)
        onboard_specs(lh, [spec("fact_events", "events")], now=datetime.now(UTC))
        append(b.spark, bronze, 0, rows, hour=1)

        def both(step: str, since: str) -> None:
            sides = [("framework", lambda: b.run(lh)), ("hand", lambda: b.spark.sql(HAND.format(gold=hand, bronze=bronze, since=since)).collect())]
            for side, fn in (sides if rep % 2 == 0 else sides[::-1]):  # alternate who goes first
                times[step][side].append(timed(fn))

        both("initial", "2025-12-31 00:00:00")
        append(b.spark, bronze, rows, increment - increment // 2, hour=2, updates=increment // 2)
        both("increment", "2026-01-01 01:00:00")
        both("noop", "2026-01-01 02:00:00")
        print(f"upsert rep {rep + 1}: " + ", ".join(f"{s} {times[s]['framework'][-1]:.1f}/{times[s]['hand'][-1]:.1f}s" for s in times), flush=True)
    lines = ["| step | hand-written dedup + MERGE (s) | framework run (s) | ratio | target |", "| --- | --- | --- | --- | --- |"]
    labels = {"initial": f"initial load ({rows:,} rows)", "increment": f"1 % increment ({increment // 2:,} new + {increment // 2:,} updated)", "noop": "no-op (unchanged inputs)"}
    for step, label in labels.items():
        h, f = median(times[step]["hand"]), median(times[step]["framework"])
        lines.append(f"| {label} | {h:.2f} | {f:.2f} | {f / h:.2f}x | <= 1.10x |")
    return lines


def bench_refresh(b: Bench, gold_rows: int) -> list[str]:
    increment, full = [], []
    lh = b.lakehouse()
    bronze = lh.params.bronze("facts")
    lh.create_table(bronze, BRONZE_DDL)
    onboard_specs(lh, [spec("fact_big", "facts", load_type="fact_insert", sequence_by=None)], now=datetime.now(UTC))
    append(b.spark, bronze, 0, gold_rows, hour=1)
    b.run(lh)
    next_id = gold_rows
    for rep in range(b.reps):
        append(b.spark, bronze, next_id, gold_rows // 100, hour=2 + rep)
        next_id += gold_rows // 100
        increment.append(timed(lambda: b.run(lh)))
        full.append(timed(lambda: b.run(lh, full_refresh=True)))
        print(f"refresh rep {rep + 1}: increment {increment[-1]:.1f}s, full refresh {full[-1]:.1f}s", flush=True)
    i, f = median(increment), median(full)
    return [
        "| measure | 1 % increment (s) | full refresh (s) | ratio | target |", "| --- | --- | --- | --- | --- |",
        f"| fact_insert Gold of {gold_rows:,} rows, increment {gold_rows // 100:,} rows | {i:.2f} | {f:.2f} | {i / f:.2f}x | <= 0.10x |",
    ]


def bench_fixed(b: Bench) -> list[str]:
    lh = b.lakehouse()
    bronze = lh.params.bronze("tiny")
    lh.create_table(bronze, BRONZE_DDL)
    onboard_specs(lh, [spec("fact_tiny", "tiny")], now=datetime.now(UTC))
    append(b.spark, bronze, 0, 10, hour=1)
    b.run(lh)  # warm-up: creates the Gold table
    loads, noops, steps = [], [], []
    for rep in range(max(b.reps, 5)):
        append(b.spark, bronze, 100 + rep * 10, 10, hour=2 + rep)
        loads.append(timed(lambda: steps.append(b.run(lh).rows[0].step_seconds)))
        noops.append(timed(lambda: b.run(lh)))
    lines = [
        "| measure | seconds (median) | target |", "| --- | --- | --- |",
        f"| one tiny table, new data (control read, plan, fingerprint, read, validate, diff, MERGE, audit, state) | {median(loads):.2f} | <= 1.0 |",
        f"| the same table, unchanged inputs (no-op) | {median(noops):.2f} | <= 0.3 |",
        "", "Per step of the tiny table's run with new data (median seconds, from `gold_run_audit.step_seconds`):", "",
        "| step | seconds |", "| --- | --- |",
    ]
    for name in steps[0]:
        lines.append(f"| {name} | {median([s.get(name, 0.0) for s in steps]):.3f} |")
    return lines


def bench_validation(b: Bench, rows: int) -> list[str]:

    from framework.engine.validate import measures, validate
    from framework.metadata.spec import TableSpec

    s = TableSpec.from_dict(spec("fact_v", "v"))
    batch = b.spark.range(rows).selectExpr(
        "id", "concat('n', id % 1000) AS name", "CAST(id % 997 AS DECIMAL(18,6)) AS amount",
        "date_add(DATE '2025-01-01', CAST(id % 365 AS INT)) AS event_date", "TIMESTAMP '2026-01-01 00:00:00' AS ts",
        "TIMESTAMP '2026-01-01 00:00:00' AS _hm_sequence", "false AS _hm_is_delete", "1 AS _hm_source_rows",
    ).localCheckpoint(eager=True)
    framework, baseline = [], []
    for _ in range(b.reps):
        framework.append(timed(lambda: validate(s, batch)))
        baseline.append(timed(lambda: batch.agg(*[c.alias(f"m{i}") for i, (_, c) in enumerate(measures(s, batch))]).first()))
    f, a = median(framework), median(baseline)
    return [
        "| measure | one aggregate pass (s) | validate(): pandera verdict + split (s) | ratio | target |", "| --- | --- | --- | --- | --- |",
        f"| {len(s.checks)} checks + not-null + key uniqueness on {rows:,} rows | {a:.2f} | {f:.2f} | {f / a:.2f}x | <= 1.2x |",
    ]


def bench_startup(reps: int) -> list[str]:
    home = Path(tempfile.mkdtemp(prefix="hm-bench-start-"))
    cmd = [str(ROOT / ".venv" / "bin" / "healthmon"), "sql", "SELECT 1", "--home", str(home)]
    subprocess.run(cmd, check=True, capture_output=True)  # the first one creates the lakehouse
    times = [timed(lambda: subprocess.run(cmd, check=True, capture_output=True)) for _ in range(reps)]
    shutil.rmtree(home, ignore_errors=True)
    return ["| measure | seconds (median) | target |", "| --- | --- | --- |",
            f"| `healthmon sql \"SELECT 1\"`, cold (new process, no server) | {median(times):.2f} | <= 6 |"]


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        todo.extend(children.get(p, []))
    return total


def bench_demo() -> list[str]:
    home = Path(tempfile.mkdtemp(prefix="hm-bench-demo-"))
    cmd = [str(ROOT / ".venv" / "bin" / "healthmon"), "demo", "--home", str(home)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    tables = sum(1 for line in out.decode().splitlines() if "SUCCEEDED" in line)
    shutil.rmtree(home, ignore_errors=True)
    return ["| measure | figure | target |", "| --- | --- | --- |",
            f"| second `healthmon demo` ({tables} tables succeeded), incl. Spark start | {seconds:.1f} s | <= 180 s |",
            f"| peak resident memory of its process tree (driver JVM + Python) | {peak / 2**30:.2f} GiB | <= 4 GiB |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--gold-rows", type=int, default=5_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="upsert,refresh,fixed,validation,startup,demo")
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    command = "`.venv/bin/python benchmarks/hydration.py " + " ".join(sys.argv[1:]) + "`"
    header = [f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine} with {command}; medians of {args.reps} repetitions.", ""]
    sections: dict[str, list[str]] = {}
    if chosen & {"upsert", "refresh", "fixed", "validation"}:
        b = Bench(args.reps)
        if "upsert" in chosen:
            sections["upsert"] = bench_upsert(b, args.rows)
        if "refresh" in chosen:
            sections["refresh"] = bench_refresh(b, args.gold_rows)
        if "fixed" in chosen:
            sections["fixed"] = bench_fixed(b)
        if "validation" in chosen:
            sections["validation"] = bench_validation(b, args.rows)
        b.spark.stop()
        shutil.rmtree(b.home, ignore_errors=True)
    if "startup" in chosen:
        sections["startup"] = bench_startup(args.reps)
    if "demo" in chosen:
        sections["demo"] = bench_demo()
    for name, lines in sections.items():
        write_section(ROOT / "docs" / "benchmarks.md", f"hydration-{name}", header + lines)
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()

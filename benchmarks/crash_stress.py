"""Crash stress: kill real runner processes at every step boundary and at random moments, re-run,
and compare every Gold table with a run that never crashed (SPEC §6; issue 18, point 1).

Not part of the test suite (a trial is two processes, each starting a JVM); tests/spark/
test_recovery.py runs the in-process share of it on every CI run. Each trial:

1. one process: a fresh lakehouse, demo batch 1 of the sources of TABLES, a run, demo batch 2,
   then a run that dies: at a failpoint of fact_usage (``HEALTHMON_FAILPOINT=<point>@fact_usage:kill``,
   the process sends itself SIGKILL there) or, for a "random" trial, by SIGKILL from this script after a random
   delay (mid-MERGE, mid-commit, anywhere);
2. a new process re-runs the same tables;
3. a checker process compares every Gold table (full contents, the engine's run columns left
   out) with the reference lakehouse (same flow, no crash), counts lost and duplicated rows, and
   reads the quarantine (no row twice) and the audit (the recovery named where Gold was ahead).

    .venv/bin/python benchmarks/crash_stress.py --trials 20 --seed 7   # figures -> docs/reliability.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from framework.engine.failpoints import POINTS  # noqa: E402

TABLES = ["fact_list_prices", "fact_usage", "dim_sku", "dim_workspace", "dim_job", "fact_node_timeline"]
# A failpoint trial dies where this table reaches the point: it has new rows in every batch and
# runs after the table it joins, so the tables before it have committed (or not) by then.
KILLED_AT = "fact_usage"
KILLED_AT_POINT = {"between_gold_commits": "dim_job"}  # a point only a table writing two Gold tables (scd2) reaches
REPORT = ROOT / "docs" / "reliability.md"
TIMEOUT = 900

# One process: the flow up to the run that may die (stage "crash"), or the re-run (stage "rerun").
DRIVER = r"""
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from framework.demo.bronze import append_batch
from framework.engine.context import Context
from framework.engine.runner import run
from framework.onboarding.onboard import load_file, onboard_specs
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from framework.platform.session import local_spark
from framework.platform.source_schemas import source_tables
home, stage, tables, failpoint = Path(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
spark = local_spark(home, app_name="crash-stress", quick_jit=True)
lh = Lakehouse(spark, RunParams(), home)
clock = lambda: datetime(2026, 2, 1, 12, tzinfo=UTC)
ids = iter(f"{stage}-{i}" for i in range(100))
def hydrate():
    return run(Context(lh, clock=clock, run_id_factory=lambda: next(ids)), tables=tables, parallel=2)
lh.bootstrap()  # a new process: the local catalog's registrations restored
if stage == "crash":
    entries = [r for f in sorted((Path.cwd() / "control_tables").glob("*.yml")) for r in load_file(f) if r["table_name"] in tables]
    names = {r["source_table"].rsplit(".", 1)[-1] for r in entries}
    by_name = {t.name: k for k, t in source_tables().items()}
    sources = sorted(by_name[n] for n in names if n in by_name)
    append_batch(lh, 1, tables=sources)
    onboard_specs(lh, entries, now=clock(), user="stress")
    hydrate()
    append_batch(lh, 2, tables=sources)
    print("READY", flush=True)  # the run that may die starts now
    if failpoint:
        import os
        os.environ["HEALTHMON_FAILPOINT"] = failpoint  # armed for this run only, not for the set-up's
hydrate()
print("DONE", flush=True)
"""

# One process: every trial's Gold tables, quarantine and audit against the reference's.
CHECKER = r"""
import json, sys
from collections import Counter
from pathlib import Path
from framework.platform.session import local_spark
reference, homes, tables = Path(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
spark = local_spark(Path(sys.argv[4]), app_name="crash-check", quick_jit=True)
def rows(home, schema, table, leave_out=("_hm_run_id", "_hm_updated_at")):
    folder = Path(home) / "tables" / schema / table
    if not (folder / "_delta_log").exists():
        return None
    df = spark.read.format("delta").load(str(folder))
    return Counter(json.dumps({k: v for k, v in r.asDict(recursive=True).items() if k not in leave_out}, sort_keys=True, default=str)
                   for r in df.collect())
def gold_tables(home):
    return sorted(p.name for p in (Path(home) / "tables" / "gold").iterdir() if (p / "_delta_log").exists())
expected = {t: rows(reference, "gold", t) for t in gold_tables(reference)}
out = {}
for home in homes:
    found = {t: rows(home, "gold", t) for t in expected}
    lost = sum(sum((expected[t] - (found[t] or Counter())).values()) for t in expected)
    extra = sum(sum(((found[t] or Counter()) - expected[t]).values()) for t in expected)
    q = spark.read.format("delta").load(str(Path(home) / "tables" / "control" / "gold_quarantine")).collect()
    q_dupes = sum(n - 1 for n in Counter((r.table_name, r.check_name, r.row_json) for r in q).values())
    audit = spark.read.format("delta").load(str(Path(home) / "tables" / "control" / "gold_run_audit")).collect()
    out[home] = dict(tables=len(expected), rows=sum(sum(c.values()) for c in expected.values()), lost=lost, duplicated=extra,
                     quarantine_duplicates=q_dupes, identical=lost == 0 and extra == 0,
                     recovered=sorted({r.table_name for r in audit if r.recovered_from}),
                     failed=sorted({r.table_name for r in audit if r.status not in ("SUCCEEDED",) and r.run_id.startswith("rerun")}))
print("RESULT " + json.dumps(out))
"""


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "HEALTHMON_FAILPOINT"}


def stage(home: Path, name: str, failpoint: str | None = None, kill_after: float | None = None) -> str:
    """Run one driver process; how it ended: 'done', 'killed' (by a failpoint or by us)."""
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, str(home), name, json.dumps(TABLES), failpoint or ""], cwd=ROOT, env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if kill_after is not None:
        for line in proc.stdout:  # wait until the run that may die starts, then let it run a random while
            if line.startswith("READY"):
                break
        time.sleep(kill_after)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=TIMEOUT)
    if proc.returncode == -signal.SIGKILL:
        return "killed"
    if proc.returncode != 0:
        raise SystemExit(f"{name} in {home} exited {proc.returncode}")
    return "done"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-report", action="store_true", help="print the figures, do not write docs/reliability.md")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="crash-stress-"))
    reference = work / "reference"
    stage(reference, "crash")  # the same flow, nothing armed: the run that must be matched
    trials = []
    for i in range(args.trials):
        kind = POINTS[i] if i < len(POINTS) else ("random" if i % 2 else POINTS[i % len(POINTS)])  # each point, then half random
        home = work / f"trial{i:02d}"
        delay = round(rng.uniform(1.0, 25.0), 1) if kind == "random" else None
        started = time.monotonic()
        ended = stage(home, "crash", None if kind == "random" else f"{kind}@{KILLED_AT_POINT.get(kind, KILLED_AT)}:kill", kill_after=delay)
        stage(home, "rerun")
        trials.append(dict(home=str(home), kind=kind, delay=delay, crash=ended, seconds=round(time.monotonic() - started)))
        print(f"trial {i}: {kind} {delay or ''} {ended}", flush=True)
    done = subprocess.run([sys.executable, "-c", CHECKER, str(reference), json.dumps([t["home"] for t in trials]), json.dumps(TABLES),
                           str(work / "checker")], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    results = json.loads(line[len("RESULT "):])
    for t in trials:
        t.update(results[t["home"]])
    report(trials, args)


def report(trials: list[dict], args) -> None:
    kinds = Counter(t["kind"] for t in trials)
    lines = [
        "| fault | trials | process killed | Gold tables compared | rows compared | rows lost | rows duplicated | quarantine rows twice | re-runs that named the crashed run | identical to the run without a crash |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in [*POINTS, "random"]:
        group = [t for t in trials if t["kind"] == kind]
        if not group:
            continue
        lines.append(f"| {kind} | {len(group)} | {sum(t['crash'] == 'killed' for t in group)} | {sum(t['tables'] for t in group)} | "
                     f"{sum(t['rows'] for t in group)} | {sum(t['lost'] for t in group)} | {sum(t['duplicated'] for t in group)} | "
                     f"{sum(t['quarantine_duplicates'] for t in group)} | {sum(bool(t['recovered']) for t in group)} | "
                     f"{sum(t['identical'] for t in group)} of {len(group)} |")
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    body = (f"<!-- generated by benchmarks/crash_stress.py --trials {args.trials} --seed {args.seed}, {stamp} -->\n"
            f"{len(trials)} trials ({', '.join(f'{k}: {n}' for k, n in kinds.items())}); tables: {', '.join(TABLES)}.\n\n" + "\n".join(lines) + "\n")
    print(body)
    if args.no_report:
        return
    text = REPORT.read_text()
    begin, end = "<!-- crash-stress:begin -->", "<!-- crash-stress:end -->"
    REPORT.write_text(text[: text.index(begin) + len(begin)] + "\n" + body + text[text.index(end):])


if __name__ == "__main__":
    main()

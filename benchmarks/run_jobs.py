"""Where one incremental run of one table goes: its Spark jobs, what each took, and the run's steps.

A test's run (and a small table's in production) costs seconds of which the Spark jobs are a part;
the rest is the driver planning, analysing and committing. This runs the smallest real case, an
scd1 table of a few rows hydrated once and then given one new key and one update, ``--reps`` times
in one warm session with the test suite's settings (``tests/conftest.py``), and prints for the
last repetition every job (id, submission-to-completion milliseconds, call site, Delta's
description) and for each repetition the run's wall time, the sum of its jobs' times and the
audit row's ``step_seconds``. The figures behind docs/benchmarks.md's "21 Spark jobs" paragraph.
For a CPU profile, run it under Java Flight Recorder:

    .venv/bin/python benchmarks/run_jobs.py [--reps 5]
    SPARK_SUBMIT_OPTS="-XX:StartFlightRecording=filename=run.jfr,settings=profile" .venv/bin/python benchmarks/run_jobs.py --reps 12
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from framework.platform.session import local_spark  # noqa: E402
from tests.builders import raw_spec  # noqa: E402
from tests.conftest import TEST_CONF  # noqa: E402
from tests.harness import add_rows, fresh_lakehouse, hydrate, make_source, onboard, ts  # noqa: E402

THINGS = "id STRING, name STRING, amount BIGINT, ts TIMESTAMP, is_deleted BOOLEAN"


def jobs_since(spark, first: int) -> list[tuple[int, int, str, str]]:
    """(id, milliseconds, call site, description) of every job from ``first`` on (the driver's status store)."""
    found = []
    jobs = spark.sparkContext._jsc.sc().statusStore().jobsList(None).iterator()
    while jobs.hasNext():
        job = jobs.next()
        if job.jobId() < first:
            continue
        started = job.submissionTime().get().getTime() if job.submissionTime().isDefined() else 0
        ended = job.completionTime().get().getTime() if job.completionTime().isDefined() else started
        description = job.description().get() if job.description().isDefined() else ""
        found.append((job.jobId(), ended - started, job.name()[:60], description[:70]))
    return sorted(found)


def next_job(spark) -> int:
    jobs = spark.sparkContext._jsc.sc().statusStore().jobsList(None).iterator()
    last = -1
    while jobs.hasNext():
        last = max(last, jobs.next().jobId())
    return last + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="run-jobs-"))
    spark = local_spark(home, extra_conf=TEST_CONF)
    clock = lambda: datetime(2026, 2, 1, 12, tzinfo=UTC)  # noqa: E731
    jobs = []
    for rep in range(args.reps):
        lh = fresh_lakehouse(spark, home, f"r{rep}")
        make_source(lh, "things", THINGS, [("a", "a1", 1, ts(1), False), ("b", "b1", 2, ts(1), False)])
        onboard(lh, raw_spec())
        hydrate(lh, clock)
        add_rows(lh, "things", THINGS, [("a", "a2", 3, ts(2), False), ("c", "c1", 4, ts(2), False)])
        first, started = next_job(spark), time.monotonic()
        (row,) = hydrate(lh, clock).rows
        seconds = time.monotonic() - started
        jobs = jobs_since(spark, first)
        steps = {k: round(v, 2) for k, v in (row.step_seconds or {}).items()}
        print(f"rep {rep}: {row.status}, {len(jobs)} jobs, {seconds:.2f} s, in jobs {sum(j[1] for j in jobs) / 1000:.2f} s, steps {steps}")
    for job in jobs:
        print(*job, sep="\t")
    spark.stop()


if __name__ == "__main__":
    main()

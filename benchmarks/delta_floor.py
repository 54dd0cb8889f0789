"""What one Delta operation costs on the local session, the floor under a table's run.

A table's run is a handful of Delta operations on tiny data: a scan of its source (whose version
changed since the last run), a MERGE into Gold, the history read that finds the MERGE's commit,
and the run's bookkeeping (an append to the audit table, an UPDATE of the control table). On small
data each costs its fixed part: Delta's log replay and file skipping when a plan is optimized, the
jobs of the write, the commit. This measures those fixed parts alone, on a 100-row table, each the
median of ``--reps`` repetitions in one warm session (the session the tests use:
``tests/conftest.py``'s settings), so the per-table figures in docs/benchmarks.md can be read
against them.

    .venv/bin/python benchmarks/delta_floor.py [--reps 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.hydration import median, timed  # noqa: E402
from benchmarks.sections import write_section  # noqa: E402


def measure(spark, reps: int) -> list[tuple[str, float]]:
    """(operation, median seconds) of each Delta operation a run is made of."""
    spark.sql("CREATE TABLE t (id BIGINT, v STRING) USING DELTA")
    spark.sql("CREATE TABLE g (id BIGINT, v STRING) USING DELTA")
    spark.sql("CREATE TABLE c (k STRING, w STRING) USING DELTA")
    spark.sql("INSERT INTO c VALUES ('a', '0'), ('b', '0')")

    def append(table: str, rows: int = 10):
        spark.range(rows).selectExpr("id", "CAST(id AS STRING) v").write.format("delta").mode("append").saveAsTable(table)

    append("t", 100)
    append("g", 100)
    for _ in range(3):  # warm the code paths
        append("t")
        spark.table("t").where("id > 5").localCheckpoint()
    found: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        found.setdefault(name, []).append(seconds)

    for i in range(reps):
        add("append 10 rows (the audit append)", timed(lambda: append("t")))
        add("scan + checkpoint of a table just committed to (a source with new data)",
            timed(lambda: spark.table("t").where("id > 5").localCheckpoint()))
        add("the same scan again, version unchanged", timed(lambda: spark.table("t").where("id > 5").localCheckpoint()))
        add("DESCRIBE HISTORY ... LIMIT 1 (a fingerprint's version, a MERGE's commit)",
            timed(lambda: spark.sql("DESCRIBE HISTORY t LIMIT 1").collect()))
        add("UPDATE of one row (the state update)", timed(lambda: spark.sql(f"UPDATE c SET w = '{i}' WHERE k = 'a'")))
        spark.range(100 + i * 10, 110 + i * 10).selectExpr("id", "CAST(id AS STRING) v").localCheckpoint().createOrReplaceTempView("s")
        add("MERGE of 10 new rows from a checkpoint (a Gold write)", timed(lambda: spark.sql(
            "MERGE INTO g USING s ON g.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *").collect()))
    return [(name, median(values)) for name, values in found.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    from framework.platform.session import local_spark
    from tests.conftest import TEST_CONF  # also sets the test JVM's options (SPARK_SUBMIT_OPTS)

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as home:
        spark = local_spark(home, extra_conf=TEST_CONF)
        rows = measure(spark, args.reps)
        spark.stop()
    load_after = os.getloadavg()
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {when} on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()} with "
        f"`.venv/bin/python benchmarks/delta_floor.py --reps {args.reps}`; medians; load average before "
        f"{', '.join(f'{x:.1f}' for x in load_before)}, after {', '.join(f'{x:.1f}' for x in load_after)}.",
        "",
        "| Delta operation on a 100-row table, warm session | seconds |",
        "| --- | --- |",
        *[f"| {name} | {seconds:.2f} |" for name, seconds in rows],
    ]
    write_section(ROOT / "docs" / "benchmarks.md", "delta-floor", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""`healthmon demo` as a user runs it: wall time of the first and second run and the peak memory of
the whole process tree (the Python driver and its Spark JVM), sampled while it runs.

Issue #8's targets: the second run (all onboarded tables, 2 cores, Spark start included) within
3 minutes, and peak memory (driver JVM + Python) within 4 GiB. Each run is a fresh process with a
cold JVM, in a fresh lakehouse home, exactly as ``make demo`` runs it (``make demo`` adds only the
set-up check). Memory is the sum of the resident set sizes of the command and all its
descendants, read from ``/proc`` every 0.2 s (Linux only).

    .venv/bin/python benchmarks/demo.py [--runs 2] [--home DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"
sys.path.insert(0, str(ROOT))

from benchmarks.sections import write_section  # noqa: E402

PAGE = os.sysconf("SC_PAGE_SIZE")


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) of every process now."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[1]), int(fields[21]) * PAGE)  # ppid, rss pages
        except (OSError, IndexError, ValueError):
            continue
    return found


def tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and every descendant."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, _) in processes.items():
        children.setdefault(parent, []).append(child)
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += processes.get(current, (0, 0))[1]
        todo += children.get(current, [])
    return total


def measured(command: list[str]) -> tuple[float, int, str]:
    """Run ``command``: seconds, peak tree RSS in bytes, its output."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return seconds, peak[0], output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--home", help="lakehouse home (default: a fresh temporary folder, removed after)")
    parser.add_argument("--print-output", action="store_true", help="print each run's output (the README shows the second)")
    args = parser.parse_args()
    home = Path(args.home) if args.home else Path(tempfile.mkdtemp(prefix="healthmon-demo-bench-"))
    healthmon = str(Path(sys.executable).with_name("healthmon"))
    load_before = os.getloadavg()
    rows = []
    try:
        for n in range(1, args.runs + 1):
            seconds, peak, output = measured([healthmon, "--home", str(home), "demo"])
            tables = len({line.split()[0].rstrip(":") for line in output.splitlines() if line.split()[1:2] == ["SUCCEEDED"]})
            rows.append((n, seconds, peak, tables))
            if args.print_output:
                print(output, flush=True)
            print(f"run {n}: {seconds:.1f} s, peak {peak / 2**30:.2f} GiB, {tables} tables SUCCEEDED", flush=True)
    finally:
        if not args.home:
            shutil.rmtree(home, ignore_errors=True)
    load_after = os.getloadavg()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {stamp} on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"with `.venv/bin/python benchmarks/demo.py --runs {args.runs}` (each run `healthmon demo` in a fresh "
        f"process, one lakehouse home); load average before {', '.join(f'{x:.1f}' for x in load_before)}, "
        f"after {', '.join(f'{x:.1f}' for x in load_after)}.",
        "",
        "| run | Gold tables SUCCEEDED | seconds (Spark start included) | peak memory, Python + JVM (GiB) | target |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n, seconds, peak, tables in rows:
        target = "<= 180 s, <= 4 GiB" if n == 2 else "-"
        lines.append(f"| {n} | {tables} | {seconds:.1f} | {peak / 2**30:.2f} | {target} |")
    write_section(DOC, "demo", lines)
    print(f"wrote the 'demo' section of {DOC}")


if __name__ == "__main__":
    main()

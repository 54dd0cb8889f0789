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


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, resident bytes, command name) of every process now."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[1]), int(fields[21]) * PAGE, name)  # ppid, rss pages, comm
        except (OSError, IndexError, ValueError):
            continue
    return found


def tree_rss(pid: int) -> dict[str, int]:
    """Bytes resident in ``pid`` and every descendant, by kind: the JVM ("java"), the command's own
    Python process ("driver python") and any other descendant (e.g. Spark's Python workers)."""
    processes = _processes()
    children: dict[int, list[int]] = {}
    for child, (parent, _, _) in processes.items():
        children.setdefault(parent, []).append(child)
    kinds: dict[str, int] = {}
    todo = [pid]
    while todo:
        current = todo.pop()
        _, rss, name = processes.get(current, (0, 0, ""))
        kind = "driver python" if current == pid else ("java" if name == "java" else "other")
        kinds[kind] = kinds.get(kind, 0) + rss
        todo += children.get(current, [])
    return kinds


def measured(command: list[str]) -> tuple[float, dict[str, int], str]:
    """Run ``command``: seconds, the tree's RSS by kind at its peak (bytes), its standard output.

    Standard error is kept apart: merged into one pipe, a line it wrote (a progress line, a library
    warning) could split a line of the results table, which is block-buffered, and the table's
    count of SUCCEEDED tables would come out one short."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak: list[dict[str, int]] = [{}]

    def sample() -> None:
        while process.poll() is None:
            now = tree_rss(process.pid)
            if sum(now.values()) > sum(peak[0].values()):
                peak[0] = now
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, errors = process.communicate()
    sampler.join()
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-2000:]}\n{errors[-2000:]}")
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
            seconds, kinds, output = measured([healthmon, "--home", str(home), "demo"])
            peak = sum(kinds.values())
            tables = len({line.split()[0].rstrip(":") for line in output.splitlines() if line.split()[1:2] == ["SUCCEEDED"]})
            rows.append((n, seconds, peak, tables, kinds))
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
        "| run | Gold tables SUCCEEDED | seconds (Spark start included) | peak memory, Python + JVM (GiB) | at the peak: JVM / driver Python / other (GiB) | target |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for n, seconds, peak, tables, kinds in rows:
        target = "<= 180 s, <= 4 GiB" if n == 2 else "-"
        split = " / ".join(f"{kinds.get(k, 0) / 2**30:.2f}" for k in ("java", "driver python", "other"))
        lines.append(f"| {n} | {tables} | {seconds:.1f} | {peak / 2**30:.2f} | {split} | {target} |")
    write_section(DOC, "demo", lines)
    print(f"wrote the 'demo' section of {DOC}")


if __name__ == "__main__":
    main()

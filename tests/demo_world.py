"""One shared demo run for the coverage tests: every onboarding file, two Bronze batches, a no-op run.

Hydrating the onboarded Gold tables costs seconds per table; asserting on the result costs
milliseconds. So the run happens once per test session, in one xdist worker: tests that use it
carry ``WORLD``, one xdist group, among them the Spark Connect comparison
(tests/spark/test_connect.py), which takes its classic side from this run (its Connect side runs on the
worker's own in-JVM Connect service, which needs no group). What tests compare is captured as plain
Python rows after each batch: the Bronze rows the Gold tables read and every Gold table.
Tests compute their expectations from :attr:`Snapshot.bronze` in plain Python, never with the
engine's SQL, and compare with :attr:`Snapshot.gold`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from framework.demo.bronze import DEMO_TABLES, append_batch, next_batch_number
from framework.engine.runner import RunResult
from framework.onboarding.onboard import BRONZE_PREFIX, load_file
from framework.onboarding.onboard import onboard_files as _onboard_files
from framework.platform.lakehouse import Lakehouse
from framework.platform.source_schemas import source_table, source_tables
from tests import delta_rows
from tests.harness import T0, fresh_lakehouse, hydrate, version

CONTROL = Path(__file__).resolve().parent.parent / "control_tables"
WORLD = pytest.mark.xdist_group("world")
_worlds = itertools.count(1)


def fixed_clock() -> datetime:
    """The conftest ``clock``: results that carry run timestamps are exactly assertable."""
    return datetime(2026, 2, 1, 12, 0, 0, tzinfo=UTC)


def onboarding_files() -> list[Path]:
    return sorted(CONTROL.glob("*.yml"))


def onboarded_raws(files: list[Path] | None = None) -> list[dict]:
    """Every table mapping of every onboarding file (or of ``files``), as written (before expansion)."""
    return [raw for path in (onboarding_files() if files is None else files) for raw in load_file(path)]


def onboarded_tables(files: list[Path] | None = None) -> list[str]:
    return sorted(raw["table_name"] for raw in onboarded_raws(files))


def gold_tables(files: list[Path] | None = None) -> list[str]:
    """Every Gold table the onboarded entries write: each one's table, and an scd2 dimension's
    ``<name>_history`` beside it (docs/control-table.md)."""
    raws = onboarded_raws(files)
    return sorted([r["table_name"] for r in raws] + [f"{r['table_name']}_history" for r in raws if r.get("load_type") == "scd2"])


def onboarded_sources(files: list[Path] | None = None) -> tuple[str, ...]:
    """The demo Bronze tables (``<system schema>.<name>`` keys) that the onboarded Gold tables read:
    a demo batch writes only these (each Delta commit costs about a second on 2 cores)."""
    by_name = {table.name: key for key, table in source_tables().items()}
    names = set()
    for raw in onboarded_raws(files):
        for ref in [raw.get("source_table"), *[j.get("table") for j in raw.get("joins") or []]]:
            if isinstance(ref, str) and ref.startswith(BRONZE_PREFIX):
                names.add(ref[len(BRONZE_PREFIX):])
    return tuple(sorted(by_name[name] for name in names))


def rows_of(lh: Lakehouse, full_name: str, version: int | None = None) -> list[dict]:
    """The table's rows (at ``version``: Delta time travel), read by delta-rs (tests/delta_rows.py)."""
    return [r.asDict(recursive=True) for r in delta_rows.rows(lh, full_name, version=version)]


class TableRows(Mapping):
    """Rows by table name as the tables were when this was made; each table is read the first time
    a test asks for it, at the Delta version it had then (time travel): taking a version is a file
    listing, and no test reads every table of a batch. A view has no versions of its own: it is
    read at once."""

    def __init__(self, lh: Lakehouse, names: dict[str, str]):  # short name -> full name
        self._lh, self._names = lh, names
        self._rows: dict[str, list[dict]] = {}
        self._versions: dict[str, int] = {}
        for short, full in names.items():
            if lh.local_delta_log(full) is None:
                self._rows[short] = rows_of(lh, full)
            else:
                self._versions[short] = lh.history(full, 1)[0]["version"]

    def __getitem__(self, short: str) -> list[dict]:
        if short not in self._rows:
            self._rows[short] = rows_of(self._lh, self._names[short], self._versions[short])
        return self._rows[short]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


@dataclass(frozen=True)
class Snapshot:
    """What a batch left: Bronze rows by short name (``usage``), Gold rows by table name (an scd2
    dimension's ``<name>_history`` included), each as a :class:`TableRows`."""

    bronze: Mapping[str, list[dict]]
    gold: Mapping[str, list[dict]]


@dataclass
class DemoWorld:
    lakehouse: Lakehouse
    runs: list[RunResult] = field(default_factory=list)  # batch 1, batch 2, no-op
    written: dict[str, int] = field(default_factory=dict)  # what append_batch(lakehouse, 1) reported: every demo table
    bronze_versions_after_1: dict[str, int] = field(default_factory=dict)  # demo table key -> its Delta version after batch 1
    next_batch_after_1: int = 0  # next_batch_number() between the two batches
    after: list[Snapshot] = field(default_factory=list)  # after batch 1's run, after batch 2's run
    versions_before_noop: dict[str, int] = field(default_factory=dict)
    _datasets: dict | None = field(default=None, repr=False)

    @property
    def last(self) -> Snapshot:
        return self.after[-1]

    def datasets(self) -> dict:
        """The dashboards' datasets after the whole run (views ensured, every dataset query run and
        collected), computed the first time a test asks and shared: the world does not change."""
        from framework.surfaces.report import collect
        from framework.surfaces.views import ensure_views

        if self._datasets is None:
            ensure_views(self.lakehouse)
            self._datasets = collect(self.lakehouse)
        return self._datasets

    def snapshot(self) -> Snapshot:
        lh = self.lakehouse
        by_key = source_tables()
        bronze = TableRows(lh, {by_key[key].name: lh.params.bronze(by_key[key].name) for key in onboarded_sources()})
        return Snapshot(bronze, TableRows(lh, {t: lh.params.gold(t) for t in gold_tables()}))


PARALLEL = 2  # as `healthmon run` and `make demo` run (the CLI's default): a layer's tables two at a time


def build_world(lh: Lakehouse, clock) -> DemoWorld:
    """The demo flow (as ``make demo`` runs it, tables two at a time as the CLI runs them; batch 2
    on the onboarded sources only), captured."""
    world = DemoWorld(lh)
    sources = onboarded_sources()
    # batch 1 of every demo table (tests/spark/test_demo_data.py reads the ones no Gold table reads)
    world.written = append_batch(lh, 1)
    world.bronze_versions_after_1 = {key: lh.history(lh.params.bronze(source_table(key).name), 1)[0]["version"] for key in DEMO_TABLES}
    world.next_batch_after_1 = next_batch_number(lh)
    _onboard_files(lh, onboarding_files(), now=T0)
    world.runs.append(hydrate(lh, clock, parallel=PARALLEL))
    world.after.append(world.snapshot())
    append_batch(lh, 2, tables=sources)
    world.runs.append(hydrate(lh, clock, parallel=PARALLEL))
    world.after.append(world.snapshot())
    world.versions_before_noop = {t: version(lh, t) for t in gold_tables()}
    world.runs.append(hydrate(lh, clock, parallel=PARALLEL))
    return world


@pytest.fixture(scope="session")
def demo_world(spark, home) -> DemoWorld:
    return build_world(fresh_lakehouse(spark, home, f"world{next(_worlds)}"), fixed_clock)

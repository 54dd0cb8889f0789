"""The control table as the runner sees it: typed specs, their state, and the rows that cannot run.

Reading means parsing every row into a :class:`~framework.metadata.spec.TableSpec`, validating the
set (metadata's rules and each load type's) and probing every expression with the session's
parser; rows that fail are kept apart with their issues, and are not run. That costs a scan and an
analysis per spec, so it happens once per process: the snapshot is kept and served again while the
table's history shows no commit but this process's own state updates (which the snapshot applies
as it records them). A metadata change by anyone, in any process, is seen by the next read. The
first read of a process takes no version where that costs a history read (most processes read
once: a CLI run, a job task) and the second takes it; locally the version is a file listing and the
first read takes it. From then on a read is a history check.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime

from framework.engine.loads import find_issues
from framework.engine.probe import specs_sql_issues
from framework.errors import SpecError, SpecIssue
from framework.metadata.spec import TableSpec
from framework.platform.control_columns import STATE_COLUMNS
from framework.platform.control_store import ControlRows, ControlStore, StateUpdate, TableState
from framework.platform.lakehouse import Lakehouse

METADATA_COLUMNS = tuple(TableSpec.__dataclass_fields__)


@dataclass(frozen=True)
class ControlSnapshot:
    """Everything read from the control table at the start of a run."""

    specs: dict[str, TableSpec]
    states: dict[str, TableState]
    invalid: dict[str, list[SpecIssue]]  # table -> why it cannot run
    domains: dict[str, str]  # table -> domain, for invalid rows too


def parse_rows(rows: tuple[dict, ...], spark) -> ControlSnapshot:
    """Parse every control row; rows that do not validate are kept apart with their issues."""
    specs: dict[str, TableSpec] = {}
    states: dict[str, TableState] = {}
    invalid: dict[str, list[SpecIssue]] = {}
    domains: dict[str, str] = {}
    for raw in rows:
        name = raw["table_name"]
        domains[name] = raw.get("domain")
        states[name] = TableState(**{c: raw.get(c) for c in STATE_COLUMNS})
        try:
            specs[name] = TableSpec.from_dict({k: v for k, v in raw.items() if k in METADATA_COLUMNS})
        except SpecError as exc:
            invalid[name] = exc.issues
    for issue in find_issues(list(specs.values()), known_tables=set(domains)):
        invalid.setdefault(issue.table, []).append(issue)
    for name, problems in specs_sql_issues(list(specs.values()), spark).items():
        invalid.setdefault(name, []).extend(problems)
    for name in invalid:
        specs.pop(name, None)
    return ControlSnapshot(specs, states, invalid, domains)


@dataclass
class _Cached:
    store: ControlStore
    read: ControlRows | None = None
    snapshot: ControlSnapshot | None = None


_cache: dict[tuple, _Cached] = {}
_lock = threading.Lock()


def _entry(lakehouse: Lakehouse) -> _Cached:
    """This process's store (and cached read) of ``lakehouse``'s control table on its session."""
    store = ControlStore(lakehouse)
    key = (store.table, str(lakehouse.home), id(lakehouse.spark))
    with _lock:
        return _cache.setdefault(key, _Cached(store))


def control_store(lakehouse: Lakehouse) -> ControlStore:
    return _entry(lakehouse).store


def read_control(lakehouse: Lakehouse) -> ControlSnapshot:
    """The control table's snapshot: cached per process while nothing but our own state changed."""
    entry = _entry(lakehouse)
    if entry.read is not None and entry.read.version is not None and entry.store.unchanged_since(entry.read.version)[0]:
        return entry.snapshot
    # a process that reads once needs no version, unless it costs nothing (a local log: a file listing)
    read = entry.store.read(with_version=entry.read is not None or lakehouse.local_delta_log(entry.store.table) is not None)
    snapshot = parse_rows(read.rows, lakehouse.spark)
    entry.read, entry.snapshot = read, snapshot
    return snapshot


def forget_control(lakehouse: Lakehouse) -> None:
    """Drop the cached snapshot: the next read parses the table again (after a metadata write)."""
    entry = _entry(lakehouse)
    entry.read = entry.snapshot = None


def upsert_specs(lakehouse: Lakehouse, specs: list[TableSpec], *, now: datetime, user: str | None = None) -> None:
    """Write metadata rows (new tables inserted, existing ones replaced, state kept); when the
    control table (as this process last read it: onboarding has just checked against it) holds
    none of them, by an insert-only write."""
    known = read_control(lakehouse).domains
    new_only = not any(spec.table_name in known for spec in specs)
    control_store(lakehouse).upsert_metadata([spec.to_row() for spec in specs], now=now, user=user, new_only=new_only)
    forget_control(lakehouse)


def record_states(lakehouse: Lakehouse, updates: list[StateUpdate], *, attempts: int = 6) -> None:
    """Store a run's outcomes in the control table (a lost commit race retried up to ``attempts``
    times), and in the cached snapshot alike."""
    entry = _entry(lakehouse)
    entry.store.record_states(updates, attempts=attempts)
    with _lock:  # fan-out tasks of one process record side by side
        snapshot = entry.snapshot
        if snapshot is not None:
            states = dict(snapshot.states)
            for update in updates:
                states[update.table_name] = update.applied_to(states.get(update.table_name, TableState()))
            entry.snapshot = replace(snapshot, states=states)

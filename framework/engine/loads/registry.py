"""The load types by their control-table names: the one place a name becomes behaviour.

Adding a load type is one module under :mod:`framework.engine.loads` and one line here; metadata
validation, the batch's dedup, the Gold layout and the write all ask the entry, never the name.
"""

from __future__ import annotations

from collections.abc import Mapping

from framework.engine.loads.base import LoadType
from framework.engine.loads.dimension import Dimension
from framework.engine.loads.insert_only import InsertOnly
from framework.engine.loads.snapshot import Snapshot
from framework.engine.loads.upsert import Upsert
from framework.engine.loads.view import View
from framework.errors import SpecIssue, UnknownLoadTypeError
from framework.metadata.spec import TableSpec
from framework.metadata.validation import find_issues as _find_issues
from framework.metadata.validation import raise_issues

LOADS: Mapping[str, LoadType] = {
    t.name: t
    for t in (
        Upsert("scd1", "upsert by key, latest version wins; unchanged rows are not rewritten"),
        Dimension("scd2", "a dimension: one current row per key in <name>, every version in <name>_history"),
        Upsert("fact_upsert", "keyed upsert; corrections to an existing key overwrite it"),
        InsertOnly("fact_insert", "insert-only by key; a re-delivered key is never duplicated nor overwritten"),
        Snapshot("snapshot", "the source is a full snapshot; keys absent from it are removed"),
        View("view", "another Gold table's rows under a second name: a view over it, created when absent or changed"),
    )
}


def load_of(spec: TableSpec | str) -> LoadType:
    """The load type of ``spec`` (or of that name); an unknown name lists the valid ones."""
    name = spec if isinstance(spec, str) else spec.load_type
    try:
        return LOADS[name]
    except KeyError:
        table = "" if isinstance(spec, str) else f"{spec.table_name}: "
        raise UnknownLoadTypeError(f"{table}unknown load type {name!r}; valid load types are: {', '.join(LOADS)}") from None


def meanings() -> dict[str, str]:
    """Each valid load type name and what it means (for the onboarding format's description)."""
    return {name: load.meaning for name, load in LOADS.items()}


def find_issues(specs: list[TableSpec], known_tables: set[str] | None = None) -> list[SpecIssue]:
    """Every problem of ``specs``: metadata's own rules and each spec's load type's rules."""
    return _find_issues(specs, LOADS, known_tables)


def validate_specs(specs: list[TableSpec], known_tables: set[str] | None = None) -> None:
    """Raise one SpecError listing every problem of ``specs``, or return when all are runnable."""
    raise_issues(find_issues(specs, known_tables))

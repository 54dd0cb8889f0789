"""What a Lakeview dashboard does with a dataset's rows between the query and the tile: its global
filters, and a widget's fields (plain columns and aggregates).

On Databricks, Lakeview applies a filter widget to every dataset the widget binds (a field per
dataset: ``queries[].query.datasetName`` and its one field) before any tile aggregates, and a
widget whose query is not ``disaggregated`` groups by its plain fields and aggregates the rest
(``SUM(`col`)``). ``healthmon report`` reproduces both over the rows of the dashboard's own dataset
queries, so a report filtered to a domain shows what the dashboard filtered to that domain shows.
Pure Python: the rows are already collected (:mod:`framework.surfaces.dashboards`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from framework.errors import DashboardError

MULTI_SELECT = "filter-multi-select"
DATE_RANGE = "filter-date-range-picker"
FIELD = re.compile(r"`([^`]+)`")  # a dataset column as a widget expression names it
_AGGREGATE = re.compile(r"(SUM|COUNT|MIN|MAX)\(`([^`]+)`\)", re.IGNORECASE)


@dataclass(frozen=True)
class Filter:
    """One filter widget: its name, kind, title and the field it filters in each dataset it binds."""

    name: str
    kind: str
    title: str
    fields: Mapping[str, str]  # dataset name -> field


@dataclass(frozen=True)
class Selection:
    """What a reader picked on the filters page: values by field for multi-selects (``domain``,
    ``table_name``) and an inclusive date range for the date-range picker. Empty: everything."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: tuple[date | None, date | None] = (None, None)

    def describe(self) -> str:
        """One line for a page header: ``domain: billing · run dates 2026-02-01..``."""
        parts = [f"{name}: {', '.join(picked)}" for name, picked in self.values.items() if picked]
        if self.dates != (None, None):
            start, end = (d.isoformat() if d else "" for d in self.dates)
            parts.append(f"run dates {start}..{end}")
        return " · ".join(parts) or "everything"


EVERYTHING = Selection()


def filters(dashboard: dict) -> list[Filter]:
    """Every filter widget of every page (the global filters page and page-level ones)."""
    found = []
    for page in dashboard["pages"]:
        for entry in page.get("layout", []):
            widget = entry["widget"]
            kind = widget.get("spec", {}).get("widgetType", "")
            if not kind.startswith("filter-"):
                continue
            bound = {}
            for query in widget["queries"]:
                # a filter exported from the Lakeview editor adds a `<field>_associativity` count
                names = [f["name"] for f in query["query"]["fields"] if not f["name"].endswith("_associativity")]
                if len(names) != 1:
                    raise DashboardError(f"filter widget {widget['name']!r}: one field per dataset expected, found {names}")
                bound[query["query"]["datasetName"]] = names[0]
            title = widget["spec"].get("frame", {}).get("title", widget["name"])
            found.append(Filter(widget["name"], kind, title, bound))
    return found


def check_selection(selection: Selection, dashboard_filters: Iterable[Filter], known: Mapping[str, set]) -> None:
    """Refuse a pick no filter can apply, or a value that does not exist (``known``: field ->
    every value the unfiltered rows hold): a misspelt domain must not give an empty report."""
    kinds = {(f.kind, name) for f in dashboard_filters for name in f.fields.values()}
    for name, picked in selection.values.items():
        if picked and (MULTI_SELECT, name) not in kinds:
            raise DashboardError(f"the dashboard has no filter on {name!r}")
        unknown = sorted(set(picked) - known.get(name, set()))
        if unknown:
            raise DashboardError(f"no {name} {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known.get(name, set()))) or 'none'}")
    if selection.dates != (None, None) and not any(f.kind == DATE_RANGE for f in dashboard_filters):
        raise DashboardError("the dashboard has no date-range filter")
    start, end = selection.dates
    if start and end and start > end:
        raise DashboardError(f"the date range starts after it ends: {start}..{end}")


def filtered(rows: list[dict], dataset: str, dashboard_filters: Iterable[Filter], selection: Selection) -> list[dict]:
    """The dataset's rows that every filter binding it lets through (order kept)."""
    tests = []
    for flt in dashboard_filters:
        column = flt.fields.get(dataset)
        if column is None:
            continue
        if flt.kind == MULTI_SELECT and selection.values.get(column):
            picked = set(selection.values[column])
            tests.append(lambda row, c=column, p=picked: row[c] in p)
        elif flt.kind == DATE_RANGE and selection.dates != (None, None):
            tests.append(lambda row, c=column: _within(row[c], *selection.dates))
    return [row for row in rows if all(test(row) for test in tests)]


def _within(value, start: date | None, end: date | None) -> bool:
    if value is None:
        return False
    day = value.date() if isinstance(value, datetime) else value
    return (start is None or day >= start) and (end is None or day <= end)


def aggregates(widget: dict) -> bool:
    """Whether a (non-filter) widget groups and aggregates its dataset's rows (not ``disaggregated``)."""
    kind = widget.get("spec", {}).get("widgetType", "")
    return bool(widget.get("queries")) and not kind.startswith("filter-") and not widget["queries"][0]["query"].get("disaggregated", True)


def widget_rows(widget: dict, rows: list[dict]) -> list[dict]:
    """A widget's own rows from its dataset's (filtered) rows: each field by its expression, a
    plain ```col``` or ``SUM``/``COUNT``/``MIN``/``MAX`` of one; not ``disaggregated``, grouped by
    the plain fields in first-seen order (a widget of aggregates alone is one row, as in SQL)."""
    (query,) = widget["queries"]
    fields = [(f["name"], _parse(widget["name"], f["expression"])) for f in query["query"]["fields"]]
    if query["query"].get("disaggregated", True):
        return [{name: row[column] for name, (_, column) in fields} for row in rows]
    keys = [(name, column) for name, (function, column) in fields if function is None]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row[c] for _, c in keys), []).append(row)
    if not keys and not groups:
        groups[()] = []
    out = []
    for values, members in groups.items():
        key = dict(zip((name for name, _ in keys), values))
        out.append({name: key[name] if function is None else _aggregate(function, [r[column] for r in members])
                    for name, (function, column) in fields})
    return out


def _parse(widget: str, expression: str) -> tuple[str | None, str]:
    whole = expression.strip()
    match = _AGGREGATE.fullmatch(whole)
    if match:
        return match.group(1).upper(), match.group(2)
    match = FIELD.fullmatch(whole)
    if match:
        return None, match.group(1)
    raise DashboardError(f"widget {widget!r}: the report evaluates a plain `column` or SUM/COUNT/MIN/MAX of one, not {expression!r}")


def _aggregate(function: str, values: list):
    present = [v for v in values if v is not None]
    if function == "COUNT":
        return len(present)
    if not present:
        return None  # SQL: an aggregate over no values is NULL
    return {"SUM": sum, "MIN": min, "MAX": max}[function](present)

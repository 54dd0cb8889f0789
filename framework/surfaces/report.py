"""`healthmon report`: one self-contained folder, ``index.html`` plus PNG charts.

The numbers come from the dashboard's own dataset queries (:mod:`framework.surfaces.dashboards`),
narrowed and aggregated as the dashboard's filters and widgets do (:mod:`framework.surfaces.lakeview`),
so the report and the Lakeview dashboard never disagree, filtered or not. Charts are drawn with matplotlib's Agg canvas
through :class:`matplotlib.figure.Figure` (no pyplot, no global backend state). A chart whose
dataset has no rows is not drawn; the page says so instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from framework.errors import DashboardError
from framework.platform.lakehouse import Lakehouse
from framework.surfaces.dashboards import Dataset, Result, datasets, load_dashboard, run_dataset, widgets
from framework.surfaces.lakeview import EVERYTHING, Selection, aggregates, check_selection, filtered, filters, widget_rows

RED, GREEN, GREY, AMBER = "#d62728", "#2ca02c", "#9e9e9e", "#ff9f1c"
LATE_STATUSES = ("LATE", "NEVER_SUCCEEDED")
LINEAGE_PAGE = "lineage.html"  # beside index.html; each table's name in the report links to its section


@dataclass(frozen=True)
class Report:
    index: Path
    charts: tuple[Path, ...]


def collect(lakehouse: Lakehouse, wanted: dict[str, Dataset] | None = None) -> dict[str, Result]:
    """Run every dashboard dataset query (or ``wanted``) and collect its rows."""
    wanted = datasets() if wanted is None else wanted
    return {name: run_dataset(lakehouse, ds) for name, ds in wanted.items()}


def write_report(lakehouse: Lakehouse, out: str | Path | None = None, *, now: datetime, results: dict[str, Result] | None = None,
                 selection: Selection = EVERYTHING) -> Report:
    """Draw the charts and write ``<out>/index.html`` from ``results`` (default: :func:`collect`),
    narrowed to ``selection`` as the dashboard's filters page would narrow it."""
    if out is None:
        if lakehouse.home is None:
            raise DashboardError("a report needs an output folder when there is no local lakehouse home")
        out = lakehouse.home / "report"
    out = Path(out).resolve()
    dashboard = load_dashboard()
    queries = datasets(dashboard)
    data = selected_rows({name: r.rows for name, r in (collect(lakehouse, queries) if results is None else results).items()}, selection, dashboard)
    out.mkdir(parents=True, exist_ok=True)
    charts = {
        "success_rate.png": _runs_chart(data["runs_per_day"]),
        "freshness.png": _freshness_chart(data.get("freshness", [])),
        "rows_read.png": _trend_chart(data.get("run_trends", []), "rows_read", "Rows read"),
        "duration.png": _trend_chart(data.get("run_trends", []), "duration_seconds", "Seconds"),
        "quarantine.png": _quarantine_chart(data.get("quarantine_by_check", [])),
    }
    written = []
    for name, figure in charts.items():
        stale = out / name
        if figure is None:
            stale.unlink(missing_ok=True)  # never leave a previous report's chart behind
            continue
        figure.savefig(stale, format="png")
        written.append(stale)
    index = out / "index.html"
    index.write_text(_page(lakehouse, data, queries, {p.name for p in written}, now, selection))
    (out / LINEAGE_PAGE).write_text(_lineage_page(lakehouse))
    return Report(index, tuple(written))


def selected_rows(data: dict[str, list[dict]], selection: Selection = EVERYTHING, dashboard: dict | None = None) -> dict[str, list[dict]]:
    """Each dataset's rows as the dashboard filtered to ``selection`` shows them, plus the rows of
    the widgets that aggregate (keyed by widget name): the counters, runs per day, health by domain."""
    dashboard = load_dashboard() if dashboard is None else dashboard
    bound = filters(dashboard)
    health = data.get("table_health", [])
    check_selection(selection, bound, {"domain": {r["domain"] for r in health}, "table_name": {r["table_name"] for r in health}})
    rows = {name: filtered(found, name, bound, selection) for name, found in data.items()}
    for widget in widgets(dashboard):
        if aggregates(widget):
            rows[widget["name"]] = widget_rows(widget, rows.get(widget["queries"][0]["query"]["datasetName"], []))
    return rows


# -- charts ------------------------------------------------------------------------------
def _figure(width: float = 8.0, height: float = 3.4):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return figure, figure.add_subplot()


def _number(value) -> float | None:
    return None if value is None else float(value) if isinstance(value, (Decimal, int, float)) else None


def _runs_chart(rows: list[dict]):
    """Table runs per day, succeeded (green) under failed (red), each day's success rate above."""
    rows = sorted(rows, key=lambda r: r["run_date"])
    if not rows:
        return None
    figure, ax = _figure()
    labels = [r["run_date"].isoformat() for r in rows]
    succeeded = [r["sum(succeeded)"] or 0 for r in rows]
    failed = [r["sum(failed_runs)"] or 0 for r in rows]
    ax.bar(labels, succeeded, color=GREEN, label="succeeded")
    ax.bar(labels, failed, bottom=succeeded, color=RED, label="failed")
    for i, (ok, bad) in enumerate(zip(succeeded, failed)):
        rate = "-" if ok + bad == 0 else f"{100 * ok / (ok + bad):.1f}%"
        ax.annotate(rate, (i, ok + bad), ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, max(1, *(ok + bad for ok, bad in zip(succeeded, failed))) * 1.15)
    ax.set_ylabel("table runs")
    ax.set_title("Table runs per day: succeeded and failed (success rate above)")
    ax.legend(fontsize=8, loc="lower right")
    ax.tick_params(axis="x", labelrotation=30)
    return figure


def _freshness_chart(rows: list[dict]):
    """Per table, the share of its SLA used since the last success (100% = the SLA)."""
    rows = [r for r in rows if r["sla_status"] != "DISABLED"]
    if not rows:
        return None
    figure, ax = _figure(height=max(2.4, 0.45 * len(rows) + 1.2))
    used = {}
    for r in rows:
        age, sla = _number(r["hours_since_success"]), _number(r["sla_hours"])
        used[r["table_name"]] = None if age is None or not sla else 100 * age / sla
    top = max([120.0] + [u * 1.1 for u in used.values() if u is not None])
    names = [r["table_name"] for r in rows][::-1]
    colors = [RED if r["sla_status"] in LATE_STATUSES else AMBER if r["sla_status"] == "INVALID_SLA" else GREEN for r in rows][::-1]
    # never succeeded: a full-width bar; no parsable SLA: no bar
    widths = [top if r["sla_status"] == "NEVER_SUCCEEDED" else used[r["table_name"]] or 0 for r in rows][::-1]
    ax.barh(names, widths, color=colors)
    ax.axvline(100, color="black", linestyle="--", linewidth=1, label="SLA")
    for i, r in enumerate(rows[::-1]):
        age, sla = r["hours_since_success"], r["sla_hours"]
        text = "never succeeded" if age is None else f"{age} h of {sla} h" if sla is not None else f"{age} h, {r['sla_status']}"
        ax.annotate(text, (1, i), va="center", fontsize=8, color="white" if r["sla_status"] == "NEVER_SUCCEEDED" else "black")
    ax.set_xlim(0, top)
    ax.set_xlabel("% of the freshness SLA used since the last successful run")
    ax.set_title("Freshness against SLA (red: late or never succeeded)")
    ax.legend(loc="lower right", fontsize=8)
    return figure


LEGEND_LINE_INCHES = 0.19  # one legend entry at fontsize 8
LEGEND_LINES_PER_COLUMN = 18


def _legend_shape(entries: int) -> tuple[int, int]:
    """(columns, lines) of a legend of one entry per table. The figure grows to hold it: a legend
    taller than the figure leaves the plot no room (matplotlib's constrained layout then collapses
    the axes to nothing, which the 37 tables of the demo did to a 3.4-inch chart)."""
    columns = max(1, -(-entries // LEGEND_LINES_PER_COLUMN))
    return columns, -(-entries // columns)


def _trend_chart(rows: list[dict], column: str, label: str):
    points: dict[str, list[tuple]] = {}
    for row in rows:
        if row[column] is not None:
            points.setdefault(row["table_name"], []).append((row["started_at"], float(row[column])))
    if not points:
        return None
    columns, lines = _legend_shape(len(points))
    figure, ax = _figure(width=8.0 + 2.8 * (columns - 1), height=max(3.4, LEGEND_LINE_INCHES * lines + 1.4))
    for table, series in sorted(points.items()):
        xs, ys = zip(*sorted(series))
        ax.plot(xs, ys, marker="o", label=table)
    ax.set_ylabel(label)
    ax.set_title(f"{label} per table and run")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), ncols=columns)
    figure.autofmt_xdate()
    return figure


def _quarantine_chart(rows: list[dict]):
    totals: dict[str, int] = {}
    for row in rows:
        key = f"{row['table_name']} · {row['check_name']}"
        totals[key] = totals.get(key, 0) + int(row["quarantined_rows"])
    if not totals:
        return None
    figure, ax = _figure(height=max(2.4, 0.45 * len(totals) + 1.2))
    keys = sorted(totals)[::-1]
    ax.barh(keys, [totals[k] for k in keys], color=RED)
    ax.set_xlabel("rows quarantined (all days)")
    ax.set_title("Quarantined rows by check")
    return figure


# -- page --------------------------------------------------------------------------------
CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }
h1 { margin-bottom: 0.2em; } .muted { color: #666; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } .bad { color: #d62728; font-weight: 600; } .ok { color: #2ca02c; }
.kpis { display: flex; gap: 1em; } .kpi { border: 1px solid #ddd; padding: 0.6em 1em; border-radius: 6px; }
.kpi b { display: block; font-size: 1.6em; } img { max-width: 100%; } pre { background: #f7f7f7; padding: 0.6em; }
"""


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # collected TIMESTAMPs are naive local times: shown in UTC
        return html.escape(value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    return html.escape(str(value))


def _value(column: str, row: dict) -> str:
    """A cell's HTML: a table's name links to its lineage (``lineage.html``)."""
    if column == "table_name" and row[column]:
        return f'<a href="{LINEAGE_PAGE}#{html.escape(str(row[column]))}">{_cell(row[column])}</a>'
    return _cell(row[column])


def _table(rows: list[dict], columns: list[str], bad=lambda column, row: False) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(
            f"<td class=\"bad\">{_value(c, r)}</td>" if bad(c, r) else f"<td>{_value(c, r)}</td>" for c in columns
        ) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _lineage_page(lakehouse: Lakehouse) -> str:
    """``lineage.html``: each onboarded table's lineage (framework.metadata.lineage), anchored by
    its name, as docs/lineage.md has it for the onboarding files."""
    from framework.engine.control import read_control
    from framework.metadata.lineage import lineages

    def code(text: str) -> str:
        return f"<code>{html.escape(text)}</code>"

    sections = ["<h1>Lineage</h1>", '<p class="muted">Each Gold column: the source columns its expression reads, and the expression.</p>']
    for table in lineages(list(read_control(lakehouse).specs.values())):
        facts = [html.escape(table.load_type), *("".join(code(t) if is_code else html.escape(t) for t, is_code in parts) for parts in table.reads)]
        facts += ["after " + ", ".join(f'<a href="#{html.escape(d)}">{html.escape(d)}</a>' for d in table.after)] if table.after else []
        rows = "".join(f"<tr><td>{code(n)}</td><td>{html.escape(t)}</td><td>{html.escape(', '.join(src))}</td><td>{code(e)}</td></tr>"
                       for n, t, src, e in table.columns)
        sections += [f'<h2 id="{html.escape(table.name)}">{html.escape(table.name)} <span class="muted">({html.escape(table.domain)})</span></h2>',
                     f"<p>{' · '.join(facts)}</p>", f"<table><tr><th>Gold column</th><th>type</th><th>from</th><th>expression</th></tr>{rows}</table>"]
    body = "\n".join(sections)
    return f'<!doctype html>\n<html><head><meta charset="utf-8"><title>Health Monitor lineage</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n'


def _chart(name: str, charts: set[str], alt: str) -> str:
    return f'<img src="{name}" alt="{html.escape(alt)}">' if name in charts else f"<p class=\"muted\">{html.escape(alt)}: no data yet.</p>"


def _page(lakehouse: Lakehouse, data: dict[str, list[dict]], queries: dict[str, Dataset], charts: set[str], now: datetime,
          selection: Selection) -> str:
    params = lakehouse.params

    def counter(widget: str) -> int:
        (row,) = data[widget]
        (value,) = row.values()
        return value or 0  # a sum over no rows: none

    failing, late, failed_runs = counter("kpi_failing"), counter("kpi_late"), counter("kpi_failed_runs")

    def kpi(label, value, bad):
        return f'<div class="kpi"><b class="{"bad" if bad else "ok"}">{_cell(value)}</b>{html.escape(label)}</div>'
    failures = data.get("current_failures", [])
    freshness = data.get("freshness", [])
    quarantine = data.get("quarantine_by_check", [])
    domains = [{"domain": r["domain"], "tables enabled": r["sum(enabled_tables)"], "failing": r["sum(is_failing)"], "past SLA": r["sum(is_late)"]}
               for r in sorted(data["health_by_domain"], key=lambda r: r["domain"] or "")]
    sections = [
        "<h1>Health Monitor: hydration health</h1>",
        f'<p class="muted">{_cell(now)} (all times UTC) · control schema <code>{html.escape(params.catalog)}.{html.escape(params.control_schema)}</code>'
        f" · the same queries as the Lakeview dashboard (<code>resources/health_monitor.lvdash.json</code>)</p>",
        f'<p>Filters: <b>{html.escape(selection.describe())}</b> <span class="muted">(<code>healthmon report --domain D --table T --from DATE --to DATE</code>;'
        " the dashboard's Filters page)</span></p>",
        '<div class="kpis">'
        + kpi("tables failing now", failing, failing > 0)
        + kpi("tables past their SLA", late, late > 0)
        + kpi("failed table runs", failed_runs, failed_runs > 0)
        + "</div>",
        "<h2>Current failures</h2>",
        _table(failures, ["table_name", "domain", "status", "failed_at", "error_message", "failed_checks", "last_success_at", "run_id"],
               lambda c, r: c in ("status", "error_message")) if failures else '<p class="ok">No table is failing.</p>',
        "<h2>Health by domain</h2>",
        _table(domains, ["domain", "tables enabled", "failing", "past SLA"], lambda c, r: c in ("failing", "past SLA") and r[c])
        if domains else '<p class="muted">No table onboarded.</p>',
        "<h2>Freshness against SLA</h2>",
        _chart("freshness.png", charts, "Freshness chart"),
        _table(freshness, ["table_name", "domain", "sla_status", "hours_since_success", "sla_hours", "freshness_sla", "last_success_at", "last_status"],
               lambda c, r: c == "sla_status" and r["sla_status"] in LATE_STATUSES) if freshness else '<p class="muted">No table onboarded.</p>',
        "<h2>Table runs per day</h2>",
        _chart("success_rate.png", charts, "Table runs chart"),
        "<h2>Rows processed and duration</h2>",
        _chart("rows_read.png", charts, "Rows read chart"),
        _chart("duration.png", charts, "Duration chart"),
        "<h2>Quarantine by check</h2>",
        _chart("quarantine.png", charts, "Quarantine chart"),
        _table(quarantine, ["quarantine_date", "table_name", "domain", "check_name", "severity", "quarantined_rows"]) if quarantine else "",
        "<h2>Queries</h2>",
        "".join(f"<details><summary>{html.escape(q.display_name)} (<code>{html.escape(n)}</code>)</summary><pre>{html.escape(q.sql)}</pre></details>"
                for n, q in queries.items()),
    ]
    body = "\n".join(sections)
    return f'<!doctype html>\n<html><head><meta charset="utf-8"><title>Health Monitor report</title><style>{CSS}</style></head>\n<body>\n{body}\n</body></html>\n'

"""The dashboard's dataset queries and the HTML report, against a lakehouse after one demo run.

One module-scoped lakehouse: demo Bronze batch 1, control_tables/*.yml plus two extra tables
(tests/fixtures/dashboard_extras.yml: one whose mapping names a missing column, so it FAILS; one
whose warn check quarantines the workspaces not named prod-*, with a one-hour SLA), one run of
those two and two demo tables (dim_workspace, fact_list_prices: SLAs of one and seven days). The
other demo tables stay onboarded and never run (test_demo_flow.py hydrates them; here they are
the NEVER_SUCCEEDED case and save half the run). The dataset queries run once, shared by the
tests. The run's clock starts 2-3 hours before the wall clock (the views compare with
current_timestamp()), on a whole hour, one second per reading. Expectations come from the run's
own audit rows and from the Bronze rows, computed in Python, never from the views' SQL. The
filters (domain, table, run dates) are checked the same way, and the report's Python reading of
the widgets' aggregates against Spark SQL running the widgets' own expressions.
"""

from __future__ import annotations

import html
import itertools
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from framework.demo.bronze import append_batch
from framework.engine.context import Context
from framework.engine.runner import run
from framework.errors import DashboardError
from framework.onboarding.onboard import onboard_files
from framework.platform.lakehouse import Lakehouse
from framework.surfaces.dashboards import (
    current_schema,
    datasets,
    load_dashboard,
    referenced_columns,
    widgets,
)
from framework.surfaces.lakeview import Selection, aggregates, filters
from framework.surfaces.report import collect, selected_rows, write_report
from framework.surfaces.views import ensure_views
from tests.demo_world import onboarded_raws, onboarded_tables
from tests.harness import ONBOARDED_SOURCES
from tests.harness import fresh_lakehouse as harness_lakehouse

ROOT = Path(__file__).resolve().parents[2]
EXTRAS = Path(__file__).resolve().parents[1] / "fixtures" / "dashboard_extras.yml"
# its module-scoped fixture is built once: the module's tests on one worker (xdist would build it on each)
pytestmark = pytest.mark.xdist_group("dashboards")
FAILING, QUARANTINING = "dim_workspace_region", "dim_workspace_prod"
RUN = ["dim_workspace", "fact_list_prices", FAILING, QUARANTINING]
NEVER_RUN = [t for t in onboarded_tables() if t not in RUN]  # every other onboarded table


def utc(collected: datetime) -> datetime:
    """PySpark hands TIMESTAMPs back as naive local times of this process."""
    return collected.astimezone(UTC)


def fresh_lakehouse(spark, home) -> Lakehouse:
    lh = harness_lakehouse(spark, home, f"d{uuid.uuid4().hex[:8]}")
    ensure_views(lh)
    return lh


@pytest.fixture(scope="module")
def demo(spark, home):
    lh = fresh_lakehouse(spark, home)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    ticks = itertools.count()
    clock = lambda: start + timedelta(seconds=next(ticks))  # noqa: E731
    append_batch(lh, 1, tables=ONBOARDED_SOURCES)
    onboard_files(lh, sorted((ROOT / "control_tables").glob("*.yml")) + [EXTRAS], now=start)
    result = run(Context(lh, clock=clock, run_id_factory=lambda: "dashrun1"), tables=RUN)
    found = collect(lh)
    workspaces = [r.asDict() for r in spark.table(lh.params.bronze("workspaces_latest")).collect()]
    return SimpleNamespace(lh=lh, start=start, result=result, audit={r.table_name: r for r in result.rows},
                           data=found, workspaces=workspaces)


def test_the_run_produced_a_failure_quarantined_rows_and_successes(demo):
    statuses = {t: r.status for t, r in demo.audit.items()}
    assert statuses[FAILING] == "FAILED" and "workspace_region" in demo.audit[FAILING].error_message
    assert statuses == {**dict.fromkeys(RUN, "SUCCEEDED"), FAILING: "FAILED"}
    assert demo.audit[QUARANTINING].rows_quarantined > 0


def test_every_dataset_query_returns_rows(demo):
    assert set(demo.data) == set(datasets())
    assert {name: len(found.rows) > 0 for name, found in demo.data.items()} == dict.fromkeys(demo.data, True)


def test_every_widget_field_is_a_column_its_dataset_returns(demo):
    for widget in widgets(load_dashboard()):
        for query in widget.get("queries", []):
            dataset = query["query"]["datasetName"]
            for field in query["query"]["fields"]:
                missing = set(referenced_columns(field["expression"])) - set(demo.data[dataset].columns)
                assert not missing, (widget["name"], dataset, missing)


def test_runs_per_day_and_the_counters_follow_the_audit_rows(demo):
    by_table = {(r["run_date"], r["domain"], r["table_name"]): r for r in demo.data["runs_by_day"].rows}
    assert by_table.keys() == {(demo.start.date(), r.domain, r.table_name) for r in demo.result.rows}
    for row in demo.result.rows:
        counts = by_table[(demo.start.date(), row.domain, row.table_name)]
        assert (counts["table_runs"], counts["succeeded"], counts["failed_runs"]) == (
            1, int(row.status == "SUCCEEDED"), int(row.status in ("FAILED", "VALIDATION_FAILED")))
    tiles = selected_rows({n: r.rows for n, r in demo.data.items()})
    ((day,),) = [tiles["runs_per_day"]]
    assert (day["run_date"], day["sum(succeeded)"], day["sum(failed_runs)"]) == (demo.start.date(), len(RUN) - 1, 1)
    # late: the one-hour SLA, the failing table and the never-run ones (all never succeeded)
    assert [tiles[k][0][f"sum({c})"] for k, c in [("kpi_failing", "is_failing"), ("kpi_late", "is_late"), ("kpi_failed_runs", "failed_runs")]] == [
        1, 2 + len(NEVER_RUN), 1]


DOMAIN = {raw["table_name"]: raw["domain"] for raw in onboarded_raws()} | {FAILING: "shared", QUARANTINING: "shared"}


@pytest.mark.parametrize("domain", ["shared", "billing"])
def test_a_domain_filter_narrows_every_tile_to_the_domains_tables(demo, domain):
    tables = {t for t, d in DOMAIN.items() if d == domain}
    tiles = selected_rows({n: r.rows for n, r in demo.data.items()}, Selection({"domain": (domain,)}))
    for name in ["table_health", "runs_by_day", "freshness", "run_trends", "current_failures", "quarantine_by_check"]:
        assert {r["table_name"] for r in tiles[name]} == {r["table_name"] for r in demo.data[name].rows} & tables, name
    ran = [r for r in demo.result.rows if r.table_name in tables]
    failing = {FAILING} & tables
    late = ({QUARANTINING, FAILING} | set(NEVER_RUN)) & tables
    assert [tiles[k][0][f"sum({c})"] or 0 for k, c in [("kpi_failing", "is_failing"), ("kpi_late", "is_late"), ("kpi_failed_runs", "failed_runs")]] == [
        len(failing), len(late), sum(r.status == "FAILED" for r in ran)]
    assert tiles["health_by_domain"] == [{"domain": domain, "sum(enabled_tables)": len(tables), "sum(is_failing)": len(failing), "sum(is_late)": len(late)}]


def test_the_table_picker_and_the_date_range_narrow_runs_and_quarantine_but_not_the_state_of_now(demo):
    data = {n: r.rows for n, r in demo.data.items()}
    picked = selected_rows(data, Selection({"table_name": (QUARANTINING, "fact_list_prices")}))
    assert {r["table_name"] for r in picked["run_trends"]} == {QUARANTINING, "fact_list_prices"}
    assert picked["kpi_late"] == [{"sum(is_late)": 1}] and picked["kpi_failing"] == [{"sum(is_failing)": 0}]
    day = demo.start.date()
    after = selected_rows(data, Selection(dates=(day + timedelta(days=1), None)))
    assert [after[n] for n in ["runs_by_day", "run_trends", "quarantine_by_check", "runs_per_day"]] == [[], [], [], []]
    assert after["kpi_failed_runs"] == [{"sum(failed_runs)": None}]  # a sum over no runs
    assert after["freshness"] == data["freshness"] and after["current_failures"] == data["current_failures"]  # now, not a date
    assert selected_rows(data, Selection(dates=(day, day))) == selected_rows(data)


def test_each_filter_binds_every_dataset_that_has_its_column(demo):
    bound = {f.name: f.fields for f in filters(load_dashboard())}
    columns = {n: set(r.columns) for n, r in demo.data.items()}
    assert bound["filter_domain"] == {n: "domain" for n, c in columns.items() if "domain" in c}
    assert bound["filter_table"] == {n: "table_name" for n, c in columns.items() if "table_name" in c}
    dated = {n: "run_date" for n, c in columns.items() if "run_date" in c} | {"quarantine_by_check": "quarantine_date"}
    assert bound["filter_run_date"] == dated


def _widget_sql(fields: list[dict], dataset_sql: str, selection: Selection) -> str:
    """A widget's fields as SQL over its dataset, the selection's picks as a WHERE (what Lakeview
    runs for a widget that is not disaggregated: grouped by its plain fields)."""
    select = ", ".join(f"{f['expression']} AS `{f['name']}`" for f in fields)
    plain = [f["expression"] for f in fields if f["expression"].startswith("`")]
    where = [f"`{column}` IN ({', '.join(repr(v) for v in picked)})" for column, picked in selection.values.items() if picked]
    return (f"SELECT {select} FROM ({dataset_sql}) AS d"
            + (f" WHERE {' AND '.join(where)}" if where else "") + (f" GROUP BY {', '.join(plain)}" if plain else ""))


@pytest.mark.parametrize("selection", [Selection(), Selection({"domain": ("shared", "billing"), "table_name": ("fact_list_prices", FAILING, QUARANTINING)})],
                         ids=["everything", "domains and tables"])
def test_the_reports_widget_aggregates_are_what_spark_sql_gives_for_the_widgets_own_fields(demo, selection):
    """The report reads the counters, runs per day and health by domain in Python
    (framework.surfaces.lakeview); Lakeview runs the widget's fields as SQL over the filtered
    dataset. Here Spark runs them: the same rows."""
    tiles = selected_rows({n: r.rows for n, r in demo.data.items()}, selection)
    queries = datasets()
    aggregating = [w for w in widgets(load_dashboard()) if aggregates(w)]
    assert {w["name"] for w in aggregating} == {"kpi_failing", "kpi_late", "kpi_failed_runs", "runs_per_day", "health_by_domain", "quarantine_chart"}
    for widget in aggregating:
        name, query = widget["name"], widget["queries"][0]["query"]
        sql = _widget_sql(query["fields"], queries[query["datasetName"]].sql, selection)
        with current_schema(demo.lh.spark, demo.lh.params.catalog, demo.lh.params.control_schema):
            expected = [r.asDict() for r in demo.lh.spark.sql(sql).collect()]
        key = lambda r: tuple(str(v) for v in r.values())  # noqa: E731
        assert sorted(tiles[name], key=key) == sorted(expected, key=key), name


def test_a_misspelt_domain_or_a_backwards_range_is_refused_not_an_empty_report(demo, tmp_path):
    with pytest.raises(DashboardError, match=r"no domain 'biling'; known: billing, .*shared"):
        write_report(demo.lh, tmp_path, now=demo.start, results=demo.data, selection=Selection({"domain": ("biling",)}))
    with pytest.raises(DashboardError, match="starts after it ends"):
        write_report(demo.lh, tmp_path, now=demo.start, results=demo.data, selection=Selection(dates=(demo.start.date(), demo.start.date() - timedelta(days=1))))


def test_the_failing_table_is_a_current_failure_with_its_error_message(demo):
    (failure,) = demo.data["current_failures"].rows
    expected = demo.audit[FAILING]
    assert (failure["table_name"], failure["status"], failure["error_message"]) == (FAILING, "FAILED", expected.error_message)
    assert utc(failure["failed_at"]) == expected.ended_at and failure["last_success_at"] is None


def test_freshness_against_a_tight_and_a_relaxed_sla(demo):
    by_table = {r["table_name"]: r for r in demo.data["freshness"].rows}
    assert set(by_table) == set(RUN + NEVER_RUN)
    # the one-hour SLA is missed (the run is 2-3 hours old); one day and seven days are kept
    assert (by_table[QUARANTINING]["sla_status"], by_table[QUARANTINING]["is_late"]) == ("LATE", 1)
    assert by_table[QUARANTINING]["sla_hours"] == 1
    assert (by_table["dim_workspace"]["sla_status"], by_table["dim_workspace"]["sla_hours"]) == ("OK", 24)
    assert (by_table["fact_list_prices"]["sla_status"], by_table["fact_list_prices"]["sla_hours"]) == ("OK", 168)
    for table in [FAILING, *NEVER_RUN]:
        assert (by_table[table]["sla_status"], by_table[table]["is_late"], by_table[table]["last_success_at"]) == ("NEVER_SUCCEEDED", 1, None)
    for table in ["dim_workspace", "fact_list_prices", QUARANTINING]:
        assert utc(by_table[table]["last_success_at"]) == demo.audit[table].ended_at
        assert 2 <= by_table[table]["hours_since_success"] < 3.5
    late_first = [r["table_name"] for r in demo.data["freshness"].rows]
    assert late_first == sorted([FAILING, QUARANTINING, *NEVER_RUN]) + ["dim_workspace", "fact_list_prices"]


def test_trends_carry_each_audit_row(demo):
    trends = {r["table_name"]: r for r in demo.data["run_trends"].rows}
    assert set(trends) == set(demo.audit)
    for table, row in trends.items():
        audit = demo.audit[table]
        assert (row["rows_read"], row["duration_seconds"], row["status"]) == (audit.rows_read, audit.duration_seconds, audit.status)
        if audit.status == "SUCCEEDED":
            assert row["rows_written"] == audit.rows_inserted + audit.rows_updated + audit.rows_deleted


def test_quarantine_counts_by_check_match_the_bronze_rows_the_check_rejects(demo):
    rejected = [w for w in demo.workspaces if not w["workspace_name"].startswith("prod-")]
    (row,) = [r for r in demo.data["quarantine_by_check"].rows if r["table_name"] == QUARANTINING]
    assert (row["check_name"], row["severity"], row["quarantined_rows"]) == ("prod_workspaces_only", "quarantine", len(rejected))
    assert row["quarantined_rows"] == demo.audit[QUARANTINING].rows_quarantined
    assert sum(r["quarantined_rows"] for r in demo.data["quarantine_by_check"].rows) == sum(
        r.rows_quarantined or 0 for r in demo.result.rows
    )


def test_the_report_writes_html_and_valid_pngs_with_the_failure_message(demo, tmp_path):
    from PIL import Image

    report = write_report(demo.lh, tmp_path / "report", now=demo.start, results=demo.data)
    page = report.index.read_text()
    referenced = set(re.findall(r'<img src="([^"]+)"', page))
    on_disk = {p.name for p in report.index.parent.glob("*.png")}
    assert referenced == on_disk == {p.name for p in report.charts}
    assert on_disk == {"success_rate.png", "freshness.png", "rows_read.png", "duration.png", "quarantine.png"}
    for png in report.charts:
        with Image.open(png) as image:
            image.verify()
            assert image.format == "PNG"
    assert html.escape(demo.audit[FAILING].error_message) in page
    assert FAILING in page and QUARANTINING in page and "Filters: <b>everything</b>" in page
    # each table's name links to its lineage: lineage.html, one section per onboarded table
    lineage = (report.index.parent / "lineage.html").read_text()
    onboarded = {r.table_name for r in demo.lh.spark.table(demo.lh.params.control("gold_table_control")).collect()}
    assert set(re.findall(r'<h2 id="([^"]+)"', lineage)) == onboarded
    links = set(re.findall(r'href="lineage.html#([^"]+)"', page))
    assert {FAILING, QUARANTINING} <= links <= onboarded


def test_a_report_filtered_to_a_domain_names_the_filter_and_only_that_domains_tables(demo, tmp_path):
    page = write_report(demo.lh, tmp_path, now=demo.start, results=demo.data, selection=Selection({"domain": ("billing",)})).index.read_text()
    assert "Filters: <b>domain: billing</b>" in page
    shown = set(re.findall(r'href="lineage.html#([^"]+)"', page))
    assert shown == {t for t, d in DOMAIN.items() if d == "billing"} and "No table is failing." in page


def test_views_and_datasets_on_an_empty_lakehouse(spark, home, tmp_path):
    """No audit rows yet: no division by zero, every dataset empty, counters of none."""
    lh = fresh_lakehouse(spark, home)
    assert ensure_views(lh) is False  # current already: a second bootstrap does not rewrite them
    results = collect(lh)
    assert {n: len(r.rows) for n, r in results.items()} == dict.fromkeys(results, 0)
    tiles = selected_rows({n: r.rows for n, r in results.items()})
    assert [tiles[k] for k in ["kpi_failing", "kpi_late", "kpi_failed_runs"]] == [[{"sum(is_failing)": None}], [{"sum(is_late)": None}], [{"sum(failed_runs)": None}]]
    (tmp_path / "duration.png").write_bytes(b"from an earlier report")
    report = write_report(lh, tmp_path, now=datetime(2026, 1, 1, tzinfo=UTC), results=results)
    assert report.charts == () and not list(tmp_path.glob("*.png"))  # a stale chart is removed
    assert "No table is failing." in report.index.read_text()

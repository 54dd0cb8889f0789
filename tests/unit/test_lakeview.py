"""The report's reading of the dashboard's filters and widget aggregates (framework.surfaces.lakeview),
without Spark. That it gives what Spark SQL gives for the widgets' own fields over the real datasets
is tests/spark/test_dashboards.py's."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from framework.errors import DashboardError
from framework.surfaces.dashboards import load_dashboard
from framework.surfaces.lakeview import DATE_RANGE, MULTI_SELECT, Filter, Selection, check_selection, filtered, filters, widget_rows

ROWS = [
    {"run_date": date(2026, 2, 1), "domain": "billing", "table_name": "fact_usage", "succeeded": 1, "failed_runs": 0},
    {"run_date": date(2026, 2, 1), "domain": "shared", "table_name": "dim_workspace", "succeeded": 0, "failed_runs": 1},
    {"run_date": date(2026, 2, 2), "domain": "billing", "table_name": "fact_usage", "succeeded": 2, "failed_runs": None},
    {"run_date": None, "domain": "billing", "table_name": "dim_sku", "succeeded": 0, "failed_runs": 0},
]
FILTERS = [
    Filter("d", MULTI_SELECT, "Domain", {"runs": "domain"}),
    Filter("t", MULTI_SELECT, "Table", {"runs": "table_name", "other": "table_name"}),
    Filter("r", DATE_RANGE, "Run date", {"runs": "run_date"}),
]


def widget(*fields: tuple[str, str], disaggregated: bool = False) -> dict:
    return {"name": "w", "queries": [{"name": "q", "query": {"datasetName": "runs", "disaggregated": disaggregated,
                                                             "fields": [{"name": n, "expression": e} for n, e in fields]}}]}


def test_the_dashboard_file_has_a_domain_a_table_and_a_run_date_filter_on_its_filters_page():
    dashboard = load_dashboard()
    (page,) = [p for p in dashboard["pages"] if p["pageType"] == "PAGE_TYPE_GLOBAL_FILTERS"]
    assert [(f.name, f.kind, set(f.fields.values())) for f in filters(dashboard)] == [
        ("filter_domain", MULTI_SELECT, {"domain"}), ("filter_table", MULTI_SELECT, {"table_name"}),
        ("filter_run_date", DATE_RANGE, {"run_date", "quarantine_date"})]
    assert {e["widget"]["name"] for e in page["layout"]} == {"filter_domain", "filter_table", "filter_run_date"}


def test_filters_keep_the_rows_every_binding_filter_lets_through_in_order():
    pick = Selection({"domain": ("billing",)}, (date(2026, 2, 1), date(2026, 2, 1)))
    assert filtered(ROWS, "runs", FILTERS, pick) == [ROWS[0]]  # a NULL date is outside any range
    assert filtered(ROWS, "runs", FILTERS, Selection({"domain": ("billing",)})) == [ROWS[0], ROWS[2], ROWS[3]]
    assert filtered(ROWS, "runs", FILTERS, Selection(dates=(date(2026, 2, 2), None))) == [ROWS[2]]
    assert filtered(ROWS, "unbound", FILTERS, pick) == ROWS  # a dataset no filter binds is never narrowed
    stamped = [{"run_date": datetime(2026, 2, 1, 23, 59)}]
    assert filtered(stamped, "runs", FILTERS, Selection(dates=(None, date(2026, 2, 1)))) == stamped  # the end day is included


def test_a_widget_not_disaggregated_groups_by_its_plain_fields_and_aggregates_the_rest():
    rows = widget_rows(widget(("domain", "`domain`"), ("sum(succeeded)", "SUM(`succeeded`)"), ("sum(failed_runs)", "sum(`failed_runs`)"),
                              ("runs", "COUNT(`run_date`)"), ("first", "MIN(`run_date`)")), ROWS)
    assert rows == [
        {"domain": "billing", "sum(succeeded)": 3, "sum(failed_runs)": 0, "runs": 2, "first": date(2026, 2, 1)},
        {"domain": "shared", "sum(succeeded)": 0, "sum(failed_runs)": 1, "runs": 1, "first": date(2026, 2, 1)},
    ]
    # aggregates alone: one row, even over no rows (SQL: SUM of nothing is NULL, COUNT is 0)
    assert widget_rows(widget(("s", "SUM(`succeeded`)"), ("n", "COUNT(`succeeded`)")), []) == [{"s": None, "n": 0}]
    assert widget_rows(widget(("table_name", "`table_name`"), disaggregated=True), ROWS[:2]) == [{"table_name": "fact_usage"}, {"table_name": "dim_workspace"}]


def test_an_expression_the_report_cannot_evaluate_names_the_widget():
    with pytest.raises(DashboardError, match=r"widget 'w'.*AVG"):
        widget_rows(widget(("a", "AVG(`succeeded`)")), ROWS)


def test_a_pick_of_nothing_known_or_a_backwards_range_is_refused():
    known = {"domain": {"billing", "shared"}, "table_name": {"fact_usage"}}
    check_selection(Selection({"domain": ("billing",)}, (date(2026, 2, 1), None)), FILTERS, known)
    with pytest.raises(DashboardError, match=r"no domain 'biling'; known: billing, shared"):
        check_selection(Selection({"domain": ("biling",)}), FILTERS, known)
    with pytest.raises(DashboardError, match="no filter on 'workspace_id'"):
        check_selection(Selection({"workspace_id": ("1",)}), FILTERS, known)
    with pytest.raises(DashboardError, match="starts after it ends"):
        check_selection(Selection(dates=(date(2026, 2, 2), date(2026, 2, 1))), FILTERS, known)
    assert Selection({"domain": ("billing", "shared")}, (date(2026, 2, 1), None)).describe() == "domain: billing, shared · run dates 2026-02-01.."
    assert Selection().describe() == "everything"


def test_a_filter_exported_from_the_editor_keeps_its_field_and_a_filter_of_two_fields_is_refused():
    def dashboard(*fields: str) -> dict:
        query = {"datasetName": "runs", "disaggregated": False, "fields": [{"name": f, "expression": f"`{f}`"} for f in fields]}
        widget = {"name": "f", "queries": [{"name": "q", "query": query}], "spec": {"widgetType": MULTI_SELECT, "frame": {"title": "Domain"}}}
        return {"pages": [{"name": "p", "layout": [{"widget": widget}]}]}

    assert filters(dashboard("domain", "domain_associativity")) == [Filter("f", MULTI_SELECT, "Domain", {"runs": "domain"})]
    with pytest.raises(DashboardError, match=r"filter widget 'f': one field per dataset expected, found \['domain', 'table_name'\]"):
        filters(dashboard("domain", "table_name"))

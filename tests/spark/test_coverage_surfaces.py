"""`healthmon status`, the dashboards' datasets and the health report after the shared demo run
(tests/demo_world.py) cover every onboarded Gold table, each with the run it had."""

from __future__ import annotations

from datetime import UTC, datetime

from framework.surfaces.report import write_report
from framework.surfaces.status import status_frame
from tests.demo_world import WORLD, onboarded_raws, onboarded_tables

pytestmark = WORLD
NOW = datetime(2026, 2, 1, 13, 0, tzinfo=UTC)  # an hour after the world's fixed run clock


def test_status_lists_every_onboarded_table_in_its_domain_succeeded_an_hour_ago(demo_world):
    rows = {r["table_name"]: r.asDict() for r in status_frame(demo_world.lakehouse, NOW).collect()}
    assert sorted(rows) == onboarded_tables()
    domains = {raw["table_name"]: raw["domain"] for raw in onboarded_raws()}
    assert {t: (r["domain"], r["last_status"], r["hours_since_success"]) for t, r in rows.items()} == {
        t: (domains[t], "SUCCEEDED", 1.0) for t in onboarded_tables()
    }


def test_dashboards_and_the_report_show_every_onboarded_table(demo_world, tmp_path):
    lh = demo_world.lakehouse
    results = demo_world.datasets()  # ensure_views, then collect: once for the world (shared with tests/test_connect.py)
    freshness = {r["table_name"]: r for r in results["freshness"].rows}
    assert sorted(freshness) == onboarded_tables()
    assert {t: r["last_status"] for t, r in freshness.items()} == dict.fromkeys(onboarded_tables(), "SUCCEEDED")
    trends = {(r["table_name"], r["status"]) for r in results["run_trends"].rows}
    assert trends == {(t, "SUCCEEDED") for t in onboarded_tables()}
    assert sum(r["enabled_tables"] for r in results["table_health"].rows) == len(onboarded_tables())
    page = write_report(lh, tmp_path, now=NOW, results=results).index.read_text()
    assert [t for t in onboarded_tables() if f">{t}<" not in page] == []

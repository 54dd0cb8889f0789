"""The Lakeview dashboard file and its dataset queries, runnable against a local lakehouse.

``resources/health_monitor.lvdash.json`` is the one source of the dashboard SQL: the bundle
deploys it to Databricks, and :func:`run_dataset` runs the same queries here (for
``healthmon report`` and the tests). The queries name the views of ``control_tables/views.sql``
unqualified. On Databricks the bundle's ``dataset_catalog``/``dataset_schema`` resolve them to the
control schema; here :func:`run_dataset` does the same by making the control schema the session's
current catalog and schema while the query runs, then restoring the previous ones. The rows are
collected inside that block: a classic session analyses ``spark.sql`` eagerly, but Spark Connect
(Databricks serverless) resolves names each time a DataFrame executes, so a DataFrame returned
from the block would look the views up in whatever schema is current by then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from framework.errors import DashboardError
from framework.platform.lakehouse import Lakehouse
from framework.platform.resources import project_dir
from framework.surfaces.lakeview import FIELD

DASHBOARD_FILE = project_dir("resources") / "health_monitor.lvdash.json"


@dataclass(frozen=True)
class Dataset:
    name: str
    display_name: str
    sql: str


@dataclass(frozen=True)
class Result:
    """One dataset's answer: its columns and its rows (dicts of Python values)."""

    columns: tuple[str, ...]
    rows: list[dict]


def load_dashboard(path: str | Path = DASHBOARD_FILE) -> dict:
    """The serialized Lakeview dashboard (``datasets`` and ``pages``)."""
    path = Path(path)
    try:
        dashboard = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise DashboardError(f"cannot read the dashboard file {str(path)!r}: {exc}") from exc
    if not isinstance(dashboard.get("datasets"), list) or not isinstance(dashboard.get("pages"), list):
        raise DashboardError(f"{str(path)!r} must hold a Lakeview dashboard with 'datasets' and 'pages' lists")
    return dashboard


def datasets(dashboard: dict | None = None) -> dict[str, Dataset]:
    """Dataset name -> its query, in the file's order (``queryLines`` join with no separator)."""
    dashboard = load_dashboard() if dashboard is None else dashboard
    out = {}
    for item in dashboard["datasets"]:
        sql = "".join(item["queryLines"]) if "queryLines" in item else item["query"]
        out[item["name"]] = Dataset(item["name"], item.get("displayName", item["name"]), sql)
    return out


def widgets(dashboard: dict | None = None) -> list[dict]:
    """Every widget of every page (text boxes included)."""
    dashboard = load_dashboard() if dashboard is None else dashboard
    return [entry["widget"] for page in dashboard["pages"] for entry in page.get("layout", [])]


def referenced_columns(expression: str) -> list[str]:
    """The dataset columns a widget field expression names, e.g. ``SUM(`rows`)`` -> ['rows']."""
    return [c for c in FIELD.findall(expression) if c != "*"]


@contextmanager
def current_schema(spark, catalog: str, schema: str) -> Iterator[None]:
    """Make ``catalog.schema`` the session's default for the block (what ``dataset_schema`` does)."""
    previous_catalog, previous_schema = spark.catalog.currentCatalog(), spark.catalog.currentDatabase()
    spark.catalog.setCurrentCatalog(catalog)
    spark.catalog.setCurrentDatabase(schema)
    try:
        yield
    finally:
        spark.catalog.setCurrentCatalog(previous_catalog)
        spark.catalog.setCurrentDatabase(previous_schema)


def run_dataset(lakehouse: Lakehouse, dataset: Dataset) -> Result:
    """The dataset's query against this lakehouse's control schema, collected while it is current."""
    params = lakehouse.params
    with current_schema(lakehouse.spark, params.catalog, params.control_schema):
        df = lakehouse.spark.sql(dataset.sql)
        return Result(tuple(df.columns), [r.asDict() for r in df.collect()])

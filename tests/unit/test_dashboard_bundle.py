"""The bundle's dashboard resource and its Lakeview file, checked without Spark.

That every widget field names a column its dataset query really returns is checked against a
real run in tests/spark/test_dashboards.py; the bundle's schema validation is tests/unit/test_bundle.py.
"""

from __future__ import annotations

import json

from tests.unit.test_bundle import ROOT, merged_bundle


def _encoded_fields(encodings: dict) -> list[str]:
    """Every fieldName a widget's encodings use (x/y/color/value, y.fields, columns, fields)."""
    names = []
    for value in encodings.values():
        items = value if isinstance(value, list) else [value, *value.get("fields", [])] if isinstance(value, dict) else []
        names.extend(i["fieldName"] for i in items if isinstance(i, dict) and "fieldName" in i)
    return names


def test_the_dashboard_resource_points_at_a_lakeview_file_whose_widgets_use_its_datasets():
    """resources/dashboards.yml points at an existing .lvdash.json; every widget reads an existing
    dataset and encodes only fields its query declares; every dataset is used."""
    dashboard = merged_bundle()["resources"]["dashboards"]["health_monitor"]
    assert dashboard["warehouse_id"] == "${var.warehouse_id}"
    assert (dashboard["dataset_catalog"], dashboard["dataset_schema"]) == ("${var.catalog}", "${var.control_schema}")
    path = (ROOT / "resources" / dashboard["file_path"]).resolve()
    assert path.is_file() and path.name.endswith(".lvdash.json")
    lakeview = json.loads(path.read_text())
    datasets = {d["name"]: "".join(d["queryLines"]) for d in lakeview["datasets"]}
    assert all(sql.strip() for sql in datasets.values())
    widgets = [item["widget"] for page in lakeview["pages"] for item in page["layout"]]
    charts = [w for w in widgets if "queries" in w]
    assert charts and len({w["name"] for w in widgets}) == len(widgets)
    used = set()
    for widget in charts:
        fields = set()
        for query in widget["queries"]:
            assert query["query"]["datasetName"] in datasets, widget["name"]
            used.add(query["query"]["datasetName"])
            fields |= {f["name"] for f in query["query"]["fields"]}
        spec = widget["spec"]
        assert {"version", "widgetType", "encodings"} <= set(spec), widget["name"]
        encoded = _encoded_fields(spec["encodings"])
        assert encoded and set(encoded) <= fields, (widget["name"], set(encoded) - fields)
    assert used == set(datasets), "a dataset no widget uses"

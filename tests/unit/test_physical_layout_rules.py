"""A Gold table's physical layout is metadata: liquid clustering and deletion vectors, with: the tests that need no Spark (the rest, and the context, in tests/spark/test_physical_layout.py)."""

from __future__ import annotations

import pytest
from pyspark.sql.types import StringType, StructField, StructType

from framework.engine.layout import TargetLayout
from framework.engine.loads import validate_specs
from framework.engine.target import create_statement, physical_layout
from framework.errors import SpecError
from framework.metadata.spec import TableSpec
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import RunParams
from tests.builders import raw_spec


def spec(**overrides) -> TableSpec:
    return TableSpec.from_dict(raw_spec(**overrides))

def test_defaults_deletion_vectors_by_load_type_and_auto_clustering_only_on_databricks():
    assert physical_layout(spec(), databricks=False).cluster_by == ()
    assert physical_layout(spec(), databricks=True).cluster_by == ("AUTO",)
    assert physical_layout(spec(cluster_by="auto"), databricks=False).cluster_by == ()
    assert physical_layout(spec(cluster_by=[]), databricks=True).cluster_by == ()
    assert physical_layout(spec(cluster_by=["amount", "id"]), databricks=False).cluster_by == ("amount", "id")
    assert physical_layout(spec(), databricks=False).deletion_vectors is True
    insert_only = spec(load_type="fact_insert", sequence_by=None)
    assert physical_layout(insert_only, databricks=False).deletion_vectors is False
    assert physical_layout(spec(load_type="fact_insert", sequence_by=None, deletion_vectors=True), databricks=False).deletion_vectors is True

def test_the_create_statement_says_cluster_by_auto_on_databricks_and_nothing_locally():
    lakehouse = Lakehouse(None, RunParams(catalog="main"), None)  # managed tables, no location
    s = spec(cluster_by="auto")
    one = TargetLayout(StructType([StructField("id", StringType(), False)]), ("id",), ("id",), ("id",))
    on_databricks = create_statement(lakehouse, s, "main.gold.t", one, physical_layout(s, databricks=True))
    locally = create_statement(lakehouse, s, "main.gold.t", one, physical_layout(s, databricks=False))
    assert " USING DELTA CLUSTER BY AUTO " in on_databricks
    assert "CLUSTER BY" not in locally and "'delta.enableDeletionVectors' = 'true'" in locally

@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"cluster_by": ["nope"]}, "cluster_by", "'nope' is not a Gold column"),
        ({"cluster_by": ["AUTO", "id"]}, "cluster_by", "list columns or AUTO, not both"),
        ({"cluster_by": ["id", "name", "amount", "id", "name"]}, "cluster_by", "at most 4"),
        ({"cluster_by": "id"}, "cluster_by", "must be a list of Gold columns"),
        ({"deletion_vectors": "yes"}, "deletion_vectors", "must be true or false"),
    ],
)
def test_layout_typos_are_errors_naming_the_field(overrides, field, words):
    with pytest.raises(SpecError) as caught:
        validate_specs([TableSpec.from_dict(raw_spec(**overrides))])
    assert any(i.table == "dim_thing" and i.field == field and words in i.message for i in caught.value.issues), caught.value.issues

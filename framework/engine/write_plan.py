"""The Gold write planned from the metadata and the load type: the table's layout and the MERGE over
the load type's changes.
"""

from __future__ import annotations

from pyspark.sql.types import StringType, StructField, StructType, TimestampType

from framework.engine.columns import RUN_ID, SEQ, UPDATED_AT
from framework.engine.layout import TargetLayout
from framework.engine.loads import LoadType, load_of
from framework.engine.loads.base import INSERT_ONLY
from framework.engine.merge import MergePlan
from framework.metadata.spec import TableSpec


def layout(spec: TableSpec, batch_schema: StructType, part: LoadType | None = None) -> TargetLayout:
    """The Gold layout from the metadata, the load type (or one of its :meth:`~LoadType.parts`) and
    the prepared batch's types."""
    load = part or load_of(spec)
    fields = [
        StructField(c.name, batch_schema[c.name].dataType, c.nullable, {"comment": c.comment} if c.comment else {})
        for c in spec.columns
    ]
    fields += load.added_fields(spec, batch_schema[SEQ].dataType)
    fields += [StructField(RUN_ID, StringType(), True), StructField(UPDATED_AT, TimestampType(), True)]
    return TargetLayout(StructType(fields), tuple(spec.column_names), load.compared(spec), load.merge_keys(spec))


def plan_merge(spec: TableSpec, lay: TargetLayout, target: str, source_view: str, target_filter: str | None = None,
               *, inserts_only: bool = False, part: LoadType | None = None, into_empty: bool = False) -> MergePlan:
    """The MERGE of ``spec``'s load type over the diff in ``source_view``; with ``inserts_only``
    (an empty Gold table: the rows are the whole desired content) only its NOT MATCHED insert;
    ``into_empty``: the target was created by this run (such a MERGE is then an INSERT)."""
    columns = tuple(f.name for f in lay.schema.fields)
    updatable = tuple(c for c in columns if c not in lay.merge_keys)
    clauses = INSERT_ONLY if inserts_only else (part or load_of(spec)).clauses(spec)
    return MergePlan(target, source_view, lay.merge_keys, updatable, columns, clauses, target_filter, into_empty)

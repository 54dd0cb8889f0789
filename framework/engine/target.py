"""The Gold table: created from the metadata on first run, columns added when metadata grows.

Besides the metadata's columns a Gold table holds ``valid_from``/``valid_to``/``is_current``
(scd2's ``<name>_history``), ``_hm_sequence`` (the ``sequence_by`` value, which guards against older versions
overwriting newer ones), and ``_hm_run_id``/``_hm_updated_at`` (which run last wrote the row).
"""

from __future__ import annotations

from pyspark.sql.types import StructField

from framework.engine.layout import PhysicalLayout, TargetLayout
from framework.engine.loads import load_of
from framework.errors import TargetSchemaError
from framework.metadata.spec import CLUSTER_AUTO, FAIL, TableSpec
from framework.platform.lakehouse import Lakehouse
from framework.platform.runtime import on_databricks
from framework.platform.sqltext import quote_ident, quote_table, sql_string

DELETION_VECTORS = "delta.enableDeletionVectors"


def physical_layout(spec: TableSpec, databricks: bool | None = None) -> PhysicalLayout:
    """The metadata's layout, with the defaults and what the platform supports filled in.

    Clustering: none given means AUTO on Databricks (what the Gold designs use) and none locally;
    AUTO is Databricks-only, so locally it means none (open-source Delta cannot parse it, and a
    local table is clustered only by an explicit OPTIMIZE anyway). Deletion vectors: the load
    type's default unless the metadata says (docs/decisions.md).
    """
    databricks = on_databricks() if databricks is None else databricks
    wanted = (CLUSTER_AUTO,) if spec.cluster_by is None else tuple(spec.cluster_by)
    if wanted == (CLUSTER_AUTO,) and not databricks:
        wanted = ()
    vectors = load_of(spec).deletion_vectors_default if spec.deletion_vectors is None else spec.deletion_vectors
    return PhysicalLayout(wanted, vectors)


def _column_ddl(field: StructField) -> str:
    comment = field.metadata.get("comment")
    not_null = "" if field.nullable else " NOT NULL"
    text = f"{quote_ident(field.name)} {field.dataType.simpleString()}{not_null}"
    return text + (f" COMMENT {sql_string(comment)}" if comment else "")


def create_statement(lakehouse: Lakehouse, spec: TableSpec, name: str, wanted: TargetLayout, physical: PhysicalLayout,
                     description: str | None = None) -> str:
    columns = ", ".join(_column_ddl(f) for f in wanted.schema.fields)
    cluster = "" if not physical.cluster_by else f" CLUSTER BY {physical.cluster_clause}"
    description = spec.description if description is None else description
    comment = f" COMMENT {sql_string(description)}" if description else ""
    location = lakehouse.location(name)
    where = "" if location is None else f" LOCATION '{location.as_posix()}'"
    vectors = sql_string(str(physical.deletion_vectors).lower())
    return (
        f"CREATE TABLE IF NOT EXISTS {quote_table(name)} ({columns}) USING DELTA{cluster}{comment}"
        f"{where} TBLPROPERTIES ({sql_string(DELETION_VECTORS)} = {vectors})"
    )


def align_layout(lakehouse: Lakehouse, name: str, physical: PhysicalLayout) -> list[str]:
    """Bring an existing Gold table to ``physical`` (after its metadata changed); the statements run.

    Clustering columns apply to files written from then on (and to OPTIMIZE); deletion vectors to
    later writes. AUTO is re-declared as is: Databricks reports the columns it chose, not AUTO.
    """
    spark = lakehouse.spark
    detail = spark.sql(f"DESCRIBE DETAIL {quote_table(name)}").first().asDict()
    statements = []
    clustered = tuple(detail.get("clusteringColumns") or ())
    if physical.cluster_by == (CLUSTER_AUTO,) or clustered != physical.cluster_by:
        statements.append(f"ALTER TABLE {quote_table(name)} CLUSTER BY {physical.cluster_clause}")
    vectors = str(physical.deletion_vectors).lower()
    if (detail.get("properties") or {}).get(DELETION_VECTORS, "false") != vectors:
        statements.append(f"ALTER TABLE {quote_table(name)} SET TBLPROPERTIES ({sql_string(DELETION_VECTORS)} = {sql_string(vectors)})")
    for statement in statements:
        spark.sql(statement)
    return statements


def ensure_target(lakehouse: Lakehouse, spec: TableSpec, name: str, wanted: TargetLayout, *, metadata_changed: bool = True,
                  description: str | None = None) -> bool:
    """Create the Gold table, or add the columns the metadata gained (and, when the metadata
    changed since the table's last success, align its physical layout); refuse type changes.

    True when the table was created just now: it holds no rows, so the run's write can be a plain
    insert (no diff against Gold). ``description``: the table comment, when not the metadata's own
    (a table the load type writes beside it). Under the table's write lock (a second process
    finds the table the first created)."""
    with lakehouse.writing(name):
        return _ensure_target(lakehouse, spec, name, wanted, metadata_changed, description)


def _ensure_target(lakehouse: Lakehouse, spec: TableSpec, name: str, wanted: TargetLayout, metadata_changed: bool,
                   description: str | None) -> bool:
    spark = lakehouse.spark
    physical = physical_layout(spec)
    if not lakehouse.exists(name):
        spark.sql(create_statement(lakehouse, spec, name, wanted, physical, description))
        return True
    if metadata_changed:
        align_layout(lakehouse, name, physical)
    existing = {f.name.lower(): f for f in spark.table(quote_table(name)).schema.fields}
    missing = [f for f in wanted.schema.fields if f.name.lower() not in existing]
    for field in wanted.schema.fields:
        have = existing.get(field.name.lower())
        if have is not None and have.dataType != field.dataType:
            raise TargetSchemaError(
                f"{spec.table_name}: Gold column {field.name!r} is {have.dataType.simpleString()} in "
                f"{name!r} but the metadata declares {field.dataType.simpleString()}; change the type "
                f"back or run with --full-refresh after recreating the table"
            )
    if missing and spec.on_schema_change == FAIL:
        raise TargetSchemaError(
            f"{spec.table_name}: the metadata adds {', '.join(repr(f.name) for f in missing)}, which Gold table {name!r} lacks, and "
            f"on_schema_change is fail; nothing was written. Add them by hand (ALTER TABLE ... ADD COLUMNS) or change on_schema_change"
        )
    if missing:
        added = ", ".join(_column_ddl(StructField(f.name, f.dataType, True, f.metadata)) for f in missing)
        spark.sql(f"ALTER TABLE {quote_table(name)} ADD COLUMNS ({added})")
    return False

"""Zero-row frames shaped like the rows a spec's expressions see, for typing them before any data.

Onboarding asks Spark for types: the struct a ``flatten`` entry expands
(:mod:`framework.onboarding.flatten`), the type a column's expression yields
(:mod:`framework.onboarding.narrowing`). A table's shape is the live table's when it exists; else,
for the Bronze copy of a system table (``${catalog}.${bronze_schema}.<table>``), the packaged
DDL's (a table is often onboarded before its Bronze copy is first loaded); else it is unknown.
Only the public DataFrame API (``tableExists``, ``table``, ``createDataFrame``, ``schema``), so
it works the same on Spark Connect.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.engine.explode import SOURCE_ALIAS, explode_rows
from framework.errors import FrameworkError
from framework.metadata.spec import TableSpec
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import fill_placeholders
from framework.platform.source_schemas import source_tables
from framework.platform.sqltext import quote_ident, quote_table

BRONZE_PREFIX = "${catalog}.${bronze_schema}."
GOLD_PREFIX = "${catalog}.${gold_schema}."


@dataclass(frozen=True)
class Shape:
    """Zero rows of a table (or of a spec's joined source) and where their columns came from."""

    rows: DataFrame
    described: str  # "source 'cat.schema.t'" or "system.billing.usage (packaged DDL; 'cat.schema.usage' does not exist yet)"


def table_shape(lakehouse: Lakehouse, text: str, gold_specs: dict[str, TableSpec] | None = None) -> Shape | None:
    """The zero-row frame of table ``text`` (placeholders allowed), or None when its shape is unknown.

    A Gold table (``${catalog}.${gold_schema}.<name>``) not created yet has the declared columns of
    its spec, when ``gold_specs`` holds it (a join to a table onboarded in the same file). Raises
    what filling the placeholders or reading the table raises (FrameworkError, PySparkException).
    """
    spark = lakehouse.spark
    name = fill_placeholders(text, lakehouse.params)
    if spark.catalog.tableExists(name):
        return Shape(spark.table(quote_table(name)).limit(0), f"source {name!r}")
    gold = (gold_specs or {}).get(text[len(GOLD_PREFIX):]) if text.startswith(GOLD_PREFIX) else None
    if gold is not None:
        columns = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in gold.columns)
        return Shape(spark.createDataFrame([], columns), f"the declared columns of {gold.table_name!r} ({name!r} does not exist yet)")
    known = [t for t in source_tables().values() if text.startswith(BRONZE_PREFIX) and t.name == text[len(BRONZE_PREFIX):]]
    if len(known) != 1:
        return None
    return Shape(spark.createDataFrame([], known[0].schema_ddl), f"{known[0].system_table} (packaged DDL; {name!r} does not exist yet)")


def spec_shape(lakehouse: Lakehouse, spec: TableSpec, gold_specs: dict[str, TableSpec] | None = None) -> Shape | None:
    """Zero of the rows ``spec``'s column expressions see, as the run builds them: the source as
    ``s``, ``explode`` applied, the joins joined; None when the source's shape is unknown or it
    cannot be read (the run reports that, naming the field).

    A source or joined Gold table that does not exist yet is shaped by its spec in ``gold_specs``. A join
    whose table's shape is still unknown, or whose condition does not resolve, is left out:
    expressions over it do not resolve here and go unchecked.
    """
    try:
        source = table_shape(lakehouse, spec.source_table, gold_specs)  # a view's source: a Gold table
        if source is None:
            return None
        rows = explode_rows(source.rows, spec.explode).alias(SOURCE_ALIAS)
        rows.schema  # an explode that does not resolve: the run names it
    except (FrameworkError, PySparkException):
        return None
    joined_with = []
    for join in spec.joins:
        try:
            other = table_shape(lakehouse, join.table, gold_specs)
            if other is None:
                continue
            joined = rows.join(other.rows.alias(join.alias), F.expr(join.on), join.how)
            joined.schema  # analysed here, so a condition that does not resolve leaves only this join out
        except (FrameworkError, PySparkException, ValueError, TypeError):
            continue
        rows = joined
        joined_with.append(f"{join.alias} = {other.described}")
    return Shape(rows, source.described + (f" joined with {', '.join(joined_with)}" if joined_with else ""))

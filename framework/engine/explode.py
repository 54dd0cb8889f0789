"""The ``explode`` entry applied to source rows: one row per array element, before anything else.

Why one function: the run (engine.transform) and onboarding (the type of a struct to flatten may
be an exploded element's) must see exactly the same rows, with the element under the same alias.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from framework.metadata.spec import ExplodeSpec

SOURCE_ALIAS = "s"  # the source's alias in every metadata expression


def explode_rows(df: DataFrame, explode: ExplodeSpec | None) -> DataFrame:
    """``df`` with the element (and its position, when named) added as columns, one row each.

    ``outer`` keeps a row whose array is empty or NULL, with NULL element and position. The
    expression sees the source as ``s`` (like every other expression), and so does what follows.
    """
    if explode is None:
        return df
    df = df.alias(SOURCE_ALIAS)
    array = F.expr(explode.expr)
    if explode.position:
        generator = F.posexplode_outer(array) if explode.outer else F.posexplode(array)
        return df.select("*", generator.alias(explode.position, explode.alias)).alias(SOURCE_ALIAS)
    generator = F.explode_outer(array) if explode.outer else F.explode(array)
    return df.select("*", generator.alias(explode.alias)).alias(SOURCE_ALIAS)

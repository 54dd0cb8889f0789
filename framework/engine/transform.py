"""From source rows to the Gold-shaped batch: joins, column mapping, deterministic dedup.

The prepared batch carries the Gold columns (cast to their declared types) and three technical
columns: ``_hm_sequence`` (the ``sequence_by`` value), ``_hm_is_delete`` (the
``delete_condition``), ``_hm_source_rows`` (how many source rows collapsed into this one, so
``rows_read`` and ``rows_deduplicated`` come out of one aggregate later, not extra scans) and, for
a table with a watermark, ``_hm_watermark`` (the highest watermark value of those rows, so the
window's upper bound comes out of that aggregate too).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from framework.engine.columns import CONTENT, IS_DELETE, KEY_CONFLICT, SEQ, SOURCE_ROWS, WATERMARK
from framework.engine.compare import content_hash, rows_of_keys, with_comparable_values
from framework.engine.explode import explode_rows
from framework.engine.folds import any_of
from framework.engine.loads import load_of
from framework.engine.type_loss import loss, sql_type
from framework.errors import SourceDriftError, SourceError
from framework.metadata.spec import QUARANTINE, TableSpec
from framework.platform.sqltext import quote_ident, quote_table

SOURCE_ALIAS = "s"



def _exploded(spec: TableSpec, df: DataFrame) -> DataFrame:
    """The source rows with ``explode`` applied; its names must not hide a source column."""
    if spec.explode is None:
        return df
    present = {c.lower() for c in df.columns}
    for key in ("alias", "position"):
        name = getattr(spec.explode, key)
        if name and name.lower() in present:
            raise SourceError(
                f"{spec.table_name}: explode.{key} {name!r} is also a column of source {spec.source_table!r}; "
                "choose another name (the element would hide the column)"
            )
    from pyspark.errors import AnalysisException

    try:
        return explode_rows(df, spec.explode)
    except AnalysisException as exc:
        reason = str(exc).strip().split("\n")[0]
        raise SourceError(
            f"{spec.table_name}: explode.expr {spec.explode.expr!r} does not resolve to an array over source "
            f"{spec.source_table!r}: {reason}. Source columns are: {', '.join(df.columns)}"
        ) from exc


def _joined(spark: SparkSession, spec: TableSpec, df: DataFrame, join_tables: list[str]) -> DataFrame:
    df = _exploded(spec, df).alias(SOURCE_ALIAS)
    for join, table in zip(spec.joins, join_tables):
        if not spark.catalog.tableExists(table):
            raise SourceError(
                f"{spec.table_name}: joined table {table!r} (joins alias {join.alias!r}) does not exist"
            )
        other = spark.table(quote_table(table)).alias(join.alias)
        df = df.join(other, F.expr(join.on), join.how)
    return df


def _mapped_columns(spec: TableSpec) -> list[Column]:
    return [F.expr(c.expr).cast(c.type).alias(c.name) for c in spec.columns]


def explain_mapping_error(spec: TableSpec, df: DataFrame, error: Exception) -> SourceError:
    """Find the one mapping that does not resolve against the source, and say so."""
    from pyspark.errors import AnalysisException

    for col in spec.columns:
        try:
            df.select(F.expr(col.expr).cast(col.type)).schema
        except AnalysisException as exc:
            reason = str(exc).strip().split("\n")[0]
            return SourceError(
                f"{spec.table_name}: columns[{col.name}].expr {col.expr!r} does not resolve against "
                f"source {spec.source_table!r}: {reason}. Source columns are: {', '.join(df.columns)}"
            )
    for field_name in ("sequence_by", "delete_condition"):
        text = getattr(spec, field_name)
        if text:
            try:
                df.select(F.expr(text)).schema
            except AnalysisException as exc:
                reason = str(exc).strip().split("\n")[0]
                return SourceError(f"{spec.table_name}: {field_name} {text!r} does not resolve against source {spec.source_table!r}: {reason}")
    return SourceError(f"{spec.table_name}: cannot map source {spec.source_table!r}: {error}")


def map_rows(spark: SparkSession, spec: TableSpec, df: DataFrame, join_tables: list[str], *, check_types: bool = False) -> DataFrame:
    """Gold columns plus the technical ones, one output row per source row (or per group).
    ``check_types``: first hold each column's expression type against its declared type."""
    joined = _joined(spark, spec, df, join_tables)
    if check_types:
        check_source_types(spec, joined)
    return _mapped(spec, joined)


def check_source_types(spec: TableSpec, joined: DataFrame) -> None:
    """Fail when a column's expression now yields a type its declared type cannot hold.

    Onboarding refused such a narrowing cast against the source as it was then; a source whose
    column was widened since (INT -> BIGINT, a DECIMAL with more digits) would otherwise be cut down
    by the cast without a word. One analysis, no job. Aggregates are typed by their functions and
    were judged at onboarding; an expression that does not resolve is left to :func:`_mapped`,
    which names it.
    """
    from pyspark.errors import AnalysisException

    if spec.aggregate:
        return
    try:
        fields = joined.select(*[F.expr(c.expr) for c in spec.columns], *[F.lit(None).cast(c.type) for c in spec.columns]).schema.fields
    except AnalysisException:
        return
    n = len(spec.columns)
    problems = []
    for column, produced, declared in zip(spec.columns, fields[:n], fields[n:]):
        reason = loss(produced.dataType, declared.dataType)
        if reason:
            problems.append(f"columns[{column.name}]: expr {column.expr!r} is now {sql_type(produced.dataType)} and the declared "
                            f"{sql_type(declared.dataType)} cannot hold it ({reason})")
    if problems:
        raise SourceDriftError(f"{spec.table_name}: the source's types changed since onboarding; nothing was written: " + "; ".join(problems)
                               + ". Declare the wider type (a new column, or --full-refresh after recreating the Gold table), or write the "
                               "intended cast in expr")


def _key_values(spec: TableSpec) -> list[Column]:
    """The key columns' expressions over the joined source rows (an aggregate's GROUP BY)."""
    return [F.expr(spec.column(k).expr).cast(spec.column(k).type) for k in spec.primary_keys]


def _source_watermark(spec: TableSpec) -> list[Column]:
    """The source row's watermark value (the source's own column, whatever the joins bring)."""
    if spec.watermark_column is None:
        return []
    return [F.col(f"{SOURCE_ALIAS}.{quote_ident(spec.watermark_column)}")]


def _mapped(spec: TableSpec, joined: DataFrame) -> DataFrame:
    from pyspark.errors import AnalysisException

    watermark = _source_watermark(spec)
    try:
        if spec.aggregate:
            keys = [value.alias(k) for value, k in zip(_key_values(spec), spec.primary_keys)]
            others = [
                F.expr(c.expr).cast(c.type).alias(c.name) for c in spec.columns if c.name not in spec.primary_keys
            ]
            grouped = joined.groupBy(*keys).agg(*others, F.count(F.lit(1)).alias(SOURCE_ROWS), *[F.max(w).alias(WATERMARK) for w in watermark])
            mapped = grouped.select(
                *[F.col(quote_ident(c)) for c in spec.column_names],
                F.lit(None).cast("string").alias(SEQ),
                F.lit(False).alias(IS_DELETE),
                F.col(SOURCE_ROWS),
                *[F.col(WATERMARK) for _ in watermark],
            )
        else:
            seq = F.expr(spec.sequence_by) if spec.sequence_by else F.lit(None).cast("string")
            is_delete = F.coalesce(F.expr(spec.delete_condition), F.lit(False)) if spec.delete_condition else F.lit(False)
            mapped = joined.select(
                *_mapped_columns(spec), seq.alias(SEQ), is_delete.alias(IS_DELETE), F.lit(1).alias(SOURCE_ROWS),
                *[w.alias(WATERMARK) for w in watermark],
            )
        mapped.schema  # force analysis here, where the error can be explained
    except AnalysisException as exc:
        raise explain_mapping_error(spec, joined, exc) from exc
    return mapped


def aggregate_history(spark: SparkSession, spec: TableSpec, window: DataFrame, source: DataFrame, join_tables: list[str]) -> DataFrame:
    """aggregate: the groups of the keys the window touches, each over ALL its source rows.

    A group's rows may arrive over several batches (a job run's hourly slices); grouping only the
    window would overwrite the complete group with a partial one. Keys the window does not touch
    are neither read into the groups nor merged, so the work stays proportional to the batch.
    """
    window_rows = _joined(spark, spec, window, join_tables)
    source_rows = _joined(spark, spec, source, join_tables)
    from pyspark.errors import AnalysisException

    try:
        touched = window_rows.select(*[v.alias(f"_hm_k{i}") for i, v in enumerate(_key_values(spec))]).distinct()
        on = F.lit(True)
        for i, value in enumerate(_key_values(spec)):
            on = on & value.eqNullSafe(F.col(f"_hm_k{i}"))
        history = source_rows.join(touched, on, "left_semi")
    except AnalysisException as exc:
        raise explain_mapping_error(spec, source_rows, exc) from exc
    return _mapped(spec, history)


def prepared_rows(spark: SparkSession, spec: TableSpec, window: DataFrame, source: DataFrame, join_tables: list[str]) -> DataFrame:
    """The mapped batch before dedup; widened to the touched keys' history when the spec says so."""
    if not load_of(spec).reads_key_history(spec) or spec.watermark_column is None:  # no watermark: the window is the source
        return map_rows(spark, spec, window, join_tables, check_types=True)
    if spec.aggregate:
        return aggregate_history(spark, spec, window, source, join_tables)
    return key_history(spec, map_rows(spark, spec, window, join_tables, check_types=True), map_rows(spark, spec, source, join_tables))


def key_history(spec: TableSpec, window_rows: DataFrame, all_rows: DataFrame) -> DataFrame:
    """Every mapped source row of the keys the window touches (scd2 recomputes their history).

    A late version may fall between versions that were collapsed away as unchanged; only the
    key's complete source history puts it back in its place exactly.
    """
    return rows_of_keys(all_rows, window_rows, list(spec.primary_keys))


def deduplicate(spec: TableSpec, df: DataFrame) -> DataFrame:
    """One row per value of the load type's dedup grain (the key; key and sequence for scd2):
    latest ``sequence_by`` wins.

    Ties are broken by a fixed rule, so the same input always yields the same output whatever its
    order: a deletion wins over a version at the same instant, then the greatest row by its column
    values. (``orderBy(...).dropDuplicates(...)`` keeps an arbitrary row.)

    Versions of one key at one sequence value that *differ* are not a tie to break but a key that
    does not determine a row: the kept row carries ``_hm_key_conflict`` (:func:`key_conflict`),
    and validation fails the table on it. Exact duplicates (system tables re-deliver rows) are not
    conflicts, nor is a deletion beside a version. Aggregates are exempt: their keys are GROUP BY.
    """
    if spec.aggregate:
        return df
    partition = [F.col(quote_ident(c)) for c in load_of(spec).dedup_grain(spec)]  # scd2: one row per version
    staged, content, helpers = with_comparable_values(spec, df)  # maps sorted into entries once per row
    hashed = None  # what tells rows of one key apart, one column (compare.content_hash); none when every column is a key
    if content:
        staged = staged.select("*", content_hash(content).alias(CONTENT))
        hashed, helpers = F.col(CONTENT), [*helpers, CONTENT]
    partition += _null_key_rows_apart(spec, hashed)
    order = [F.col(SEQ).desc_nulls_last(), F.col(IS_DELETE).desc()] + [c.desc_nulls_last() for c in content]
    window = Window.partitionBy(*partition).orderBy(*order)
    whole = Window.partitionBy(*partition)
    rank = F.row_number().over(window)
    ranked = staged.select("*", rank.alias("_hm_rank")).withColumn("_hm_differs", key_conflict(window, hashed))
    conflict = F.max(F.when(F.col("_hm_differs"), F.struct(F.col(SEQ).alias("seq")))).over(whole)
    collapsed = {SOURCE_ROWS: F.sum(SOURCE_ROWS).over(whole), KEY_CONFLICT: conflict}
    if WATERMARK in df.columns:  # the kept row stands for the highest watermark of the rows it replaces
        collapsed[WATERMARK] = F.max(WATERMARK).over(whole)
    return (
        ranked.withColumns(collapsed)
        .where(F.col("_hm_rank") == 1)
        .drop("_hm_rank", "_hm_differs", *helpers)
    )


def null_key(spec: TableSpec) -> Column | None:
    """TRUE on a row with NULL in a NOT NULL key column; None when the table has no such column."""
    keys = [F.col(quote_ident(k)).isNull() for k in spec.primary_keys if not spec.column(k).nullable]
    return any_of(keys) if keys else None


def _null_key_rows_apart(spec: TableSpec, hashed: Column | None) -> list[Column]:
    """Where rows with a NULL key are quarantined (``on_null``), one more partition column, so
    that dedup does not collapse them into one row standing for a "NULL" key: each distinct such
    row stays, to be quarantined with its content (exact duplicates still collapse). NULL on every
    other row: the normal grain. Evaluated only on NULL-key rows (``when``), no extra pass.
    ``hashed``: the row's content hash (None when every column is a key column)."""
    nulls = null_key(spec)
    if nulls is None or spec.on_null != QUARANTINE:
        return []
    content = [] if hashed is None else [hashed]
    return [F.when(nulls, F.xxhash64(F.col(SEQ), F.col(IS_DELETE), *content))]


def key_conflict(window: Window, hashed: Column | None) -> Column:
    """TRUE on a row that differs from the row before it in ``window`` while both are versions
    (not deletions) at the same sequence value (the row needs ``_hm_rank``, its row number there).

    The window orders one key's rows by sequence, deletions first, then by content, so the versions
    of one sequence value are adjacent and sorted: they are all equal exactly when no row differs
    from its predecessor. Rows differ when their content hashes (``hashed``,
    :func:`~framework.engine.compare.content_hash`) do: one ``lag`` in the dedup window's own order
    (no extra shuffle, sort or job), where a ``lag`` per column made the plan grow with the columns
    squared. ``hashed`` None: every column is a key column, so rows of one key cannot differ.
    """
    if hashed is None:
        return F.lit(False)
    same_sequence = F.lag(F.col(SEQ)).over(window).eqNullSafe(F.col(SEQ))
    after_a_version = ~F.lag(F.col(IS_DELETE)).over(window)
    differs = ~F.lag(hashed).over(window).eqNullSafe(hashed)
    return F.coalesce((F.col("_hm_rank") > 1) & same_sequence & after_a_version & ~F.col(IS_DELETE) & differs, F.lit(False))

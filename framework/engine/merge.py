"""The Gold write: a MERGE (or an overwrite) as data, run once, its counts read from the commit.

A :class:`MergePlan` (immutable clauses, null-safe keys, options named as dbt-databricks names
them) renders to one ``MERGE INTO`` over the rows :mod:`framework.engine.loads` computed. Counts
come from the commit's ``operationMetrics`` (found by the run id stored in the commit's
``userMetadata``, one read of the table's recent history per commit: its log's newest commit files
locally, ``DESCRIBE HISTORY`` elsewhere), never from extra ``count()`` scans; a
MERGE whose result row says it changed nothing made no commit and reads no history.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from framework.engine.columns import (
    IS_DELETE,
    RUN_ID,
    UPDATED_AT,
)
from framework.engine.layout import TargetLayout
from framework.errors import ConcurrentRunError, MergeError
from framework.platform.commit_retry import conflict_name
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_ident, quote_table

log = logging.getLogger(__name__)


# -- the MERGE statement ------------------------------------------------------------------------
@dataclass(frozen=True)
class WhenClause:
    """One WHEN clause: ``matched`` is 'MATCHED' or 'NOT MATCHED'; action DELETE/UPDATE/INSERT."""

    matched: str
    action: str
    condition: str | None = None


@dataclass(frozen=True)
class MergePlan:
    """A MERGE as data: what :meth:`sql` runs is what ``--dry-run`` and tests see."""

    target: str
    source: str
    unique_key: tuple[str, ...]
    merge_update_columns: tuple[str, ...]
    insert_columns: tuple[str, ...]
    clauses: tuple[WhenClause, ...] = field(default_factory=tuple)

    target_filter: str | None = None  # a predicate on target columns only: the files the batch can touch
    into_empty: bool = False  # the target was created by this run, empty: see :meth:`appends`

    def appends(self) -> bool:
        """Whether the write is a plain ``INSERT``: an insert-only MERGE (one unconditional NOT
        MATCHED insert) into a table this run created, so nothing can match. Same rows, same
        commit marker; but Delta's MERGE would still list the empty target's files (computing
        its snapshot state), anti-join against it and run its insert-only executor: 0.77 s
        against 0.31 s per first write of a table (decision 160)."""
        return self.into_empty and self.clauses == (WhenClause("NOT MATCHED", "INSERT"),)

    def on(self) -> str:
        keys = " AND ".join(f"t.{quote_ident(k)} <=> s.{quote_ident(k)}" for k in self.unique_key)
        return keys if not self.target_filter else f"{keys} AND {self.target_filter}"

    def sql(self) -> str:
        if self.appends():
            cols = ", ".join(quote_ident(c) for c in self.insert_columns)
            vals = ", ".join(f"s.{quote_ident(c)}" for c in self.insert_columns)
            return f"INSERT INTO {quote_table(self.target)} ({cols})\nSELECT {vals} FROM {quote_ident(self.source)} AS s"
        lines = [f"MERGE INTO {quote_table(self.target)} AS t", f"USING {quote_ident(self.source)} AS s", f"ON {self.on()}"]
        for clause in self.clauses:
            head = f"WHEN {clause.matched}" + (f" AND {clause.condition}" if clause.condition else "")
            if clause.action == "DELETE":
                lines.append(f"{head} THEN DELETE")
            elif clause.action == "UPDATE":
                sets = ", ".join(f"{quote_ident(c)} = s.{quote_ident(c)}" for c in self.merge_update_columns)
                lines.append(f"{head} THEN UPDATE SET {sets}")
            else:
                cols = ", ".join(quote_ident(c) for c in self.insert_columns)
                vals = ", ".join(f"s.{quote_ident(c)}" for c in self.insert_columns)
                lines.append(f"{head} THEN INSERT ({cols}) VALUES ({vals})")
        return "\n".join(lines)


# -- the rows the MERGE reads -----------------------------------------------------------------
def stamp(df: DataFrame, target_layout: TargetLayout, run_id: str, updated_at) -> DataFrame:
    """Project to the target's columns (plus the delete flag) with this run's stamp."""
    columns = []
    for f in target_layout.schema.fields:
        if f.name == RUN_ID:
            columns.append(F.lit(run_id).alias(RUN_ID))
        elif f.name == UPDATED_AT:
            columns.append(F.lit(updated_at).cast("timestamp").alias(UPDATED_AT))
        elif f.name in df.columns:
            columns.append(F.col(quote_ident(f.name)).cast(f.dataType).alias(f.name))
        else:
            columns.append(F.lit(None).cast(f.dataType).alias(f.name))
    return df.select(*columns, F.col(IS_DELETE))


# -- applying it ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Commit:
    """What the Gold write did, read from the Delta commit."""

    version: int | None
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_deleted: int = 0


NO_COMMIT = Commit(None)


def predicted(plan: MergePlan, changes: DataFrame, gold: DataFrame) -> Commit:
    """The counts the MERGE of ``plan`` over ``changes`` would report, writing nothing (a dry run).

    Each source row is decided as Delta's MERGE decides it: joined to Gold on the plan's ON
    condition, a matched row takes the first MATCHED clause whose condition holds (a DELETE or
    UPDATE of its target row), an unmatched one the first NOT MATCHED clause (an INSERT).
    """
    spark = changes.sparkSession
    source, target = f"__hm_predict_s_{uuid.uuid4().hex}", f"__hm_predict_t_{uuid.uuid4().hex}"
    arms = []
    for clause in plan.clauses:
        present = "t.__hm_present" if clause.matched == "MATCHED" else "t.__hm_present IS NULL"
        arms.append(f"WHEN {present}" + (f" AND ({clause.condition})" if clause.condition else "") + f" THEN '{clause.action}'")
    changes.createOrReplaceTempView(source)
    gold.createOrReplaceTempView(target)
    try:
        rows = spark.sql(
            f"SELECT CASE {' '.join(arms)} END AS action, count(*) AS n FROM {quote_ident(source)} AS s "
            f"LEFT JOIN (SELECT *, true AS __hm_present FROM {quote_ident(target)}) AS t ON {plan.on()} GROUP BY 1"
        ).collect()
    finally:
        spark.catalog.dropTempView(source)
        spark.catalog.dropTempView(target)
    counts = {r["action"]: r["n"] for r in rows}
    return Commit(None, counts.get("INSERT", 0), counts.get("UPDATE", 0), counts.get("DELETE", 0))


def _commit_for(lakehouse: Lakehouse, target: str, marker: Marker, *, maybe_none: bool = False) -> Commit:
    """The commit ``marker`` made (its counts); ``maybe_none``: an ``INSERT`` of no rows commits
    nothing, so finding none means NO_COMMIT rather than a lost commit."""
    for row in lakehouse.history(target, 20):
        if Marker.parse(row["userMetadata"], marker.table) == marker:
            m = row["operationMetrics"] or {}
            if row["operation"] == "MERGE":
                return Commit(
                    row["version"],
                    int(m.get("numTargetRowsInserted", 0)),
                    int(m.get("numTargetRowsUpdated", 0)),
                    int(m.get("numTargetRowsDeleted", 0)),
                )
            return Commit(row["version"], int(m.get("numOutputRows", 0)))
    if maybe_none:
        return NO_COMMIT
    raise MergeError(f"{target}: the commit of run {marker.run_id} is not in the table history")


class _SessionConfs:
    """Session confs set for the statement(s) run inside the block, then unset.

    The commit marker (``userMetadata``) says which run made the commit. ``materializeSource``
    ``none``: the MERGE's source is the framework's own diff over its materialized batch and a
    Delta scan of Gold, deterministic already, so Delta's copy of it (``auto`` copies any source
    that is not a plain Delta scan) would be a second materialization. A session that refuses a
    conf (serverless allows only some) keeps Delta's default: slower, never wrong.
    """

    USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata"
    MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource"

    def __init__(self, spark: SparkSession, marker: Marker, *, merge: bool = False):
        self.spark = spark
        self.confs = {self.USER_METADATA: marker.text()} | ({self.MATERIALIZE_SOURCE: "none"} if merge else {})
        self.set: list[str] = []

    def __enter__(self):
        for key, value in self.confs.items():
            try:
                self.spark.conf.set(key, value)
                self.set.append(key)
            except PySparkException as exc:
                if key == self.USER_METADATA:  # no marker, no exactly-once: nothing is written without it
                    raise MergeError(f"this session refuses {key}, which carries the run's marker in the Gold commit "
                                     f"(docs/architecture.md, exactly-once); nothing was written: {exc}") from exc
                log.info("%s cannot be set on this session; Delta's default applies", key)

    def __exit__(self, *exc):
        for key in self.set:
            self.spark.conf.unset(key)


@dataclass(frozen=True)
class Marker:
    """What a Gold commit records of the run that made it (its ``userMetadata``): the run, and the
    batch's bounds — the watermark the window started from and the one the run stores on success.
    A control row that lost its last state update is recovered from it (:mod:`framework.engine.recovery`)."""

    run_id: str
    table: str
    watermark_from: str | None
    watermark_to: str | None

    def text(self) -> str:
        return json.dumps({"healthmon_run_id": self.run_id, "table": self.table, "watermark_from": self.watermark_from,
                           "watermark_to": self.watermark_to}, sort_keys=True)

    @classmethod
    def parse(cls, user_metadata: str | None, table: str) -> Marker | None:
        """The marker in a commit's ``userMetadata`` when it is one of ``table``'s, else None."""
        try:
            found = json.loads(user_metadata or "")
        except ValueError:
            return None
        if not isinstance(found, dict) or found.get("table") != table or not found.get("healthmon_run_id"):
            return None
        return cls(found["healthmon_run_id"], table, found.get("watermark_from"), found.get("watermark_to"))


def _refused(marker: Marker, why: str) -> ConcurrentRunError:
    """The refusal of a Gold write another run of the table got in first: ``why`` (which names the
    Gold table), and that nothing of this run reached it."""
    return ConcurrentRunError(f"{marker.table}: {why}; this run wrote nothing to it and leaves the table's state to that run. "
                              f"Run again to take up anything newer")


@contextmanager
def refused_on_conflict(target: str, marker: Marker):
    """A Gold write that lost Delta's commit race to another run of the same table: that run's
    write stands and this one is refused (:class:`ConcurrentRunError`), not retried — its batch was
    computed against a Gold version that is gone."""
    try:
        yield
    except Exception as exc:
        name = conflict_name(exc)
        if name is None:
            raise
        raise _refused(marker, f"another run committed to {target} while run {marker.run_id} was writing ({name})") from exc


def write_changes(lakehouse: Lakehouse, plan: MergePlan, changes: DataFrame, marker: Marker, base: int | None = None) -> Commit:
    """Run the MERGE over ``changes`` (into a table this run created, its INSERT:
    :meth:`MergePlan.appends`); its commit, or NO_COMMIT when it changed no row.

    ``changes`` is not materialized again, neither here nor by Delta (:class:`_SessionConfs`): it
    is built from the batch the framework materialized once and a Delta scan of Gold.
    Nothing is counted beforehand either: a MERGE whose source is empty, or whose insert-only
    anti join leaves nothing, commits nothing, and its result row says so (``num_affected_rows``
    = 0), so the table's history is read only for a commit that exists.
    """
    spark = lakehouse.spark
    changes.createOrReplaceTempView(plan.source)
    try:
        with lakehouse.writing(plan.target), _SessionConfs(spark, marker, merge=True), refused_on_conflict(plan.target, marker):
            _refuse_if_written_since(lakehouse, plan.target, marker, base)
            result = spark.sql(plan.sql()).first()
    finally:
        spark.catalog.dropTempView(plan.source)
    if result is not None and "num_affected_rows" in result.asDict() and not result["num_affected_rows"]:
        return NO_COMMIT
    return _commit_for(lakehouse, plan.target, marker, maybe_none=plan.appends())


def _refuse_if_written_since(lakehouse: Lakehouse, target: str, marker: Marker, base: int | None) -> None:
    """Refuse the write when another run of the table committed to ``target`` after ``base``, the
    version this run computed its changes against (they would be applied over rows they never saw).
    Locally the table's write lock is held, so nothing can commit between this check and the write;
    on Databricks a commit in the milliseconds between the two is caught only where Delta's own
    conflict detection sees it (decision 130; the generic job never runs twice at once)."""
    if base is None:
        return
    for commit in lakehouse.history(target, 5):
        if commit["version"] <= base:
            return
        other = Marker.parse(commit["userMetadata"], marker.table)
        if other is not None and other.run_id != marker.run_id:
            raise _refused(marker, f"run {other.run_id} wrote {target} (version {commit['version']}) after run "
                                   f"{marker.run_id} computed its changes against version {base}")


def overwrite(lakehouse: Lakehouse, target: str, lay: TargetLayout, rows: DataFrame, view: str, marker: Marker,
              base: int | None = None) -> Commit:
    """Replace the whole Gold content in one commit (``--full-refresh``)."""
    spark = lakehouse.spark
    rows.createOrReplaceTempView(view)
    columns = ", ".join(quote_ident(f.name) for f in lay.schema.fields)
    try:
        with lakehouse.writing(target), _SessionConfs(spark, marker), refused_on_conflict(target, marker):
            _refuse_if_written_since(lakehouse, target, marker, base)
            spark.sql(f"INSERT OVERWRITE TABLE {quote_table(target)} SELECT {columns} FROM {quote_ident(view)}")
    finally:
        spark.catalog.dropTempView(view)
    return _commit_for(lakehouse, target, marker)

"""The Gold table's shape as data: its columns and keys (:class:`TargetLayout`), its files' organisation
(:class:`PhysicalLayout`). Built from the metadata and the load type (:mod:`framework.engine.write_plan`,
:mod:`framework.engine.target`), read by the load types' diffs and the MERGE plan.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql.types import StructType

from framework.metadata.spec import CLUSTER_AUTO
from framework.platform.sqltext import quote_ident


@dataclass(frozen=True)
class TargetLayout:
    """The Gold table's columns, and which of them the engine compares to detect a change."""

    schema: StructType
    business: tuple[str, ...]  # metadata columns
    compared: tuple[str, ...]  # columns whose difference means "changed"
    merge_keys: tuple[str, ...]  # MERGE ON columns


@dataclass(frozen=True)
class PhysicalLayout:
    """How the Gold table's files are organized: liquid clustering and deletion vectors.

    ``cluster_by`` is () for none, the columns, or ("AUTO",) where Databricks chooses them.
    """

    cluster_by: tuple[str, ...]
    deletion_vectors: bool

    @property
    def cluster_clause(self) -> str:
        if not self.cluster_by:
            return "NONE"
        if self.cluster_by == (CLUSTER_AUTO,):
            return CLUSTER_AUTO
        return "(" + ", ".join(quote_ident(c) for c in self.cluster_by) + ")"

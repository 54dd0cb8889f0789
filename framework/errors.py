"""One hierarchy for every error the framework raises on purpose.

Messages name the table and the field, carry the bad value with ``!r`` and say what would be
right, so an operator can fix metadata or data without reading the code.
"""

from __future__ import annotations

from dataclasses import dataclass


class FrameworkError(Exception):
    """Base of every deliberate framework error."""


@dataclass(frozen=True)
class SpecIssue:
    """One problem found in one field of one table's metadata."""

    table: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.table}.{self.field}: {self.message}"


class SpecError(FrameworkError):
    """Metadata that cannot be run; holds every issue found, not just the first."""

    def __init__(self, issues: list[SpecIssue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"{len(self.issues)} metadata error(s):\n{lines}")


class UnknownLoadTypeError(FrameworkError):
    """A load type name that is not in the registry (:mod:`framework.engine.loads.registry`); the
    message lists the valid ones."""


class UnsafeSqlError(FrameworkError):
    """An identifier or SQL fragment from metadata that must not reach a statement."""


class PlaceholderError(FrameworkError):
    """A ``${...}`` placeholder that is not one of the run parameters."""


class SourceError(FrameworkError):
    """The source of a table is missing or does not have what the metadata maps."""


class TargetSchemaError(FrameworkError):
    """The Gold table exists with a shape the metadata cannot be merged into."""


class ValidationFailedError(FrameworkError):
    """A check of severity ``error`` failed; nothing was written for the table."""

    def __init__(self, table: str, failed_checks: list[str]):
        self.table = table
        self.failed_checks = list(failed_checks)
        super().__init__(f"{table}: validation failed: " + "; ".join(self.failed_checks))


class KeyViolationError(FrameworkError):
    """The primary key does not determine a row: rows of one key (and sequence value) differ in a batch.

    Deduplication would keep one of them by its tie rule and silently drop the others, so the
    table fails instead (nothing written, watermark kept) and the metadata's key must be fixed.
    """


class MergeError(FrameworkError):
    """The Gold write could not be planned or did not commit as expected."""


class WorkspaceError(FrameworkError):
    """A Databricks workspace call that could not be made or failed: no credentials, no such job
    or run, an API error (``healthmon job ...``)."""

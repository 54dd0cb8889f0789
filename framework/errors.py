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

    def __post_init__(self) -> None:
        # a row whose table_name is missing or not text is still named, as text (``None``), as
        # the shape and metadata checks name it: every issue of one row carries the same name
        if not isinstance(self.table, str):
            object.__setattr__(self, "table", str(self.table))

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


class ConcurrentRunError(FrameworkError):
    """Another run of the same table committed its Gold write first: this run is refused (SKIPPED,
    nothing written, the table's state left to the other run)."""


class SourceDriftError(SourceError):
    """The source's schema changed since onboarding in a way the metadata cannot take (a column's
    type widened beyond its declared Gold type): the table fails, nothing written."""


class SourceAbsentError(SourceError):
    """A source marked ``source_optional`` (a preview system table a workspace may not have) does
    not exist: the table is SKIPPED with this reason, not FAILED, and so are its dependents."""


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


class CommitConflictError(FrameworkError):
    """A Delta commit kept losing optimistic-concurrency races after every retry
    (:func:`framework.platform.commit_retry.retry_on_conflict`); the statement was not applied."""


class PlanError(FrameworkError):
    """The tables of a run cannot be put in an order to run: raised as is when the plan needs more
    dependency layers than the job declares (:data:`framework.engine.fanout.MAX_LAYERS`)."""


class DependencyCycleError(PlanError):
    """Tables wait for each other in a cycle (``depends_on``), so none of them can run first."""


class SelectionError(PlanError):
    """A ``--table`` or ``--domain`` (or a job's ``tables``/``domain``) names nothing onboarded;
    the message lists the valid names."""


class RunFailedError(FrameworkError):
    """A run, or a job run's summary, ended with tables that did not succeed; raised so the
    Databricks task (hence the job run) fails. The audit table holds each table's reason."""


class JarsMissingError(FrameworkError):
    """The pinned Delta Lake jars are not where a local session looks; the message names the
    folders searched and how to fetch the jars. Raised before any JVM starts."""


class ResourceMissingError(FrameworkError):
    """A folder of files the framework reads at run time (``control_tables/``, ``resources/``) is
    neither in the installed package nor in a source tree: a broken install."""


class EndpointError(FrameworkError):
    """A Spark Connect or SQL (Thrift) endpoint cannot be addressed, started or reached: a URL that
    is not ``sc://HOST[:PORT]``, no server answering, a port in use, a service that did not start."""


class UnsupportedPysparkError(FrameworkError):
    """pyspark behaved in a way the framework does not handle (a version other than the pinned one
    changed it); failing there beats a wrong result later. Pin requirements.txt's pyspark."""


class SettingError(FrameworkError):
    """An environment variable of the framework (``HEALTHMON_*``) has a value it cannot use."""


class DashboardError(FrameworkError):
    """The Lakeview dashboard file cannot be read or has no datasets and pages, or the health
    report drawn from it has nowhere to be written."""


class DemoDataError(FrameworkError):
    """A request to the demo data generator that it cannot honour: a batch or scale below 1, a
    batch already in Bronze, an unknown demo table, a generated field the schema does not have."""


class InjectedCrash(BaseException):  # noqa: N818 - a crash, not an error: BaseException on purpose
    """The process "died" at a failpoint (framework.engine.failpoints; raised only when one is armed).

    Not an ``Exception``: it passes the runner's per-table isolation, so nothing after the point is
    written, as when a process is killed there.
    """

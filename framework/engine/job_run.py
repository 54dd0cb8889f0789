"""What one Databricks job run has done so far, read back from the append-only audit table.

Fan-out tasks of one job run share nothing but the tables, so the audit rows carrying the job's
``job_run_id`` are how a table task learns that an upstream table failed earlier in the same job
run (it is then SKIPPED), and how the final summary task decides whether the job run failed.
The latest row per table wins, so a task retry that succeeds supersedes its failed attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.engine.audit import AUDIT_TABLE, DEPENDENCY_FAILED, DISABLED, FAILED, SKIPPED, SUCCEEDED, VALIDATION_FAILED
from framework.errors import RunFailedError
from framework.platform.lakehouse import Lakehouse
from framework.platform.sqltext import quote_table, sql_string

FAILURES = (FAILED, VALIDATION_FAILED)


def blocks_dependents(row: dict) -> bool:
    """Whether a table's audit row is a cause that skips its dependents, as in a one-process run: it
    failed, or it was skipped for a reason of its own (an absent optional source), not for being
    disabled. A table skipped for a failed dependency is no cause of its own: its cause is upstream
    of it too, and is the one named."""
    reason = row.get("error_message") or ""
    own_skip = row["status"] == SKIPPED and reason != DISABLED and not reason.startswith(DEPENDENCY_FAILED)
    return row["status"] in FAILURES or own_skip


def latest_outcomes(lakehouse: Lakehouse, job_run_id: str) -> dict[str, dict]:
    """table -> its latest audit row (as a dict) in this job run."""
    audit = quote_table(lakehouse.params.control(AUDIT_TABLE))
    rows = lakehouse.spark.sql(
        f"""
        SELECT * FROM (
          SELECT *, row_number() OVER (PARTITION BY table_name ORDER BY ended_at DESC, started_at DESC, run_id DESC) AS rn
          FROM {audit} WHERE job_run_id = {sql_string(job_run_id)}
        ) WHERE rn = 1
        """
    ).drop("rn").collect()
    return {r["table_name"]: r.asDict() for r in rows}


@dataclass(frozen=True)
class JobRunSummary:
    job_run_id: str
    outcomes: dict[str, dict]
    missing: tuple[str, ...]  # planned tables with no audit row in this job run

    @property
    def failed(self) -> dict[str, str]:
        return {t: (r.get("error_message") or r["status"]) for t, r in sorted(self.outcomes.items()) if r["status"] in FAILURES}

    @property
    def ok(self) -> bool:
        return not self.failed and not self.missing

    def lines(self) -> list[str]:
        out = [f"{t}: {r['status']}" + (f" {r['error_message']}" if r.get("error_message") else "") for t, r in sorted(self.outcomes.items())]
        out += [f"{t}: no audit row in job run {self.job_run_id} (its task did not run)" for t in self.missing]
        succeeded = sum(1 for r in self.outcomes.values() if r["status"] == SUCCEEDED)
        out.append(f"job run {self.job_run_id}: {succeeded}/{len(self.outcomes) + len(self.missing)} tables succeeded")
        return out


def summarize(lakehouse: Lakehouse, job_run_id: str, planned: list[str]) -> JobRunSummary:
    outcomes = latest_outcomes(lakehouse, job_run_id)
    return JobRunSummary(job_run_id, outcomes, tuple(sorted(set(planned) - set(outcomes))))


def require_success(summary: JobRunSummary) -> None:
    """Raise (failing the summary task, hence the job run) when any planned table did not succeed."""
    if summary.ok:
        return
    parts = [f"{t}: {message}" for t, message in summary.failed.items()]
    parts += [f"{t}: never ran" for t in summary.missing]
    raise RunFailedError(f"job run {summary.job_run_id}: {len(parts)} table(s) failed: " + "; ".join(parts))

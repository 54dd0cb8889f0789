"""``lakeflow.job_run_timeline``, ``job_task_run_timeline``, ``pipeline_update_timeline``.

Why derived from usage: usage rows carry ``job_run_id`` and ``dlt_update_id``; a run that usage
bills must exist in the timelines. So every job run and pipeline update here starts in the hour
of the usage row that names it (plus each night's run of ``nightly_billing_rollup`` at 23:20 and
a pipeline update at 22:50, which always cross midnight).

What the timelines look like upstream: immutable rows, one per clock hour a run overlaps
(``period_start_time``/``period_end_time`` bound the slice), ``result_state`` and
``termination_code`` only on the last slice. A row is available once its period ended, so
batch ``n`` delivers the slices that ended by midnight; the rest of a run that crosses midnight
arrives with batch ``n + 1``, and batch ``n`` holds that run without any result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from framework.demo.billing import originals_of
from framework.demo.common import ACCOUNT_ID, at, batch_day, end_of, stable_digits, stable_fraction, stable_uuid
from framework.demo.jobs import NIGHTLY_JOB, replay_jobs, tasks_of
from framework.demo.pipelines import PIPELINES
from framework.demo.world import (
    PIPELINE_CLUSTER,
    PROD_ETL,
    UC_TABLES,
    UNKNOWN_WORKSPACE,
    WORKSPACE_BY_ID,
    cluster_id,
    pipeline_id,
)


def hourly_slices(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at every full hour: how the timelines slice a long run."""
    slices = []
    cursor = start
    while cursor < end:
        boundary = cursor.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        slices.append((cursor, min(end, boundary)))
        cursor = slices[-1][1]
    return slices


def _duration_minutes(*parts: object) -> int:
    """Mostly minutes; a quarter of runs take one to two and a half hours; a few up to five."""
    f = stable_fraction("duration", *parts)
    if f < 0.70:
        return 5 + int(f / 0.70 * 50)
    if f < 0.95:
        return 60 + int((f - 0.70) / 0.25 * 90)
    return 150 + int((f - 0.95) / 0.05 * 150)


_OUTCOMES = (  # cumulative share, result_state, termination_code
    (0.84, "SUCCEEDED", "SUCCESS"),
    (0.91, "FAILED", "RUN_EXECUTION_ERROR"),
    (0.93, "FAILED", "CLUSTER_ERROR"),
    (0.96, "CANCELLED", "CANCELED"),
    (0.98, "TIMED_OUT", "RUN_EXECUTION_ERROR"),
    (1.00, "ERROR", "DRIVER_ERROR"),
)


def _outcome(*parts: object) -> tuple[str, str]:
    f = stable_fraction("outcome", *parts)
    return next((state, code) for share, state, code in _OUTCOMES if f < share)


@dataclass(frozen=True)
class TaskRun:
    run_id: str
    task_key: str
    start: datetime
    end: datetime
    result_state: str
    termination_code: str


@dataclass(frozen=True)
class JobRun:
    workspace_id: str
    job_id: str
    run_id: str
    run_name: str
    start: datetime
    end: datetime
    result_state: str
    termination_code: str
    trigger_type: str
    run_type: str
    compute_ids: tuple[str, ...]  # the job cluster, if any (what task runs ran on)
    job_parameters: dict | None
    tasks: tuple[TaskRun, ...]


def _task_runs(run_id: str, keys: list[str], start: datetime, end: datetime, outcome: tuple[str, str]) -> tuple[TaskRun, ...]:
    """The job's tasks one after the other over the run; the last one carries a failure."""
    if not keys:
        return ()
    weights = [1 + stable_fraction("task-weight", run_id, k) for k in keys]
    total = sum(weights)
    tasks, cursor = [], start
    for position, (key, weight) in enumerate(zip(keys, weights, strict=True)):
        last = position == len(keys) - 1
        finish = end if last else cursor + (end - start) * (weight / total)
        state, code = outcome if last else ("SUCCEEDED", "SUCCESS")
        tasks.append(TaskRun(stable_digits("task-run", run_id, key), key, cursor, finish, state, code))
        cursor = finish
    return tuple(tasks)


def _job_run(workspace: str, job_id: str, run_id: str, name: str, start: datetime, minutes: int, cluster: str | None,
             trigger: str, task_batch: int) -> JobRun:
    end = start + timedelta(minutes=minutes)
    outcome = _outcome(run_id)
    kind = stable_fraction("run-type", run_id)
    run_type = "SUBMIT_RUN" if kind < 0.05 else "WORKFLOW_RUN" if kind < 0.10 else "JOB_RUN"
    params = stable_fraction("params", run_id)
    parameters = None if params < 0.1 else {} if params < 0.7 else {"run_date": {"value": start.date().isoformat()}}
    return JobRun(
        workspace_id=workspace, job_id=job_id, run_id=run_id, run_name=name, start=start, end=end,
        result_state=outcome[0], termination_code=outcome[1], trigger_type=trigger, run_type=run_type,
        compute_ids=(cluster,) if cluster else (), job_parameters=parameters,
        tasks=_task_runs(run_id, tasks_of(workspace, job_id, task_batch), start, end, outcome),
    )


@lru_cache(maxsize=8)
def job_runs_started(batch: int) -> tuple[JobRun, ...]:
    """The runs whose first slice batch ``batch`` delivers: one per job usage row, and the nightly run."""
    day = batch_day(batch)
    originals = originals_of(batch)
    runs = []
    for row in originals:
        meta = row["usage_metadata"]
        if row["billing_origin_product"] != "JOBS":
            continue
        run_id = meta["job_run_id"]
        start = row["usage_start_time"] + timedelta(minutes=int(stable_fraction("start", run_id) * 20))
        trigger = "CRON" if stable_fraction("trigger", run_id) < 0.7 else "ONETIME"
        usage_batch = (row["usage_date"] - batch_day(1)).days + 1
        runs.append(_job_run(row["workspace_id"], meta["job_id"], run_id, meta["job_name"], start,
                             _duration_minutes(run_id), meta.get("cluster_id"), trigger, usage_batch))
    if WORKSPACE_BY_ID[NIGHTLY_JOB.workspace_id].present(batch):
        run_id = stable_digits("nightly", batch)
        runs.append(_job_run(NIGHTLY_JOB.workspace_id, NIGHTLY_JOB.job_id, run_id, NIGHTLY_JOB.name,
                             at(day, 23 * 60 + 20), 135, None, "CRON", batch))
    return tuple(runs)


def _delivered(started_today: list, started_yesterday: list, batch: int):
    """(run, slice start, slice end, is last) of every slice batch ``batch`` delivers."""
    cutoff, previous_cutoff = end_of(batch), end_of(batch - 1)
    for runs, keep in ((started_yesterday, lambda e: e > previous_cutoff), (started_today, lambda e: e <= cutoff)):
        for run in runs:
            slices = hourly_slices(run.start, run.end)
            for number, (start, end) in enumerate(slices):
                if keep(end):
                    yield run, start, end, number == len(slices) - 1


def job_run_rows(batch: int) -> list[dict]:
    yesterday = job_runs_started(batch - 1) if batch > 1 else ()
    return [
        {
            "account_id": ACCOUNT_ID,
            "workspace_id": run.workspace_id,
            "job_id": run.job_id,
            "run_id": run.run_id,
            "period_start_time": start,
            "period_end_time": end,
            "trigger_type": run.trigger_type,
            "result_state": run.result_state if last else None,
            "run_type": run.run_type,
            "run_name": run.run_name,
            "compute_ids": list(run.compute_ids) if run.run_type == "WORKFLOW_RUN" else [],
            "termination_code": run.termination_code if last else None,
            "job_parameters": run.job_parameters,
        }
        for run, start, end, last in _delivered(job_runs_started(batch), yesterday, batch)
    ]


def job_task_run_rows(batch: int) -> list[dict]:
    @dataclass(frozen=True)
    class _Task:  # a task run with what its rows repeat from the job run
        job: JobRun
        task: TaskRun

        @property
        def start(self):
            return self.task.start

        @property
        def end(self):
            return self.task.end

    def tasks(runs: list[JobRun]) -> list[_Task]:
        return [_Task(run, task) for run in runs for task in run.tasks]

    yesterday = tasks(job_runs_started(batch - 1)) if batch > 1 else []
    return [
        {
            "account_id": ACCOUNT_ID,
            "workspace_id": t.job.workspace_id,
            "job_id": t.job.job_id,
            "run_id": t.task.run_id,
            "period_start_time": start,
            "period_end_time": end,
            "task_key": t.task.task_key,
            "compute_ids": list(t.job.compute_ids),
            "result_state": t.task.result_state if last else None,
            "job_run_id": t.job.run_id,
            "parent_run_id": t.job.run_id,
            "termination_code": t.task.termination_code if last else None,
        }
        for t, start, end, last in _delivered(tasks(job_runs_started(batch)), yesterday, batch)
    ]


# -- lakeflow.pipeline_update_timeline ---------------------------------------------------
@dataclass(frozen=True)
class Update:
    workspace_id: str
    pipeline_id: str
    update_id: str
    start: datetime
    end: datetime
    update_type: str
    trigger_type: str
    result_state: str
    serverless: bool
    run_as: str
    trigger_job: str | None  # the job whose task started a JOB_TASK update


_UPDATE_OUTCOMES = ((0.88, "COMPLETED"), (0.96, "FAILED"), (1.0, "CANCELED"))


def _update(workspace: str, pipeline: str, update_id: str, start: datetime, minutes: int, batch: int) -> Update | None:
    attrs = PIPELINES.alive_after(batch).get((workspace, pipeline))
    if attrs is None:
        return None
    kind = stable_fraction("update-type", update_id)
    f = stable_fraction("update-outcome", update_id)
    trigger = stable_fraction("update-trigger", update_id)
    jobs = sorted(j for j, job in replay_jobs(batch)[-1].jobs.items() if job.workspace_id == workspace)
    if trigger < 0.3 and not jobs:
        trigger = 0.5  # no job in the workspace to have triggered it
    return Update(
        workspace_id=workspace, pipeline_id=pipeline, update_id=update_id, start=start,
        end=start + timedelta(minutes=minutes),
        update_type="FULL_REFRESH" if kind < 0.1 else "VALIDATE" if kind < 0.15 else "REFRESH",
        trigger_type="JOB_TASK" if trigger < 0.3 else "API_CALL" if trigger < 0.6 else "USER_ACTION" if trigger < 0.9 else "RETRY_ON_FAILURE",
        result_state=next(state for share, state in _UPDATE_OUTCOMES if f < share),
        serverless=attrs["settings"]["serverless"], run_as=attrs["run_as"],
        trigger_job=jobs[int(stable_fraction("trigger-job", update_id) * len(jobs))] if trigger < 0.3 else None,
    )


@lru_cache(maxsize=8)
def updates_started(batch: int) -> tuple[Update, ...]:
    originals = originals_of(batch)
    updates = []
    for row in originals:
        meta = row["usage_metadata"]
        if row["billing_origin_product"] != "DLT" or row["workspace_id"] == UNKNOWN_WORKSPACE:
            continue
        update_id = meta["dlt_update_id"]
        start = row["usage_start_time"] + timedelta(minutes=int(stable_fraction("start", update_id) * 30))
        usage_batch = (row["usage_date"] - batch_day(1)).days + 1
        updates.append(_update(row["workspace_id"], meta["dlt_pipeline_id"], update_id, start,
                               10 + int(stable_fraction("minutes", update_id) * 170), usage_batch))
    nightly = _update(PROD_ETL, pipeline_id(PROD_ETL, 0), stable_uuid("nightly-update", batch),
                      at(batch_day(batch), 22 * 60 + 50), 90, batch)
    return tuple(u for u in (*updates, nightly) if u is not None)


def _table(index: int) -> dict:
    table = UC_TABLES[index]
    return {"table_catalog": table.catalog, "table_schema": table.schema, "table_name": table.name}


def pipeline_update_rows(batch: int) -> list[dict]:
    yesterday = updates_started(batch - 1) if batch > 1 else ()
    rows = []
    for u, start, end, last in _delivered(updates_started(batch), yesterday, batch):
        job_task = None
        if u.trigger_type == "JOB_TASK":
            job_task = {"job_task": {"job_id": u.trigger_job,
                                     "job_task_run_id": stable_digits("pl-task-run", u.update_id),
                                     "performance_target": None}}
        rows.append({
            "workspace_id": u.workspace_id,
            "pipeline_id": u.pipeline_id,
            "update_id": u.update_id,
            "update_type": u.update_type,
            "request_id": stable_uuid("request", u.update_id),
            "run_as_user_name": u.run_as,
            "trigger_type": u.trigger_type,
            "trigger_details": job_task,
            "result_state": u.result_state if last else None,
            "compute": {"type": "SERVERLESS", "cluster_id": None} if u.serverless
            else {"type": "CLASSIC", "cluster_id": cluster_id(u.workspace_id, PIPELINE_CLUSTER)},
            "period_start_time": start,
            "period_end_time": end,
            "refresh_selection": [],
            "full_refresh_selection": [_table(1)] if u.update_type == "FULL_REFRESH" else [],
            "reset_checkpoint_selection": None if u.update_type == "VALIDATE"
            else ["orders_raw_flow"] if u.update_type == "FULL_REFRESH" else [],
            "account_id": ACCOUNT_ID,
        })
    return rows

"""``lakeflow.jobs`` and ``lakeflow.job_tasks``: the SCD2 definitions of jobs and their tasks.

Why jobs keep their own replay (not :mod:`framework.demo.scd2`): they were the first demo table
and the tests and Gold expectations downstream were written against exactly these rows; the
generic engine reproduces the same cases for the other SCD2 tables. Jobs: duplicates, a
no-op version, a version arriving late and out of order, a deletion (``legacy_export``, batch 2)
and a job created in a workspace that appears in batch 2. Tasks follow their jobs (created and
deleted with them) and add a task removed in batch 2 and re-added in batch 3.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from framework.demo.common import ACCOUNT_ID, at, batch_day, with_duplicates
from framework.demo.scd2 import DELETE_MINUTE, Entity, Scd2Source
from framework.demo.world import SP, present_workspaces

DUPLICATES = 2  # job rows each batch delivers a second time


@dataclass(frozen=True)
class Job:
    workspace_id: str
    job_id: str
    name: str
    creator_id: str
    run_as: str
    description: str | None
    tags: dict = field(default_factory=dict)

    def row(self, change_time: datetime, delete_time: datetime | None = None) -> dict:
        return {
            "account_id": ACCOUNT_ID,
            "workspace_id": self.workspace_id,
            "job_id": self.job_id,
            "name": self.name,
            "creator_id": self.creator_id,
            "tags": dict(self.tags),
            "run_as": self.run_as,
            "change_time": change_time,
            "delete_time": delete_time,
            "description": self.description,
        }


_PROD = {"env": "prod"}
INITIAL_JOBS = (  # workspace, job id, name, creator, run as, description, tags
    Job("1444828305810485", "90210117731842", "nightly_billing_rollup", "4102", SP, "Daily cost rollup",
        {"team": "finops", **_PROD}),
    Job("1444828305810485", "90210117731907", "dashboard_refresh", "4102", "ana@example.com", None,
        {"team": "bi"}),
    Job("2718281828459045", "51123098200011", "ingest_orders", "5521", SP, "Orders from Kafka to Bronze",
        {"team": "data-eng", **_PROD}),
    Job("2718281828459045", "51123098200012", "legacy_export", "5521", "bob@example.com", "CSV export to ERP"),
    Job("2718281828459045", "51123098200340", "customer_360_build", "5530", SP, None,
        {"team": "data-eng", "tier": "gold", **_PROD}),
    Job("3141592653589793", "77001", "scratch_notebook_job", "6001", "carol@example.com", None),
    Job("4669201609102990", "31337000001", "train_churn_model", "7007", "dan@example.com", "Weekly churn",
        {"team": "ml"}),
    Job("5772156649015328", "42424242", "month_end_close", "8008", SP, "Finance month-end close",
        {"team": "finance", **_PROD}),
)
NEW_JOB = Job(
    "6180339887498948", "99000000000001", "platform_checks", "9009", SP, "Platform checks", {"team": "platform"}
)
NIGHTLY_JOB = INITIAL_JOBS[0]  # runs every night across midnight: a run spanning two batches
DELETED_IN_BATCH_2 = "51123098200012"  # legacy_export
NEW_JOB_MINUTE = 8 * 60  # platform_checks is created at 08:00 of batch 2
_NAME_SUFFIXES = ("", "_v2", "_prod", "_daily")
_DESCRIPTIONS = (None, "Owned by the platform team", "Do not edit: managed by a bundle", "Runs after ingest")
_MUTATIONS = ("rename", "retag", "describe", "touch")


def _mutate(job: Job, how: str, rng: random.Random) -> Job:
    """The next version of ``job``; ``touch`` changes nothing but the change time."""
    if how == "rename":
        base = job.name
        for suffix in _NAME_SUFFIXES[1:]:
            base = base.removesuffix(suffix)
        return replace(job, name=base + rng.choice([s for s in _NAME_SUFFIXES if base + s != job.name]))
    if how == "retag":
        tags = dict(job.tags)
        if "owner" in tags:
            del tags["owner"]
        else:
            tags["owner"] = rng.choice(["ana", "bob", "carol"])
        return replace(job, tags=tags)
    if how == "describe":
        return replace(job, description=rng.choice([d for d in _DESCRIPTIONS if d != job.description]))
    return job


@dataclass(frozen=True)
class JobsBatch:
    """One batch of job versions (no duplicates yet) and the jobs alive after it."""

    rows: list[dict]
    jobs: dict[str, Job]


def _edit_jobs(
    jobs: dict[str, Job], picked: list[str], day: date, rng: random.Random, rows: list[dict]
) -> None:
    """1-3 new versions for each picked job, the very first one a no-op ``touch``."""
    for position, job_id in enumerate(picked):
        minute = 60 + 90 * position + rng.randrange(30)
        for version in range(rng.randint(1, 3)):
            how = "touch" if position == version == 0 else rng.choice(_MUTATIONS)
            jobs[job_id] = _mutate(jobs[job_id], how, rng)
            minute += 15 + rng.randrange(60)
            rows.append(jobs[job_id].row(at(day, minute)))


def _first_jobs_batch() -> JobsBatch:
    rng = random.Random(1)
    day = batch_day(1)
    jobs = {job.job_id: job for job in INITIAL_JOBS}
    rows = [job.row(at(day, 10 + rng.randrange(50))) for job in INITIAL_JOBS]
    _edit_jobs(jobs, [j.job_id for j in INITIAL_JOBS[:4]], day, rng, rows)
    return JobsBatch(rows, dict(jobs))


def _late_version(previous: JobsBatch, jobs: dict[str, Job], previous_day: date) -> dict | None:
    """A version that belongs between the last two versions of a job delivered the day before."""
    by_job: dict[str, list[dict]] = {}
    for row in previous.rows:
        if row["change_time"] >= at(previous_day):  # not itself a late arrival
            by_job.setdefault(row["job_id"], []).append(row)
    for job_id in sorted(by_job):
        versions = sorted(by_job[job_id], key=lambda r: r["change_time"])
        if len(versions) >= 2 and job_id in jobs and versions[-1]["delete_time"] is None:
            before, after = versions[-2], versions[-1]
            late = dict(before, tags={**before["tags"], "hotfix": "true"})
            late["change_time"] = before["change_time"] + (after["change_time"] - before["change_time"]) / 2
            return late
    return None


def _next_jobs_batch(previous: JobsBatch, batch: int) -> JobsBatch:
    rng = random.Random(batch)
    day = batch_day(batch)
    jobs = dict(previous.jobs)
    rows: list[dict] = []
    late = _late_version(previous, jobs, batch_day(batch - 1))
    if late is not None:
        rows.append(late)
    if batch == 2:
        gone = jobs.pop(DELETED_IN_BATCH_2)
        deleted_at = at(day, DELETE_MINUTE)
        rows.append(gone.row(deleted_at, delete_time=deleted_at))
        jobs[NEW_JOB.job_id] = NEW_JOB
        rows.append(NEW_JOB.row(at(day, NEW_JOB_MINUTE)))
    present = set(present_workspaces(batch))
    editable = sorted(  # not a job created today: its first version is later than the edits
        job_id for job_id, job in jobs.items() if job.workspace_id in present and job_id in previous.jobs
    )
    picked = rng.sample(editable, k=min(len(editable), rng.randint(3, 5)))
    _edit_jobs(jobs, picked, day, rng, rows)
    return JobsBatch(rows, jobs)


_REPLAYED: list[JobsBatch] = []


def replay_jobs(upto: int) -> list[JobsBatch]:
    """Batches 1..upto of job versions; ``[n - 1].jobs`` are the jobs alive after batch n.

    Kept between calls (every domain asks): each batch is a pure function of the one before,
    and nobody mutates what it gets.
    """
    while len(_REPLAYED) < upto:
        batch = len(_REPLAYED) + 1
        _REPLAYED.append(_first_jobs_batch() if batch == 1 else _next_jobs_batch(_REPLAYED[-1], batch))
    return _REPLAYED[:upto]


def job_rows(batch: int) -> list[dict]:
    rows = replay_jobs(batch)[-1].rows
    return with_duplicates(rows, random.Random(batch), DUPLICATES)


def jobs_alive(batch: int, jobs: list[JobsBatch]) -> list[Job]:
    """The jobs alive after ``batch`` whose workspace is listed then, ordered by id."""
    present = set(present_workspaces(batch))
    return [job for _, job in sorted(jobs[batch - 1].jobs.items()) if job.workspace_id in present]


# -- lakeflow.job_tasks ------------------------------------------------------------------
TASKS = {  # job id -> task keys in run order; each depends on the one before unless listed
    "90210117731842": ("extract_usage", "rollup", "publish"),
    "90210117731907": ("refresh",),
    "51123098200011": ("ingest", "dedupe"),
    "51123098200012": ("export_csv", "upload_sftp"),
    "51123098200340": ("load_orders", "load_customers", "join", "validate", "publish"),
    "77001": ("notebook",),
    "31337000001": ("features", "train", "register"),
    "42424242": ("reconcile", "close_books"),
    "99000000000001": ("checks",),
}
_FIRST_DEPENDS = {("51123098200340", "join"): ["load_orders", "load_customers"], ("51123098200340", "load_customers"): []}
REMOVED_TASK = ("2718281828459045", "51123098200340", "validate")  # removed in batch 2, re-added in batch 3


def _task_entities() -> tuple[Entity, ...]:
    entities = []
    for job in (*INITIAL_JOBS, NEW_JOB):
        keys = TASKS[job.job_id]
        new = job is NEW_JOB
        created = at(batch_day(2), NEW_JOB_MINUTE) if new else at(batch_day(1), 5)
        for position, task_key in enumerate(keys):
            depends = _FIRST_DEPENDS.get((job.job_id, task_key), list(keys[position - 1 : position]))
            key = (job.workspace_id, job.job_id, task_key)
            entities.append(
                Entity(
                    key=key,
                    workspace_id=job.workspace_id,
                    attrs={"depends_on_keys": depends},
                    created=created,
                    first_batch=2 if new else 1,
                    deleted_in=2 if job.job_id == DELETED_IN_BATCH_2 or key == REMOVED_TASK else None,
                    recreated_in=3 if key == REMOVED_TASK else None,
                    extra={"upstream": list(keys[:position])},
                )
            )
    return tuple(entities)


def _mutate_task(entity: Entity, attrs: dict, rng: random.Random) -> dict:
    """Add an upstream dependency the task lacks, else drop the last one, else touch."""
    depends = list(attrs["depends_on_keys"])
    missing = [k for k in entity.extra["upstream"] if k not in depends]
    if missing:
        return {"depends_on_keys": depends + [rng.choice(missing)]}
    if len(depends) > 1:
        return {"depends_on_keys": depends[:-1]}
    return dict(attrs)


JOB_TASKS = Scd2Source("lakeflow.job_tasks", _task_entities(), _mutate_task)


def job_task_rows(batch: int) -> list[dict]:
    return [
        {
            "account_id": ACCOUNT_ID,
            "workspace_id": v.entity.key[0],
            "job_id": v.entity.key[1],
            "task_key": v.entity.key[2],
            "depends_on_keys": list(v.attrs["depends_on_keys"]),
            "change_time": v.change_time,
            "delete_time": v.change_time if v.deleted else None,
        }
        for v in JOB_TASKS.delivered(batch)
    ]


def tasks_of(workspace_id: str, job_id: str, batch: int) -> list[str]:
    """The task keys of a job alive after ``batch``, in run order."""
    alive = JOB_TASKS.alive_after(batch)
    return [k for k in TASKS[job_id] if (workspace_id, job_id, k) in alive]

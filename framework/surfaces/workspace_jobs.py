"""`healthmon job run|status`: the deployed ``gold_hydration`` job, from a laptop, via databricks-sdk.

Every call comes in two halves: a pure function builds the keyword arguments of the SDK method
(``jobs.run_now``, ``jobs.list``, ``jobs.get_run``; what the tests assert), and a thin function
sends them through the ``WorkspaceClient`` it is given. Authentication is the SDK's own
(DATABRICKS_HOST + DATABRICKS_TOKEN, a ``~/.databrickscfg`` profile, ...); nothing here reads
credentials. What was verified only against a real workspace: docs/workspace.md.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, OperationFailed
from databricks.sdk.service.jobs import BaseJob, Run, RunTask

from framework.errors import WorkspaceError

JOB_NAME = "gold_hydration"  # resources/gold_hydration.job.yml: name
WAIT_TIMEOUT = timedelta(seconds=14400)  # the job's own timeout_seconds
LIST_PAGE = 100  # the most jobs.list returns per page
DEV_PREFIX = re.compile(r"\[dev [^\]]+\] ")  # what `mode: development` puts before a job's name

Print = Callable[[str], None]


# --- requests: keyword arguments of the SDK methods ------------------------------------------

def job_parameters(*, domains: Iterable[str] | None = None, tables: Iterable[str] | None = None,
                   full_refresh: bool = False) -> dict[str, str]:
    """The job's parameters as the job reads them: comma-separated lists, ``"true"``/``"false"``.

    All three are always sent, so a run without filters hydrates every enabled table whatever
    defaults the job carries in the workspace (as ``healthmon run`` does locally)."""
    return {
        "domain": ",".join(domains or []),
        "tables": ",".join(tables or []),
        "full_refresh": "true" if full_refresh else "false",
    }


def run_now_request(job_id: int, *, domains: Iterable[str] | None = None, tables: Iterable[str] | None = None,
                    full_refresh: bool = False) -> dict:
    """Keyword arguments of ``WorkspaceClient().jobs.run_now`` (POST /api/2.2/jobs/run-now)."""
    return {"job_id": job_id, "job_parameters": job_parameters(domains=domains, tables=tables, full_refresh=full_refresh)}


def list_jobs_request(name: str | None = None) -> dict:
    """Keyword arguments of ``jobs.list``: jobs with exactly this name (case-insensitive), or all."""
    return {"name": name, "limit": LIST_PAGE} if name else {"limit": LIST_PAGE}


def get_run_request(run_id: int) -> dict:
    """Keyword arguments of ``jobs.get_run`` (GET /api/2.2/jobs/runs/get)."""
    return {"run_id": run_id}


# --- finding the job -------------------------------------------------------------------------

def job_name(job: BaseJob) -> str:
    return job.settings.name if job.settings and job.settings.name else ""


def is_dev_copy(candidate: str, name: str) -> bool:
    """``[dev alice] gold_hydration`` is a development-mode copy of ``gold_hydration``."""
    match = DEV_PREFIX.match(candidate)
    return bool(match) and candidate[match.end():].lower() == name.lower()


def choose_job(name: str, exact: list[BaseJob], dev_copies: list[BaseJob], me: str | None) -> BaseJob:
    """The one job meant by ``name``: a job of exactly that name, or the caller's own
    development copy of it; anything else is an error listing what was found."""
    mine = [j for j in dev_copies if me is not None and j.creator_user_name == me]
    found = exact + mine
    if len(found) == 1:
        return found[0]
    def listing(jobs):
        return ", ".join(f"{j.job_id} {job_name(j)!r}" for j in jobs)
    if not found:
        others = f"; development copies of other users: {listing(dev_copies)}" if dev_copies else ""
        raise WorkspaceError(
            f"no job named {name!r} and no development copy '[dev ...] {name}' created by {me or 'you'}"
            f"{others}; deploy the bundle (databricks bundle deploy) or pass --job-id N"
        )
    raise WorkspaceError(f"{len(found)} jobs match {name!r}: {listing(found)}; pass --job-id N or the exact --job-name")


def find_job(w: WorkspaceClient, name: str = JOB_NAME) -> BaseJob:
    """Look the job up by name: one filtered list call, then (unless ``name`` already carries a
    ``[dev ...]`` prefix) one listing of all jobs for development copies."""
    with sdk_errors(f"looking up job {name!r}"):
        exact = [j for j in w.jobs.list(**list_jobs_request(name)) if job_name(j).lower() == name.lower()]
        dev_copies = [] if DEV_PREFIX.match(name) else [j for j in w.jobs.list(**list_jobs_request()) if is_dev_copy(job_name(j), name)]
        me = w.current_user.me().user_name if dev_copies else None
    return choose_job(name, exact, dev_copies, me)


# --- describing a run --------------------------------------------------------------------------

def _value(enum) -> str:
    return "" if enum is None else enum.value


def run_state(run: Run | RunTask) -> tuple[str, str, str]:
    """(life cycle state, result state, message) from ``state``, or from the newer ``status``."""
    if run.state is not None and run.state.life_cycle_state is not None:
        return _value(run.state.life_cycle_state), _value(run.state.result_state), run.state.state_message or ""
    if run.status is not None:
        details = run.status.termination_details
        return _value(run.status.state), _value(details.code) if details else "", (details.message or "") if details else ""
    return "", "", ""


def iterations(task: RunTask) -> str:
    """``for_each`` progress, e.g. ``3/5 iterations succeeded, 1 failed, 1 active``."""
    stats = task.for_each_task.stats.task_run_stats if task.for_each_task and task.for_each_task.stats else None
    if stats is None:
        return ""
    parts = [f"{stats.succeeded_iterations or 0}/{stats.total_iterations or 0} iterations succeeded"]
    parts += [f"{n} {what}" for n, what in ((stats.failed_iterations, "failed"), (stats.active_iterations, "active")) if n]
    return ", ".join(parts)


def describe_run(run: Run) -> str:
    """The run's state, message and page, then one line per task (whatever tasks the run has)."""
    from framework.surfaces.output import table

    life, result, message = run_state(run)
    lines = [f"run {run.run_id} of job {run.job_id} ({run.run_name}): {' '.join(s for s in (life, result) if s)}"]
    if message:
        lines.append(f"message: {message}")
    if run.run_page_url:
        lines.append(f"url: {run.run_page_url}")
    rows = []
    for task in run.tasks or []:
        t_life, t_result, t_message = run_state(task)
        rows.append([task.task_key, t_life, t_result, "; ".join(s for s in (iterations(task), t_message) if s)])
    if rows:
        lines.append(table(["task", "state", "result", "detail"], rows))
    return "\n".join(lines)


def succeeded(run: Run) -> bool:
    return run_state(run)[1] == "SUCCESS"


# --- executing against a client ------------------------------------------------------------------

@contextmanager
def sdk_errors(doing: str) -> Iterator[None]:
    """SDK and HTTP errors become one ``WorkspaceError`` saying what was being done."""
    try:
        yield
    except (DatabricksError, OperationFailed, TimeoutError, requests.RequestException) as exc:
        raise WorkspaceError(f"{doing}: {type(exc).__name__}: {exc}") from exc


def connect(profile: str | None = None) -> WorkspaceClient:
    """A client from the SDK's own configuration; its ``ValueError`` names what is missing."""
    try:
        return WorkspaceClient(profile=profile)
    except ValueError as exc:
        wanted = (f"profile {profile!r} with host and credentials in ~/.databrickscfg (or DATABRICKS_CONFIG_FILE)" if profile else
                  "DATABRICKS_HOST and DATABRICKS_TOKEN (or another databricks-sdk auth method), or --profile NAME from ~/.databrickscfg")
        raise WorkspaceError(f"no Databricks credentials: set {wanted}; databricks-sdk said: {exc}") from exc


def start_run(w: WorkspaceClient, request: dict):
    """Send a ``run_now_request``; returns the SDK's waiter (``.run_id``, ``.result(...)``)."""
    with sdk_errors(f"starting job {request['job_id']}"):
        return w.jobs.run_now(**request)


def get_run(w: WorkspaceClient, run_id: int) -> Run:
    with sdk_errors(f"reading run {run_id}"):
        return w.jobs.get_run(**get_run_request(run_id))


def wait_for(waiter, progress: Print) -> Run:
    """Poll (the SDK's waiter) until the run is TERMINATED or SKIPPED; each new state is printed once."""
    seen: list[str] = []

    def on_poll(run: Run) -> None:
        line = " ".join(s for s in run_state(run)[:2] if s)
        if not seen or seen[-1] != line:
            seen.append(line)
            progress(f"run {run.run_id}: {line}")

    with sdk_errors(f"waiting for run {waiter.run_id}"):
        return waiter.result(timeout=WAIT_TIMEOUT, callback=on_poll)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def job_command(args, client: WorkspaceClient | None = None, out: Print = print, progress: Print = _stderr) -> int:
    """``healthmon job run|status`` on parsed arguments; ``client`` defaults to :func:`connect`.
    Exit code: 0, or 1 when ``run --wait`` ends in anything but SUCCESS."""
    w = client if client is not None else connect(args.profile)
    if args.verb == "status":
        out(describe_run(get_run(w, args.run_id)))
        return 0
    if args.job_id is not None:
        job_id, label = args.job_id, f"job {args.job_id}"
    else:
        job = find_job(w, args.job_name or JOB_NAME)
        job_id, label = job.job_id, f"job {job.job_id} {job_name(job)!r}"
    request = run_now_request(job_id, domains=args.domains, tables=args.tables, full_refresh=args.full_refresh)
    waiter = start_run(w, request)
    params = " ".join(f"{k}={v!r}" for k, v in request["job_parameters"].items())
    out(f"{label}: started run {waiter.run_id} ({params})")
    if not args.wait:
        url = get_run(w, waiter.run_id).run_page_url
        if url:
            out(f"url: {url}")
        out(f"follow it: healthmon job status {waiter.run_id}")
        return 0
    run = wait_for(waiter, progress)
    out(describe_run(run))
    return 0 if succeeded(run) else 1

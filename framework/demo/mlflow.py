"""``mlflow.experiments_latest``, ``mlflow.runs_latest`` (latest-state) and ``run_metrics_history``.

Why the ``*_latest`` tables are snapshots: upstream they hold one row per experiment or run,
updated in place (a run goes RUNNING -> FINISHED, a metric moves ``update_time``, a soft delete
sets ``delete_time``). Each batch therefore delivers the whole current state, and consecutive
batches differ in place: runs still going at midnight are RUNNING in one batch and finished in
the next, an experiment is renamed in batch 3, one is soft-deleted in batch 2, and so is a run of
batch 1 (some later runs too).

A run's metrics are logged every 30 minutes while it runs; ``run_metrics_history`` appends the
ones inserted that day (a run crossing midnight logs into two batches), and ``runs_latest``'s
``aggregated_metrics`` summarises exactly the rows delivered so far. One run a day logs its last
value twice: identical rows told apart by ``record_id`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from framework.demo.common import ACCOUNT_ID, at, batch_day, end_of, stable_fraction, stable_hex, stable_uuid, stream
from framework.demo.world import EXPERIMENTS, PEOPLE, WORKSPACE_BY_ID, Experiment

RENAMED = {"/Shared/demand_forecast": (3, "/Shared/demand_forecast_v2")}  # name -> (from batch, new name)
_METRICS = {"churn": ("auc", "log_loss"), "demand_forecast": ("rmse", "mape"), "support_agent_eval": ("correctness", "latency_ms")}
_ADJECTIVES = ("bold", "calm", "eager", "brave", "quiet", "swift")
_ANIMALS = ("fox", "owl", "lynx", "otter", "crane", "moth")


@dataclass(frozen=True)
class Run:
    experiment: Experiment
    run_id: str
    run_name: str
    created_by: str
    start: datetime
    end: datetime
    status: str  # once ended
    params: dict
    metric_names: tuple[str, ...]
    deleted_at: datetime | None
    repeats_last: bool  # logs its last value twice


def _deleted_at(experiment: Experiment) -> datetime | None:
    return None if experiment.deleted_in is None else at(batch_day(experiment.deleted_in), 11 * 60)


@cache
def _planned(batch: int) -> tuple[Run, ...]:
    """The runs started on batch ``batch``'s day."""
    rng = stream("mlflow.runs", batch)
    day = batch_day(batch)
    runs = []
    for experiment in EXPERIMENTS:
        gone = experiment.deleted_in is not None and batch >= experiment.deleted_in
        if gone or not WORKSPACE_BY_ID[experiment.workspace_id].present(batch):
            continue
        kind = next((k for k in _METRICS if k in experiment.name), "churn")
        for number in range(rng.randint(1, 3)):
            # the first experiment's first run each day is a night run: still RUNNING at midnight
            night = experiment is EXPERIMENTS[0] and number == 0
            start = at(day, 22 * 60 + rng.randrange(60)) if night else at(day, 9 * 60 + rng.randrange(14 * 60))
            minutes = rng.randrange(180, 480) if night else rng.randrange(20, 600)
            run_id = stable_hex("mlrun", experiment.experiment_id, batch, number, length=32)
            runs.append(Run(
                experiment=experiment, run_id=run_id,
                run_name=f"{rng.choice(_ADJECTIVES)}-{rng.choice(_ANIMALS)}-{rng.randrange(100, 999)}",
                created_by=rng.choice(PEOPLE), start=start, end=start + timedelta(minutes=minutes),
                status=rng.choices(("FINISHED", "FAILED", "KILLED"), weights=(80, 15, 5))[0],
                params={} if rng.random() < 0.2 else {"max_depth": str(rng.choice((4, 6, 8))), "learning_rate": str(rng.choice((0.05, 0.1)))},
                metric_names=() if rng.random() < 0.1 else _METRICS[kind],
                # soft-deleted the next morning; so that two batches show one, also demand_forecast's first run of day 1
                deleted_at=at(day + timedelta(days=1), 11 * 60) if rng.random() < 0.08 or (batch == 1 and experiment is EXPERIMENTS[1] and number == 0) else None,
                repeats_last=number == 0,
            ))
    return tuple(runs)


def _runs_upto(batch: int) -> list[Run]:
    return [run for b in range(1, batch + 1) for run in _planned(b)]


def _metrics(run: Run) -> list[dict]:
    """Every metric row the run ever logs (step every 30 minutes while it runs)."""
    rows = []
    steps = int((run.end - run.start).total_seconds() // 1800) + 1
    for name in run.metric_names:
        value = 0.5 + stable_fraction("metric-start", run.run_id, name)
        for step in range(steps):
            value *= 0.9 + 0.15 * stable_fraction("metric", run.run_id, name, step)
            metric_time = run.start + timedelta(minutes=30 * step)
            copies = 2 if run.repeats_last and step == steps - 1 else 1
            for copy in range(copies):
                rows.append({
                    "account_id": ACCOUNT_ID,
                    "insert_time": metric_time + timedelta(seconds=1 + int(stable_fraction("ins", run.run_id, name, step) * 30) + copy),
                    "record_id": stable_uuid("metric", run.run_id, name, step, copy),
                    "workspace_id": run.experiment.workspace_id,
                    "experiment_id": run.experiment.experiment_id,
                    "run_id": run.run_id,
                    "metric_name": name,
                    "metric_time": metric_time,
                    "metric_step": step,
                    "metric_value": round(value, 6),
                })
    return rows


def metrics_rows(batch: int) -> list[dict]:
    """The metric rows inserted on the batch's day (runs started that day or the day before)."""
    low, high = end_of(batch - 1), end_of(batch)
    runs = [*(_planned(batch - 1) if batch > 1 else ()), *_planned(batch)]
    return [row for run in runs for row in _metrics(run) if low <= row["insert_time"] < high]


def _aggregated(rows: list[dict]) -> list[dict]:
    by_name: dict[str, list[dict]] = {}
    for row in rows:
        by_name.setdefault(row["metric_name"], []).append(row)
    return [
        {"metric_name": name,
         "min_value": min(r["metric_value"] for r in found),
         "max_value": max(r["metric_value"] for r in found),
         "latest_value": max(found, key=lambda r: (r["metric_step"], r["insert_time"]))["metric_value"]}
        for name, found in sorted(by_name.items())
    ]


def runs_latest_rows(batch: int) -> list[dict]:
    """Every run started so far, as it stands at the end of the batch's day."""
    cutoff = end_of(batch)
    rows = []
    for run in _runs_upto(batch):
        logged = [r for r in _metrics(run) if r["insert_time"] < cutoff]
        ended = run.end < cutoff
        deleted = run.deleted_at if run.deleted_at is not None and run.deleted_at < cutoff else None
        touched = [run.start, *(r["insert_time"] for r in logged), *([run.end] if ended else []), *([deleted] if deleted else [])]
        rows.append({
            "account_id": ACCOUNT_ID,
            "update_time": max(touched),
            "delete_time": deleted,
            "workspace_id": run.experiment.workspace_id,
            "run_id": run.run_id,
            "experiment_id": run.experiment.experiment_id,
            "created_by": run.created_by,
            "start_time": run.start,
            "end_time": run.end if ended else None,
            "run_name": run.run_name,
            "status": run.status if ended else "RUNNING",
            "params": dict(run.params),
            "tags": {"mlflow.user": run.created_by, "mlflow.source.type": "NOTEBOOK"},
            "aggregated_metrics": _aggregated(logged),
        })
    return rows


def experiment_rows(batch: int) -> list[dict]:
    """Every experiment, as it stands at the end of the batch's day (soft deletes included)."""
    cutoff = end_of(batch)
    runs = _runs_upto(batch)
    rows = []
    for experiment in EXPERIMENTS:
        deleted = _deleted_at(experiment)
        deleted = deleted if deleted is not None and deleted < cutoff else None
        renamed = RENAMED.get(experiment.name)
        name = renamed[1] if renamed and batch >= renamed[0] else experiment.name
        touched = [experiment.created, *(r.start for r in runs if r.experiment == experiment)]
        if renamed and batch >= renamed[0]:
            touched.append(at(batch_day(renamed[0]), 8 * 60))
        if deleted:
            touched.append(deleted)
        rows.append({
            "account_id": ACCOUNT_ID,
            "update_time": max(touched),
            "delete_time": deleted,
            "workspace_id": experiment.workspace_id,
            "experiment_id": experiment.experiment_id,
            "name": name,
            "create_time": experiment.created,
        })
    return rows

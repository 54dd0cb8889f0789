"""Deterministic, system-table-shaped Bronze data for the local demo and the tests.

Why generated: there is no Databricks account on a laptop, and the cases the framework exists
for must show up on purpose and identically on every run, so results can be asserted: exact
duplicate rows, a job deletion, a job version that arrives late and out of order, a workspace that
disappears from a snapshot (and one renamed), a price window that closes, late usage and usage
corrections. Rows carry the system tables' exact columns and nested types (from
:mod:`framework.source_schemas`).

Batch ``n`` is what the system tables delivered on day ``2026-01-01 + (n - 1)``; it is a pure
function of ``n``. State that spans batches (a job's current name, a SKU's current price) is
rebuilt by replaying batches ``1..n``, each drawing from its own ``random.Random(n)``, so batch 3
is the same whether or not batch 2 was generated in this process.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from framework.errors import FrameworkError
from framework.platform.source_schemas import (
    SourceTable,
    create_bronze_table,
    source_table,
)

if TYPE_CHECKING:
    from framework.platform.lakehouse import Lakehouse

ACCOUNT_ID = "5f0c6a8e-3d2b-4c1a-9e7f-1b2c3d4e5f60"
BASE_DAY = date(2026, 1, 1)
# Written in this order; usage last, because next_batch_number reads it.
DEMO_TABLES = ("access.workspaces_latest", "lakeflow.jobs", "billing.list_prices", "billing.usage")
SNAPSHOT_TABLES = ("access.workspaces_latest",)  # overwritten by each batch, the rest appended
USAGE_ROWS_PER_DAY = 190
# Rows each batch delivers a second time, exactly (the snapshot table has none).
DUPLICATES_PER_BATCH = {"lakeflow.jobs": 2, "billing.list_prices": 1, "billing.usage": 4}
PRICE_LIST_START = datetime(2025, 6, 1, tzinfo=UTC)
_Q6 = Decimal("0.000001")


# -- time and ids -----------------------------------------------------------------------
def batch_day(batch: int) -> date:
    return BASE_DAY + timedelta(days=batch - 1)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _at(day: date, minutes: int = 0) -> datetime:
    """``minutes`` after midnight UTC of ``day`` (aware, so Spark never applies a local zone)."""
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(minutes=minutes)


def _stable_hex(*parts: object, length: int = 16) -> str:
    """An id that depends only on ``parts`` (not on the random stream): clusters, warehouses."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# -- access.workspaces_latest -----------------------------------------------------------
@dataclass(frozen=True)
class _WorkspacePlan:
    workspace_id: str
    name: str
    created: datetime
    first_batch: int = 1
    gone_from: int | None = None
    renamed_from: int | None = None
    new_name: str | None = None

    def present(self, batch: int) -> bool:
        return self.first_batch <= batch and (self.gone_from is None or batch < self.gone_from)

    def row(self, batch: int) -> dict:
        renamed = self.renamed_from is not None and batch >= self.renamed_from
        return {
            "account_id": ACCOUNT_ID,
            "workspace_id": self.workspace_id,
            "workspace_name": self.new_name if renamed else self.name,
            "workspace_url": f"https://dbc-{_stable_hex('ws', self.workspace_id, length=8)}"
            ".cloud.databricks.com",
            "create_time": self.created,
            "status": "PROVISIONING" if batch == self.first_batch > 1 else "RUNNING",
        }


_WORKSPACES = (  # batch 2: dev-sandbox is cancelled, ml-research renamed, data-platform appears
    _WorkspacePlan("1444828305810485", "prod-analytics", _utc(2023, 3, 14, 9, 26, 53)),
    _WorkspacePlan("2718281828459045", "prod-etl", _utc(2023, 5, 2, 14, 5, 11)),
    _WorkspacePlan("3141592653589793", "dev-sandbox", _utc(2024, 1, 8, 8, 0, 2), gone_from=2),
    _WorkspacePlan(
        "4669201609102990", "ml-research", _utc(2024, 6, 21, 17, 45), renamed_from=2, new_name="ml-platform"
    ),
    _WorkspacePlan("5772156649015328", "finance-reporting", _utc(2025, 2, 3, 11, 12, 13)),
    _WorkspacePlan("6180339887498948", "data-platform", _utc(2026, 1, 2, 7, 30), first_batch=2),
)


def workspace_rows(batch: int) -> list[dict]:
    return [ws.row(batch) for ws in _WORKSPACES if ws.present(batch)]


# -- lakeflow.jobs ----------------------------------------------------------------------
@dataclass(frozen=True)
class _Job:
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


_SP = "7d3e2f10-9a4b-4c5d-8e6f-0a1b2c3d4e5f"  # a service principal's application id
_PROD = {"env": "prod"}
_INITIAL_JOBS = (  # workspace, job id, name, creator, run as, description, tags
    _Job("1444828305810485", "90210117731842", "nightly_billing_rollup", "4102", _SP, "Daily cost rollup",
         {"team": "finops", **_PROD}),
    _Job("1444828305810485", "90210117731907", "dashboard_refresh", "4102", "ana@example.com", None,
         {"team": "bi"}),
    _Job("2718281828459045", "51123098200011", "ingest_orders", "5521", _SP, "Orders from Kafka to Bronze",
         {"team": "data-eng", **_PROD}),
    _Job("2718281828459045", "51123098200012", "legacy_export", "5521", "bob@example.com", "CSV export to ERP"),
    _Job("2718281828459045", "51123098200340", "customer_360_build", "5530", _SP, None,
         {"team": "data-eng", "tier": "gold", **_PROD}),
    _Job("3141592653589793", "77001", "scratch_notebook_job", "6001", "carol@example.com", None),
    _Job("4669201609102990", "31337000001", "train_churn_model", "7007", "dan@example.com", "Weekly churn",
         {"team": "ml"}),
    _Job("5772156649015328", "42424242", "month_end_close", "8008", _SP, "Finance month-end close",
         {"team": "finance", **_PROD}),
)
_NEW_JOB = _Job(
    "6180339887498948", "99000000000001", "platform_checks", "9009", _SP, "Platform checks", {"team": "platform"}
)
_DELETED_IN_BATCH_2 = "51123098200012"  # legacy_export
_NAME_SUFFIXES = ("", "_v2", "_prod", "_daily")
_DESCRIPTIONS = (None, "Owned by the platform team", "Do not edit: managed by a bundle", "Runs after ingest")
_MUTATIONS = ("rename", "retag", "describe", "touch")


def _mutate(job: _Job, how: str, rng: random.Random) -> _Job:
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
class _JobsBatch:
    """One batch of job versions (no duplicates yet) and the jobs alive after it."""

    rows: list[dict]
    jobs: dict[str, _Job]


def _edit_jobs(
    jobs: dict[str, _Job], picked: list[str], day: date, rng: random.Random, rows: list[dict]
) -> None:
    """1-3 new versions for each picked job, the very first one a no-op ``touch``."""
    for position, job_id in enumerate(picked):
        minute = 60 + 90 * position + rng.randrange(30)
        for version in range(rng.randint(1, 3)):
            how = "touch" if position == version == 0 else rng.choice(_MUTATIONS)
            jobs[job_id] = _mutate(jobs[job_id], how, rng)
            minute += 15 + rng.randrange(60)
            rows.append(jobs[job_id].row(_at(day, minute)))


def _first_jobs_batch() -> _JobsBatch:
    rng = random.Random(1)
    day = batch_day(1)
    jobs = {job.job_id: job for job in _INITIAL_JOBS}
    rows = [job.row(_at(day, 10 + rng.randrange(50))) for job in _INITIAL_JOBS]
    _edit_jobs(jobs, [j.job_id for j in _INITIAL_JOBS[:4]], day, rng, rows)
    return _JobsBatch(rows, dict(jobs))


def _late_version(previous: _JobsBatch, jobs: dict[str, _Job], previous_day: date) -> dict | None:
    """A version that belongs between the last two versions of a job delivered the day before."""
    by_job: dict[str, list[dict]] = {}
    for row in previous.rows:
        if row["change_time"] >= _at(previous_day):  # not itself a late arrival
            by_job.setdefault(row["job_id"], []).append(row)
    for job_id in sorted(by_job):
        versions = sorted(by_job[job_id], key=lambda r: r["change_time"])
        if len(versions) >= 2 and job_id in jobs and versions[-1]["delete_time"] is None:
            before, after = versions[-2], versions[-1]
            late = dict(before, tags={**before["tags"], "hotfix": "true"})
            late["change_time"] = before["change_time"] + (after["change_time"] - before["change_time"]) / 2
            return late
    return None


def _next_jobs_batch(previous: _JobsBatch, batch: int) -> _JobsBatch:
    rng = random.Random(batch)
    day = batch_day(batch)
    jobs = dict(previous.jobs)
    rows: list[dict] = []
    late = _late_version(previous, jobs, batch_day(batch - 1))
    if late is not None:
        rows.append(late)
    if batch == 2:
        gone = jobs.pop(_DELETED_IN_BATCH_2)
        deleted_at = _at(day, 10 * 60)
        rows.append(gone.row(deleted_at, delete_time=deleted_at))
        jobs[_NEW_JOB.job_id] = _NEW_JOB
        rows.append(_NEW_JOB.row(_at(day, 8 * 60)))
    present = {ws["workspace_id"] for ws in workspace_rows(batch)}
    editable = sorted(  # not a job created today: its first version is later than the edits
        job_id for job_id, job in jobs.items() if job.workspace_id in present and job_id in previous.jobs
    )
    picked = rng.sample(editable, k=min(len(editable), rng.randint(3, 5)))
    _edit_jobs(jobs, picked, day, rng, rows)
    return _JobsBatch(rows, jobs)


def _replay_jobs(upto: int) -> list[_JobsBatch]:
    batches = [_first_jobs_batch()]
    for batch in range(2, upto + 1):
        batches.append(_next_jobs_batch(batches[-1], batch))
    return batches


def _with_duplicates(rows: list[dict], rng: random.Random, count: int) -> list[dict]:
    """``rows`` plus ``count`` of them delivered a second time, exactly."""
    picked = sorted(rng.sample(range(len(rows)), k=min(count, len(rows))))
    return rows + [dict(rows[i]) for i in picked]


def job_rows(batch: int) -> list[dict]:
    rows = _replay_jobs(batch)[-1].rows
    return _with_duplicates(rows, random.Random(batch), DUPLICATES_PER_BATCH["lakeflow.jobs"])


# -- billing.list_prices ----------------------------------------------------------------
_SKUS = (  # name, list price per DBU, promotional price (None: no promotion)
    ("PREMIUM_ALL_PURPOSE_COMPUTE", Decimal("0.55"), None),
    ("PREMIUM_JOBS_COMPUTE", Decimal("0.15"), None),
    ("PREMIUM_SERVERLESS_SQL_COMPUTE_US_EAST_N_VIRGINIA", Decimal("0.70"), None),
    ("PREMIUM_DLT_CORE_COMPUTE", Decimal("0.20"), None),
    ("PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST_N_VIRGINIA", Decimal("0.35"), Decimal("0.175")),
)
_PRICE_CHANGE_ORDER = (1, 0, 3, 2, 4)  # batch 2 raises JOBS_COMPUTE, batch 3 ALL_PURPOSE, ...


def _price_row(
    sku: str, start: datetime, end: datetime | None, price: Decimal, promo: Decimal | None
) -> dict:
    effective = price if promo is None else promo
    return {
        "account_id": ACCOUNT_ID,
        "price_start_time": start,
        "price_end_time": end,
        "sku_name": sku,
        "cloud": "AWS",
        "currency_code": "USD",
        "usage_unit": "DBU",
        "pricing": {
            "default": price,
            "promotional": {"default": effective},
            "effective_list": {"default": effective},
        },
    }


def price_rows(batch: int) -> list[dict]:
    """Batch 1: every SKU's open price. Later: one SKU's window closes and a new one opens."""
    current = {sku: (PRICE_LIST_START, price, promo) for sku, price, promo in _SKUS}
    rows = [_price_row(sku, start, None, price, promo) for sku, (start, price, promo) in current.items()]
    for step in range(2, batch + 1):
        sku = _SKUS[_PRICE_CHANGE_ORDER[(step - 2) % len(_SKUS)]][0]
        start, price, promo = current[sku]
        changed_at = _at(batch_day(step))
        new_price = (price * Decimal("1.1")).quantize(Decimal("0.001"))
        current[sku] = (changed_at, new_price, promo)
        rows = [  # the closed window is re-delivered under its own key, then the new one
            _price_row(sku, start, changed_at, price, promo),
            _price_row(sku, changed_at, None, new_price, promo),
        ]
    return _with_duplicates(rows, random.Random(batch), DUPLICATES_PER_BATCH["billing.list_prices"])


# -- billing.usage ----------------------------------------------------------------------
_UNKNOWN_WORKSPACE = "9000000000000009"  # real usage has ~5% rows whose workspace is not listed
_SKU_WEIGHTS = (3, 5, 3, 2, 2)
_TAG_VALUES = {
    "team": ("finops", "data-eng", "ml", "bi"),
    "env": ("prod", "dev"),
    "cost_center": ("CC-1001", "CC-2002"),
    "project": ("churn", "orders", "health"),
}


def _custom_tags(rng: random.Random) -> dict | None:
    draw = rng.random()
    if draw < 0.1:
        return None
    if draw < 0.3:
        return {}
    keys = rng.sample(sorted(_TAG_VALUES), k=rng.randint(1, 3))
    return {key: rng.choice(_TAG_VALUES[key]) for key in sorted(keys)}


def _cluster_id(workspace_id: str, index: int) -> str:
    digits = int(_stable_hex("cn", workspace_id, index, length=5), 16) % 1_000_000
    return f"0105-{digits:06d}-{_stable_hex('c', workspace_id, index, length=8)}"


@dataclass(frozen=True)
class _UsageContext:
    """What usage of one day can refer to: the workspaces listed and the jobs alive that day."""

    workspace_ids: list[str]
    jobs: list[_Job]


def _usage_source(sku: str, rng: random.Random, ctx: _UsageContext) -> dict:
    """The columns that depend on what consumed the SKU: workspace, metadata, features."""
    workspace = _UNKNOWN_WORKSPACE if rng.random() < 0.02 else rng.choice(ctx.workspace_ids)
    serverless = "SERVERLESS" in sku
    features: dict = {"is_serverless": serverless, "is_photon": serverless or rng.random() < 0.3}
    identity: dict = {"run_as": None, "created_by": None, "owned_by": None}
    if "JOBS" in sku:
        job = rng.choice(ctx.jobs)
        workspace = job.workspace_id
        run_id = str(rng.randrange(10**14, 10**15))
        metadata = {"job_id": job.job_id, "job_run_id": run_id, "job_name": job.name}
        identity["run_as"] = job.run_as
        product = "JOBS"
        if serverless:
            features["performance_target"] = rng.choice(["PERFORMANCE_OPTIMIZED", "STANDARD"])
            features["networking"] = rng.choice([None, {"connectivity_type": "PUBLIC_CONNECTIVITY"}])
        else:
            metadata.update(cluster_id=_cluster_id(workspace, 100 + rng.randrange(3)), node_type="m5d.xlarge")
            features["jobs_tier"] = "CLASSIC"
    elif "ALL_PURPOSE" in sku:
        node_type = rng.choice(["i3.xlarge", "m5d.2xlarge"])
        metadata = {"cluster_id": _cluster_id(workspace, rng.randrange(2)), "node_type": node_type}
        product = "ALL_PURPOSE"
    elif "SQL" in sku:
        metadata = {"warehouse_id": _stable_hex("wh", workspace)}
        features["sql_tier"] = "PRO"
        product = "SQL"
    else:
        pipeline = str(uuid.UUID(_stable_hex("dlt", workspace, rng.randrange(2), length=32)))
        metadata = {"dlt_pipeline_id": pipeline, "dlt_update_id": _uuid(rng)}
        features["dlt_tier"] = "CORE"
        product = "DLT"
    return {
        "workspace_id": workspace,
        "usage_metadata": metadata,
        "identity_metadata": identity,
        "billing_origin_product": product,
        "product_features": features,
    }


def _usage_original(rng: random.Random, usage_day: date, ingestion_day: date, ctx: _UsageContext) -> dict:
    sku = rng.choices([s[0] for s in _SKUS], weights=_SKU_WEIGHTS)[0]
    start = _at(usage_day, 60 * rng.randrange(24))
    return {
        "account_id": ACCOUNT_ID,
        "record_id": _uuid(rng),
        "sku_name": sku,
        "cloud": "AWS",
        "usage_start_time": start,
        "usage_end_time": start + timedelta(hours=1),
        "usage_date": usage_day,
        "custom_tags": _custom_tags(rng),
        "usage_unit": "DBU",
        "usage_quantity": Decimal(rng.randint(1_000, 12_000_000)) * _Q6,
        "record_type": "ORIGINAL",
        "ingestion_date": ingestion_day,
        "usage_type": "COMPUTE_TIME",
        **_usage_source(sku, rng, ctx),
    }


def _usage_context(batch: int, jobs: list[_JobsBatch]) -> _UsageContext:
    present = [row["workspace_id"] for row in workspace_rows(batch)]
    alive = [job for _, job in sorted(jobs[batch - 1].jobs.items()) if job.workspace_id in present]
    return _UsageContext(present, alive)


def _usage_originals(batch: int, jobs: list[_JobsBatch]) -> tuple[list[dict], random.Random]:
    """The day's ORIGINAL rows (from batch 2 on, some for the day before), and the random stream."""
    rng = random.Random(batch)
    day = batch_day(batch)
    ctx = _usage_context(batch, jobs)
    rows = [_usage_original(rng, day, day, ctx) for _ in range(USAGE_ROWS_PER_DAY)]
    if batch >= 2:
        late_ctx = _usage_context(batch - 1, jobs)
        rows += [_usage_original(rng, day - timedelta(days=1), day, late_ctx) for _ in range(6)]
    return rows, rng


def _corrections(previous: list[dict], rng: random.Random, ingestion_day: date) -> list[dict]:
    """A RETRACTION (negated quantity) and a RESTATEMENT for two of the day before's records."""
    rows = []
    for original in rng.sample(previous, k=2):
        quantity = original["usage_quantity"]
        restated = (quantity * Decimal("0.9")).quantize(_Q6)
        for record_type, corrected in (("RETRACTION", -quantity), ("RESTATEMENT", restated)):
            rows.append(
                dict(original, record_id=_uuid(rng), record_type=record_type, usage_quantity=corrected,
                     ingestion_date=ingestion_day)
            )
    return rows


def usage_rows(batch: int) -> list[dict]:
    jobs = _replay_jobs(batch)
    rows, rng = _usage_originals(batch, jobs)
    if batch >= 2:
        previous, _ = _usage_originals(batch - 1, jobs)
        on_time = [row for row in previous if row["usage_date"] == batch_day(batch - 1)]
        rows += _corrections(on_time, rng, batch_day(batch))
    return _with_duplicates(rows, rng, DUPLICATES_PER_BATCH["billing.usage"])


# -- the batch as a whole, and writing it -----------------------------------------------
def batch_rows(batch: int) -> dict[str, list[dict]]:
    """Every demo table's rows of batch ``batch`` (column name -> value), keyed like DEMO_TABLES."""
    if not isinstance(batch, int) or batch < 1:
        raise FrameworkError(f"demo batch must be an integer >= 1, found {batch!r}")
    rows = {
        "access.workspaces_latest": workspace_rows(batch),
        "lakeflow.jobs": job_rows(batch),
        "billing.list_prices": price_rows(batch),
        "billing.usage": usage_rows(batch),
    }
    return {key: rows[key] for key in DEMO_TABLES}


def _check_fields(value: object, data_type: object, path: str) -> None:
    """Fail on a struct key the schema does not have (Spark would drop it silently)."""
    from pyspark.sql.types import ArrayType, MapType, StructType

    if value is None:
        return
    if isinstance(data_type, StructType) and isinstance(value, dict):
        unknown = sorted(set(value) - set(data_type.names))
        if unknown:
            raise FrameworkError(
                f"{path}: fields {unknown} are not in the schema; valid fields are: {data_type.names}"
            )
        for f in data_type.fields:
            _check_fields(value.get(f.name), f.dataType, f"{path}.{f.name}")
    elif isinstance(data_type, ArrayType):
        for item in value:
            _check_fields(item, data_type.elementType, f"{path}[]")
    elif isinstance(data_type, MapType):
        for item in value.values():
            _check_fields(item, data_type.valueType, f"{path}{{}}")


def _frame(spark, table: SourceTable, rows: list[dict]):
    """A DataFrame with exactly the table's schema, from rows keyed by column name."""
    from pyspark.sql.types import StructType

    schema = StructType.fromDDL(table.schema_ddl)
    for row in rows:
        _check_fields(row, schema, table.key)
    return spark.createDataFrame([tuple(row.get(n) for n in schema.names) for row in rows], schema=schema)


def next_batch_number(lakehouse: Lakehouse) -> int:
    """1 + the last batch in Bronze, read off ``usage.ingestion_date`` (batch n ingests on its day)."""
    usage = lakehouse.params.bronze(source_table("billing.usage").name)
    if not lakehouse.exists(usage):
        return 1
    from pyspark.sql import functions as F

    last_day = lakehouse.spark.table(usage).agg(F.max("ingestion_date")).first()[0]
    return 1 if last_day is None else (last_day - BASE_DAY).days + 2


def append_batch(lakehouse: Lakehouse, batch: int) -> dict[str, int]:
    """Write demo batch ``batch`` to Bronze (tables created first); rows written per full table name.

    ``usage`` is written last, and it is what :func:`next_batch_number` reads: a batch that
    failed half-way counts as not written, and writing it again re-delivers what it had written
    (duplicates, which Bronze must tolerate anyway).
    """
    from pyspark.sql import functions as F

    rows_by_table = batch_rows(batch)
    next_batch = next_batch_number(lakehouse)
    if batch < next_batch:
        raise FrameworkError(
            f"demo batch {batch} is already in {lakehouse.params.bronze_schema!r}; "
            f"the next batch is {next_batch}"
        )
    written: dict[str, int] = {}
    for key, rows in rows_by_table.items():
        full_name = lakehouse.params.bronze(source_table(key).name)
        replace_all = key in SNAPSHOT_TABLES and lakehouse.exists(full_name)
        create_bronze_table(lakehouse, key)
        writer = _frame(lakehouse.spark, source_table(key), rows).writeTo(full_name)
        if replace_all:
            writer.overwrite(F.lit(True))
        else:  # appends, and the first snapshot into a table just created (cheaper than a replace)
            writer.append()
        written[full_name] = len(rows)
    return written

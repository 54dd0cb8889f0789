"""``billing.*``: list and account prices, usage (with late rows and corrections), cloud cost.

Usage is the fact everything else is joined to, so its keys come from the world and the jobs
replay: job usage names jobs alive that day (and the job run its ``job_run_id`` starts in
``lakeflow.job_run_timeline``), all-purpose and job-cluster usage names clusters of
``compute.clusters``, SQL usage the workspace's warehouse, DLT usage a pipeline (and its update),
serving usage an endpoint of ``serving.served_entities``. About 2% of rows name a workspace that
``workspaces_latest`` never lists (real usage has ~5%).

The rows of the original demo (ORIGINAL, RETRACTION and RESTATEMENT records, duplicates) are
drawn from ``random.Random(batch)`` exactly as before; serving usage, account prices and cloud
costs come from their own streams, after them, so adding them changed none of those rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from framework.demo.common import (
    ACCOUNT_ID,
    at,
    batch_day,
    rng_uuid,
    stable_uuid,
    stream,
    with_duplicates,
)
from framework.demo.jobs import Job, JobsBatch, jobs_alive, replay_jobs
from framework.demo.world import (
    UNKNOWN_WORKSPACE,
    Endpoint,
    cluster_id,
    endpoints_alive,
    pipeline_id,
    present_workspaces,
    warehouse_id,
)

USAGE_ROWS_PER_DAY = 190
DUPLICATES = {"billing.list_prices": 1, "billing.usage": 4}  # rows each batch delivers twice
PRICE_LIST_START = datetime(2025, 6, 1, tzinfo=UTC)
Q6 = Decimal("0.000001")


# -- billing.list_prices / billing.account_prices ----------------------------------------
SKUS = (  # name, list price per DBU, promotional price (None: no promotion)
    ("PREMIUM_ALL_PURPOSE_COMPUTE", Decimal("0.55"), None),
    ("PREMIUM_JOBS_COMPUTE", Decimal("0.15"), None),
    ("PREMIUM_SERVERLESS_SQL_COMPUTE_US_EAST_N_VIRGINIA", Decimal("0.70"), None),
    ("PREMIUM_DLT_CORE_COMPUTE", Decimal("0.20"), None),
    ("PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST_N_VIRGINIA", Decimal("0.35"), Decimal("0.175")),
)
SERVING_SKU = ("PREMIUM_SERVERLESS_REAL_TIME_INFERENCE_US_EAST_N_VIRGINIA", Decimal("0.07"), None)
_PRICE_CHANGE_ORDER = (1, 0, 3, 2, 4)  # batch 2 raises JOBS_COMPUTE, batch 3 ALL_PURPOSE, ...
ACCOUNT_DISCOUNT = Decimal("0.8")  # the negotiated price is 80% of list


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


def _price_windows(batch: int) -> list[dict]:
    """Batch 1: every SKU's open price. Later: one SKU's window closes and a new one opens."""
    current = {sku: (PRICE_LIST_START, price, promo) for sku, price, promo in SKUS}
    rows = [_price_row(sku, start, None, price, promo) for sku, (start, price, promo) in current.items()]
    for step in range(2, batch + 1):
        sku = SKUS[_PRICE_CHANGE_ORDER[(step - 2) % len(SKUS)]][0]
        start, price, promo = current[sku]
        changed_at = at(batch_day(step))
        new_price = (price * Decimal("1.1")).quantize(Decimal("0.001"))
        current[sku] = (changed_at, new_price, promo)
        rows = [  # the closed window is re-delivered under its own key, then the new one
            _price_row(sku, start, changed_at, price, promo),
            _price_row(sku, changed_at, None, new_price, promo),
        ]
    return rows


def price_rows(batch: int) -> list[dict]:
    rows = with_duplicates(_price_windows(batch), random.Random(batch), DUPLICATES["billing.list_prices"])
    if batch == 1:  # the serving SKU's price never changes; after the duplicates, which it predates
        sku, price, promo = SERVING_SKU
        rows.append(_price_row(sku, PRICE_LIST_START, None, price, promo))
    return rows


def account_price_rows(batch: int) -> list[dict]:
    """The negotiated prices: the list windows at 80% (``pricing`` has only ``default``)."""
    windows = _price_windows(batch)
    if batch == 1:
        windows.append(_price_row(SERVING_SKU[0], PRICE_LIST_START, None, SERVING_SKU[1], None))
    return [
        {
            **{k: v for k, v in row.items() if k != "pricing"},
            "pricing": {"default": (row["pricing"]["default"] * ACCOUNT_DISCOUNT).quantize(Q6)},
        }
        for row in windows
    ]


# -- billing.usage ----------------------------------------------------------------------
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


@dataclass(frozen=True)
class UsageContext:
    """What usage of one day can refer to: the workspaces listed and the jobs alive that day."""

    workspace_ids: list[str]
    jobs: list[Job]


def _usage_source(sku: str, rng: random.Random, ctx: UsageContext) -> dict:
    """The columns that depend on what consumed the SKU: workspace, metadata, features."""
    workspace = UNKNOWN_WORKSPACE if rng.random() < 0.02 else rng.choice(ctx.workspace_ids)
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
            metadata.update(cluster_id=cluster_id(workspace, 100 + rng.randrange(3)), node_type="m5d.xlarge")
            features["jobs_tier"] = "CLASSIC"
    elif "ALL_PURPOSE" in sku:
        node_type = rng.choice(["i3.xlarge", "m5d.2xlarge"])
        metadata = {"cluster_id": cluster_id(workspace, rng.randrange(2)), "node_type": node_type}
        product = "ALL_PURPOSE"
    elif "SQL" in sku:
        metadata = {"warehouse_id": warehouse_id(workspace)}
        features["sql_tier"] = "PRO"
        product = "SQL"
    else:
        pipeline = pipeline_id(workspace, rng.randrange(2))
        metadata = {"dlt_pipeline_id": pipeline, "dlt_update_id": rng_uuid(rng)}
        features["dlt_tier"] = "CORE"
        product = "DLT"
    return {
        "workspace_id": workspace,
        "usage_metadata": metadata,
        "identity_metadata": identity,
        "billing_origin_product": product,
        "product_features": features,
    }


def _usage_original(rng: random.Random, usage_day: date, ingestion_day: date, ctx: UsageContext) -> dict:
    sku = rng.choices([s[0] for s in SKUS], weights=_SKU_WEIGHTS)[0]
    start = at(usage_day, 60 * rng.randrange(24))
    return {
        "account_id": ACCOUNT_ID,
        "record_id": rng_uuid(rng),
        "sku_name": sku,
        "cloud": "AWS",
        "usage_start_time": start,
        "usage_end_time": start + timedelta(hours=1),
        "usage_date": usage_day,
        "custom_tags": _custom_tags(rng),
        "usage_unit": "DBU",
        "usage_quantity": Decimal(rng.randint(1_000, 12_000_000)) * Q6,
        "record_type": "ORIGINAL",
        "ingestion_date": ingestion_day,
        "usage_type": "COMPUTE_TIME",
        **_usage_source(sku, rng, ctx),
    }


def usage_context(batch: int, jobs: list[JobsBatch]) -> UsageContext:
    return UsageContext(present_workspaces(batch), jobs_alive(batch, jobs))


def usage_originals(batch: int, jobs: list[JobsBatch]) -> tuple[list[dict], random.Random]:
    """The day's ORIGINAL rows (from batch 2 on, some for the day before), and the random stream."""
    rng = random.Random(batch)
    day = batch_day(batch)
    ctx = usage_context(batch, jobs)
    rows = [_usage_original(rng, day, day, ctx) for _ in range(USAGE_ROWS_PER_DAY)]
    if batch >= 2:
        late_ctx = usage_context(batch - 1, jobs)
        rows += [_usage_original(rng, day - timedelta(days=1), day, late_ctx) for _ in range(6)]
    return rows, rng


@lru_cache(maxsize=8)
def originals_of(batch: int) -> tuple[dict, ...]:
    """:func:`usage_originals` of ``batch``, kept: runs, clusters and costs all derive from it
    (read-only: the rows are shared)."""
    return tuple(usage_originals(batch, replay_jobs(batch))[0])


def _corrections(previous: list[dict], rng: random.Random, ingestion_day: date) -> list[dict]:
    """A RETRACTION (negated quantity) and a RESTATEMENT for two of the day before's records."""
    rows = []
    for original in rng.sample(previous, k=2):
        quantity = original["usage_quantity"]
        restated = (quantity * Decimal("0.9")).quantize(Q6)
        for record_type, corrected in (("RETRACTION", -quantity), ("RESTATEMENT", restated)):
            rows.append(
                dict(original, record_id=rng_uuid(rng), record_type=record_type, usage_quantity=corrected,
                     ingestion_date=ingestion_day)
            )
    return rows


_SERVING_FEATURES = {"CUSTOM_MODEL": "MODEL", "FOUNDATION_MODEL": "FOUNDATION_MODEL", "FEATURE_SPEC": "FEATURE"}


def _serving_row(rng: random.Random, endpoint: Endpoint, start: datetime, day: date) -> dict:
    features: dict = {"is_serverless": True, "is_photon": False, "serving_type": _SERVING_FEATURES.get(endpoint.entity_type)}
    if endpoint.entity_type == "EXTERNAL_MODEL":
        features["ai_gateway"] = {"feature_type": "EXTERNAL_MODEL"}
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": endpoint.workspace_id,
        "record_id": rng_uuid(rng),
        "sku_name": SERVING_SKU[0],
        "cloud": "AWS",
        "usage_start_time": start,
        "usage_end_time": start + timedelta(hours=1),
        "usage_date": day,
        "custom_tags": rng.choice([None, {}, {"team": "ml"}]),
        "usage_unit": "DBU",
        "usage_quantity": Decimal(rng.randint(1_000, 3_000_000)) * Q6,
        "usage_metadata": {"endpoint_name": endpoint.name, "endpoint_id": endpoint.endpoint_id},
        "identity_metadata": {"run_as": None, "created_by": None, "owned_by": None},
        "record_type": "ORIGINAL",
        "ingestion_date": day,
        "billing_origin_product": "MODEL_SERVING",
        "product_features": features,
        "usage_type": "TOKEN" if endpoint.is_llm else "COMPUTE_TIME",
    }


def serving_usage(batch: int) -> list[dict]:
    """Hourly serving usage of each endpoint alive that day (its own stream, after the rest)."""
    rng = stream("billing.usage.serving", batch)
    day = batch_day(batch)
    rows = []
    for endpoint in endpoints_alive(batch):
        opened = 10 if endpoint.first_batch == batch > 1 else 0  # created at 09:00 that day
        for hour in sorted(rng.sample(range(opened, 24), k=rng.randint(2, 5))):
            rows.append(_serving_row(rng, endpoint, at(day, 60 * hour), day))
    return rows


def usage_rows(batch: int) -> list[dict]:
    jobs = replay_jobs(batch)
    rows, rng = usage_originals(batch, jobs)
    if batch >= 2:
        previous, _ = usage_originals(batch - 1, jobs)
        on_time = [row for row in previous if row["usage_date"] == batch_day(batch - 1)]
        rows += _corrections(on_time, rng, batch_day(batch))
    return with_duplicates(rows, rng, DUPLICATES["billing.usage"]) + serving_usage(batch)


# -- billing.cloud_infra_cost ------------------------------------------------------------
INFRA_COST_PER_DBU = Decimal("0.42")
CLOUD_ACCOUNT_ID = "123456789012"


def cloud_cost_rows(batch: int) -> list[dict]:
    """What the cloud charged for the day's classic clusters: one row per cluster and day.

    Derived from the day's on-time ORIGINAL classic usage (serverless compute has no
    customer-side infrastructure cost); usage in the unlisted workspace is left out.
    """
    day = batch_day(batch)
    originals = originals_of(batch)
    totals: dict[tuple[str, str], Decimal] = {}
    for row in originals:
        cluster = row["usage_metadata"].get("cluster_id")
        if row["usage_date"] == day and cluster and row["workspace_id"] != UNKNOWN_WORKSPACE:
            key = (row["workspace_id"], cluster)
            totals[key] = totals.get(key, Decimal(0)) + row["usage_quantity"]
    return [
        {
            "cloud": "AWS",
            "record_id": stable_uuid("cloud_cost", workspace, cluster, day),
            "account_id": ACCOUNT_ID,
            "cloud_account_id": CLOUD_ACCOUNT_ID,
            "workspace_id": workspace,
            "usage_start_time": at(day),
            "usage_end_time": at(day + timedelta(days=1)),
            "usage_date": day,
            "cost": (quantity * INFRA_COST_PER_DBU).quantize(Q6),
            "currency_code": "USD",
            "usage_metadata": {"cluster_id": cluster, "warehouse_id": None, "instance_pool_id": None},
        }
        for (workspace, cluster), quantity in sorted(totals.items())
    ]

"""The entities every demo domain draws its keys from: one account, its workspaces, people,
compute, pipelines, serving endpoints, experiments, Unity Catalog tables, listings.

Why one world: the system tables refer to each other (usage names a cluster, a warehouse, a job
run; a task run names its job run; an endpoint request names a served entity). Keys are only
consistent across tables if every table takes them from the same place, so the ids are defined
here, once, as pure functions of stable parts. What changes over batches (versions, deletions)
is each domain's business; this module only says what exists and when it appears or goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from framework.demo.common import ACCOUNT_ID, stable_digits, stable_hex, stable_uuid, utc

METASTORE_ID = "7a1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
METASTORE_NAME = "metastore_aws_us_east_1"
SP = "7d3e2f10-9a4b-4c5d-8e6f-0a1b2c3d4e5f"  # a service principal's application id
UNKNOWN_WORKSPACE = "9000000000000009"  # real usage has ~5% rows whose workspace is not listed
PEOPLE = ("ana@example.com", "bob@example.com", "carol@example.com", "dan@example.com", "erin@example.com")
PRINCIPALS = (*PEOPLE, SP)


def user_id(principal: str) -> str:
    """The numeric id Databricks shows next to a user name (``executed_by_user_id`` ...)."""
    return stable_digits("user", principal, digits=16)


# -- workspaces -------------------------------------------------------------------------
@dataclass(frozen=True)
class WorkspacePlan:
    workspace_id: str
    name: str
    created: datetime
    first_batch: int = 1
    gone_from: int | None = None
    renamed_from: int | None = None
    new_name: str | None = None

    def present(self, batch: int) -> bool:
        return self.first_batch <= batch and (self.gone_from is None or batch < self.gone_from)

    def name_in(self, batch: int) -> str:
        renamed = self.renamed_from is not None and batch >= self.renamed_from
        return self.new_name if renamed and self.new_name else self.name

    @property
    def url(self) -> str:
        return f"https://dbc-{stable_hex('ws', self.workspace_id, length=8)}.cloud.databricks.com"


WORKSPACES = (  # batch 2: dev-sandbox is cancelled, ml-research renamed, data-platform appears
    WorkspacePlan("1444828305810485", "prod-analytics", utc(2023, 3, 14, 9, 26, 53)),
    WorkspacePlan("2718281828459045", "prod-etl", utc(2023, 5, 2, 14, 5, 11)),
    WorkspacePlan("3141592653589793", "dev-sandbox", utc(2024, 1, 8, 8, 0, 2), gone_from=2),
    WorkspacePlan("4669201609102990", "ml-research", utc(2024, 6, 21, 17, 45), renamed_from=2, new_name="ml-platform"),
    WorkspacePlan("5772156649015328", "finance-reporting", utc(2025, 2, 3, 11, 12, 13)),
    WorkspacePlan("6180339887498948", "data-platform", utc(2026, 1, 2, 7, 30), first_batch=2),
)
WORKSPACE_BY_ID = {ws.workspace_id: ws for ws in WORKSPACES}
PROD_ANALYTICS, PROD_ETL, DEV_SANDBOX, ML_RESEARCH, FINANCE, DATA_PLATFORM = (ws.workspace_id for ws in WORKSPACES)


def present_workspaces(batch: int) -> list[str]:
    """Workspaces listed in batch ``batch``'s snapshot, in a fixed order."""
    return [ws.workspace_id for ws in WORKSPACES if ws.present(batch)]


# -- compute ----------------------------------------------------------------------------
ALL_PURPOSE = (0, 1)  # cluster indexes usage bills as ALL_PURPOSE
JOB_CLUSTERS = (100, 101, 102)  # ... and as classic JOBS compute
PIPELINE_CLUSTER = 200  # classic compute of pipeline updates
DOOMED_CLUSTER = (PROD_ETL, 2)  # an all-purpose cluster nobody bills, deleted in batch 2


def cluster_id(workspace_id: str, index: int) -> str:
    digits = int(stable_hex("cn", workspace_id, index, length=5), 16) % 1_000_000
    return f"0105-{digits:06d}-{stable_hex('c', workspace_id, index, length=8)}"


def cluster_indexes(workspace_id: str) -> tuple[int, ...]:
    extra = (DOOMED_CLUSTER[1],) if workspace_id == DOOMED_CLUSTER[0] else ()
    return (*ALL_PURPOSE, *extra, *JOB_CLUSTERS, PIPELINE_CLUSTER)


def warehouse_id(workspace_id: str, index: int = 0) -> str:
    """Index 0 is the warehouse usage bills SQL to; PROD_ANALYTICS also has an ad-hoc one (1)."""
    return stable_hex("wh", workspace_id) if index == 0 else stable_hex("wh", workspace_id, index)


def warehouse_indexes(workspace_id: str) -> tuple[int, ...]:
    return (0, 1) if workspace_id == PROD_ANALYTICS else (0,)


def pipeline_id(workspace_id: str, index: int) -> str:
    return stable_uuid("dlt", workspace_id, index)


def pipeline_indexes(workspace_id: str) -> tuple[int, ...]:
    """0 and 1 are what usage bills DLT to; PROD_ETL has a third, deleted in batch 2."""
    return (0, 1, 2) if workspace_id == PROD_ETL else (0, 1)


NODE_TYPES = (  # node type, vCPUs, memory MB, GPUs
    ("m5d.large", 2.0, 8192, 0),
    ("m5d.xlarge", 4.0, 16384, 0),
    ("m5d.2xlarge", 8.0, 32768, 0),
    ("i3.xlarge", 4.0, 31232, 0),
    ("i3.2xlarge", 8.0, 62464, 0),
    ("r5d.2xlarge", 8.0, 65536, 0),
    ("c5d.4xlarge", 16.0, 32768, 0),
    ("g5.xlarge", 4.0, 16384, 1),
    ("g5.12xlarge", 48.0, 196608, 4),
)
NEW_NODE_TYPE = ("m7gd.xlarge", 4.0, 16384, 0)  # becomes available in batch 3


# -- serving ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Endpoint:
    workspace_id: str
    name: str
    entity_type: str  # CUSTOM_MODEL, FOUNDATION_MODEL, EXTERNAL_MODEL, FEATURE_SPEC
    entity_name: str
    task: str | None
    first_batch: int = 1
    deleted_in: int | None = None

    @property
    def endpoint_id(self) -> str:
        return stable_hex("ep", self.workspace_id, self.name, length=32)

    @property
    def served_entity_id(self) -> str:
        return stable_hex("se", self.workspace_id, self.name, length=32)

    def alive(self, batch: int) -> bool:
        return self.first_batch <= batch and (self.deleted_in is None or batch < self.deleted_in)

    @property
    def is_llm(self) -> bool:
        return self.task is not None and self.task.startswith("llm/")


ENDPOINTS = (
    Endpoint(ML_RESEARCH, "churn-scoring", "CUSTOM_MODEL", "main.ml.churn_model", None),
    Endpoint(PROD_ANALYTICS, "chat-assistant", "FOUNDATION_MODEL", "system.ai.databricks-meta-llama-3-3-70b-instruct", "llm/v1/chat"),
    Endpoint(PROD_ANALYTICS, "gpt-gateway", "EXTERNAL_MODEL", "gpt-4o", "llm/v1/chat"),
    Endpoint(PROD_ETL, "embeddings", "FOUNDATION_MODEL", "system.ai.databricks-gte-large-en", "llm/v1/embeddings"),
    Endpoint(PROD_ETL, "customer-features", "FEATURE_SPEC", "main.sales.customer_features_spec", None, deleted_in=3),
    Endpoint(DATA_PLATFORM, "platform-agent", "EXTERNAL_MODEL", "claude-sonnet", "llm/v1/chat", first_batch=2),
)


def endpoints_alive(batch: int) -> list[Endpoint]:
    return [ep for ep in ENDPOINTS if ep.alive(batch) and WORKSPACE_BY_ID[ep.workspace_id].present(batch)]


# -- mlflow -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    workspace_id: str
    name: str
    created: datetime
    deleted_in: int | None = None

    @property
    def experiment_id(self) -> str:
        return stable_digits("exp", self.workspace_id, self.name, digits=16)


EXPERIMENTS = (
    Experiment(ML_RESEARCH, "/Users/dan@example.com/churn", utc(2025, 9, 3, 10, 0)),
    Experiment(ML_RESEARCH, "/Shared/demand_forecast", utc(2025, 10, 14, 15, 30)),
    Experiment(ML_RESEARCH, "/Users/erin@example.com/scratch", utc(2025, 12, 1, 9, 0), deleted_in=2),
    Experiment(PROD_ANALYTICS, "/Shared/support_agent_eval", utc(2025, 11, 20, 12, 0)),
)


# -- Unity Catalog tables (lineage, data quality, classification, optimization) ----------
@dataclass(frozen=True)
class UcTable:
    catalog: str
    schema: str
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, type)

    @property
    def full_name(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.name}"

    @property
    def table_id(self) -> str:
        return stable_uuid("table", self.full_name)

    @property
    def schema_id(self) -> str:
        return stable_uuid("schema", self.catalog, self.schema)

    @property
    def catalog_id(self) -> str:
        return stable_uuid("catalog", self.catalog)

    @property
    def path(self) -> str:
        return f"s3://acme-lake/{self.catalog}/{self.schema}/{self.name}"


UC_TABLES = (
    UcTable("main", "sales", "orders_raw", (("order_id", "bigint"), ("customer_id", "bigint"), ("amount", "decimal(18,2)"), ("ordered_at", "timestamp"))),
    UcTable("main", "sales", "orders", (("order_id", "bigint"), ("customer_id", "bigint"), ("amount", "decimal(18,2)"), ("order_date", "date"))),
    UcTable("main", "sales", "customers", (("customer_id", "bigint"), ("email", "string"), ("phone", "string"), ("ssn", "string"), ("country", "string"))),
    UcTable("main", "sales", "customer_360", (("customer_id", "bigint"), ("email", "string"), ("lifetime_value", "decimal(18,2)"), ("churn_score", "double"))),
    UcTable("main", "finance", "invoices", (("invoice_id", "string"), ("customer_id", "bigint"), ("iban", "string"), ("total", "decimal(18,2)"))),
    UcTable("main", "finance", "daily_revenue", (("order_date", "date"), ("revenue", "decimal(18,2)"))),
    UcTable("main", "ml", "churn_features", (("customer_id", "bigint"), ("tenure_days", "int"), ("ip_address", "string"), ("churn_score", "double"))),
)
# What reads what (source, target): jobs, pipelines and notebooks write along these edges.
LINEAGE_EDGES = ((0, 1), (1, 3), (2, 3), (1, 5), (3, 6), (4, 5))


# -- marketplace ------------------------------------------------------------------------
PROVIDER_ID = stable_uuid("provider", ACCOUNT_ID)
PROVIDER_NAME = "Acme Data Co"
LISTINGS = (  # (listing id, name)
    (stable_uuid("listing", "retail"), "Acme Retail Footfall (sample)"),
    (stable_uuid("listing", "weather"), "Acme Hourly Weather"),
    (stable_uuid("listing", "fx"), "Acme FX Rates"),
)

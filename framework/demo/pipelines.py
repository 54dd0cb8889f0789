"""``lakeflow.pipelines``: the SCD2 definitions of the pipelines DLT usage is billed to.

Two pipelines per workspace (the ones usage names) and a third in prod-etl that is deleted in
batch 2. Edits change settings, configuration or tags; the late version of a batch carries a
``hotfix`` configuration key.
"""

from __future__ import annotations

import random
from datetime import timedelta

from framework.demo.common import ACCOUNT_ID, stable_fraction, utc
from framework.demo.scd2 import Entity, Scd2Source
from framework.demo.world import PEOPLE, PROD_ETL, SP, WORKSPACES, pipeline_id, pipeline_indexes

DOOMED_PIPELINE = (PROD_ETL, 2)
_TYPES = ("ETL_PIPELINE", "MATERIALIZED_VIEW", "INGESTION_PIPELINE")


def _entities() -> tuple[Entity, ...]:
    entities = []
    for ws in WORKSPACES:
        for index in pipeline_indexes(ws.workspace_id):
            creator = PEOPLE[int(stable_fraction("pl_owner", ws.workspace_id, index) * len(PEOPLE))]
            serverless = index == 1
            attrs = {
                "pipeline_type": _TYPES[index % len(_TYPES)],
                "name": ("orders_bronze_to_silver", "revenue_mvs", "crm_ingest")[index],
                "created_by": creator,
                "run_as": SP if index != 2 else creator,
                "tags": {} if index else {"team": "data-eng"},
                "settings": {"photon": serverless, "development": index == 2, "continuous": False,
                             "serverless": serverless, "edition": "ADVANCED" if index == 0 else "CORE",
                             "channel": "CURRENT"},
                "configuration": {} if index else {"pipelines.trigger.interval": "1 hour"},
            }
            created = (utc(2025, 9, 15) + timedelta(days=int(stable_fraction("pl", ws.workspace_id, index) * 60))
                       if ws.first_batch == 1 else ws.created + timedelta(minutes=45 + index))
            entities.append(
                Entity(
                    key=(ws.workspace_id, pipeline_id(ws.workspace_id, index)),
                    workspace_id=ws.workspace_id,
                    attrs=attrs,
                    created=created,
                    first_batch=ws.first_batch,
                    deleted_in=2 if (ws.workspace_id, index) == DOOMED_PIPELINE else None,
                )
            )
    return tuple(entities)


def _mutate(entity: Entity, attrs: dict, rng: random.Random) -> dict:
    attrs = dict(attrs)
    how = rng.choice(("channel", "configure", "retag", "touch"))
    if how == "channel":
        settings = dict(attrs["settings"])
        settings["channel"] = "PREVIEW" if settings["channel"] == "CURRENT" else "CURRENT"
        attrs["settings"] = settings
    elif how == "configure":
        configuration = dict(attrs["configuration"])
        if "spark.sql.shuffle.partitions" in configuration:
            del configuration["spark.sql.shuffle.partitions"]
        else:
            configuration["spark.sql.shuffle.partitions"] = str(rng.choice((64, 200, 400)))
        attrs["configuration"] = configuration
    elif how == "retag":
        tags = dict(attrs["tags"])
        tags["owner"] = rng.choice(("ana", "bob", "carol", "dan"))
        attrs["tags"] = tags
    return attrs


def _hotfix(attrs: dict) -> dict:
    return {**attrs, "configuration": {**attrs["configuration"], "hotfix": "true"}}


PIPELINES = Scd2Source("lakeflow.pipelines", _entities(), _mutate, _hotfix)


def pipeline_rows(batch: int) -> list[dict]:
    return [
        {
            "workspace_id": v.entity.key[0],
            "pipeline_id": v.entity.key[1],
            "pipeline_type": v.attrs["pipeline_type"],
            "name": v.attrs["name"],
            "created_by": v.attrs["created_by"],
            "run_as": v.attrs["run_as"],
            "tags": dict(v.attrs["tags"]),
            "settings": dict(v.attrs["settings"]),
            "configuration": dict(v.attrs["configuration"]),
            "change_time": v.change_time,
            "delete_time": v.change_time if v.deleted else None,
            "account_id": ACCOUNT_ID,
        }
        for v in PIPELINES.delivered(batch)
    ]

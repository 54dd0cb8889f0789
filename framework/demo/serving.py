"""``serving.served_entities`` (SCD2-ish) and ``serving.endpoint_usage`` (one row per request).

Each endpoint of the world serves one entity; new entity versions and scaling changes emit new
rows with a higher ``endpoint_config_version``; ``customer-features`` is deleted in batch 3
(``endpoint_delete_time`` set). Only the config struct of the entity's type is set, the others
are NULL. Requests name the served entity of an endpoint alive that day; token counts exist for
LLM tasks only, ``usage_context`` is mostly NULL.
"""

from __future__ import annotations

import random
from datetime import timedelta

from framework.demo.common import ACCOUNT_ID, at, batch_day, rng_uuid, stable_fraction, stream, utc
from framework.demo.scd2 import Entity, Scd2Source
from framework.demo.world import ENDPOINTS, PEOPLE, SP, WORKSPACE_BY_ID, endpoints_alive


def _attrs(endpoint) -> dict:
    configs = {"external_model_config": None, "foundation_model_config": None, "custom_model_config": None,
               "feature_spec_config": None}
    if endpoint.entity_type == "EXTERNAL_MODEL":
        configs["external_model_config"] = {"provider": "openai" if "gpt" in endpoint.entity_name else "anthropic"}
    elif endpoint.entity_type == "FOUNDATION_MODEL":
        configs["foundation_model_config"] = {"min_provisioned_throughput": 0, "max_provisioned_throughput": 9500}
    elif endpoint.entity_type == "CUSTOM_MODEL":
        configs["custom_model_config"] = {"min_concurrency": 0, "max_concurrency": 4, "compute_type": "CPU"}
    else:
        configs["feature_spec_config"] = {"min_concurrency": 0, "max_concurrency": 4, "compute_type": "CPU"}
    return {
        "created_by": PEOPLE[int(stable_fraction("ep-owner", endpoint.name) * len(PEOPLE))],
        "served_entity_name": f"{endpoint.entity_name.split('.')[-1]}-1",
        "entity_version": "1" if endpoint.entity_type in ("CUSTOM_MODEL", "FEATURE_SPEC") else None,
        "endpoint_config_version": 1,
        **configs,
    }


def _entities() -> tuple[Entity, ...]:
    entities = []
    for endpoint in ENDPOINTS:
        ws = WORKSPACE_BY_ID[endpoint.workspace_id]
        created = (utc(2025, 11, 3) + timedelta(hours=int(stable_fraction("ep", endpoint.name) * 24 * 40))
                   if endpoint.first_batch == 1 else at(batch_day(endpoint.first_batch), 9 * 60))
        entities.append(Entity(
            key=(endpoint.served_entity_id,), workspace_id=ws.workspace_id, attrs=_attrs(endpoint), created=created,
            first_batch=endpoint.first_batch, deleted_in=endpoint.deleted_in, extra={"endpoint": endpoint},
        ))
    return tuple(entities)


def _mutate(entity: Entity, attrs: dict, rng: random.Random) -> dict:
    """A new entity version, a scaling change, or nothing; every change is a new endpoint config."""
    attrs = dict(attrs, endpoint_config_version=attrs["endpoint_config_version"] + 1)
    if attrs["entity_version"] is not None and rng.random() < 0.5:
        version = int(attrs["entity_version"]) + 1
        attrs["entity_version"] = str(version)
        attrs["served_entity_name"] = attrs["served_entity_name"].rsplit("-", 1)[0] + f"-{version}"
    for name in ("custom_model_config", "feature_spec_config"):
        if attrs[name] is not None:
            attrs[name] = dict(attrs[name], max_concurrency=rng.choice((4, 8, 16)))
    if attrs["foundation_model_config"] is not None:
        attrs["foundation_model_config"] = dict(attrs["foundation_model_config"], max_provisioned_throughput=rng.choice((9500, 19000)))
    return attrs


SERVED_ENTITIES = Scd2Source("serving.served_entities", _entities(), _mutate, edits=(1, 2))


def served_entity_rows(batch: int) -> list[dict]:
    rows = []
    for v in SERVED_ENTITIES.delivered(batch):
        endpoint = v.entity.extra["endpoint"]
        rows.append({
            "served_entity_id": endpoint.served_entity_id,
            "account_id": ACCOUNT_ID,
            "workspace_id": endpoint.workspace_id,
            "created_by": v.attrs["created_by"],
            "endpoint_name": endpoint.name,
            "endpoint_id": endpoint.endpoint_id,
            "served_entity_name": v.attrs["served_entity_name"],
            "entity_type": endpoint.entity_type,
            "entity_name": endpoint.entity_name,
            "entity_version": v.attrs["entity_version"],
            "endpoint_config_version": v.attrs["endpoint_config_version"],
            "task": endpoint.task,
            **{k: None if v.attrs[k] is None else dict(v.attrs[k]) for k in
               ("external_model_config", "foundation_model_config", "custom_model_config", "feature_spec_config")},
            "change_time": v.change_time,
            "endpoint_delete_time": v.change_time if v.deleted else None,
        })
    return rows


def endpoint_usage_rows(batch: int) -> list[dict]:
    rng = stream("serving.endpoint_usage", batch)
    day = batch_day(batch)
    rows = []
    for endpoint in endpoints_alive(batch):
        opened = 9 * 60 + 1 if endpoint.first_batch == batch > 1 else 0  # created at 09:00 that day
        for _ in range(25 + rng.randrange(25)):
            status = rng.choices((200, 400, 429, 500), weights=(90, 3, 5, 2))[0]
            llm = endpoint.is_llm and status == 200
            prompt = rng.randrange(20, 4000) if llm else None
            answer = rng.randrange(5, 1200) if llm and endpoint.task != "llm/v1/embeddings" else (0 if llm else None)
            context = rng.random()
            rows.append({
                "workspace_id": endpoint.workspace_id,
                "account_id": ACCOUNT_ID,
                "client_request_id": rng_uuid(rng) if rng.random() < 0.1 else None,
                "databricks_request_id": rng_uuid(rng),
                "requester": rng.choice((*PEOPLE, SP, SP)),
                "status_code": status,
                "request_time": at(day, rng.randrange(opened, 24 * 60) + rng.random()),
                "input_token_count": prompt,
                "output_token_count": answer,
                "input_character_count": None if prompt is None else prompt * 4,
                "output_character_count": None if answer is None else answer * 4,
                "usage_context": None if context < 0.7 else {} if context < 0.8 else {"end_user": rng.choice(PEOPLE), "app": "support-bot"},
                "request_streaming": endpoint.task == "llm/v1/chat" and rng.random() < 0.4,
                "served_entity_id": endpoint.served_entity_id,
            })
    return rows

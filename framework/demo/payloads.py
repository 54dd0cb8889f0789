"""``__internal_logging.payload_logs``: the AI Gateway payload log of ``serving.endpoint_usage``'s requests.

Why it is derived from endpoint usage: upstream, an endpoint with AI Gateway inference tables
logs the requests it receives under the same ``databricks_request_id`` that usage tracking
records, with the same request time, status, client request id and served entity, plus the raw
request and response bodies. So each payload row here is one request of
:func:`framework.demo.serving.endpoint_usage_rows`, and the response of a successful LLM call
reports exactly the token counts that usage row has. The cases:

- only some endpoints log payloads (``LOGGED``); ``gpt-gateway`` samples half of its requests
  (``sampling_fraction`` 0.5, the kept ones chosen by request id), the others log all;
- ``churn-scoring`` is route-optimized: ``requester`` is NULL, as the docs say for those;
- a prompt or an answer too large to log leaves ``request``/``response`` NULL and names the
  error in ``logging_error_codes`` (empty otherwise); a request the rate limit refused (429)
  never ran, so it has no execution duration;
- delivery is best effort, 2 to 90 minutes after the request: the requests of a day's last
  hour partly arrive with the next batch (late rows, ``request_time`` on the day before);
- each batch re-delivers ``DUPLICATES`` of its rows exactly.
"""

from __future__ import annotations

import json
from datetime import timedelta

from framework.demo.common import end_of, stable_fraction, stable_hex, stable_uuid, stream, with_duplicates
from framework.demo.serving import endpoint_usage_rows
from framework.demo.world import ENDPOINTS, Endpoint

DUPLICATES = 2  # rows each batch delivers a second time, exactly
# endpoint name -> (sampling fraction, route-optimized)
LOGGED = {"churn-scoring": (1.0, True), "chat-assistant": (1.0, False), "gpt-gateway": (0.5, False),
          "platform-agent": (1.0, False)}
MAX_LOGGED_PROMPT_TOKENS = 3600  # larger prompts are not logged (MAX_REQUEST_SIZE_EXCEEDED)
MAX_LOGGED_ANSWER_TOKENS = 1100  # larger answers are not logged (MAX_RESPONSE_SIZE_EXCEEDED)
_PROMPTS = ("Summarize the open support tickets for account {n}.", "Draft a reply to customer {n} about a late refund.",
            "Which dashboards show revenue by region for Q{n}?", "Explain error code E{n} in the ingestion job.")
_ERRORS = {400: "BAD_REQUEST", 429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR"}
_BY_ENTITY = {endpoint.served_entity_id: endpoint for endpoint in ENDPOINTS}


def _compact(value: dict) -> str:
    return json.dumps(value, separators=(",", ":"))


def endpoint_table_id(endpoint: Endpoint) -> str:
    """The id of the endpoint's inference table (one per endpoint)."""
    return stable_uuid("inference-table", endpoint.workspace_id, endpoint.name)


def _bodies(usage: dict, endpoint: Endpoint) -> tuple[dict, dict]:
    """The request and response JSON bodies of one request."""
    rid = usage["databricks_request_id"]
    n = int(stable_fraction("payload-n", rid) * 9000) + 1000
    if not endpoint.is_llm:
        features = {"customer_id": f"C{n}", "tenure_months": n % 60, "plan": ("basic", "pro")[n % 2]}
        return {"dataframe_records": [features]}, {"predictions": [round(stable_fraction("churn", rid), 4)]}
    prompt = _PROMPTS[n % len(_PROMPTS)].format(n=n)
    if endpoint.task == "llm/v1/embeddings":
        request = {"input": [prompt]}
        response = {"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.0123, -0.0456, 0.0789]}]}
    else:
        request = {"messages": [{"role": "user", "content": prompt}], "max_tokens": 1200}
        answer = {"role": "assistant", "content": f"Here is what I found for {n}."}
        response = {"id": f"chatcmpl-{stable_hex('cmpl', rid, length=12)}", "object": "chat.completion",
                    "choices": [{"index": 0, "message": answer, "finish_reason": "stop"}]}
    if usage["input_token_count"] is not None:
        output = usage["output_token_count"] or 0
        response["usage"] = {"prompt_tokens": usage["input_token_count"], "completion_tokens": output,
                             "total_tokens": usage["input_token_count"] + output}
    return request, response


def _duration_ms(usage: dict, endpoint: Endpoint) -> int | None:
    if usage["status_code"] == 429:
        return None  # refused by the rate limit before the model ran
    spread = stable_fraction("payload-ms", usage["databricks_request_id"])
    if usage["status_code"] != 200 or not endpoint.is_llm:
        return 5 + int(spread * 60)
    return 150 + int(spread * 200) + 12 * (usage["output_token_count"] or 0)


def _payload_row(usage: dict, endpoint: Endpoint) -> dict:
    fraction, route_optimized = LOGGED[endpoint.name]
    request, response = _bodies(usage, endpoint)
    if usage["status_code"] != 200:
        response = {"error_code": _ERRORS[usage["status_code"]], "message": "The request could not be served."}
    errors = []
    if (usage["input_token_count"] or 0) > MAX_LOGGED_PROMPT_TOKENS:
        request, errors = None, [*errors, "MAX_REQUEST_SIZE_EXCEEDED"]
    if (usage["output_token_count"] or 0) > MAX_LOGGED_ANSWER_TOKENS:
        response, errors = None, [*errors, "MAX_RESPONSE_SIZE_EXCEEDED"]
    return {
        "account_id": usage["account_id"],
        "workspace_id": usage["workspace_id"],
        "request_date": usage["request_time"].date(),
        "databricks_request_id": usage["databricks_request_id"],
        "client_request_id": usage["client_request_id"],
        "request_time": usage["request_time"],
        "status_code": usage["status_code"],
        "sampling_fraction": fraction,
        "execution_duration_ms": _duration_ms(usage, endpoint),
        "request": None if request is None else _compact(request),
        "response": None if response is None else _compact(response),
        "logging_error_codes": errors,
        "served_entity_id": usage["served_entity_id"],
        "endpoint_table_id": endpoint_table_id(endpoint),
        "requester": None if route_optimized else usage["requester"],
    }


def delivered_at(row: dict):
    """When the payload of a request reaches the log: 2 to 90 minutes after it."""
    return row["request_time"] + timedelta(minutes=2 + 88 * stable_fraction("payload-delay", row["databricks_request_id"]))


def _logged(batch: int) -> list[dict]:
    """The payload rows of the requests of batch ``batch``'s day (whenever they are delivered)."""
    rows = []
    for usage in endpoint_usage_rows(batch):
        endpoint = _BY_ENTITY[usage["served_entity_id"]]
        if endpoint.name not in LOGGED:
            continue
        if stable_fraction("payload-sample", usage["databricks_request_id"]) < LOGGED[endpoint.name][0]:
            rows.append(_payload_row(usage, endpoint))
    return rows


def payload_rows(batch: int) -> list[dict]:
    """What the log delivered on the batch's day: the day before's late payloads, the day's own
    delivered by midnight, and a few exact re-deliveries."""
    late = [r for r in _logged(batch - 1) if delivered_at(r) >= end_of(batch - 1)] if batch > 1 else []
    today = [r for r in _logged(batch) if delivered_at(r) < end_of(batch)]
    return with_duplicates(late + today, stream("payload_logs", batch), DUPLICATES)

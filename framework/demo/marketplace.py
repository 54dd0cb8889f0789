"""``marketplace.listing_funnel_events`` and ``marketplace.listing_access_events``.

This account is a provider with three listings. Funnel events are anonymous consumer actions
(views mostly); access events carry the consumer's details: ``REQUEST_DATA`` has no recipient
name, and an ``OPEN`` recipient (not on Databricks) has no cloud, region or metastore.
Neither table has an id column upstream: rows are told apart by what they say.
"""

from __future__ import annotations

from framework.demo.common import ACCOUNT_ID, CLOUD, REGION, at, batch_day, stable_uuid, stream
from framework.demo.world import LISTINGS, METASTORE_ID, PROVIDER_ID, PROVIDER_NAME

_FUNNEL = (("VIEW_LISTING", 60), ("START_REQUEST_DATA", 8), ("COMPLETE_REQUEST_DATA", 5), ("ABANDON_REQUEST_DATA", 2),
           ("START_GET_DATA", 8), ("COMPLETE_GET_DATA", 6), ("ABANDON_GET_DATA", 2), ("UNINSTALL_DATA", 1),
           ("FAIL_REQUEST_DATA", 1), ("FAIL_GET_DATA", 1))
_CONSUMER_PLACES = (("AWS", "us-west-2"), ("AZURE", "westeurope"), ("GCP", "us-central1"), (None, None))
_COMPANIES = (("Globex", "analyst@globex.example"), ("Initech", "data@initech.example"), ("Umbrella", "bi@umbrella.example"))


def _listing_columns(listing: tuple[str, str]) -> dict:
    return {
        "account_id": ACCOUNT_ID, "metastore_id": METASTORE_ID, "metastore_cloud": CLOUD, "metastore_region": REGION,
        "provider_id": PROVIDER_ID, "provider_name": PROVIDER_NAME, "listing_id": listing[0], "listing_name": listing[1],
    }


def funnel_rows(batch: int) -> list[dict]:
    rng = stream("marketplace.listing_funnel_events", batch)
    day = batch_day(batch)
    rows = []
    for _ in range(35 + rng.randrange(20)):
        when = at(day, rng.randrange(24 * 60) + rng.random())
        cloud, region = rng.choice(_CONSUMER_PLACES)
        rows.append({
            **_listing_columns(rng.choice(LISTINGS)),
            "event_type": rng.choices([e for e, _ in _FUNNEL], weights=[w for _, w in _FUNNEL])[0],
            "event_time": when, "event_date": when.date(), "consumer_cloud": cloud, "consumer_region": region,
        })
    return rows


def access_rows(batch: int) -> list[dict]:
    rng = stream("marketplace.listing_access_events", batch)
    day = batch_day(batch)
    rows = []
    for _ in range(4 + rng.randrange(6)):
        when = at(day, rng.randrange(24 * 60) + rng.random())
        company, email = rng.choice(_COMPANIES)
        event = rng.choice(("REQUEST_DATA", "GET_DATA"))
        open_recipient = rng.random() < 0.3
        cloud, region = (None, None) if open_recipient else rng.choice(_CONSUMER_PLACES[:3])
        rows.append({
            **_listing_columns(rng.choice(LISTINGS)),
            "consumer_delta_sharing_recipient_name": None if event == "REQUEST_DATA" else f"{company.lower()}_recipient",
            "consumer_delta_sharing_recipient_type": "OPEN" if open_recipient else "DATABRICKS",
            "consumer_cloud": cloud,
            "consumer_region": region,
            "consumer_metastore_id": None if open_recipient else stable_uuid("consumer-metastore", company),
            "consumer_email": email,
            "consumer_name": email.split("@")[0].title(),
            "consumer_company": company,
            "consumer_intended_use": rng.choice(("Demand forecasting", "Market research", None)),
            "consumer_comment": None if rng.random() < 0.8 else "Please share hourly granularity too.",
            "event_type": event,
            "event_time": when,
            "event_date": when.date(),
        })
    return rows

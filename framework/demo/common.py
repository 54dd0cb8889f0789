"""Time, ids and random streams shared by every demo domain.

Why one module: every domain must agree on what "batch n" means (the day the system tables
delivered, ``2026-01-01 + (n - 1)``) and draw its randomness the same way, so that a batch is a
pure function of its number. Randomness comes from ``random.Random`` seeded by a string naming
the domain and the batch (string seeds are hashed with SHA-512, so no ``PYTHONHASHSEED``
leaks in); ids that must be the same wherever they are mentioned (a cluster in usage and in
``compute.clusters``) come from :func:`stable_hex`, which depends only on its parts.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, date, datetime, time, timedelta

ACCOUNT_ID = "5f0c6a8e-3d2b-4c1a-9e7f-1b2c3d4e5f60"
BASE_DAY = date(2026, 1, 1)
CLOUD = "AWS"
REGION = "us-east-1"


def batch_day(batch: int) -> date:
    """The day batch ``batch`` was delivered (and, mostly, the day its events happened)."""
    return BASE_DAY + timedelta(days=batch - 1)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(day: date, minutes: float = 0) -> datetime:
    """``minutes`` after midnight UTC of ``day`` (aware, so Spark never applies a local zone)."""
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(minutes=minutes)


def end_of(batch: int) -> datetime:
    """Midnight after the batch's day: what a batch delivers ended before it."""
    return at(batch_day(batch) + timedelta(days=1))


def stable_hex(*parts: object, length: int = 16) -> str:
    """An id that depends only on ``parts`` (not on any random stream)."""
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length]


def stable_uuid(*parts: object) -> str:
    return str(uuid.UUID(stable_hex(*parts, length=32)))


def stable_digits(*parts: object, digits: int = 15) -> str:
    """A numeric string id (job runs, task runs, experiments) that depends only on ``parts``."""
    value = int(stable_hex(*parts, length=24), 16) % (9 * 10 ** (digits - 1))
    return str(10 ** (digits - 1) + value)


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) that depends only on ``parts``: per-entity choices without a stream."""
    return int(stable_hex(*parts, length=12), 16) / 16**12


def rng_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stream(domain: str, batch: int) -> random.Random:
    """The random stream of one domain in one batch: independent of every other domain's."""
    return random.Random(f"{domain}:{batch}")


def with_duplicates(rows: list[dict], rng: random.Random, count: int) -> list[dict]:
    """``rows`` plus ``count`` of them delivered a second time, exactly."""
    picked = sorted(rng.sample(range(len(rows)), k=min(count, len(rows))))
    return rows + [dict(rows[i]) for i in picked]

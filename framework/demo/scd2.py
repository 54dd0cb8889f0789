"""Versions of slowly changing entities over batches: the shape every SCD2 system table shares.

Why one engine: ``lakeflow.job_tasks``, ``lakeflow.pipelines``, ``compute.clusters``,
``compute.warehouses`` and ``serving.served_entities`` all emit a new row whenever an entity
changes, a row with a delete time when it goes, and (warehouses restored, task keys re-added) a
row without one when it comes back. The cases Gold must survive are the same for all of them:
several versions per key in one batch, a version that changes nothing but the change time, a
deletion, a re-creation in a later batch, and a version that arrives a batch late, older than
what was already delivered. This module produces those; each table only says what its
attributes are, how one edit changes them and how a version becomes a row.

Batch ``n`` is replayed from batch 1 (each batch has its own random stream), so it is the same
whether or not earlier batches were generated in this process.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from framework.demo.common import at, batch_day, stream
from framework.demo.world import present_workspaces

DELETE_MINUTE = 10 * 60  # deletions happen at 10:00 of their batch's day
RECREATE_MINUTE = 14 * 60  # re-creations at 14:00


@dataclass(frozen=True)
class Entity:
    """One keyed thing with a life: when it first appears, when it goes, when it comes back."""

    key: tuple[str, ...]
    workspace_id: str
    attrs: dict
    created: datetime  # the change time of its first version
    first_batch: int = 1
    deleted_in: int | None = None
    recreated_in: int | None = None
    extra: dict = field(default_factory=dict)  # what mutations may use; never a column


@dataclass(frozen=True)
class Version:
    entity: Entity
    attrs: dict
    change_time: datetime
    deleted: bool = False
    late: bool = False  # delivered a batch after versions newer than itself


@dataclass(frozen=True)
class Scd2Batch:
    versions: list[Version]
    alive: dict[tuple, dict]  # key -> current attributes after this batch
    gone: dict[tuple, dict]  # key -> attributes when deleted (for a re-creation)


Mutate = Callable[[Entity, dict, random.Random], dict]


def _identity(attrs: dict) -> dict:
    return dict(attrs)


@dataclass(frozen=True)
class Scd2Source:
    """The entities of one SCD2 table and how they change.

    ``mutate`` returns the attributes after one edit; ``late_tweak`` what the late version
    changed (it sits between two delivered versions, so it must differ from neither to be
    visible, but may). ``edits`` bounds how many entities change per batch.
    """

    label: str
    entities: tuple[Entity, ...]
    mutate: Mutate
    late_tweak: Callable[[dict], dict] = _identity
    edits: tuple[int, int] = (2, 4)
    # batch -> its result: each step is a pure function of the one before, so keeping them
    # changes nothing but time (callers must not mutate what they get)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def replay(self, upto: int) -> list[Scd2Batch]:
        for batch in range(1, upto + 1):
            if batch not in self._cache:
                previous = self._cache[batch - 1] if batch > 1 else Scd2Batch([], {}, {})
                self._cache[batch] = self._step(previous, batch)
        return [self._cache[batch] for batch in range(1, upto + 1)]

    def _late_version(self, previous: Scd2Batch, alive: dict, previous_day) -> Version | None:
        """A version that belongs between the last two versions an entity got the day before."""
        by_key: dict[tuple, list[Version]] = {}
        for version in previous.versions:
            if version.change_time >= at(previous_day) and not version.late:
                by_key.setdefault(version.entity.key, []).append(version)
        for key in sorted(by_key):
            versions = sorted(by_key[key], key=lambda v: v.change_time)
            if len(versions) >= 2 and key in alive and not any(v.deleted for v in versions):
                before, after = versions[-2], versions[-1]
                middle = before.change_time + (after.change_time - before.change_time) / 2
                return Version(before.entity, self.late_tweak(before.attrs), middle, late=True)
        return None

    def _step(self, previous: Scd2Batch, batch: int) -> Scd2Batch:
        rng = stream(self.label, batch)
        day = batch_day(batch)
        alive = dict(previous.alive)
        gone = dict(previous.gone)
        versions: list[Version] = []
        if batch >= 2:
            late = self._late_version(previous, alive, day - timedelta(days=1))
            if late is not None:
                versions.append(late)
        fresh = set()
        for entity in self.entities:
            if entity.first_batch == batch:
                alive[entity.key] = dict(entity.attrs)
                versions.append(Version(entity, alive[entity.key], entity.created))
                fresh.add(entity.key)
            if entity.deleted_in == batch and entity.key in alive:
                gone[entity.key] = alive.pop(entity.key)
                versions.append(Version(entity, gone[entity.key], at(day, DELETE_MINUTE), deleted=True))
            if entity.recreated_in == batch and entity.key in gone:
                alive[entity.key] = gone.pop(entity.key)
                versions.append(Version(entity, alive[entity.key], at(day, RECREATE_MINUTE)))
                fresh.add(entity.key)
        present = set(present_workspaces(batch))
        by_key = {entity.key: entity for entity in self.entities}
        editable = sorted(key for key in alive if by_key[key].workspace_id in present and key not in fresh)
        low, high = self.edits
        picked = rng.sample(editable, k=min(len(editable), rng.randint(low, high)))
        for position, key in enumerate(picked):
            minute = 60 + 90 * position + rng.randrange(30)
            # the first entity edited gets two versions (the next batch's late version needs
            # them), and its first version changes nothing but the change time
            for number in range(2 if position == 0 else rng.randint(1, 3)):
                if not (position == 0 and number == 0):
                    alive[key] = self.mutate(by_key[key], alive[key], rng)
                minute += 15 + rng.randrange(60)
                versions.append(Version(by_key[key], alive[key], at(day, minute)))
        return Scd2Batch(versions, alive, gone)

    def delivered(self, batch: int) -> list[Version]:
        """The versions batch ``batch`` delivers."""
        return self.replay(batch)[-1].versions

    def alive_after(self, batch: int) -> dict[tuple, dict]:
        return self.replay(batch)[-1].alive

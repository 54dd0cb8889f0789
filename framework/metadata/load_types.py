"""The five load types as data: what each one means for a spec, in one row each.

A load type is a name in the control table; everything the framework decides by it is a property
here, so no module compares ``load_type`` strings. Metadata validation reads the rules below;
the engine's behaviour per load type (how to diff and MERGE) lives in
:mod:`framework.engine.loads`, keyed by the same names.
"""

from __future__ import annotations

from dataclasses import dataclass

SCD2_COLUMNS = ("valid_from", "valid_to", "is_current")


@dataclass(frozen=True)
class LoadType:
    name: str
    meaning: str
    keeps_history: bool = False  # versions with valid_from/valid_to/is_current (scd2)
    insert_only: bool = False  # a delivered key is never updated nor deleted
    full_snapshot: bool = False  # the read is the whole source; keys absent from it are deleted
    sequence_required: bool = False  # sequence_by orders versions and becomes valid_from

    @property
    def takes_delete_condition(self) -> bool:
        return not (self.insert_only or self.full_snapshot)

    @property
    def takes_watermark(self) -> bool:
        return not self.full_snapshot

    @property
    def takes_aggregate(self) -> bool:
        return not self.keeps_history

    @property
    def default_deletion_vectors(self) -> bool:
        """Deletion vectors make an update or delete mark rows instead of rewriting their files;
        an insert-only table never updates nor deletes, so it gains nothing from them."""
        return not self.insert_only

    @property
    def added_columns(self) -> tuple[str, ...]:
        """Gold columns the load type adds itself (metadata must not declare them)."""
        return SCD2_COLUMNS if self.keeps_history else ()


LOAD_TYPES: dict[str, LoadType] = {
    t.name: t
    for t in (
        LoadType("scd1", "upsert by key, latest version wins; unchanged rows are not rewritten"),
        LoadType("scd2", "full history: a new version when a tracked column changes", keeps_history=True, sequence_required=True),
        LoadType("fact_upsert", "keyed upsert; corrections to an existing key overwrite it"),
        LoadType("fact_insert", "insert-only by key; a re-delivered key is never duplicated nor overwritten", insert_only=True),
        LoadType("snapshot", "the source is a full snapshot; keys absent from it are removed", full_snapshot=True),
    )
}


def load_type(name: str | None) -> LoadType | None:
    return LOAD_TYPES.get(name or "")

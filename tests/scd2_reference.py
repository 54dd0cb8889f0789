"""An independent, plain-Python statement of the SCD2 rules (SPEC §5), for comparing with Gold.

Events are (key, seq, name, is_delete). Per key and instant one event counts (a deletion wins,
then the greatest name). In time order: a version whose tracked value equals the open version's is
no change; a different value, or any value after a deletion, closes the open version and opens a
new one; a deletion closes the open version and opens a deletion version, unless the open version
is a deletion already. The last version of a key is current: for a deleted key, its deletion.

Rows are (key, name, valid_from, valid_to, is_current, is_delete): the ``<name>_history`` table.
The current table ``<name>`` holds the ``is_current`` rows: one per key that ever had an event.
"""

from __future__ import annotations


def _one_per_instant(events) -> dict:
    by_key: dict = {}
    for key, seq, name, is_delete in events:
        slot = by_key.setdefault(key, {})
        candidate = (is_delete, name or "")
        if seq not in slot or candidate > (slot[seq][1], slot[seq][0] or ""):
            slot[seq] = (name, is_delete)
    return by_key


def expected_history(events):
    rows = []
    for key, slot in _one_per_instant(events).items():
        versions = []  # (name, valid_from, is_delete)
        for seq in sorted(slot):
            name, is_delete = slot[seq]
            last = versions[-1] if versions else None
            if last and last[2] and is_delete:
                continue  # already deleted
            if last and not last[2] and not is_delete and last[0] == name:
                continue  # no change
            versions.append((name, seq, is_delete))
        for i, (name, valid_from, is_delete) in enumerate(versions):
            valid_to = versions[i + 1][1] if i + 1 < len(versions) else None
            rows.append((key, name, valid_from, valid_to, valid_to is None, is_delete))
    return sorted(rows, key=lambda r: (r[0], r[2]))


def expected_current(events):
    """The current table: each key's current version (its deletion, if deleted last)."""
    return [r for r in expected_history(events) if r[4]]


def latest_by_key(events) -> list[tuple]:
    """The reference of a keyed upsert with deletions: per key its latest event by sequence (a
    deletion first at one instant); a key whose latest event is a deletion is absent."""
    latest = {}
    for key, name, hour, deleted in events:
        if key not in latest or (hour, deleted) > (latest[key][1], latest[key][2]):
            latest[key] = (name, hour, deleted)
    return sorted((key, name) for key, (name, _, deleted) in latest.items() if not deleted)

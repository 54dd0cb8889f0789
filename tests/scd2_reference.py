"""An independent, plain-Python statement of the SCD2 rules (SPEC §5), for comparing with Gold.

Events are (key, seq, name, is_delete). Per key and instant one event counts (a deletion wins,
then the greatest name). In time order: a version whose tracked value equals the open version's is
no change; a different value closes the open version and opens a new one; a deletion closes the
open version and leaves none.
"""

from __future__ import annotations


def expected_history(events):
    by_key: dict = {}
    for key, seq, name, is_delete in events:
        slot = by_key.setdefault(key, {})
        candidate = (is_delete, name or "")
        if seq not in slot or candidate > (slot[seq][1], slot[seq][0] or ""):
            slot[seq] = (name, is_delete)
    rows = []
    for key, slot in by_key.items():
        open_version = None  # (name, valid_from)
        for seq in sorted(slot):
            name, is_delete = slot[seq]
            if is_delete:
                if open_version:
                    rows.append((key, open_version[0], open_version[1], seq, False))
                    open_version = None
            elif open_version and open_version[0] == name:
                continue
            else:
                if open_version:
                    rows.append((key, open_version[0], open_version[1], seq, False))
                open_version = (name, seq)
        if open_version:
            rows.append((key, open_version[0], open_version[1], None, True))
    return sorted(rows, key=lambda r: (r[0], r[2]))

"""Builders for specs and onboarding mappings with keyword overrides (tests only)."""

from __future__ import annotations

import copy


def raw_spec(**overrides) -> dict:
    """A valid scd1 table mapping; override any field by keyword."""
    base = {
        "table_name": "dim_thing",
        "domain": "test",
        "source_table": "${catalog}.${bronze_schema}.things",
        "load_type": "scd1",
        "primary_keys": ["id"],
        "sequence_by": "ts",
        "watermark_column": "ts",
        "lookback": "1 day",
        "columns": [
            {"name": "id", "expr": "id", "type": "STRING", "nullable": False},
            {"name": "name", "expr": "name", "type": "STRING"},
            {"name": "amount", "expr": "amount", "type": "BIGINT"},
        ],
    }
    result = copy.deepcopy(base)
    result.update(overrides)
    return result

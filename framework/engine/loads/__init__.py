"""Load types: one module each (rules and behaviour), one registry (:mod:`.registry`)."""

from framework.engine.loads.base import SMALL_BATCH_ROWS, LoadType
from framework.engine.loads.registry import LOADS, find_issues, load_of, meanings, validate_specs

__all__ = ["LOADS", "SMALL_BATCH_ROWS", "LoadType", "find_issues", "load_of", "meanings", "validate_specs"]

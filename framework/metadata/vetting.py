"""Vetting SQL fragments that come from metadata, before anything parses them.

A fragment is one expression: no statement separator and no comment outside string literals (a
comment could hide the rest of a generated statement). Pure text checks: no Spark needed, so
spec validation stays testable without a JVM; :mod:`framework.engine.probe` asks Spark next.
"""

from __future__ import annotations

import re

from framework.errors import UnsafeSqlError

LOOKBACK_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")
_LOOKBACK = re.compile(rf"^\s*(\d+)\s+({'|'.join(LOOKBACK_UNITS)})s?\s*$", re.IGNORECASE)


def _strip_string_literals(text: str) -> str:
    return re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "''", text)


def check_fragment(text: str) -> str | None:
    """Why a free-text SQL fragment is unsafe, or None when it may be parsed.

    A fragment is one expression: no statement separator and no comment outside string
    literals (a comment could hide the rest of a generated statement).
    """
    if not isinstance(text, str) or not text.strip():
        return f"must be a non-empty SQL expression, found {text!r}"
    bare = _strip_string_literals(text)
    for token, what in ((";", "a statement separator ';'"), ("--", "a comment '--'"), ("/*", "a comment '/*'")):
        if token in bare:
            return f"must be one SQL expression without {what}, found {text!r}"
    return None


def parse_lookback(text: str) -> tuple[int, str]:
    """`'2 days'` -> (2, 'DAY'); anything else raises with the accepted form."""
    match = _LOOKBACK.match(text or "")
    if not match:
        raise UnsafeSqlError(
            f"lookback must look like '<n> <unit>' with unit one of year, month, week, day, "
            f"hour, minute, second (e.g. '2 days'), found {text!r}"
        )
    return int(match.group(1)), match.group(2).upper()


def lookback_interval_sql(text: str) -> str:
    """The lookback as a Spark SQL interval literal, e.g. ``INTERVAL 2 DAY``."""
    amount, unit = parse_lookback(text)
    if unit == "WEEK":
        amount, unit = amount * 7, "DAY"
    return f"INTERVAL {amount} {unit}"

"""Quoting identifiers and vetting SQL fragments that come from metadata.

Every identifier from metadata goes through :func:`quote_ident` / :func:`quote_table`; every
free-text expression passes :func:`check_fragment` before it is parsed. Spark's expression parser
(``parse_expression``) is the final word on whether a fragment is one well-formed expression.
"""

from __future__ import annotations

import re

from framework.errors import UnsafeSqlError

_IDENT_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKBACK = re.compile(
    r"^\s*(\d+)\s+(year|month|week|day|hour|minute|second)s?\s*$", re.IGNORECASE
)


def quote_ident(name: str) -> str:
    """Backtick-quote one identifier, doubling embedded backticks."""
    if not isinstance(name, str) or not name:
        raise UnsafeSqlError(f"identifier must be a non-empty string, found {name!r}")
    return "`" + name.replace("`", "``") + "`"


def split_table_name(name: str) -> list[str]:
    """Split `a.b.c` (optionally backticked parts) into plain parts, rejecting anything else."""
    parts = [p.strip("`") for p in name.split(".")]
    if not 1 <= len(parts) <= 3 or not all(_IDENT_PART.match(p) for p in parts):
        raise UnsafeSqlError(
            f"table name must be up to three dot-separated identifiers "
            f"([A-Za-z_][A-Za-z0-9_]*), found {name!r}"
        )
    return parts


def quote_table(name: str) -> str:
    """Quote a (possibly catalog- and schema-qualified) table name part by part."""
    return ".".join(quote_ident(p) for p in split_table_name(name))


def is_plain_identifier(name: str) -> bool:
    return isinstance(name, str) and bool(_IDENT_PART.match(name))


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


def _parser():
    from pyspark.sql import SparkSession

    # the active session is per thread; a task running in a worker thread falls back to the
    # process's session (parsing does not depend on which session parses)
    session = SparkSession.getActiveSession() or SparkSession._instantiatedSession
    if session is None:
        raise UnsafeSqlError("parsing SQL from metadata needs an active Spark session")
    return session._jsparkSession.sessionState().sqlParser()


def _parse_with(method: str, text: str) -> str | None:
    """Run one of Spark's parser entry points; the first line of its complaint, or None."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import ParseException

    try:
        getattr(_parser(), method)(text)
    except ParseException as exc:  # what pyspark turns the JVM's ParseException into
        lines = str(exc).strip().splitlines()
        return lines[0] if lines else type(exc).__name__
    except Py4JJavaError as exc:
        lines = str(exc.java_exception.getMessage()).strip().splitlines()
        return lines[0] if lines else type(exc).__name__
    return None


def _vet_and_parse(method: str, text: str, failure: str) -> str | None:
    reason = check_fragment(text)
    if reason:
        return reason
    problem = _parse_with(method, text)
    return None if problem is None else f"{failure}: {text!r} ({problem})"


def parse_expression(text: str) -> str | None:
    """Parse one expression with Spark's own parser; why it is not one, or None."""
    return _vet_and_parse("parseExpression", text, "does not parse as a Spark SQL expression")


def parse_type(text: str) -> str | None:
    """Parse a Spark SQL type; why it is not one, or None."""
    return _vet_and_parse("parseDataType", text, "is not a Spark SQL type")

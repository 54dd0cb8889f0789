"""Expressions and types from metadata, checked by the Spark session itself.

Spark parses them the way it will run them: each probe is a zero-row query (``range(0)``) selecting
the expression or a ``CAST(NULL AS type)``, analyzed by the session. A parse error is a problem of
the metadata; an unresolved column is not (the probe has no source columns: the run resolves
them against the real source and names the column if one is missing). This goes through the
public DataFrame API only, so it works the same on a classic session, on Spark Connect and on
Databricks serverless, where the JVM parser is out of reach.

One probe per spec checks every expression at once; only when it fails are the fields probed one
by one, to name the field.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING

from framework.errors import SpecIssue, UnsafeSqlError
from framework.metadata.vetting import check_fragment

if TYPE_CHECKING:
    from framework.metadata.spec import TableSpec


def _session(spark=None):
    """``spark`` when given (the lakehouse's session), else the thread's or the process's session."""
    if spark is not None:
        return spark
    from pyspark.sql import SparkSession

    # the active session is per thread; a task running in a worker thread falls back to the
    # process's default session (parsing does not depend on which session parses)
    session = SparkSession.getActiveSession()
    if session is None:
        session = getattr(SparkSession, "_instantiatedSession", None)
    if session is None:
        try:
            from pyspark.sql.connect.session import SparkSession as ConnectSession

            session = ConnectSession.getActiveSession() or ConnectSession._get_default_session()
        except ImportError:
            session = None
    if session is None:
        raise UnsafeSqlError("checking SQL from metadata needs an active Spark session")
    return session


# pyspark logs every AnalysisException that carries a query context at ERROR level, on classic
# and Spark Connect sessions alike; a probe expects them (unresolved columns), so they are dropped
# while it runs - in the probing thread only (fan-out tasks probe in threads). The loggers are
# pyspark's own class: it logs with extra keywords a plain logging.Logger rejects, which would
# turn the exception being raised into a TypeError.
_QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")


class _ExpectedInThisThread(logging.Filter):
    def __init__(self):
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "muted", False)


_EXPECTED = _ExpectedInThisThread()


@contextmanager
def expected_errors_muted():
    """pyspark's error logs of analysis errors dropped in this thread for the block (the caller expects them)."""
    from pyspark.logger import PySparkLogger

    for name in _QUERY_CONTEXT_LOGGERS:
        logger = PySparkLogger.getLogger(name)
        if _EXPECTED not in logger.filters:
            logger.addFilter(_EXPECTED)
    before = getattr(_EXPECTED.local, "muted", False)
    _EXPECTED.local.muted = True
    try:
        yield
    finally:
        _EXPECTED.local.muted = before


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _parse_problem(texts: list[str], spark=None) -> str | None:
    """Analyze ``range(0).selectExpr(*texts)``; the parser's complaint, or None when every text parses.

    ``selectExpr`` hands the texts over in a single call (a Column per text would cost a Py4J or
    gRPC round trip each: ~1 s for the 37 onboarded tables' few hundred, decision 117). The texts
    are vetted fragments, so each stays one expression.
    """
    from pyspark.errors import AnalysisException, ParseException

    try:
        with expected_errors_muted():
            _session(spark).range(0).selectExpr(*texts).schema
    except ParseException as exc:
        return _first_line(exc)
    except AnalysisException:  # parsed; a reference the probe cannot resolve is the run's business
        return None
    return None


def _all_parse(expressions: list[str], types: list[str], spark=None) -> bool:
    """Whether every expression and type (probed as ``CAST(NULL AS type)``) parses: one analysis.
    Only "all parse" is taken from here; on anything else the callers probe field by field."""
    return _parse_problem([*expressions, *[f"CAST(NULL AS {t})" for t in types]], spark) is None


def _type_problem(text: str, spark=None) -> str | None:
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    try:
        with expected_errors_muted():
            _session(spark).range(0).select(F.lit(None).cast(text)).schema
    except (PySparkException, ValueError, TypeError) as exc:  # no column involved: any error is the type's
        return _first_line(exc)
    return None


def parse_expression(text: str, spark=None) -> str | None:
    """Why ``text`` is not one Spark SQL expression, or None."""
    reason = check_fragment(text)
    if reason:
        return reason
    problem = _parse_problem([text], spark)
    return None if problem is None else f"does not parse as a Spark SQL expression: {text!r} ({problem})"


TYPE_EXAMPLES = "STRING, BIGINT, DECIMAL(38,18), TIMESTAMP, ARRAY<STRING>, MAP<STRING,STRING>"


def _unclosed(text: str) -> str | None:
    """The first bracket of a type that is never closed (a truncated ``DECIMAL(38``), or None."""
    depth = {"(": 0, "<": 0}
    for char in text:
        if char in depth:
            depth[char] += 1
        elif char in ")>":
            depth["(" if char == ")" else "<"] -= 1
    return next((b for b, d in depth.items() if d > 0), None)


def parse_type(text: str, spark=None) -> str | None:
    """Why ``text`` is not a Spark SQL type, or None."""
    reason = check_fragment(text)
    if reason:
        return reason
    problem = _type_problem(text, spark)
    if problem is None:
        return None
    bracket = _unclosed(text)
    truncated = f"; its {bracket!r} is never closed (truncated?)" if bracket else ""
    return f"is not a Spark SQL type: {text!r} ({problem}){truncated}; types look like {TYPE_EXAMPLES}"


def _expressions(spec: TableSpec) -> list[tuple[str, str]]:
    """(field, expression text) of every expression in ``spec``."""
    found: list[tuple[str, str]] = [(f"columns[{c.name}].expr", c.expr) for c in spec.columns]
    for field_name in ("source_filter", "sequence_by", "delete_condition"):
        found.append((field_name, getattr(spec, field_name)))
    found += [(f"joins[{i}].on", j.on) for i, j in enumerate(spec.joins)]
    if spec.explode is not None:
        found.append(("explode.expr", spec.explode.expr))
    found += [
        (f"checks[{i}].args", c.value) for i, c in enumerate(spec.checks) if c.check == "expr" and isinstance(c.value, str)
    ]
    return [(f, t) for f, t in found if t is not None]


def specs_sql_issues(specs: list[TableSpec], spark=None) -> dict[str, list[SpecIssue]]:
    """:func:`sql_issues` of many specs: one probe for all of them (a run reads every control row,
    and each analysis costs the session a round trip); per spec only when that one fails."""
    expressions = [e for spec in specs for _, e in _expressions(spec)]
    types = [c.type for spec in specs for c in spec.columns if c.type]
    if (expressions or types) and all(check_fragment(t) is None for t in expressions + types) and _all_parse(expressions, types, spark):
        return {}
    found = {spec.table_name: sql_issues(spec, spark) for spec in specs}
    return {name: issues for name, issues in found.items() if issues}


def sql_issues(spec: TableSpec, spark=None) -> list[SpecIssue]:
    """Every expression or type in ``spec`` that Spark cannot parse (probed on ``spark`` when given).

    Pass the lakehouse's session: a thread of a fan-out task may have no active session, and a
    process can hold a classic and a Spark Connect session whose columns do not mix.
    """
    expressions = _expressions(spec)
    types = [(f"columns[{c.name}].type", c.type) for c in spec.columns if c.type]
    vetted = all(check_fragment(t) is None for _, t in expressions + types)
    if vetted and _all_parse([t for _, t in expressions], [t for _, t in types], spark):
        return []
    issues = [SpecIssue(spec.table_name, f, p) for f, t in expressions if (p := parse_expression(t, spark))]
    issues += [SpecIssue(spec.table_name, f, p) for f, t in types if (p := parse_type(t, spark))]
    return issues

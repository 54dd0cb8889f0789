"""The part of metadata validation that needs Spark's parser: expressions and types.

Kept apart from :mod:`framework.spec` so spec parsing and structural validation stay testable
without a JVM. Everything here parses only; nothing touches data.
"""

from __future__ import annotations

from framework.errors import SpecIssue
from framework.spec import TableSpec
from framework.sqlsafe import parse_expression, parse_type


def sql_issues(spec: TableSpec) -> list[SpecIssue]:
    """Every expression or type in ``spec`` that Spark cannot parse."""
    issues: list[SpecIssue] = []

    def probe(field_name: str, text: str | None) -> None:
        if text is None:
            return
        problem = parse_expression(text)
        if problem:
            issues.append(SpecIssue(spec.table_name, field_name, problem))

    for col in spec.columns:
        probe(f"columns[{col.name}].expr", col.expr)
        if col.type:
            problem = parse_type(col.type)
            if problem:
                issues.append(SpecIssue(spec.table_name, f"columns[{col.name}].type", problem))
    probe("source_filter", spec.source_filter)
    probe("sequence_by", spec.sequence_by)
    probe("delete_condition", spec.delete_condition)
    for i, join in enumerate(spec.joins):
        probe(f"joins[{i}].on", join.on)
    for i, chk in enumerate(spec.checks):
        if chk.check == "expr" and isinstance(chk.value, str):
            probe(f"checks[{i}].args", chk.value)
    return issues

"""Onboarding files: YAML ``tables:`` lists validated as a whole, then written in one MERGE.

All-or-nothing: every spec of every file is parsed and validated (structure, expressions, types,
dependencies against the specs already onboarded) before anything is written; any error and
nothing is written, with every error listed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from framework.errors import SpecError, SpecIssue
from framework.metadata.control import read_control, upsert_specs
from framework.metadata.probe import sql_issues
from framework.metadata.spec import TableSpec, find_issues, parse_specs
from framework.platform.lakehouse import Lakehouse


def load_file(path: str | Path) -> list[dict]:
    """The raw table mappings of one onboarding file."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(path.name, "(file)", f"is not valid YAML: {exc}")]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("tables"), list):
        raise SpecError([SpecIssue(path.name, "tables", "an onboarding file is a mapping with a 'tables:' list")])
    return document["tables"]


def check_specs(lakehouse: Lakehouse, specs: list[TableSpec]) -> None:
    """Every problem of ``specs`` in context of what is already onboarded; raises once."""
    existing = read_control(lakehouse)
    others = [s for name, s in existing.specs.items() if name not in {x.table_name for x in specs}]
    issues = [
        i for i in find_issues(specs + others) if i.table in {s.table_name for s in specs}
    ]
    for spec in specs:
        issues.extend(sql_issues(spec, lakehouse.spark))
    if issues:
        raise SpecError(issues)


def onboard_specs(lakehouse: Lakehouse, raws: list[dict], *, now: datetime, user: str | None = None) -> list[TableSpec]:
    """Validate raw table mappings together and write them; nothing is written on any error."""
    specs = parse_specs(raws)
    check_specs(lakehouse, specs)
    upsert_specs(lakehouse, specs, now=now, user=user)
    return specs


def onboard_files(lakehouse: Lakehouse, paths: list[str | Path], *, now: datetime, user: str | None = None) -> list[TableSpec]:
    """Validate all files together and write their specs; nothing is written on any error."""
    raws: list[dict] = []
    issues: list[SpecIssue] = []
    for path in paths:
        try:
            raws.extend(load_file(path))
        except SpecError as exc:
            issues.extend(exc.issues)
    if issues:
        raise SpecError(issues)
    return onboard_specs(lakehouse, raws, now=now, user=user)

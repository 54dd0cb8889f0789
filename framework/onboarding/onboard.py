"""Onboarding files: YAML ``tables:`` lists validated as a whole, then written in one MERGE.

All-or-nothing: every spec of every file is parsed and validated (structure, expressions, types,
dependencies against the specs already onboarded) before anything is written; any error and
nothing is written, with every error listed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from framework.engine.control import read_control, upsert_specs
from framework.engine.explode import explode_rows
from framework.engine.loads import find_issues
from framework.engine.probe import specs_sql_issues
from framework.errors import FrameworkError, SpecError, SpecIssue
from framework.metadata.spec import ExplodeSpec, TableSpec, parse_specs
from framework.onboarding.flatten import expand_flattens
from framework.onboarding.narrowing import narrowing_issues
from framework.onboarding.shapes import BRONZE_PREFIX, spec_shape, table_shape
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import fill_placeholders

# libyaml's parser when PyYAML was built with it (its wheels are): the same documents, about ten
# times faster than the pure-Python one (the 13 onboarding files: ~0.1 s each otherwise).
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_file(path: str | Path) -> list[dict]:
    """The raw table mappings of one onboarding file."""
    path = Path(path)
    try:
        document = yaml.load(path.read_text(), Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(path.name, "(file)", f"is not valid YAML: {exc}")]) from exc
    if not isinstance(document, dict) or not isinstance(document.get("tables"), list):
        raise SpecError([SpecIssue(path.name, "tables", "an onboarding file is a mapping with a 'tables:' list")])
    return document["tables"]


def check_specs(lakehouse: Lakehouse, specs: list[TableSpec]) -> None:
    """Every problem of ``specs`` in context of what is already onboarded; raises once.

    Besides structure and parsing, each column's declared type is held against the type its
    expression yields over the source (:mod:`framework.onboarding.narrowing`): a narrowing cast is
    an error unless ``expr`` states it.
    """
    existing = read_control(lakehouse)
    others = [s for name, s in existing.specs.items() if name not in {x.table_name for x in specs}]
    issues = [
        i for i in find_issues(specs + others) if i.table in {s.table_name for s in specs}
    ]
    gold_specs = {s.table_name: s for s in others + specs}  # a join to a Gold table not created yet: its declared columns
    unparsable = specs_sql_issues(specs, lakehouse.spark)  # one probe for all; per spec only if one fails
    for spec in specs:
        issues.extend(unparsable.get(spec.table_name, []))
        issues.extend(narrowing_issues(spec, spec_shape(lakehouse, spec, gold_specs), lakehouse.spark))
    if issues:
        raise SpecError(issues)


def _source_rows(lakehouse: Lakehouse, raw: dict):
    """A zero-row frame shaped like the rows ``raw``'s column expressions see, and what it is.

    The live source when it exists; else, for a Bronze copy of a system table, the packaged DDL
    (:mod:`framework.onboarding.shapes`). The spec's ``explode`` is applied, so an exploded element
    can be flattened too.
    """
    from pyspark.errors import PySparkException

    text = raw.get("source_table")
    if not isinstance(text, str):
        raise LookupError(f"needs the struct's type, and source_table {text!r} is not a table name")
    try:
        shape = table_shape(lakehouse, text)
        if shape is None:
            raise LookupError(
                f"needs the struct's type: source {fill_placeholders(text, lakehouse.params)!r} does not exist and is not "
                f"the Bronze copy of a packaged system table ({BRONZE_PREFIX}<table>)"
            )
        df = shape.rows
        explode = raw.get("explode")
        if isinstance(explode, dict) and isinstance(explode.get("expr"), str) and isinstance(explode.get("alias"), str):
            df = explode_rows(df, ExplodeSpec.from_dict(explode))
    except (FrameworkError, PySparkException) as exc:
        raise LookupError(f"needs the struct's type, and the source cannot be read: {str(exc).strip().splitlines()[0]}") from exc
    return df.alias("s"), shape.described


def expand_columns(lakehouse: Lakehouse, raw: dict) -> tuple[dict, list[SpecIssue]]:
    """``raw`` with its ``{flatten: ...}`` columns entries expanded (framework.onboarding.flatten)."""
    from pyspark.errors import PySparkException
    from pyspark.sql import functions as F

    frame: list = []

    def struct_type_of(expr: str):
        if not frame:
            frame.append(_source_rows(lakehouse, raw))
        df, described = frame[0]
        try:
            return df.select(F.expr(expr)).schema.fields[0].dataType
        except PySparkException as exc:
            reason = str(exc).strip().splitlines()[0]
            raise LookupError(f"{expr!r} does not resolve against {described}: {reason}; its columns are: {', '.join(df.columns)}") from exc

    return expand_flattens(raw, struct_type_of)


def onboard_specs(lakehouse: Lakehouse, raws: list[dict], *, now: datetime, user: str | None = None) -> list[TableSpec]:
    """Validate raw table mappings together and write them; nothing is written on any error.

    ``{flatten: ...}`` columns entries are expanded first, so what is validated and stored are
    the explicit columns.
    """
    expanded: list = []
    issues: list[SpecIssue] = []
    for raw in raws:
        if isinstance(raw, dict):
            raw, problems = expand_columns(lakehouse, raw)
            issues.extend(problems)
        expanded.append(raw)
    try:
        specs = parse_specs(expanded)
    except SpecError as exc:
        raise SpecError(issues + exc.issues) from exc
    if issues:
        raise SpecError(issues)
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

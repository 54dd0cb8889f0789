"""``healthmon draft``: a design file and its source's schema in, an onboarding entry (YAML) out.

The source is the design's ``bronze_source`` as the packaged system-table DDL declares it (no
Spark needed), or, with ``--source``, a table of the lakehouse read live (its schema as Spark
reports it). The drafting itself is :mod:`framework.metadata.draft`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from framework.engine.loads import find_issues
from framework.errors import SpecError, SpecIssue
from framework.metadata.draft import Draft, draft_entry, draft_yaml
from framework.metadata.spec import TableSpec
from framework.onboarding.onboard import YAML_LOADER
from framework.platform.lakehouse import Lakehouse
from framework.platform.params import fill_placeholders
from framework.platform.source_schemas import SourceTable, source_tables


def live_source(lakehouse: Lakehouse, name: str) -> SourceTable:
    """A lakehouse table's live schema as a :class:`SourceTable` (one DDL line per column)."""
    full = fill_placeholders(name, lakehouse.params)
    schema = lakehouse.spark.table(full).schema
    ddl = "\n".join(f"`{f.name}` {f.dataType.simpleString()}{'' if f.nullable else ' NOT NULL'}" for f in schema.fields)
    return SourceTable("", full.rsplit(".", 1)[-1], ddl)


def checked(draft: Draft) -> Draft:
    """``draft`` with every problem the metadata's rules find in it as a TODO (the field's, or a
    note): a draft passes onboarding validation or says why not. Spark's probes (expressions
    resolving over the source, no narrowing cast) come when it is onboarded."""
    for issue in find_issues([TableSpec.from_dict(draft.as_mapping())]):
        top = issue.field.split(".")[0].split("[")[0]
        if top in draft.entry:
            draft.todos[top] = "; ".join(x for x in (draft.todos.get(top), issue.message) if x)
        else:
            draft.notes.append(f"{issue.field}: {issue.message}")
    return draft


def draft_file(path: str | Path, *, source: str | None = None, lakehouse: Callable[[], Lakehouse] | None = None) -> str:
    """The drafted onboarding file for the design at ``path``."""
    design = yaml.load(Path(path).read_text(), Loader=YAML_LOADER)
    if not isinstance(design, dict) or not design.get("table_name") or not isinstance(design.get("columns"), list):
        raise SpecError([SpecIssue(str(path), "(design)", "a design is a mapping with table_name and a columns list")])
    if source is not None and lakehouse is not None:
        return draft_yaml(checked(draft_entry(design, live_source(lakehouse(), source), source)))
    key = str(design.get("bronze_source") or "")
    tables = source_tables()
    if key not in tables:
        raise SpecError([SpecIssue(design["table_name"], "bronze_source",
                                   f"{key!r} is not a packaged system table ({', '.join(sorted(tables))}); name the source with --source")])
    return draft_yaml(checked(draft_entry(design, tables[key])))

"""``{flatten: <struct>}`` columns entries expanded into explicit, typed Gold columns.

Why at onboarding: the Gold schema must be deterministic and reviewable in the control table, not
re-derived from whatever the source looks like on the day of a run. So the entry is replaced, once,
by one column per field (name ``prefix + field``, expr ``<struct>.<field>``, type the field's Spark
SQL type, nullable). The struct's type is the caller's business (:mod:`framework.onboarding.onboard`
asks the live source, else the packaged system-table DDL); this module only walks it.
"""

from __future__ import annotations

from pyspark.sql.types import ArrayType, DataType, DecimalType, MapType, StructType

from framework.errors import SpecIssue
from framework.metadata.spec import flatten_entry_issues
from framework.platform.sqltext import is_plain_identifier, quote_ident


def sql_type(data_type: DataType) -> str:
    """A Spark SQL type literal for ``data_type`` that ``CAST(... AS <it>)`` accepts.

    ``simpleString`` leaves struct field names unquoted; a field named like a keyword or with a
    dash would then not parse back, so nested field names are backtick-quoted here.
    """
    if isinstance(data_type, StructType):
        inner = ", ".join(f"{quote_ident(f.name)}: {sql_type(f.dataType)}" for f in data_type.fields)
        return f"STRUCT<{inner}>"
    if isinstance(data_type, ArrayType):
        return f"ARRAY<{sql_type(data_type.elementType)}>"
    if isinstance(data_type, MapType):
        return f"MAP<{sql_type(data_type.keyType)}, {sql_type(data_type.valueType)}>"
    if isinstance(data_type, DecimalType):
        return f"DECIMAL({data_type.precision},{data_type.scale})"
    return data_type.simpleString().upper()


def _field_expr(struct_expr: str, field: str) -> str:
    return f"{struct_expr}.{field if is_plain_identifier(field) else quote_ident(field)}"


def default_prefix(struct_expr: str) -> str:
    """``usage_metadata`` -> ``usage_metadata_``; ``s.a.b`` -> ``a_b_`` (the alias is not part of the name)."""
    parts = [p.strip("`") for p in struct_expr.split(".")]
    if len(parts) > 1 and parts[0] == "s":
        parts = parts[1:]
    return "_".join(parts) + "_"


def expand_entry(table: str, where: str, item: dict, struct_type: DataType) -> tuple[list[dict], list[SpecIssue]]:
    """The explicit columns one flatten entry stands for, or the problems that prevent it."""
    struct_expr = item["flatten"].strip()
    if not isinstance(struct_type, StructType):
        return [], [SpecIssue(table, f"{where}.flatten", f"{struct_expr!r} is {sql_type(struct_type)}, not a STRUCT; only a struct can be flattened")]
    prefix = default_prefix(struct_expr) if item.get("prefix") is None else item["prefix"]
    depth = item.get("depth") or 1
    skipped = set(item.get("except") or ())
    columns: list[dict] = []
    seen: set[str] = set()

    def walk(data_type: StructType, expr: str, name_prefix: str, path: str, level: int) -> None:
        for field in data_type.fields:
            dotted = f"{path}{field.name}"
            seen.add(dotted)
            if dotted in skipped:
                continue
            field_expr = _field_expr(expr, field.name)
            if isinstance(field.dataType, StructType) and level < depth:
                walk(field.dataType, field_expr, f"{name_prefix}{field.name}_", f"{dotted}.", level + 1)
                continue
            columns.append({"name": f"{name_prefix}{field.name}", "expr": field_expr, "type": sql_type(field.dataType), "nullable": True})

    walk(struct_type, struct_expr, prefix, "", 1)
    unknown = sorted(skipped - seen)
    if unknown:
        return [], [SpecIssue(table, f"{where}.except", f"{', '.join(map(repr, unknown))} is not a field of {struct_expr!r}; its fields are: {', '.join(sorted(seen))}")]
    return columns, []


def expand_flattens(raw: dict, struct_type_of) -> tuple[dict, list[SpecIssue]]:
    """``raw`` with every flatten entry of ``columns`` replaced by its columns (a copy; ``raw`` is kept).

    ``struct_type_of(expr)`` returns the Spark type of a struct expression over the source, or
    raises ``LookupError`` with the reason it cannot; it is called only when there is something
    to expand, so specs without flatten entries need no Spark at all.
    """
    table = str(raw.get("table_name"))
    columns = raw.get("columns")
    if not isinstance(columns, list) or not any(isinstance(c, dict) and "flatten" in c for c in columns):
        return raw, []
    expanded: list = []
    issues: list[SpecIssue] = []
    for i, item in enumerate(columns):
        if not (isinstance(item, dict) and "flatten" in item):
            expanded.append(item)
            continue
        where = f"columns[{i}]"
        problems = flatten_entry_issues(table, where, item)
        if not problems:
            try:
                struct_type = struct_type_of(item["flatten"].strip())
            except LookupError as exc:
                problems = [SpecIssue(table, f"{where}.flatten", str(exc.args[0] if exc.args else exc))]
            else:
                found, problems = expand_entry(table, where, item, struct_type)
                expanded.extend(found)
        issues.extend(problems)
    return {**raw, "columns": expanded}, issues

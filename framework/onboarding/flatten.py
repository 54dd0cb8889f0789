"""``{flatten: <struct>}`` columns entries expanded into explicit, typed Gold columns.

Why at onboarding: the Gold schema must be deterministic and reviewable in the control table, not
re-derived from whatever the source looks like on the day of a run. So the entry is replaced, once,
by one column per field (name ``prefix + field``, expr ``<struct>.<field>``, type the field's Spark
SQL type, nullable). The struct's type is the caller's business (:mod:`framework.onboarding.onboard`
asks the live source, else the packaged system-table DDL); this module only walks it.

``json: true`` renders the fields a Gold design keeps as text (an ARRAY, a MAP, a STRUCT not walked
further) as one STRING column ``prefix + field + json_suffix`` holding ``to_json`` of it, every map
in it with its keys sorted first: a map's entries have no order of their own, and equal maps must
give equal text, or the diff would see a change where there is none. ``comments`` gives generated
columns their comments (a design's column descriptions), by output name.
"""

from __future__ import annotations

from pyspark.sql.types import ArrayType, DataType, MapType, StructType

from framework.engine.type_loss import sql_type
from framework.errors import SpecIssue
from framework.metadata.spec import flatten_entry_issues
from framework.platform.sqltext import is_plain_identifier, quote_ident, sql_string

NESTED = (ArrayType, MapType, StructType)
DEFAULT_JSON_SUFFIX = "_json"


def _field_expr(struct_expr: str, field: str) -> str:
    return f"{struct_expr}.{field if is_plain_identifier(field) else quote_ident(field)}"


def holds_map(data_type: DataType) -> bool:
    """Whether a map is anywhere in ``data_type`` (then its text depends on entry order)."""
    if isinstance(data_type, MapType):
        return True
    if isinstance(data_type, ArrayType):
        return holds_map(data_type.elementType)
    if isinstance(data_type, StructType):
        return any(holds_map(f.dataType) for f in data_type.fields)
    return False


def sorted_maps(expr: str, data_type: DataType, level: int = 0) -> str:
    """``expr`` with every map in it (at any depth) rebuilt with its entries sorted by key.

    A map of orderable values is sorted as a whole entry (the form hand-written columns use,
    ``map_from_entries(array_sort(map_entries(x)))``); one whose values hold maps (not orderable)
    by key alone, which is enough: a map's keys are unique. Lambda variables are numbered by depth.
    """
    if not holds_map(data_type):
        return expr
    if isinstance(data_type, ArrayType):
        var = f"e{level}"
        return f"transform({expr}, {var} -> {sorted_maps(var, data_type.elementType, level + 1)})"
    if isinstance(data_type, StructType):
        parts = ", ".join(f"{sql_string(f.name)}, {sorted_maps(_field_expr(expr, f.name), f.dataType, level + 1)}" for f in data_type.fields)
        return f"IF({expr} IS NULL, NULL, named_struct({parts}))"
    key, value = f"k{level}", f"v{level}"
    values = data_type.valueType
    inner = expr if not holds_map(values) else f"transform_values({expr}, ({key}, {value}) -> {sorted_maps(value, values, level + 1)})"
    if not holds_map(values):
        return f"map_from_entries(array_sort(map_entries({inner})))"
    a, b = f"a{level}", f"b{level}"
    order = f"({a}, {b}) -> CASE WHEN {a}.key < {b}.key THEN -1 WHEN {a}.key > {b}.key THEN 1 ELSE 0 END"
    return f"map_from_entries(array_sort(map_entries({inner}), {order}))"


def json_expr(expr: str, data_type: DataType) -> str:
    """The JSON text of a nested value, maps with their keys sorted (equal values, equal text)."""
    return f"to_json({sorted_maps(expr, data_type)})"


def default_prefix(struct_expr: str) -> str:
    """``usage_metadata`` -> ``usage_metadata_``; ``s.a.b`` -> ``a_b_`` (the alias is not part of the name)."""
    parts = [p.strip("`") for p in struct_expr.split(".")]
    if len(parts) > 1 and parts[0] == "s":
        parts = parts[1:]
    return "_".join(parts) + "_"


def _walk(item: dict, struct_type: StructType, struct_expr: str, prefix: str) -> tuple[list[dict], set[str]]:
    """The columns of one flatten entry, and every dotted field path seen (for ``except``)."""
    depth = item.get("depth") or 1
    skipped = set(item.get("except") or ())
    as_json = bool(item.get("json"))
    suffix = DEFAULT_JSON_SUFFIX if item.get("json_suffix") is None else item["json_suffix"]
    columns: list[dict] = []
    seen: set[str] = set()

    def walk(data_type: StructType, expr: str, name_prefix: str, path: str, level: int) -> None:
        for field in data_type.fields:
            dotted = f"{path}{field.name}"
            seen.add(dotted)
            if dotted in skipped:
                continue
            field_expr, name = _field_expr(expr, field.name), f"{name_prefix}{field.name}"
            if isinstance(field.dataType, StructType) and level < depth:
                walk(field.dataType, field_expr, f"{name}_", f"{dotted}.", level + 1)
            elif as_json and isinstance(field.dataType, NESTED):
                columns.append({"name": f"{name}{suffix}", "expr": json_expr(field_expr, field.dataType), "type": "STRING", "nullable": True})
            else:
                columns.append({"name": name, "expr": field_expr, "type": sql_type(field.dataType), "nullable": True})

    walk(struct_type, struct_expr, prefix, "", 1)
    return columns, seen


def expand_entry(table: str, where: str, item: dict, struct_type: DataType) -> tuple[list[dict], list[SpecIssue]]:
    """The explicit columns one flatten entry stands for, or the problems that prevent it."""
    struct_expr = item["flatten"].strip()
    if not isinstance(struct_type, StructType):
        return [], [SpecIssue(table, f"{where}.flatten", f"{struct_expr!r} is {sql_type(struct_type)}, not a STRUCT; only a struct can be flattened")]
    prefix = default_prefix(struct_expr) if item.get("prefix") is None else item["prefix"]
    columns, seen = _walk(item, struct_type, struct_expr, prefix)
    unknown = sorted(set(item.get("except") or ()) - seen)
    if unknown:
        return [], [SpecIssue(table, f"{where}.except", f"{', '.join(map(repr, unknown))} is not a field of {struct_expr!r}; its fields are: {', '.join(sorted(seen))}")]
    comments = item.get("comments") or {}
    names = [c["name"] for c in columns]
    strangers = [name for name in comments if name not in names]
    if strangers:
        return [], [SpecIssue(table, f"{where}.comments", f"{', '.join(map(repr, strangers))} is not a column this entry generates; "
                              f"it generates: {', '.join(names)}")]
    return [{**c, "comment": comments[c["name"]]} if c["name"] in comments else c for c in columns], []


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

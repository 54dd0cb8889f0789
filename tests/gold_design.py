"""The user's Gold table designs (``../shared/reference/gold-design``) and the deviations we keep
from them (the table in ``docs/decisions.md``), read for the tests that hold Gold to both.

The designs are reference data outside the product: tests that need them skip, saying why, where
the folder is absent (a user's machine). The deviations table is the product's own record.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from framework.onboarding.onboard import YAML_LOADER

ROOT = Path(__file__).resolve().parents[1]
DESIGNS = ROOT.parent / "shared" / "reference" / "gold-design"
DECISIONS = ROOT / "docs" / "decisions.md"
DEVIATIONS_HEADING = "## Deviations from the Gold designs"
KINDS = ("added", "missing", "type", "nullable", "key")


def normal_type(text: str) -> str:
    """Spark SQL type text compared loosely: case and blanks do not matter, bare DECIMAL is (10,0)."""
    text = re.sub(r"\s+", "", str(text)).lower()
    return "decimal(10,0)" if text == "decimal" else text


@dataclass(frozen=True)
class Design:
    table: str
    columns: dict[str, tuple[str, bool]]  # name -> (normal type, nullable)
    primary_key: tuple[str, ...]


def yaml_designs() -> dict[str, dict]:
    """Every design document by table name (skips the calling test where the designs are absent).
    Read-only: parsed once per test process and shared."""
    if not DESIGNS.is_dir():
        pytest.skip(f"the Gold designs are reference data outside the product; {DESIGNS} is absent")
    return _parsed_designs()


@functools.cache
def _parsed_designs() -> dict[str, dict]:
    """The 37 design documents, parsed by the onboarding's loader (libyaml: 0.02 s, where PyYAML's
    pure-Python parser took 0.3 s in each test that reads them)."""
    docs = [yaml.load(path.read_text(), Loader=YAML_LOADER) for path in sorted(DESIGNS.glob("*/*.yaml"))]
    return {doc["table_name"]: doc for doc in docs}


def yaml_design(table: str) -> dict:
    return yaml_designs()[table]


def designs() -> dict[str, Design]:
    found = {}
    for doc in yaml_designs().values():
        columns = {c["name"]: (normal_type(c["type"]), bool(c.get("nullable", True))) for c in doc["columns"]}
        found[doc["table_name"]] = Design(doc["table_name"], columns, tuple(doc["primary_key"]["columns"]))
    return found


@dataclass(frozen=True)
class Deviation:
    table: str
    column: str  # "" for a table-level deviation (key)
    kind: str


def deviations() -> set[Deviation]:
    """Rows of the markdown table under DEVIATIONS_HEADING: ``| table | column | kind | ... |``."""
    text = DECISIONS.read_text()
    assert DEVIATIONS_HEADING in text, f"{DECISIONS} has no section {DEVIATIONS_HEADING!r}"
    section = text.split(DEVIATIONS_HEADING, 1)[1].split("\n## ", 1)[0]
    found = set()
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[0] in ("table", "") or set(cells[0]) <= set("-: "):
            continue
        table, column, kind = cells[:3]
        assert kind in KINDS, f"deviation row {line!r}: kind must be one of {KINDS}"
        found.add(Deviation(table, "" if column in ("-", "*") else column, kind))
    return found


def differences(design: Design, gold: dict[str, tuple[str, bool]], gold_key: tuple[str, ...]) -> set[Deviation]:
    """How a Gold table (business columns name -> (normal type, nullable), key) differs from its design."""
    found = set()
    for name, (typ, nullable) in gold.items():
        if name not in design.columns:
            found.add(Deviation(design.table, name, "added"))
            continue
        want_type, want_nullable = design.columns[name]
        if typ != want_type:
            found.add(Deviation(design.table, name, "type"))
        if nullable != want_nullable:
            found.add(Deviation(design.table, name, "nullable"))
    found |= {Deviation(design.table, name, "missing") for name in design.columns if name not in gold}
    if set(gold_key) != set(design.primary_key):  # the order of key columns is not a difference
        found.add(Deviation(design.table, "", "key"))
    return found

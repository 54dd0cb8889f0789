"""The package's shape: load types decided in one place each, JVM internals in one module.

Import layering itself is held by import-linter (pyproject.toml, run by `make test`).
"""

from __future__ import annotations

import re
from pathlib import Path

from framework.engine.loads import LOADS
from framework.metadata.load_types import LOAD_TYPES

PACKAGE = Path(__file__).resolve().parent.parent / "framework"


def sources():
    return {p.relative_to(PACKAGE).as_posix(): p.read_text() for p in PACKAGE.rglob("*.py")}


def test_every_load_type_has_its_rules_and_its_behaviour():
    assert set(LOADS) == set(LOAD_TYPES)


def test_no_module_branches_on_a_load_type_name():
    names = "|".join(LOAD_TYPES)
    compared = re.compile(rf"load_type\s*(==|!=|\bin\b|\bnot in\b)|==\s*['\"]({names})['\"]")
    offenders = {path: m.group(0) for path, text in sources().items() if (m := compared.search(text))}
    assert offenders == {}, "decide by framework.metadata.load_types / framework.engine.loads, not by name"

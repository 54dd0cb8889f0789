"""The project rule: no function or method in framework/ runs over 60 lines.

Why a test: a rule only reviewers remember erodes one long function at a time. This one is pure
Python (``ast``, no Spark), so it costs milliseconds and runs wherever the unit tests run.
"""

from __future__ import annotations

import ast
from pathlib import Path

FRAMEWORK = Path(__file__).resolve().parents[2] / "framework"
MAX_LINES = 60


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, lines) of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield f"{prefix}{node.name}", node.end_lineno - node.lineno + 1
            yield from _functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def test_no_function_in_framework_is_longer_than_60_lines():
    sources = sorted(FRAMEWORK.rglob("*.py"))
    assert sources, f"no Python files under {FRAMEWORK}"
    offenders = []
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        relative = path.relative_to(FRAMEWORK.parent).as_posix()
        offenders += [f"{relative}:{name} ({lines} lines)" for name, lines in _functions(tree) if lines > MAX_LINES]
    assert not offenders, f"functions over {MAX_LINES} lines:\n" + "\n".join(offenders)

"""The one error hierarchy holds: every deliberate error is a named, documented FrameworkError.

A caller catches ``FrameworkError`` for "the framework refused, with a message for an operator",
or one subclass for one situation; that only works while no module raises the bare base class or
defines an error class of its own. Pure (no Spark): the classes are inspected and framework/'s
source is parsed, not run.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import framework.errors as errors
from framework.errors import FrameworkError

FRAMEWORK = Path(errors.__file__).resolve().parent
ERRORS_PY = FRAMEWORK / "errors.py"


def _error_classes() -> dict[str, type]:
    return {
        name: obj for name, obj in vars(errors).items()
        if inspect.isclass(obj) and obj.__module__ == errors.__name__ and issubclass(obj, BaseException)
    }


def _modules() -> list[Path]:
    return sorted(p for p in FRAMEWORK.rglob("*.py") if p != ERRORS_PY and "__pycache__" not in p.parts)


def test_every_error_class_is_a_documented_framework_error():
    classes = _error_classes()
    assert len(classes) > 10  # the hierarchy, not an empty module
    for name, cls in classes.items():
        if not issubclass(cls, Exception):  # the one crash signal: passes every `except Exception` on purpose
            assert name == "InjectedCrash" and cls.__doc__.strip(), name
            continue
        assert issubclass(cls, FrameworkError), f"{name} does not subclass FrameworkError"
        assert name.endswith("Error"), name
        doc = cls.__dict__.get("__doc__") or ""
        assert doc.strip(), f"{name} has no docstring saying when it is raised"


def test_the_subclasses_keep_except_framework_error_working():
    """Callers (the CLI, the runner, the job tasks) catch FrameworkError; each named class is one."""
    for name in ["CommitConflictError", "DependencyCycleError", "SelectionError", "EndpointError", "RunFailedError", "DemoDataError"]:
        try:
            raise getattr(errors, name)("boom")
        except FrameworkError as caught:
            assert str(caught) == "boom"
    assert issubclass(errors.DependencyCycleError, errors.PlanError) and issubclass(errors.SelectionError, errors.PlanError)


def test_commit_retry_still_offers_its_error():
    from framework.platform import commit_retry

    assert commit_retry.CommitConflictError is errors.CommitConflictError


def _raises_of_the_base(tree: ast.AST) -> list[int]:
    """Lines of ``raise FrameworkError(...)`` / ``raise FrameworkError`` / ``raise errors.FrameworkError(...)``."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name == "FrameworkError":
                lines.append(node.lineno)
    return lines


def _error_classes_defined(tree: ast.AST) -> list[str]:
    """Classes named ``...Error`` or ``...Exception``, or deriving from an exception class by name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]
            if node.name.endswith(("Error", "Exception")) or any(b.endswith(("Error", "Exception")) for b in bases):
                found.append(f"{node.name}:{node.lineno}")
    return found


def test_the_scan_finds_what_it_is_for():
    sample = ast.parse("class OwnError(FrameworkError):\n    pass\n\nclass Odd(ValueError):\n    pass\n\n"
                       "def f():\n    raise FrameworkError('x')\n\ndef g():\n    raise errors.FrameworkError\n")
    assert _raises_of_the_base(sample) == [8, 11]
    assert _error_classes_defined(sample) == ["OwnError:1", "Odd:4"]
    assert _raises_of_the_base(ast.parse("raise SpecError([])")) == []


def test_no_module_raises_the_bare_base_class_or_defines_its_own_error_class():
    bare, own = {}, {}
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(FRAMEWORK.parent).as_posix()
        if lines := _raises_of_the_base(tree):
            bare[where] = lines
        if classes := _error_classes_defined(tree):
            own[where] = classes
    assert bare == {}, "raise a named class of framework/errors.py (add one there if none fits)"
    assert own == {}, "error classes belong in framework/errors.py"

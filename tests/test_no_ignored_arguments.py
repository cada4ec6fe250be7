"""No public constructor of any package accepts an argument and silently drops it.

A user who writes `LIF(3, noise=5.0)` must get noise, or an error saying noise is not
supported: never the noiseless trace. This walks every public class of every package
(top level and public submodules) and reads its constructor's source:

- each parameter of a hand-written `__init__` is read in the body (stored, forwarded,
  checked or refused: any use counts, `if noise: raise ...` included);
- a parameter whose only use is storing it on `self` (and every field of a
  dataclass-generated `__init__`) must then be read back as an attribute somewhere in
  the class's own methods or, failing that, anywhere in the package's source.

Parameters a class keeps only for the original library's signature must refuse any
non-default value, which counts as a use.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import textwrap
import types
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGES = [
    "rollax",
    "lenia_runner",
    "dsrunner",
    "apebench_lite",
    "eventsnn",
    "imnn_data",
]

# Records handed to the user: their fields are the output, read by the user, not settings.
RECORDS = {
    "eventsnn._training.YinYangResult",
    "eventsnn._types.LIFState",
    "rollax._registry.PluginInfo",
}


def _public_modules(package: str) -> Iterator[types.ModuleType]:
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # an optional extra (e.g. TensorFlow) that is not installed
            continue


def _public_classes(package: str) -> list[type]:
    found: dict[str, type] = {}
    for module in _public_modules(package):
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isclass(obj):
                continue
            if obj.__module__.split(".")[0] != package or issubclass(
                obj, BaseException
            ):
                continue
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[key] for key in sorted(found)]


@cache
def _package_attribute_reads(package: str) -> frozenset[str]:
    """Every `x.name` read (or `getattr(x, "name")`) anywhere in the package's source."""
    root = Path(importlib.import_module(package).__file__ or "").parent
    names: set[str] = set()
    for path in root.rglob("*.py"):
        names |= _attribute_reads(ast.parse(path.read_text()))
    return frozenset(names)


def _attribute_reads(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            names.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            names.add(node.args[1].value)
    return names


def _class_attribute_reads(cls: type) -> set[str]:
    """Attribute reads in the methods of `cls` and of its bases from the same package."""
    package = cls.__module__.split(".")[0]
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.split(".")[0] != package:
            continue
        try:
            source = textwrap.dedent(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
        names |= _attribute_reads(ast.parse(source))
    return names


def _function_node(function) -> ast.FunctionDef | None:
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    node = ast.parse(source).body[0]
    return node if isinstance(node, ast.FunctionDef) else None


def _stores(node: ast.FunctionDef, parameter: str) -> tuple[bool, set[str]]:
    """(whether `parameter` is read other than into `self.<attr> = ...`, the attrs it is stored in)."""
    stored: set[str] = set()
    other = False
    self_name = node.args.args[0].arg if node.args.args else "self"

    def reads(tree: ast.AST) -> bool:
        return any(
            isinstance(n, ast.Name)
            and n.id == parameter
            and isinstance(n.ctx, ast.Load)
            for n in ast.walk(tree)
        )

    def store_target(statement: ast.stmt) -> str | None:
        # self.x = value / self.x: T = value / object.__setattr__(self, "x", value)
        targets = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        if len(targets) == 1:
            target = targets[0]
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == self_name
            ):
                return target.attr
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
            call = statement.value
            if (
                isinstance(call.func, ast.Attribute)
                and call.func.attr == "__setattr__"
                and len(call.args) == 3
                and isinstance(call.args[1], ast.Constant)
            ):
                return str(call.args[1].value)
        return None

    for statement in ast.walk(node):
        if statement is node or not isinstance(statement, ast.stmt):
            continue
        if isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Expr)):
            if statement.value is not None and reads(statement.value):
                target = store_target(statement)
                if target is None:
                    other = True
                else:
                    stored.add(target)
        else:  # the statement's own expressions; nested statements are walked themselves
            children = ast.iter_child_nodes(statement)
            own = (
                c for c in children if not isinstance(c, (ast.stmt, ast.excepthandler))
            )
            other = other or any(reads(c) for c in own)
    return other, stored


def _violations(cls: type) -> list[str]:
    package = cls.__module__.split(".")[0]
    for klass in cls.__mro__:
        if "__init__" in klass.__dict__:
            init = klass.__dict__["__init__"]
            owner = klass
            break
    else:  # pragma: no cover - object always has __init__
        return []
    if owner is object or owner.__module__.split(".")[0] != package:
        return []  # inherited from a library (equinox.Module's generated init is handled below)

    if inspect.isabstract(cls) or cls.__name__.startswith("Abstract"):
        return []  # not constructed by users; its concrete subclasses are checked
    problems: list[str] = []
    node = _function_node(init)
    if node is None:
        # Generated (dataclass / equinox): each field is stored; it must be read back.
        if (
            dataclasses.is_dataclass(cls)
            and f"{cls.__module__}.{cls.__qualname__}" not in RECORDS
        ):
            reads = _class_attribute_reads(cls) | _package_attribute_reads(package)
            for field in dataclasses.fields(cls):
                if field.init and field.name not in reads:
                    problems.append(f"field `{field.name}` is stored but never read")
        return problems

    return _check_init(
        node, _class_attribute_reads(cls), _package_attribute_reads(package)
    )


def _check_init(
    node: ast.FunctionDef, class_reads: set[str], package_reads: frozenset[str]
):
    """The problems of one hand-written `__init__`, given the attribute reads around it."""
    parameters = [a.arg for a in node.args.args[1:] + node.args.kwonlyargs]
    if node.args.vararg:
        parameters.append(node.args.vararg.arg)
    if node.args.kwarg:
        parameters.append(node.args.kwarg.arg)
    if any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Name)
        and n.func.id == "locals"
        for n in ast.walk(node)
    ):
        return []  # every parameter is handed on through `locals()`
    problems = []
    for parameter in parameters:
        other, stored = _stores(node, parameter)
        if other:
            continue
        if not stored:
            problems.append(f"`{parameter}` is accepted and never used")
        elif not stored & (class_reads | package_reads):
            names = ", ".join(f"self.{a}" for a in sorted(stored))
            problems.append(f"`{parameter}` is stored in {names} and never read")
    return problems


CLASSES = [cls for package in PACKAGES for cls in _public_classes(package)]


def test_the_walk_finds_the_public_classes():
    names = {cls.__name__ for cls in CLASSES}
    # One well-known constructor per package: the walk reaches every package.
    assert {
        "KernelMapping",
        "LIF",
        "DSRunner",
        "LIFLayer",
        "GradientIMNN",
        "Trainer",
    } <= names
    assert len(CLASSES) > 50


@pytest.mark.parametrize(
    "cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__qualname__}"
)
def test_no_constructor_argument_is_silently_dropped(cls):
    problems = _violations(cls)
    assert not problems, (
        f"{cls.__module__}.{cls.__qualname__}: "
        + "; ".join(problems)
        + ". Implement the argument or refuse non-default values with an error naming it."
    )


def test_the_check_catches_a_dropped_argument():
    """The walk itself is tested: stored-and-never-read and never-used are both caught."""
    source = textwrap.dedent(
        """
        def __init__(self, size, noise=0.0, unused=None, refused=None, scale=1.0):
            self.size = size
            self.noise = noise
            if refused is not None:
                raise ValueError("refused is not supported")
            self.weight = 2.0 * scale
        """
    )
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    problems = _check_init(
        node, class_reads={"size", "weight"}, package_reads=frozenset()
    )
    assert problems == [
        "`noise` is stored in self.noise and never read",
        "`unused` is accepted and never used",
    ]
    assert _check_init(node, {"size", "weight", "noise"}, frozenset()) == [
        "`unused` is accepted and never used"
    ]

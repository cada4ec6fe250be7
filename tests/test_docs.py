"""The hook reference cannot drift: every hook is documented and tested."""

import inspect
import re
from pathlib import Path

import pytest
import yaml

import rollax.hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(
    name
    for name, fn in inspect.getmembers(rollax.hookspecs, inspect.isfunction)
    if hasattr(fn, "rollax_spec")
)


def test_there_are_hooks():
    assert HOOKS == [
        "register_demos",
        "register_layers",
        "register_runners",
        "register_steppers",
        "register_summarisers",
    ]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    reference = (ROOT / "docs" / "plugins" / "hooks.md").read_text()
    assert re.search(rf"^## `{hook}\(\)`", reference, re.M), (
        f"docs/plugins/hooks.md needs a section headed ## `{hook}()`"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    sources = [
        p.read_text()
        for base in (ROOT / "packages", ROOT / "tests")
        for p in base.rglob("test_*.py")
    ]
    assert any(f"def test_hook_{hook}(" in s for s in sources), (
        f"add a test named test_hook_{hook}"
    )


def _nav_files(nav) -> list[str]:
    files = []
    for item in nav:
        if isinstance(item, str):
            files.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                files.extend(_nav_files(value) if isinstance(value, list) else [value])
    return files


def test_every_package_and_page_is_in_the_docs():
    config = yaml.load(
        (ROOT / "mkdocs.yml").read_text().replace("!!python/name:", ""),
        Loader=yaml.BaseLoader,
    )
    nav = _nav_files(config["nav"])
    for page in nav:
        assert (ROOT / "docs" / page).exists(), f"mkdocs nav lists missing {page}"
    for directory in (ROOT / "packages").iterdir():
        if directory.name != "rollax" and (directory / "pyproject.toml").exists():
            assert f"packages/{directory.name}.md" in nav

"""Cross-package checks: lockstep versions, meta-package pins, entry points."""

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

import rollax

ROOT = Path(__file__).resolve().parents[1]
META = "rollax"
CORE = "rollax-core"


def _pyproject(directory: Path) -> dict:
    return tomllib.loads((directory / "pyproject.toml").read_text())


def _packages() -> dict[str, dict]:
    """Every workspace member, by distribution name."""
    found = {}
    for directory in sorted((ROOT / "packages").iterdir()):
        if (directory / "pyproject.toml").exists():
            data = _pyproject(directory)
            data["_dir"] = directory
            found[data["project"]["name"]] = data
    return found


def _version(data: dict) -> str:
    project = data["project"]
    if "version" in project:
        return project["version"]
    path = data["_dir"] / data["tool"]["hatch"]["version"]["path"]
    match = re.search(r'__version__\s*=\s*"([^"]+)"', path.read_text())
    assert match, f"no __version__ in {path}"
    return match.group(1)


PACKAGES = _packages()
PLUGINS = sorted(set(PACKAGES) - {META, CORE})
VERSION = _version(PACKAGES[CORE])


def test_workspace_has_core_and_meta():
    assert CORE in PACKAGES and META in PACKAGES


@pytest.mark.parametrize("dist", sorted(PACKAGES))
def test_versions_are_in_lockstep(dist):
    assert _version(PACKAGES[dist]) == VERSION


def test_meta_package_pins_exactly_the_packages_present():
    pins = set(PACKAGES[META]["project"]["dependencies"])
    expected = {f"{dist}=={VERSION}" for dist in PACKAGES if dist != META}
    assert pins == expected


def test_meta_package_is_metadata_only():
    wheel = PACKAGES[META]["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel == {"bypass-selection": True}


@pytest.mark.parametrize("dist", PLUGINS)
def test_plugin_depends_on_compatible_core(dist):
    major, minor, *_ = VERSION.split(".")
    expected = f"rollax-core>={major}.{minor},<{major}.{int(minor) + 1}"
    deps = [d.replace(" ", "") for d in PACKAGES[dist]["project"]["dependencies"]]
    assert expected in deps, f"{dist} should depend on {expected!r}, has {deps}"


@pytest.mark.parametrize("dist", [CORE, *PLUGINS])
def test_package_layout(dist):
    data = PACKAGES[dist]
    [src] = data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    package = data["_dir"] / src
    assert (package / "py.typed").exists(), f"{dist} must ship py.typed"
    assert (package / "__init__.py").exists()
    assert (data["_dir"] / "README.md").exists()
    assert (data["_dir"] / "tests").is_dir(), f"{dist} has no tests/"


@pytest.mark.parametrize("dist", PLUGINS)
def test_plugin_entry_point_is_its_distribution_name(dist):
    eps = PACKAGES[dist]["project"]["entry-points"]["rollax"]
    assert list(eps) == [dist]


@pytest.mark.parametrize("dist", PLUGINS)
def test_installed_plugin_is_discovered(dist):
    installed = importlib.metadata.distribution(dist)
    names = [ep.name for ep in installed.entry_points if ep.group == "rollax"]
    assert names == [dist]
    [info] = [p for p in rollax.plugins() if p.name == dist]
    assert info.ok, info.errors
    assert info.distribution == dist and info.version == VERSION
    registered = info.runners + info.steppers + info.layers + info.summarisers
    assert registered, f"{dist} registers nothing"
    assert dist in info.demos, f"{dist} should register a demo named {dist!r}"


def test_every_installed_plugin_is_healthy():
    broken = {p.name: p.errors for p in rollax.plugins() if not p.ok}
    assert broken == {}


# jax/jaxlib 0.10.2 miscompile a broadcast-multiply-then-sum under jit on CPU
# (jax-ml/jax#39103, #39257); a fresh install must never get them.
BROKEN_JAX = "0.10.2"


@pytest.mark.parametrize("dist", [*PLUGINS, CORE])
def test_every_package_excludes_the_miscompiling_jax(dist):
    dependencies = PACKAGES[dist]["project"]["dependencies"]
    for name in ("jax", "jaxlib"):
        (spec,) = [d for d in dependencies if re.split(r"[<>=!~\[ ;]", d)[0] == name]
        assert f"!={BROKEN_JAX}" in spec, f"{dist}: {spec!r} admits the broken {name}"


def test_the_installed_jax_is_not_a_broken_release():
    import jax
    import jaxlib

    assert jax.__version__ != BROKEN_JAX and jaxlib.__version__ != BROKEN_JAX

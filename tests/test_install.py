"""The README's install commands work in a fresh environment, wheels included.

Nothing of rollax is on the package index: these tests build the wheels of core and
one plugin with the README's `pip wheel` command, install them side by side in a new
virtual environment (dependencies from the index), and check that the plugin is
discovered and its package data is there; and that the README's install-everything
command resolves.
"""

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # pyright: ignore[reportMissingImports]

        return find_uv_bin()
    except ImportError:
        return None


UV = _uv()
needs_uv = pytest.mark.skipif(
    UV is None, reason="needs uv to build a fresh environment"
)


def _console_commands() -> list[str]:
    """Every command in the README's `console` blocks."""
    blocks = re.findall(r"^```console\n(.*?)^```", README, re.M | re.S)
    lines = [ln.split("#")[0].strip() for b in blocks for ln in b.splitlines()]
    return [ln.removeprefix("$ ") for ln in lines if ln]


def test_readme_installs_from_the_clone_only():
    commands = [c for c in _console_commands() if c.startswith("pip ")]
    assert "pip install ./packages/core ./packages/lenia-runner" in commands
    assert "pip install ./packages/*" in commands
    assert "pip wheel --no-deps -w dist ./packages/core ./packages/lenia-runner" in (
        commands
    )
    for command in commands:
        args = command.split("&&")[0].split()[2:]
        names = [a for a in args if not a.startswith(("-", "./", "dist/", '"'))]
        # `pip install NAME` would look on the package index, where rollax is not
        assert names in ([], ["dist"]), command


@pytest.fixture
def venv(tmp_path):
    assert UV is not None
    path = tmp_path / "venv"
    env = {**os.environ, "VIRTUAL_ENV": str(path)}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [UV, "venv", "-q", "--seed", "--python", sys.executable, str(path)],
        check=True,
        env=env,
    )
    return path, env


@needs_uv
def test_wheels_of_core_and_one_plugin_install_side_by_side(venv, tmp_path):
    path, env = venv
    dist = tmp_path / "dist"
    wheel_cmd = "pip wheel --no-deps -w dist ./packages/core ./packages/lenia-runner"
    args = [str(a) for a in wheel_cmd.split()]
    args[args.index("dist")] = str(dist)
    subprocess.run(
        [str(path / "bin" / "python"), "-m", *args, "-q"],
        cwd=ROOT,
        check=True,
        env=env,
    )
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    assert wheels == [
        "lenia_runner-0.1.0-py3-none-any.whl",
        "rollax_core-0.1.0-py3-none-any.whl",
    ]
    names = zipfile.ZipFile(dist / wheels[0]).namelist()
    assert "lenia_runner/species/orbium.yaml" in names
    assert "lenia_runner/species/LICENSE-Lenia.txt" in names
    assert "lenia_runner/py.typed" in names

    subprocess.run(
        [UV, "pip", "install", "-q", "--python", str(path / "bin" / "python")]
        + [str(dist / w) for w in wheels],
        check=True,
        env=env,
    )
    plugins = subprocess.run(
        [str(path / "bin" / "rollax"), "plugins"],
        capture_output=True,
        text=True,
        env={**env, "JAX_PLATFORMS": "cpu"},
    )
    assert plugins.returncode == 0, plugins.stderr
    assert "lenia-runner" in plugins.stdout and "steppers: lenia" in plugins.stdout
    loaded = subprocess.run(
        [
            str(path / "bin" / "python"),
            "-c",
            "from lenia_runner import load_config; "
            "print(load_config('orbium')['name'])",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "JAX_PLATFORMS": "cpu"},
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "Orbium unicaudatus"


@needs_uv
def test_installing_everything_from_the_clone_resolves(venv):
    """`pip install ./packages/*`: the meta-package's pins are met by the clone."""
    assert UV is not None
    path, env = venv
    packages = sorted(str(p) for p in (ROOT / "packages").iterdir() if p.is_dir())
    result = subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--dry-run",
            "--python",
            str(path / "bin" / "python"),
            *packages,
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    for dist in ("rollax-core", "lenia-runner", "imnn-data", "rollax "):
        assert f"+ {dist}" in result.stderr, result.stderr

"""The plugin author guide's running example installs and is discovered."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import rollax

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "rollax-toy-plugin"


def test_example_plugin_is_discovered_through_its_entry_point():
    from rollax_toy_plugin import NoisyDecay

    assert rollax.get_stepper("rollax-toy-plugin:NoisyDecay") is NoisyDecay
    # the key from before the `<distribution>:<ClassName>` scheme is an alias
    with pytest.warns(DeprecationWarning, match="'rollax-toy-plugin:NoisyDecay'"):
        assert rollax.get_stepper("toy-decay") is NoisyDecay
    [info] = [p for p in rollax.plugins() if p.name == "rollax-toy-plugin"]
    assert info.distribution == "rollax-toy-plugin" and info.ok


def test_cli_lists_installed_plugins():
    out = subprocess.run(
        [sys.executable, "-m", "rollax", "plugins"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        "rollax-toy-plugin" in out and "steppers: rollax-toy-plugin:NoisyDecay" in out
    )


def _uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # pyright: ignore[reportMissingImports]

        return find_uv_bin()
    except ImportError:
        return None


@pytest.mark.skipif(_uv() is None, reason="needs uv to build a fresh environment")
def test_fresh_environment_core_then_example_plugin(tmp_path):
    """`pip install ./packages/core` alone gives a working `rollax plugins`."""
    uv = _uv()
    assert uv is not None
    venv = tmp_path / "venv"
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True
    )
    python = venv / "bin" / "python"
    rollax_bin = venv / "bin" / "rollax"

    def install(path):
        subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(python), str(path)],
            check=True,
            env=env,
        )

    def plugins():
        return subprocess.run(
            [str(rollax_bin), "plugins"], capture_output=True, text=True, env=env
        )

    install(ROOT / "packages" / "core")
    result = plugins()
    assert result.returncode == 0, result.stderr
    assert "No rollax plugins are installed" in result.stdout

    install(EXAMPLE)
    result = plugins()
    assert result.returncode == 0, result.stderr
    assert "rollax-toy-plugin" in result.stdout
    demo = subprocess.run(
        [str(rollax_bin), "demo", "--quick", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "out" / "rollax-toy-plugin" / "trajectory.csv").exists()

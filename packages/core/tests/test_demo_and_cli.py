import json

import pytest

import rollax
from rollax._cli import format_plugins, main


def test_demo_validates_its_fields():
    with pytest.raises(TypeError, match="non-empty string"):
        rollax.Demo("", "d", lambda outdir, quick=False: "")
    with pytest.raises(TypeError, match="must be callable"):
        rollax.Demo("x", "d", "not callable")  # pyright: ignore[reportArgumentType]


def test_demo_must_return_a_summary(tmp_path):
    demo = rollax.Demo("x", "d", lambda outdir, quick=False: 42)  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match="must return its one-line summary"):
        demo(tmp_path)


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as excinfo:
        main(["--version"])
    assert excinfo.value.code == 0
    assert capsys.readouterr().out.strip() == f"rollax {rollax.__version__}"


def test_cli_plugins_table(registry, toys, capsys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert main(["plugins"], registry=registry) == 0
    out = capsys.readouterr().out
    header, _rule, row = out.splitlines()
    assert header.split() == ["plugin", "version", "registered"]
    assert row.startswith("toy") and "steppers: test-decay" in row
    assert "runners: test-decay-runner" in row and "demos: toy" in row


def test_cli_plugins_with_none_installed(registry, capsys):
    assert main(["plugins"], registry=registry) == 0
    out = capsys.readouterr().out
    assert "No rollax plugins are installed" in out
    # nothing is on the package index: the hint installs from a clone
    assert "pip install ./packages/core ./packages/lenia-runner" in out
    assert "pip install rollax" not in out and "pip install lenia-runner" not in out


def test_broken_plugin_is_shown_and_fails_the_command():
    info = rollax.PluginInfo(name="bad", errors=("failed to import 'x'",))
    assert "BROKEN: failed to import 'x'" in format_plugins([info])


def test_cli_demo_list_shows_each_demos_description(registry, toys, tmp_path, capsys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert (
        main(["demo", "--list", "--out", str(tmp_path / "none")], registry=registry)
        == 0
    )
    assert capsys.readouterr().out.split() == ["toy", "writes", "one", "file"]
    assert not (tmp_path / "none").exists()  # listing runs nothing


def test_cli_demo_runs_and_writes_summary(registry, toys, tmp_path, capsys):
    registry.register(toys.ToyPlugin(), name="toy")
    out = tmp_path / "demo-out"
    code = main(
        ["demo", "--out", str(out), "--quick", "--no-progress"], registry=registry
    )
    assert code == 0
    assert (out / "toy" / "out.txt").read_text() == "quick"
    [result] = json.loads((out / "summary.json").read_text())
    assert result["name"] == "toy" and result["status"] == "ok"
    assert result["summary"] == "wrote out.txt"
    assert "toy: wrote out.txt" in capsys.readouterr().out


def test_cli_demo_failure_is_reported_and_others_run(registry, toys, tmp_path):
    def broken(outdir, *, quick=False):
        raise RuntimeError("no luck")

    class Broken:
        @rollax.hookimpl
        def register_demos(self):
            return [rollax.Demo("broken", "fails", broken)]

    registry.register(toys.ToyPlugin(), name="toy")
    registry.register(Broken(), name="broken")
    code = main(["demo", "--out", str(tmp_path), "--no-progress"], registry=registry)
    assert code == 1
    results = {
        r["name"]: r for r in json.loads((tmp_path / "summary.json").read_text())
    }
    assert results["broken"]["status"] == "failed"
    assert "RuntimeError: no luck" in results["broken"]["summary"]
    assert results["toy"]["status"] == "ok"


def test_cli_demo_unknown_name(registry, toys, capsys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert main(["demo", "nope"], registry=registry) == 2
    assert "unknown demo(s) nope; available: toy" in capsys.readouterr().err


def test_cli_demo_with_nothing_installed(registry, capsys):
    assert main(["demo"], registry=registry) == 2
    assert "no demos installed" in capsys.readouterr().err


def test_cli_demo_one_bar_per_demo_and_quiet_native_logs(
    registry, tmp_path, capsys, monkeypatch
):
    """No bar around the demos (inner bars would nest); TensorFlow's logs are off."""
    import os

    from tqdm.auto import tqdm

    seen = {}

    def demo(outdir, *, quick=False):
        seen["tf"] = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
        seen["onednn"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
        seen["bar_disabled"] = tqdm(range(3)).disable
        return "done"

    class Plugin:
        @rollax.hookimpl
        def register_demos(self):
            return [rollax.Demo("a", "first", demo), rollax.Demo("b", "second", demo)]

    registry.register(Plugin(), name="p")
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    assert main(["demo", "--out", str(tmp_path)], registry=registry) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "[1/2] a: first"
    assert "[2/2] b: second" in captured.out
    assert "rollax demo" not in captured.err  # no outer progress bar
    assert seen == {"tf": "3", "onednn": "0", "bar_disabled": False}

    code = main(["demo", "--out", str(tmp_path), "--no-progress"], registry=registry)
    assert code == 0
    assert seen["bar_disabled"] is True  # --no-progress reaches the demos' own bars
    assert tqdm(range(3)).disable is False  # and only while they run

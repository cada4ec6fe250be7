import importlib.metadata
import sys
import types
from typing import ClassVar

import pytest

import rollax


class FakeEntryPoint:
    """Stands in for an installed distribution's entry point."""

    def __init__(self, name, target, dist=None, version="1.2.3"):
        self.name = name
        self.value = f"fake_{name.replace('-', '_')}"
        self.dist = types.SimpleNamespace(name=dist or name, version=version)
        self._target = target

    def load(self):
        if isinstance(self._target, BaseException):
            raise self._target
        return self._target


@pytest.fixture
def installed(monkeypatch):
    """Pretend the given entry points are installed in the `rollax` group."""

    def install(*eps):
        def entry_points(*, group):
            assert group == "rollax"
            return list(eps)

        monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)

    return install


def plugin_module(name, **hooks):
    module = types.ModuleType(name)
    for hook, value in hooks.items():

        def impl(value=value):
            if isinstance(value, BaseException):
                raise value
            return value

        impl.__name__ = hook
        setattr(module, hook, rollax.hookimpl(impl))
    return module


def test_plugins_lists_what_each_registered(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    [info] = registry.plugins()
    assert info.name == "toy" and info.ok
    assert info.runners == ("test-decay-runner",)
    assert info.steppers == ("test-decay",)
    assert info.layers == ("test-dense",)
    assert info.summarisers == ("test-moments",)
    assert info.demos == ("toy",)
    assert info.distribution is None and info.version is None


def test_unknown_name_lists_known_names_and_says_what_to_install(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    with pytest.raises(KeyError) as excinfo:
        registry.get_stepper("lenia")
    message = str(excinfo.value)
    assert "no stepper named 'lenia'" in message
    assert "test-decay" in message
    # the packages are installed from a clone: no package-index release is claimed
    assert "pip install ./packages/*" in message and "lenia-runner" in message
    assert "pip install rollax" not in message


def test_old_key_is_an_alias_with_a_deprecation_warning(registry):
    class NoisyDecay(rollax.AbstractStepper):
        name: ClassVar[str] = "rollax-toy-plugin:NoisyDecay"

        def __call__(self, state, *, key=None):
            return state

    registry.register(plugin_module("toy", register_steppers=[NoisyDecay]), "toy")
    # listing shows only the new key
    assert list(registry.steppers()) == ["rollax-toy-plugin:NoisyDecay"]
    assert registry.get_stepper("rollax-toy-plugin:NoisyDecay") is NoisyDecay
    with pytest.warns(DeprecationWarning) as record:
        assert registry.get_stepper("toy-decay") is NoisyDecay
    [warning] = record
    assert "'toy-decay' is deprecated" in str(warning.message)
    assert "use 'rollax-toy-plugin:NoisyDecay'" in str(warning.message)
    assert warning.filename == __file__  # attributed to the caller's line
    # an alias is per kind, and only while its new key is registered
    with pytest.raises(rollax.UnknownNameError, match="no runner named 'toy-decay'"):
        registry.get_runner("toy-decay")
    with pytest.raises(rollax.UnknownNameError, match="no stepper named 'lenia'"):
        registry.get_stepper("lenia")


def test_aliases_follow_the_key_scheme():
    from rollax._registry import ALIASES

    for kind, table in ALIASES.items():
        for old, new in table.items():
            dist, _, cls = new.partition(":")
            assert dist and cls.isidentifier() and ":" not in old, (kind, old)


def test_unknown_name_mentions_disabled_autoload(registry):
    with pytest.raises(rollax.UnknownNameError, match="autoloading is off"):
        registry.get_runner("x")


def test_duplicate_names_are_an_error_naming_both(registry, toys):
    class Other(rollax.AbstractStepper):
        name: ClassVar[str] = "test-decay"

        def __call__(self, state, *, key=None):
            return state

    registry.register(toys.ToyPlugin(), name="first")
    registry.register(plugin_module("second", register_steppers=[Other]), "second")
    with pytest.raises(rollax.PluginError) as excinfo:
        registry.steppers()
    message = str(excinfo.value)
    assert "'first'" in message and "'second'" in message
    assert "test-decay" in message and "rename" in message


def test_same_class_from_two_hooks_is_not_a_duplicate(registry, toys):
    registry.register(toys.ToyPlugin(), name="first")
    registry.register(plugin_module("again", register_steppers=[toys.Decay]), "again")
    assert dict(registry.steppers()) == {"test-decay": toys.Decay}


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ([object()], "not a class; return the stepper class itself"),
        ([int], "does not subclass rollax.AbstractStepper"),
        ("nonsense", "return a list of stepper classes"),
        (RuntimeError("boom"), "raised RuntimeError: boom"),
    ],
)
def test_bad_hook_return_is_reported_not_dropped(registry, toys, value, match):
    registry.register(toys.ToyPlugin(), name="good")
    registry.register(plugin_module("bad", register_steppers=value), name="bad")
    with pytest.warns(rollax.PluginWarning, match=match) as record:
        steppers = registry.steppers()
    assert "plugin 'bad'" in str(record[0].message)
    assert "test-decay" in steppers  # the healthy plugin still works
    bad = next(p for p in registry.plugins() if p.name == "bad")
    assert not bad.ok and match.split(";")[0] in bad.errors[0]


def test_class_without_name_is_reported(registry):
    class Nameless(rollax.AbstractStepper):
        def __call__(self, state, *, key=None):
            return state

    registry.register(plugin_module("p", register_steppers=[Nameless]), name="p")
    with pytest.warns(rollax.PluginWarning, match="has no class-level `name`"):
        assert dict(registry.steppers()) == {}


def test_non_demo_is_reported(registry):
    registry.register(plugin_module("p", register_demos=[lambda: None]), name="p")
    with pytest.warns(rollax.PluginWarning, match="not a rollax.Demo"):
        assert dict(registry.demos()) == {}


def test_misspelt_hook_is_an_error(registry):
    module = types.ModuleType("typo")

    @rollax.hookimpl
    def register_stepers():
        return []

    module.register_stepers = register_stepers  # pyright: ignore[reportAttributeAccessIssue]
    with pytest.raises(rollax.PluginError, match="register_steppers"):
        registry.register(module, name="typo")
    assert registry.plugins() == []


def test_unregister(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    registry.unregister("toy")
    assert dict(registry.steppers()) == {}
    with pytest.raises(KeyError, match="no plugin named 'toy'"):
        registry.unregister("toy")


def test_entry_points_load_lazily_with_distribution(installed, toys):
    module = plugin_module("m", register_steppers=[toys.Decay])
    installed(FakeEntryPoint("toy-dist", module))
    registry = rollax.Registry(autoload=True)
    assert not registry._entrypoints_loaded  # nothing loaded before the first lookup
    assert registry.get_stepper("test-decay") is toys.Decay
    [info] = registry.plugins()
    assert (info.name, info.distribution, info.version) == (
        "toy-dist",
        "toy-dist",
        "1.2.3",
    )


def test_broken_plugin_is_reported_and_others_survive(installed, toys):
    good = plugin_module("good", register_steppers=[toys.Decay])
    installed(
        FakeEntryPoint("broken-dist", ImportError("No module named 'scipy'")),
        FakeEntryPoint("good-dist", good),
    )
    registry = rollax.Registry(autoload=True)
    with pytest.warns(rollax.PluginWarning) as record:
        steppers = registry.steppers()
    message = str(record[0].message)
    assert "broken-dist" in message and "No module named 'scipy'" in message
    assert "ImportError" in message
    assert "test-decay" in steppers
    broken = next(p for p in registry.plugins() if p.name == "broken-dist")
    assert broken.distribution == "broken-dist" and not broken.ok


def test_two_distributions_with_one_entry_point_name(installed, toys):
    module = plugin_module("m", register_steppers=[toys.Decay])
    installed(
        FakeEntryPoint("shared", module, dist="dist-a"),
        FakeEntryPoint("shared", module, dist="dist-b"),
    )
    with pytest.raises(rollax.PluginError, match="dist-a and dist-b"):
        rollax.Registry(autoload=True).steppers()


def test_disable_autoload_env(installed, toys, monkeypatch):
    installed(FakeEntryPoint("d", plugin_module("m", register_steppers=[toys.Decay])))
    monkeypatch.setenv("ROLLAX_DISABLE_PLUGIN_AUTOLOAD", "1")
    registry = rollax.Registry()
    assert not registry.autoload
    assert dict(registry.steppers()) == {}
    monkeypatch.setenv("ROLLAX_DISABLE_PLUGIN_AUTOLOAD", "0")
    assert rollax.Registry().autoload


def test_load_plugins_env_selects_a_subset(installed, toys, monkeypatch):
    installed(
        FakeEntryPoint("a", plugin_module("a", register_steppers=[toys.Decay])),
        FakeEntryPoint("b", plugin_module("b", register_layers=[toys.Dense])),
    )
    monkeypatch.setenv("ROLLAX_LOAD_PLUGINS", "b")
    registry = rollax.Registry(autoload=True)
    assert dict(registry.steppers()) == {}
    assert dict(registry.layers()) == {"test-dense": toys.Dense}


def test_importing_rollax_loads_no_plugin():
    import subprocess

    code = (
        "import sys, rollax; "
        "heavy = {'tensorflow', 'matplotlib', 'pandas', 'optax', 'nir'}; "
        "plugins = {'lenia_runner', 'dsrunner', 'apebench_lite', 'eventsnn', "
        "'imnn_data', 'rollax_toy_plugin'}; "
        "print(sorted((heavy | plugins) & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_assert_keys_follow_scheme_catches_a_bad_key(monkeypatch):
    from rollax import _registry
    from rollax.testing import assert_keys_follow_scheme

    class Decay:
        pass

    info = rollax.PluginInfo(name="dist", steppers=("dist:Decay", "old-key"))
    monkeypatch.setattr(_registry, "plugins", lambda: [info])
    for kind in ("runners", "layers", "summarisers"):
        monkeypatch.setattr(_registry, kind, dict)
    monkeypatch.setattr(
        _registry, "steppers", lambda: {"dist:Decay": Decay, "old-key": Decay}
    )
    with pytest.raises(AssertionError, match="'old-key' should be 'dist:Decay'"):
        assert_keys_follow_scheme("dist")
    monkeypatch.setattr(_registry, "steppers", lambda: {"dist:Decay": Decay})
    monkeypatch.setattr(
        _registry,
        "plugins",
        lambda: [rollax.PluginInfo(name="dist", steppers=("dist:Decay",))],
    )
    assert assert_keys_follow_scheme("dist") == 1
    with pytest.raises(AssertionError, match="no installed plugin"):
        assert_keys_follow_scheme("other")

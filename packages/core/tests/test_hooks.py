"""One test per hookspec (tests/test_docs.py checks that each has one)."""

import rollax


def test_hook_register_runners(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert dict(registry.runners()) == {"test-decay-runner": toys.DecayRunner}
    assert registry.get_runner("test-decay-runner") is toys.DecayRunner


def test_hook_register_steppers(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert dict(registry.steppers()) == {"test-decay": toys.Decay}
    assert registry.get_stepper("test-decay") is toys.Decay


def test_hook_register_layers(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert dict(registry.layers()) == {"test-dense": toys.Dense}
    assert registry.get_layer("test-dense") is toys.Dense


def test_hook_register_summarisers(registry, toys):
    registry.register(toys.ToyPlugin(), name="toy")
    assert dict(registry.summarisers()) == {"test-moments": toys.Moments}
    assert registry.get_summariser("test-moments") is toys.Moments


def test_hook_register_demos(registry, toys, tmp_path):
    registry.register(toys.ToyPlugin(), name="toy")
    demo = registry.get_demo("toy")
    assert isinstance(demo, rollax.Demo)
    assert demo(tmp_path / "d", quick=True) == "wrote out.txt"
    assert (tmp_path / "d" / "out.txt").read_text() == "quick"

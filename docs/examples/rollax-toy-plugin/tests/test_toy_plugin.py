import jax.numpy as jnp
import pytest
from rollax_toy_plugin import NoisyDecay

import rollax
from rollax.testing import StepperTests


class TestNoisyDecay(StepperTests):
    @pytest.fixture
    def stepper(self):
        return NoisyDecay(size=3, tau=2.0, sigma=0.5, dt=0.1)

    @pytest.fixture
    def state(self):
        return jnp.array([1.0, -2.0, 0.5])


def test_deterministic_step_matches_formula():
    stepper = NoisyDecay(size=2, tau=2.0, sigma=0.0, dt=0.1)
    out = stepper(jnp.array([1.0, -4.0]))
    assert jnp.allclose(out, jnp.array([0.95, -3.8]))


def test_installed_entry_point_is_discovered():
    assert rollax.get_stepper("rollax-toy-plugin:NoisyDecay") is NoisyDecay
    [info] = [p for p in rollax.plugins() if p.name == "rollax-toy-plugin"]
    assert info.distribution == "rollax-toy-plugin"
    assert info.steppers == ("rollax-toy-plugin:NoisyDecay",)
    assert info.demos == ("rollax-toy-plugin",)


def test_demo_writes_csv(tmp_path):
    summary = rollax.get_demo("rollax-toy-plugin")(tmp_path, quick=True)
    assert "100 steps" in summary
    lines = (tmp_path / "trajectory.csv").read_text().splitlines()
    assert len(lines) == 101

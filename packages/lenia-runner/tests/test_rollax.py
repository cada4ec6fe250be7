"""rollax integration: conformance suites, entry point, demo."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rollax
import rollax.testing
from lenia_runner import (
    LeniaRunner,
    LeniaStatistics,
    LeniaStepper,
    helpers,
    initializations,
    orbium_config,
)
from rollax.testing import RunnerTests, StepperTests, SummariserTests


@pytest.fixture(scope="module")
def config():
    cfg = orbium_config((32, 32), 8)
    cfg["world_params"]["R"] = 6
    return cfg


@pytest.fixture(scope="module")
def world(config):
    _, cells = initializations.perlin(
        jax.random.key(0), 1, [32, 32], 6, jnp.array([[0.15, 0.015]])
    )
    return cells[0]


class TestLeniaStepper(StepperTests):
    @pytest.fixture
    def stepper(self, config):
        return LeniaStepper.from_config(config)

    @pytest.fixture
    def state(self, world):
        return world


class TestLeniaRunner(RunnerTests):
    @pytest.fixture
    def runner(self, config):
        return LeniaRunner.from_config(config)

    @pytest.fixture
    def state(self, world):
        return world


class TestLeniaStatistics(SummariserTests):
    @pytest.fixture
    def summariser(self):
        return LeniaStatistics()

    @pytest.fixture
    def data(self, config, world):
        _, stats = LeniaRunner.from_config(config).run(world, 8)
        return stats


def test_stepper_matches_update_fn(config, world):
    K, gf, w, _, update_fn, _, _ = helpers.build_all(config)
    stepper = LeniaStepper.from_config(config)
    new = jax.jit(lambda s, x: s(x))(stepper, world)
    ref, _, _ = jax.jit(update_fn)(jax.random.key(0), world[None], K, gf, w, 0.1)
    np.testing.assert_allclose(new, ref[0], atol=1e-6)
    with pytest.raises(
        ValueError,
        match=r"expected cells of shape \(C, \*world\) = \(1, 32, 32\).*add a channel axis",
    ):
        stepper(world[0])


def test_entry_point_registers_everything():
    plugins = {p.name: p for p in rollax.plugins()}
    info = plugins["lenia-runner"]
    assert info.ok, info.errors
    assert info.steppers == ("lenia-runner:LeniaStepper",)
    assert info.runners == ("lenia-runner:LeniaRunner",)
    assert info.summarisers == ("lenia-runner:LeniaStatistics",)
    assert "lenia-runner" in info.demos
    assert rollax.get_stepper("lenia-runner:LeniaStepper") is LeniaStepper
    assert rollax.get_runner("lenia-runner:LeniaRunner") is LeniaRunner
    assert rollax.get_demo("lenia-runner").name == "lenia-runner"
    # the old keys are deprecated aliases for one release
    with pytest.warns(DeprecationWarning, match="'lenia-runner:LeniaStepper'"):
        assert rollax.get_stepper("lenia") is LeniaStepper
    with pytest.warns(DeprecationWarning, match="'lenia-runner:LeniaRunner'"):
        assert rollax.get_runner("lenia") is LeniaRunner
    with pytest.warns(DeprecationWarning, match="'lenia-runner:LeniaStatistics'"):
        assert rollax.get_summariser("lenia-statistics") is LeniaStatistics


def test_registered_keys_follow_the_scheme():
    # every key is `<distribution>:<ClassName>`
    assert rollax.testing.assert_keys_follow_scheme("lenia-runner") == 3


def test_demo_quick(tmp_path):
    summary = rollax.get_demo("lenia-runner")(tmp_path, quick=True)
    assert "Orbium" in summary
    for name in ("best.gif", "best_stats.png", "search.csv", "summary.json"):
        f = tmp_path / name
        assert f.exists() and f.stat().st_size > 0, name

"""rollax integration: conformance suites, entry point, demo."""

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
import rollax
import rollax.testing
from apebench_lite import stepper as st
from rollax.testing import StepperTests


def _state(c=1, n=32, d=1):
    x = np.arange(n) / n
    u = np.sin(2 * np.pi * x)
    for _ in range(d - 1):
        u = u[..., None] * np.cos(2 * np.pi * x)
    return jnp.asarray(np.broadcast_to(u, (c,) + (n,) * d), dtype=jnp.float32)


class TestAdvection(StepperTests):
    @pytest.fixture
    def stepper(self):
        return st.Advection(1, 1.0, 32, 0.1, velocity=0.3)

    @pytest.fixture
    def state(self):
        return _state()


class TestBurgers2D(StepperTests):
    @pytest.fixture
    def stepper(self):
        return st.Burgers(2, 1.0, 16, 0.01, diffusivity=0.01)

    @pytest.fixture
    def state(self):
        return _state(2, 16, 2)


class TestGeneralNonlinear(StepperTests):
    @pytest.fixture
    def stepper(self):
        return st.GeneralNonlinearStepper(
            1,
            30.0,
            32,
            0.1,
            linear_coefficients=(0, 0, -1, 0, -1),
            nonlinear_coefficients=(0, 0, -1),
            order=4,
        )

    @pytest.fixture
    def state(self):
        return _state()


class TestGrayScott(StepperTests):
    @pytest.fixture
    def stepper(self):
        return st.GrayScott(2, 1.0, 16, 1.0, num_substeps=2)

    @pytest.fixture
    def state(self):
        return 0.5 + 0.1 * _state(2, 16, 2)


def test_entry_point_registers_steppers_and_demo():
    steppers = rollax.steppers()
    for name in (
        "apebench-lite:GeneralNonlinearStepper",
        "apebench-lite:Advection",
        "apebench-lite:NavierStokesVorticity",
    ):
        assert name in steppers
    assert rollax.get_stepper("apebench-lite:Diffusion") is st.Diffusion
    # the old keys are deprecated aliases for one release
    with pytest.warns(DeprecationWarning, match="'apebench-lite:Diffusion'"):
        assert rollax.get_stepper("apebench_lite.Diffusion") is st.Diffusion
    assert rollax.get_demo("apebench-lite").name == "apebench-lite"
    assert ab.__version__ == "0.1.0"


def test_registered_keys_follow_the_scheme():
    # every key is `<distribution>:<ClassName>`
    assert rollax.testing.assert_keys_follow_scheme("apebench-lite") == 13


def test_quick_demo_writes_outputs(tmp_path: Path):
    summary = rollax.get_demo("apebench-lite")(tmp_path, quick=True)
    assert "diff_adv" in summary and "nRMSE" in summary
    for name in (
        "metrics.csv",
        "loss.csv",
        "loss_and_error.png",
        "rollout.png",
        "summary.json",
    ):
        path = tmp_path / name
        assert path.exists() and path.stat().st_size > 0, name

"""rollax conformance suites, entry-point discovery and the demo."""

from typing import Any

import jax.numpy as jnp
import pytest

import dsrunner as bp
import rollax
import rollax.testing
from rollax.testing import RunnerTests, StepperTests


class TestLIFStepper(StepperTests):
    @pytest.fixture
    def stepper(self):
        return bp.LIFStepper(
            3, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0, I=12.0
        )

    @pytest.fixture
    def state(self, stepper):
        return stepper.init_state(jnp.array([-60.0, -55.0, -50.5]))


class TestHHStepper(StepperTests):
    rtol = 1e-4
    atol = 1e-4

    @pytest.fixture
    def stepper(self):
        return bp.HHStepper(2, I=10.0, dt=0.05)

    @pytest.fixture
    def state(self, stepper):
        return stepper.init_state(jnp.array([-65.0, -60.0]))


class TestIzhikevichStepper(StepperTests):
    rtol = 1e-4
    atol = 1e-4

    @pytest.fixture
    def stepper(self):
        return bp.IzhikevichStepper(2, I=10.0)

    @pytest.fixture
    def state(self, stepper):
        return stepper.init_state()


class TestScanRunner(RunnerTests):
    @pytest.fixture
    def runner(self):
        return bp.ScanRunner(bp.LIFStepper(2, V_th=1.0, V_reset=0.0, I=2.0, tau=2.0))

    @pytest.fixture
    def state(self, runner):
        return runner.stepper.init_state()

    @pytest.fixture
    def num_steps(self):
        return 30


def test_stepper_matches_dsrunner():
    """The pure stepper and the stateful model compute the same trajectory."""
    pars: dict[str, Any] = dict(
        V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0
    )
    stepper = bp.LIFStepper(1, I=12.0, **pars)
    _, traj = bp.ScanRunner(stepper).run(stepper.init_state(), 1000)
    lif = bp.LifRef(1, V_initializer=bp.init.Constant(-60.0), **pars)
    runner = bp.DSRunner(
        lif, monitors=["V"], inputs=("input", 12.0), progress_bar=False
    )
    runner.run(100.0)
    assert jnp.array_equal(traj["V"], runner.mon.V)


def test_entry_point_discovered():
    assert "dsrunner:LIFStepper" in rollax.steppers()
    assert "dsrunner:HHStepper" in rollax.steppers()
    assert "dsrunner:IzhikevichStepper" in rollax.steppers()
    assert "dsrunner:ScanRunner" in rollax.runners()
    assert rollax.get_stepper("dsrunner:LIFStepper") is bp.LIFStepper
    assert rollax.get_demo("dsrunner").name == "dsrunner"
    # the old keys are deprecated aliases for one release
    with pytest.warns(DeprecationWarning, match="'dsrunner:LIFStepper'"):
        assert rollax.get_stepper("dsrunner-lif") is bp.LIFStepper
    with pytest.warns(DeprecationWarning, match="'dsrunner:ScanRunner'"):
        assert rollax.get_runner("dsrunner-scan") is bp.ScanRunner


def test_registered_keys_follow_the_scheme():
    # every key is `<distribution>:<ClassName>`
    assert rollax.testing.assert_keys_follow_scheme("dsrunner") == 4


def test_demo_quick(tmp_path):
    summary = rollax.get_demo("dsrunner")(tmp_path, quick=True)
    assert "Hz" in summary
    for f in ("raster.png", "traces.png", "rates.json", "rates.csv"):
        assert (tmp_path / f).stat().st_size > 0

"""The Done-when exact values: a deterministic LIF with constant input for 1 s."""

import numpy as np
import pytest

import dsrunner as bp


def _run_lif(method: str) -> np.ndarray:
    lif = bp.LifRef(
        1,
        V_rest=-60.0,
        V_th=-50.0,
        V_reset=-60.0,
        tau=20.0,
        tau_ref=5.0,
        V_initializer=bp.init.Constant(-60.0),
        method=method,
    )
    runner = bp.DSRunner(
        lif, monitors=["spike"], inputs=("input", 12.0), dt=0.1, progress_bar=False
    )
    runner.run(1000.0)
    return np.nonzero(runner.mon.spike[:, 0])[0]


@pytest.mark.parametrize(
    "method, first",
    [
        ("exp_auto", [358, 767, 1176, 1585, 1994]),
        ("rk4", [358, 767, 1176, 1585, 1994]),
        ("euler", [357, 765, 1173, 1581, 1989]),
    ],
)
def test_lif_spike_steps(method, first):
    steps = _run_lif(method)
    assert len(steps) == 24
    np.testing.assert_array_equal(steps[:5], first)


def test_lif_against_numpy_euler():
    """An independent float64 numpy Euler loop gives the same spike steps."""
    V, t_last, spikes = -60.0, -1e7, []
    for i in range(10000):
        t = np.float32(np.float32(i) * np.float32(0.1))
        Vn = V + 0.1 * (-V - 60.0 + 12.0) / 20.0
        if np.float32(t) - np.float32(t_last) <= 5.0:
            Vn = V
        if Vn >= -50.0:
            spikes.append(i)
            Vn, t_last = -60.0, t
        V = Vn
    np.testing.assert_array_equal(_run_lif("euler"), spikes)

"""Every monitor form, time labels, decimation and compact spikes."""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp


def _lif(n=4, **kw):
    return bp.LifRef(
        n, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
        V_initializer=bp.init.Constant(-60.0), **kw,
    )  # fmt: skip


def _drive(n=4):
    return ("input", jnp.linspace(11.0, 14.0, n))


@pytest.fixture(scope="module")
def reference():
    lif = _lif()
    runner = bp.DSRunner(
        lif, monitors=["V", "spike"], inputs=_drive(), progress_bar=False
    )
    runner.run(100.0)
    return runner.mon


def test_names(reference):
    assert reference.V.shape == (1000, 4) and reference.spike.dtype == bool
    assert reference.spike.sum() > 0
    np.testing.assert_allclose(reference.ts, np.arange(1000) * 0.1)
    assert reference.ts.dtype == np.float64


def test_name_index_pairs(reference):
    lif = _lif()
    runner = bp.DSRunner(
        lif, monitors=[("V", 1), ("spike", [0, 2])], inputs=_drive(), progress_bar=False
    )
    runner.run(100.0)
    assert runner.mon.V.shape == (1000, 1)
    np.testing.assert_array_equal(runner.mon.V[:, 0], reference.V[:, 1])
    np.testing.assert_array_equal(runner.mon.spike, reference.spike[:, [0, 2]])


def test_dict_forms(reference):
    lif = _lif()
    runner = bp.DSRunner(
        lif,
        monitors={
            "v": lif.V,
            "v2": (lif.V, [3]),
            "s": "spike",
            "s1": ("spike", 1),
            "f": lambda: lif.V.value.mean(),
            "node": f"{lif.name}.V",
        },
        inputs=_drive(),
        progress_bar=False,
    )
    runner.run(100.0)
    np.testing.assert_array_equal(runner.mon.v, reference.V)
    np.testing.assert_array_equal(runner.mon.v2[:, 0], reference.V[:, 3])
    np.testing.assert_array_equal(runner.mon.s, reference.spike)
    np.testing.assert_array_equal(runner.mon.s1[:, 0], reference.spike[:, 1])
    np.testing.assert_allclose(runner.mon.f, reference.V.mean(1), rtol=1e-6)
    np.testing.assert_array_equal(runner.mon.node, reference.V)


def test_fun_monitors_deprecated(reference):
    lif = _lif()
    with pytest.warns(DeprecationWarning):
        runner = bp.DSRunner(
            lif, fun_monitors={"v0": lambda: lif.V[0]}, inputs=_drive(),
            progress_bar=False,
        )  # fmt: skip
    runner.run(100.0)
    np.testing.assert_array_equal(runner.mon.v0, reference.V[:, 0])


def test_time_semantics_and_continuation():
    lif = _lif(1)
    runner = bp.DSRunner(
        lif,
        monitors={"t": lambda: bp.share["t"], "i": lambda: bp.share["i"]},
        progress_bar=False,
        t0=5.0,
    )
    runner.run(1.0)
    np.testing.assert_array_equal(runner.mon.i, np.arange(10))
    np.testing.assert_allclose(runner.mon.ts, 5.0 + np.arange(10) * 0.1)
    np.testing.assert_array_equal(runner.mon.t, runner.mon.ts.astype(np.float32))
    runner.run(0.5)  # time continues, monitors are per run
    np.testing.assert_array_equal(runner.mon.i, np.arange(10, 15))
    np.testing.assert_allclose(runner.mon.ts, 5.0 + np.arange(10, 15) * 0.1)
    runner.reset_state()  # the runner's clock only: the model is at t = 6.5 ms
    with pytest.warns(UserWarning, match=r"last run up to t=6.5 ms.*starts at t=5"):
        runner.run(0.2)
    np.testing.assert_array_equal(runner.mon.i, [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner.run(0.1, reset_state=True)  # model and clock reset together
        runner.run(0.1)


def test_two_runners_on_one_model_warn_about_their_clocks():
    """A second runner starts at its own t0 while the model's last spike times are
    from the first runner's later time (refractory periods then last far too long)."""
    lif = _lif(1)
    first = bp.DSRunner(lif, progress_bar=False)
    first.run(2.0)
    second = bp.DSRunner(lif, progress_bar=False)
    with pytest.warns(UserWarning, match=r"last run up to t=2 ms.*t0=2") as record:
        second.run(1.0)
    assert record[0].filename == __file__  # attributed to the user's line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bp.DSRunner(lif, progress_bar=False, t0=1.0).run(1.0)  # continues the clock
        lif.reset()  # a reset model has no clock
        bp.DSRunner(lif, progress_bar=False).run(1.0)


def test_monitor_every(reference):
    lif = _lif()
    runner = bp.DSRunner(
        lif,
        monitors={"V": bp.Monitor("V", every=7)},
        inputs=_drive(),
        progress_bar=False,
        chunk_size=64,
    )
    runner.run(100.0)
    np.testing.assert_array_equal(runner.mon.V, reference.V[::7])
    np.testing.assert_allclose(runner.mon_ts["V"], reference.ts[::7])
    runner.run(1.0)  # steps 1000..1009: multiples of 7 are 1001 and 1008
    np.testing.assert_allclose(runner.mon_ts["V"], [100.1, 100.8])


def test_compact_spikes(reference):
    lif = _lif()
    runner = bp.DSRunner(
        lif,
        monitors={"spk": bp.Monitor(lif.spike, spikes=True), "V16": bp.Monitor(
            "V", dtype=jnp.float16)},
        inputs=_drive(),
        progress_bar=False,
        chunk_size=100,
    )  # fmt: skip
    runner.run(100.0)
    train = runner.mon.spk
    assert isinstance(train, bp.SpikeTrain) and train.num == 4
    np.testing.assert_array_equal(train.to_raster(runner.mon.ts), reference.spike)
    assert runner.mon.V16.dtype == np.float16


def test_duplicate_keys_are_an_error():
    lif = _lif()
    with pytest.raises(bp.MonitorError, match="duplicate monitor key 'V'"):
        bp.DSRunner(lif, monitors=[("V", 1), ("V", [0, 2])])
    with pytest.raises(bp.MonitorError, match="'ts' is reserved"):
        bp.DSRunner(lif, monitors={"ts": lif.V})


def test_unknown_monitor_lists_valid_names():
    with pytest.raises(bp.MonitorError, match=r"unknown monitor 'W'.*'V'.*'spike'"):
        bp.DSRunner(_lif(), monitors=["W"])
    with pytest.raises(bp.MonitorError, match="out of range"):
        bp.DSRunner(_lif(), monitors=[("V", 9)])


def test_ten_minutes_stream_with_bounded_chunks():
    """600 s of biological time (6M steps): device buffers stay at one chunk."""
    lif = _lif(1)
    runner = bp.DSRunner(
        lif,
        monitors={
            "V": bp.Monitor("V", every=10_000),
            "spk": bp.Monitor("spike", spikes=True),
        },
        inputs=("input", 12.0),
        progress_bar=False,
    )
    runner.run(600_000.0)
    assert runner.chunk_steps < 6_000_000 and runner.chunk_bytes <= 64 << 20
    assert runner.mon.V.shape == (600, 1)
    assert runner.mon.ts.shape == (6_000_000,)
    # the exact LIF of the Done-when list keeps its period of 409 steps throughout
    count = (6_000_000 - 1 - 358) // 409 + 1
    np.testing.assert_array_equal(runner.mon.spk.steps, 358 + 409 * np.arange(count))

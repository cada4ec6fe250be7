"""Parameter and seed sweeps: one compile, vmapped, sharded over devices."""

import jax
import numpy as np
import pytest

import dsrunner as bp

TAUS = np.array([10.0, 20.0, 30.0, 40.0, 15.0, 25.0, 35.0, 45.0], np.float32)


def _lif(tau=20.0):
    return bp.LifRef(
        2, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=tau, tau_ref=5.0,
        V_initializer=bp.init.Constant(-60.0),
    )  # fmt: skip


def _runner(model):
    return bp.DSRunner(
        model, monitors=["V", "spike"], inputs=("input", 12.0), progress_bar=False
    )


@pytest.fixture(scope="module")
def swept():
    runner = _runner(_lif())
    res = runner.sweep(50.0, {"tau": TAUS}, shard=True)
    return runner, res


def test_sweep_matches_individual_runs(swept):
    _, res = swept
    assert res.V.shape == (8, 500, 2) and res.ts.shape == (500,)
    for j in (0, 3):
        single = _runner(_lif(float(TAUS[j])))
        single.run(50.0)
        np.testing.assert_allclose(res.V[j], single.mon.V, atol=1e-4)
        np.testing.assert_array_equal(res.spike[j], single.mon.spike)


def test_sweep_compiles_once_and_leaves_model_alone(swept):
    runner, res = swept
    assert runner.num_compiles == 1 and runner.i0 == 0
    v0 = np.asarray(runner.target.V.value)
    res2 = runner.sweep(50.0, {"tau": TAUS + 1.0}, shard=True)
    assert runner.num_compiles == 1  # new values, same code
    assert not np.array_equal(res2.V, res.V)
    np.testing.assert_array_equal(runner.target.V.value, v0)
    assert set(res.final) >= {"V", "spike", "t_last_spike"}


def test_sharded_equals_unsharded(swept):
    _, res = swept
    plain = _runner(_lif()).sweep(50.0, {"tau": TAUS}, shard=False)
    np.testing.assert_array_equal(plain.V, res.V)


MULTI = pytest.mark.skipif(
    len(jax.devices()) < 2,
    reason="needs several devices (XLA_FLAGS=--xla_force_host_platform_device_count=8)",
)


@MULTI
def test_sharded_executable_uses_all_devices(swept):
    runner, _ = swept
    (compiled,) = runner._compiled.values()
    shardings = jax.tree.leaves(compiled.input_shardings)
    assert any(len(s.device_set) == len(jax.devices()) > 1 for s in shardings)


def test_seed_sweep_over_rng_variable():
    net = bp.Network(p=bp.PoissonGroup(10, freqs=200.0))
    runner = bp.DSRunner(net, monitors=["p.spike"], progress_bar=False)
    keys = np.stack([np.asarray(jax.random.PRNGKey(s)) for s in range(4)])
    res = runner.sweep(10.0, {"p.rng": keys})
    spikes = res["p.spike"]
    assert spikes.shape == (4, 100, 10)
    assert not np.array_equal(spikes[0], spikes[1])
    single = bp.DSRunner(
        bp.Network(p=bp.PoissonGroup(10, freqs=200.0, seed=2)), monitors=["p.spike"],
        progress_bar=False,
    )  # fmt: skip
    single.run(10.0)
    np.testing.assert_array_equal(spikes[2], single.mon["p.spike"])


def test_sweep_with_compact_spike_monitors():
    """`Monitor(spikes=True)` in a sweep: one SpikeTrain per member, the same events
    as the dense monitor, across several chunks."""
    net = bp.Network(p=bp.PoissonGroup(10, freqs=200.0))
    runner = bp.DSRunner(
        net, monitors={"dense": "p.spike", "events": bp.Monitor("p.spike", spikes=True)},
        progress_bar=False, chunk_size=64,
    )  # fmt: skip
    keys = np.stack([np.asarray(jax.random.PRNGKey(s)) for s in range(3)])
    res = runner.sweep(15.0, {"p.rng": keys})
    assert len(res.events) == 3
    for dense, events in zip(res.dense, res.events, strict=True):
        assert dense.sum() > 0
        np.testing.assert_array_equal(events.to_raster(res.ts), dense)
        np.testing.assert_allclose(events.times, res.ts[events.steps])


def test_sweep_errors():
    runner = _runner(_lif())
    with pytest.raises(bp.RunningError, match="unknown sweep parameter 'taux'"):
        runner.sweep(1.0, {"taux": TAUS})
    with pytest.raises(ValueError, match="same leading member axis"):
        runner.sweep(1.0, {"tau": TAUS, "V_th": np.zeros(3)})
    with pytest.raises(ValueError, match=r"expected \(8, 2\)"):
        runner.sweep(1.0, {"V": np.zeros((8, 3))})


@MULTI
def test_shard_needs_a_multiple_of_the_device_count():
    n = len(jax.devices())
    runner = _runner(_lif())
    with pytest.raises(ValueError, match=f"multiple of {n}"):
        runner.sweep(1.0, {"tau": np.ones(n + 1, np.float32) * 20.0}, shard=True)

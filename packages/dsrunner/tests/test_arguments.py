"""Issue 11.6: every constructor argument acts (BrainPy's meaning) or is refused.

Noise is an Itô SDE term, `sdeint` integrates SDEs (Euler-Maruyama, Milstein),
spike functions have surrogate gradients, and the remaining arguments (`spk_dtype`,
`spk_reset`, `detach_spk`, `scaling`, `sharding`, `out_label`, `spk_type`,
`dyn_vars`) change what they say, checked against hand-derived values.
"""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp
from dsrunner.math import surrogate


def _mon_run(model, duration, monitors=("V",), **kw):
    runner = bp.DSRunner(model, monitors=list(monitors), progress_bar=False, **kw)
    runner.run(duration)
    return runner


# ---------------------------------------------------------------- noise on models
def test_lif_noise_is_not_ignored_and_is_reproducible():
    quiet = _mon_run(bp.LIF(3), 5.0).mon.V
    noisy = _mon_run(bp.LIF(3, noise=5.0, seed=1), 5.0).mon.V
    again = _mon_run(bp.LIF(3, noise=5.0, seed=1), 5.0).mon.V
    other = _mon_run(bp.LIF(3, noise=5.0, seed=2), 5.0).mon.V
    assert np.abs(noisy - quiet).max() > 0.1
    np.testing.assert_array_equal(noisy, again)
    assert np.abs(noisy - other).max() > 0.1
    # per-step keys fold_in(key, i): the chunking does not change the numbers
    chunked = _mon_run(bp.LIF(3, noise=5.0, seed=1), 5.0, chunk_size=7).mon.V
    np.testing.assert_array_equal(noisy, chunked)


def test_lif_noise_has_the_ou_stationary_variance():
    """No threshold, so V is an OU process. Exponential Euler is exact for the
    drift: V' = a V + g sqrt(dt) xi with a = exp(-dt/tau), whose stationary
    variance is g^2 dt / (1 - a^2); the mean is V_rest."""
    n, g, tau, dt = 4000, 2.0, 10.0, 0.1
    lif = bp.LIF(n, V_th=1e9, V_rest=-60.0, tau=tau, noise=g, seed=3,
                 V_initializer=bp.init.Constant(-60.0))  # fmt: skip
    runner = _mon_run(lif, 100.0)  # 10 tau: stationary
    V = runner.mon.V[-1].astype(np.float64)
    a = np.exp(-dt / tau)
    var = g * g * dt / (1 - a * a)
    assert abs(V.mean() + 60.0) < 4 * np.sqrt(var / n)
    # sample variance: standard error sqrt(2/(n-1)) * var
    assert abs(V.var() - var) < 4 * np.sqrt(2 / (n - 1)) * var


def test_lif_callable_noise_and_array_noise():
    zero = _mon_run(bp.LIF(2, noise=lambda V, t, current: 0.0 * V, seed=0), 2.0).mon.V
    np.testing.assert_allclose(zero, _mon_run(bp.LIF(2), 2.0).mon.V, atol=1e-6)
    half = _mon_run(bp.LIF(2, noise=np.array([0.0, 3.0]), seed=0), 2.0).mon.V
    quiet = _mon_run(bp.LIF(2), 2.0).mon.V
    np.testing.assert_allclose(half[:, 0], quiet[:, 0], atol=1e-6)
    assert np.abs(half[:, 1] - quiet[:, 1]).max() > 0.1


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: bp.HH(2, V_initializer=bp.init.Constant(-65.0), **kw),
        lambda **kw: bp.Izhikevich(2, **kw),
    ],
    ids=["HH", "Izhikevich"],
)
def test_hh_and_izhikevich_noise(make):
    quiet = _mon_run(make(), 5.0).mon.V
    noisy = _mon_run(make(noise=3.0, seed=4), 5.0).mon.V
    again = _mon_run(make(noise=3.0, seed=4), 5.0).mon.V
    assert np.abs(noisy - quiet).max() > 0.1
    np.testing.assert_array_equal(noisy, again)
    # the first step: V = drift step + noise * sqrt(dt) * N(0, 1); only V is noisy
    r_q = _mon_run(make(), 0.1, monitors=("V", "spike"))
    r_n = _mon_run(make(noise=3.0, seed=4), 0.1, monitors=("V", "spike"))
    assert np.abs(r_n.mon.V - r_q.mon.V).max() > 0


def test_noise_with_an_ode_only_method_is_refused():
    with pytest.raises(bp.DiffEqError, match=r"noise=1\.0.*method='rk4'.*'euler'"):
        bp.LIF(2, noise=1.0, method="rk4")


# ---------------------------------------------------------------- sdeint
def test_sdeint_ou_mean_and_variance():
    """dx = -theta x dt + sigma dW from x0: mean x0 e^{-theta T}, variance
    sigma^2 (1 - e^{-2 theta T}) / (2 theta); Euler's bias at dt=0.001 is far
    below the sampling error of 20,000 paths."""
    theta, sigma, x0, T, dt = 1.5, 0.8, 2.0, 1.0, 1e-3
    integral = bp.sdeint(lambda x, t, th: -th * x, lambda x, t, th: sigma)
    steps, paths = int(T / dt), 20_000

    def body(x, k):
        return integral(x, 0.0, theta, dt=dt, key=k), None

    keys = jax.random.split(jax.random.PRNGKey(0), steps)
    xT, _ = jax.jit(lambda x: jax.lax.scan(body, x, keys))(jnp.full(paths, x0))
    xT = np.asarray(xT, np.float64)
    mean = x0 * np.exp(-theta * T)
    var = sigma**2 * (1 - np.exp(-2 * theta * T)) / (2 * theta)
    assert abs(xT.mean() - mean) < 4 * np.sqrt(var / paths)
    assert abs(xT.var() - var) < 4 * np.sqrt(2 / (paths - 1)) * var


def _gbm_strong_errors(method, dts, mu=1.0, sig=1.0, x0=1.0, T=1.0, paths=4000):
    """E|X_N - X(T)| on the same Brownian paths at several dt (geometric
    Brownian motion, exact X(T) = x0 exp((mu - sig^2/2) T + sig W(T)))."""
    integral = bp.sdeint(lambda x, t: mu * x, lambda x, t: sig * x, method=method)
    fine = min(dts)
    n_fine = round(T / fine)
    dW = jax.random.normal(
        jax.random.PRNGKey(7), (n_fine, paths), jnp.float32
    ) * np.sqrt(fine)
    exact = x0 * np.exp((mu - sig**2 / 2) * T + sig * np.asarray(dW, np.float64).sum(0))
    errors = []
    for dt in dts:
        r = round(dt / fine)
        coarse = dW.reshape(n_fine // r, r, paths).sum(1)

        def body(x, w, dt=dt):
            return integral(x, 0.0, dt=dt, dW=w), None

        xN, _ = jax.jit(lambda x, c=coarse, b=body: jax.lax.scan(b, x, c))(
            jnp.full(paths, x0)
        )
        errors.append(np.mean(np.abs(np.asarray(xN, np.float64) - exact)))
    return np.asarray(errors)


@pytest.mark.parametrize(("method", "order"), [("euler", 0.5), ("milstein", 1.0)])
def test_sdeint_strong_order_on_geometric_brownian_motion(method, order):
    dts = np.array([2.0**-4, 2.0**-5, 2.0**-6, 2.0**-7, 2.0**-8])
    errors = _gbm_strong_errors(method, dts)
    slope = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert abs(slope - order) < 0.15, (slope, errors)


def test_sdeint_milstein_adds_the_ito_correction_to_euler():
    # one step with given dW: Milstein - Euler = 1/2 g g' (dW^2 - dt)
    f, g = (lambda x, t: 0.5 * x), (lambda x, t: 0.3 * x * x)
    x, dt, dW = jnp.float32(1.2), 0.01, jnp.float32(0.05)
    e = bp.sdeint(f, g, method="euler")(x, 0.0, dt=dt, dW=dW)
    m = bp.sdeint(f, g, method="milstein")(x, 0.0, dt=dt, dW=dW)
    np.testing.assert_allclose(e, 1.2 + 0.5 * 1.2 * dt + 0.3 * 1.44 * 0.05, rtol=1e-6)
    corr = 0.5 * (0.3 * 1.44) * (0.6 * 1.2) * (0.05**2 - dt)
    np.testing.assert_allclose(m - e, corr, rtol=1e-4)


def test_sdeint_refuses_what_it_does_not_do():
    with pytest.raises(bp.DiffEqError, match="intg_type='stratonovich'"):
        bp.sdeint(lambda x, t: x, lambda x, t: 1.0, intg_type="stratonovich")
    with pytest.raises(bp.DiffEqError, match="wiener_type='vector'"):
        bp.sdeint(lambda x, t: x, lambda x, t: 1.0, wiener_type="vector")
    with pytest.raises(bp.DiffEqError, match="unknown SDE method 'rk4'"):
        bp.sdeint(lambda x, t: x, lambda x, t: 1.0, method="rk4")
    with pytest.raises(bp.DiffEqError, match="pass key="):
        bp.sdeint(lambda x, t: x, lambda x, t: 1.0)(jnp.float32(1.0), 0.0, dt=0.1)


# ---------------------------------------------------------------- spikes
@pytest.mark.parametrize(
    ("fn", "grad"),
    [
        (
            surrogate.Sigmoid(4.0),
            lambda x: 4 * (1 / (1 + np.exp(-4 * x))) * (1 - 1 / (1 + np.exp(-4 * x))),
        ),
        (surrogate.Arctan(2.0), lambda x: 2 * 0.5 / (1 + (np.pi / 2 * 2 * x) ** 2)),
        (surrogate.ReluGrad(0.3, 1.0), lambda x: np.maximum(0.3 * (1 - np.abs(x)), 0)),
        (
            surrogate.PiecewiseLinear(0.5, 2.0),
            lambda x: np.maximum(0.5 * (2 - np.abs(x)), 0),
        ),
        (surrogate.InvSquareGrad(100.0), lambda x: 1 / (100 * np.abs(x) + 1) ** 2),
    ],
    ids=["sigmoid", "arctan", "relu", "piecewise-linear", "inv-square"],
)
def test_surrogate_forward_is_a_step_and_gradient_is_the_surrogate(fn, grad):
    xs = np.array([-1.5, -0.3, 0.0, 0.2, 0.7], np.float32)
    np.testing.assert_array_equal(fn(xs), (xs >= 0).astype(np.float32))
    g = jax.vmap(jax.grad(lambda x: fn(x)))(jnp.asarray(xs))
    np.testing.assert_allclose(g, grad(xs.astype(np.float64)), rtol=1e-5, atol=1e-7)


def _training_lif(**kw):
    return bp.LIF(1, mode=bp.TrainingMode(1), V_rest=0.0, V_th=1.0, V_reset=-0.5,
                  spk_fun=surrogate.Sigmoid(4.0), **kw)  # fmt: skip


@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("reset", ["soft", "hard"])
def test_training_mode_reset_and_its_gradient(reset, detach):
    lif = _training_lif(spk_reset=reset, detach_spk=detach)
    V = jnp.float32(1.3)
    spike, after = lif._fire(V)
    s = 1.0
    sg = 4 * (1 / (1 + np.exp(-4 * 0.3))) * (1 - 1 / (1 + np.exp(-4 * 0.3)))
    dVdV = jax.grad(lambda v: lif._fire(v)[1])(V)
    if reset == "soft":
        np.testing.assert_allclose(after, 1.3 - (1.0 + 0.5) * s, rtol=1e-6)
        want = 1.0 if detach else 1 - 1.5 * sg
    else:
        np.testing.assert_allclose(after, -0.5, rtol=1e-6)
        want = 1 - s if detach else 1 - s + (-0.5 - 1.3) * sg
    np.testing.assert_allclose(dVdV, want, rtol=1e-5, atol=1e-6)
    assert spike.dtype == jnp.float32 and float(spike) == 1.0


def test_training_mode_spikes_are_float_and_match_the_boolean_run():
    kw: dict[str, Any] = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0,
              V_initializer=bp.init.Constant(-60.0))  # fmt: skip
    ref = bp.DSRunner(bp.LIF(2, **kw), monitors=["spike"], inputs=("input", 12.0),
                      progress_bar=False)  # fmt: skip
    ref.run(30.0)
    for reset in ("soft", "hard"):
        lif = bp.LIF(2, mode=bp.TrainingMode(1), spk_reset=reset, **kw)
        assert lif.spike.dtype == jnp.float32
        r = bp.DSRunner(lif, monitors=["spike"], inputs=("input", 12.0),
                        progress_bar=False)  # fmt: skip
        r.run(30.0)
        # V_reset = V_rest here and V_th - V_reset = 10: soft reset lands where
        # the hard one does only at the crossing, so compare the first spike
        first_ref = np.argmax(ref.mon.spike[:, 0])
        first = np.argmax(r.mon.spike[:, 0, 0] > 0)
        assert first == first_ref and r.mon.spike.dtype == np.float32


def test_spk_dtype_sets_the_spike_variable():
    kw: dict[str, Any] = dict(V_initializer=bp.init.Constant(0.0))
    a = _mon_run(bp.LIF(2, **kw), 20.0, ("spike",), inputs=("input", 30.0)).mon.spike
    lif = bp.LIF(2, spk_dtype=jnp.float32, **kw)
    assert lif.spike.dtype == jnp.float32
    b = _mon_run(lif, 20.0, ("spike",), inputs=("input", 30.0)).mon.spike
    assert a.dtype == np.bool_ and b.dtype == np.float32 and a.sum() > 0
    np.testing.assert_array_equal(a, b > 0)


def test_spk_fun_and_spk_reset_are_checked():
    with pytest.raises(ValueError, match="spk_reset 'soft' or 'hard', got 'medium'"):
        bp.LIF(1, spk_reset="medium")
    with pytest.raises(TypeError, match="spk_fun to be a callable"):
        bp.LIF(1, spk_fun=3.0)


# ---------------------------------------------------------------- scaling
def test_scaling_maps_potentials_and_scales_the_drive():
    """With (V + b) / s the scaled LIF driven by I is the plain LIF driven by
    s * I, in scaled units: dV/dt = (-V + V_rest + s R I) / tau."""
    scaling = bp.math.Scaling.transform([-60.0, -50.0])  # scale 10, bias 60
    kw: dict[str, Any] = dict(V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0,
              V_initializer=bp.init.Constant(-58.0))  # fmt: skip
    scaled = bp.LIF(1, scaling=scaling, **kw)
    np.testing.assert_allclose([scaled.V_rest, scaled.V_th, scaled.V_reset], [0, 1, 0])
    np.testing.assert_allclose(scaled.V.value, 0.2)
    a = _mon_run(scaled, 50.0, ("V", "spike"), inputs=("input", 1.5))
    b = _mon_run(bp.LIF(1, **kw), 50.0, ("V", "spike"), inputs=("input", 15.0))
    np.testing.assert_allclose(a.mon.V, (b.mon.V + 60.0) / 10.0, atol=2e-5)
    np.testing.assert_array_equal(a.mon.spike, b.mon.spike)
    assert b.mon.spike.sum() > 0
    with pytest.raises(TypeError, match=r"scaling to be a dsrunner\.math\.Scaling"):
        bp.LIF(1, scaling=2.0)


# ---------------------------------------------------------------- sharding
def test_sharding_places_the_state_and_keeps_the_numbers():
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = jax.devices()
    if len(devices) < 2:
        pytest.skip("needs several (simulated) devices")
    mesh = Mesh(np.array(devices[:2]), ("x",))
    sh = NamedSharding(mesh, PartitionSpec("x"))
    kw: dict[str, Any] = dict(V_initializer=bp.init.Uniform(-5.0, 15.0, seed=0))
    lif = bp.LIF(8, sharding=sh, **kw)
    assert lif.V.value.sharding == sh and lif.spike.value.sharding == sh
    syn = bp.Expon(8, sharding=sh)
    assert syn.g.value.sharding == sh
    a = _mon_run(lif, 10.0, ("V", "spike"), inputs=("input", 25.0))
    b = _mon_run(bp.LIF(8, **kw), 10.0, ("V", "spike"), inputs=("input", 25.0))
    np.testing.assert_array_equal(a.mon.V, b.mon.V)
    assert lif.V.value.sharding.is_equivalent_to(sh, 1)
    with pytest.raises(TypeError, match=r"sharding=\('x',\) is not supported"):
        bp.LIF(8, sharding=("x",))
    with pytest.raises(ValueError, match="EventCSRLinear: sharding"):
        bp.EventCSRLinear(bp.FixedProb(0.5, pre=4, post=4, seed=0), 1.0, sharding=sh)


# ---------------------------------------------------------------- projections
class _Two(bp.DynSysGroup):
    p0: Any
    p1: Any

    def __init__(self, labels, outs=("CUBA", "CUBA")):
        super().__init__()
        self.pre = bp.PoissonGroup(4, freqs=1e9, seed=0)  # fires every step
        self.post = bp.LIF(3, V_th=1e9)
        self.projs = []
        for k, (label, out) in enumerate(zip(labels, outs, strict=True)):
            comm = bp.EventCSRLinear(bp.FixedProb(1.0, pre=4, post=3, seed=k), 0.5)
            o = bp.CUBA.desc() if out == "CUBA" else bp.COBA.desc(E=0.0)
            p = bp.ProjAlignPostMg2(self.pre, None, comm, bp.Expon.desc(3, tau=5.0),
                                    o, self.post, out_label=label)  # fmt: skip
            setattr(self, f"p{k}", p)


def test_out_label_selects_the_current_and_merging_counts_it_once():
    net = _Two(labels=(None, None))
    # equal synapse and output, no labels: merged, one synapse and one current
    assert net.p0.syn is net.p1.syn and len(net.post.cur_inputs) == 1
    net_l = _Two(labels=("A", "B"))
    assert net_l.p0.syn is not net_l.p1.syn
    assert sorted(net_l.post.cur_inputs) == sorted(
        [f"A // {net_l.p0.name}.out", f"B // {net_l.p1.name}.out"]
    )
    net_l.p0.syn.g.value = jnp.full(3, 2.0)
    net_l.p1.syn.g.value = jnp.full(3, 5.0)
    V = jnp.zeros(3)
    np.testing.assert_allclose(net_l.post.sum_current_inputs(V, label="A"), 2.0)
    np.testing.assert_allclose(net_l.post.sum_current_inputs(V, label="B"), 5.0)
    np.testing.assert_allclose(net_l.post.sum_current_inputs(V), 7.0)
    # merged: the pre spikes of step 0 arrive in step 1, where the events add
    # 2 projections x 4 spikes x 0.5 = 4 to g, which then decays one step before
    # the post group reads it: 4 exp(-dt/tau), counted once (twice would be 8)
    r = bp.DSRunner(net, monitors={"I": lambda: net.post.sum_current_inputs(V)},
                    progress_bar=False)  # fmt: skip
    r.run(0.3)
    np.testing.assert_allclose(r.mon.I[:2, 0], [0.0, 4 * np.exp(-0.1 / 5)], rtol=1e-6)
    # the same as two separate (labelled) synapses
    r_l = bp.DSRunner(_Two(labels=("A", "B")), progress_bar=False, monitors=["post.V"])
    r_l.run(0.3)
    r_m = bp.DSRunner(
        _Two(labels=(None, None)), progress_bar=False, monitors=["post.V"]
    )
    r_m.run(0.3)
    np.testing.assert_allclose(r_l.mon["post.V"], r_m.mon["post.V"], rtol=1e-6)
    # same synapse, different outputs: not merged (each output reads its own g)
    mixed = _Two(labels=(None, None), outs=("CUBA", "COBA"))
    assert mixed.p0.syn is not mixed.p1.syn and len(mixed.post.cur_inputs) == 2
    with pytest.raises(TypeError, match="out_label to be a str"):
        _Two(labels=(3, None))


def test_poisson_spk_type():
    a = _mon_run(bp.PoissonGroup(50, freqs=200.0, seed=1), 10.0, ("spike",)).mon.spike
    b = _mon_run(
        bp.PoissonGroup(50, freqs=200.0, seed=1, spk_type=jnp.float32), 10.0, ("spike",)
    ).mon.spike
    assert a.dtype == np.bool_ and b.dtype == np.float32 and a.sum() > 0
    np.testing.assert_array_equal(a, b > 0)
    assert bp.PoissonGroup(2, 1.0, mode=bp.TrainingMode(1)).spike.dtype == jnp.float32


# ---------------------------------------------------------------- refusals
def test_izhikevich_tau_and_R_are_refused_not_ignored():
    bp.Izhikevich(2, tau=10.0, R=1.0)  # the defaults are fine
    with pytest.raises(ValueError, match=r"tau=5\.0 is not supported.*never use"):
        bp.Izhikevich(2, tau=5.0)
    with pytest.raises(ValueError, match=r"R=2\.0 is not supported"):
        bp.Izhikevich(2, R=2.0)


def test_connection_options_refused():
    conn = bp.FixedProb(0.5, pre=4, post=4, seed=0)
    with pytest.raises(ValueError, match="allow_multi_conn=True is not supported"):
        bp.FixedProb(0.5, pre=4, post=4, allow_multi_conn=True)
    with pytest.raises(ValueError, match="transpose=False"):
        bp.EventCSRLinear(conn, 1.0, transpose=False)
    comm = bp.EventCSRLinear(conn, 1.0, mode=bp.BatchingMode(2))
    assert comm(jnp.ones((2, 4), bool)).shape == (2, 4)
    with pytest.raises(ValueError, match=r"expected events of shape \(batch, 4,\)"):
        comm(jnp.ones(4, bool))


def test_dyn_vars_outside_the_model_are_carried():
    counter = bp.Variable(jnp.zeros(1))

    class Count(bp.DynamicalSystem):
        def update(self):
            counter.value = counter.value + 1.0

    runner = bp.DSRunner(Count(), dyn_vars=[counter], progress_bar=False)
    runner.run(1.0)
    np.testing.assert_allclose(counter.value, 10.0)
    runner = bp.DSRunner(Count(), dyn_vars={"c": counter}, progress_bar=False)
    runner.run(0.5)
    np.testing.assert_allclose(counter.value, 15.0)
    with pytest.raises(bp.RunningError, match="dyn_vars to hold dsrunner Variables"):
        bp.DSRunner(Count(), dyn_vars=[jnp.zeros(1)])


def test_inputs_are_batching_warns_instead_of_being_ignored():
    runner = bp.DSRunner(bp.LIF(2), progress_bar=False)
    with pytest.warns(UserWarning, match="inputs_are_batching=True is not used"):
        runner.run(0.5, inputs_are_batching=True)

"""Integrators, built-in models and connectivity against independent numpy code."""

import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp
from dsrunner.dnn import event_csr_matvec


def test_odeint_one_step_values():
    def f(x, t, tau):
        return -x / tau

    x, dt, tau = jnp.float32(2.0), 0.1, 1.5
    assert np.isclose(
        bp.odeint(f, method="euler")(x, 0.0, tau, dt=dt), 2 * (1 - dt / tau)
    )
    exact = 2 * np.exp(-dt / tau)
    assert np.isclose(
        bp.odeint(f, method="exp_auto")(x, 0.0, tau, dt=dt), exact, rtol=1e-6
    )
    assert np.isclose(bp.odeint(f, method="rk4")(x, 0.0, tau, dt=dt), exact, rtol=1e-6)
    # rk2 is Ralston's method (beta = 2/3): exact to second order
    z = -dt / tau
    assert np.isclose(
        bp.odeint(f, method="rk2")(x, 0.0, tau, dt=dt),
        2 * (1 + z + z * z / 2),
        rtol=1e-6,
    )


@pytest.mark.parametrize("method", bp.get_supported_methods())
def test_every_method_converges(method):
    def f(x, t):
        return -x

    integral = bp.odeint(f, method=method)
    x = jnp.float32(1.0)
    for i in range(100):
        x = integral(x, i * 0.01, dt=0.01)
    assert np.isclose(float(x), np.exp(-1.0), rtol=2e-2)


def _np_rk4(f, y, dt):
    k1 = f(y)
    k2 = f(y + dt / 2 * k1)
    k3 = f(y + dt / 2 * k2)
    k4 = f(y + dt * k3)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def test_jointeq_rk4_is_coupled():
    def dx(x, t, y):
        return y

    def dy(y, t, x, w):
        return -w * w * x

    integral = bp.odeint(bp.JointEq(dx, dy), method="rk4")
    assert integral.arg_names == ["x", "y", "t", "w"]
    x, y = jnp.float32(1.0), jnp.float32(0.0)
    ref = np.array([1.0, 0.0])
    for _ in range(50):
        x, y = integral(x, y, 0.0, 2.0, dt=0.05)
        ref = _np_rk4(lambda s: np.array([s[1], -4.0 * s[0]]), ref, 0.05)
    np.testing.assert_allclose([x, y], ref, rtol=1e-4, atol=1e-5)


def test_exp_euler_linearises_each_variable_separately():
    def dx(x, t, y):
        return -2.0 * x + y

    def dy(y, t, x):
        return x - 3.0 * y

    x, y = bp.odeint(bp.JointEq(dx, dy), method="exp_euler")(
        jnp.float32(1.0), jnp.float32(2.0), 0.0, dt=0.1
    )
    fx, fy = -2.0 + 2.0, 1.0 - 6.0
    ex = 1.0 + 0.1 * np.expm1(-0.2) / -0.2 * fx
    ey = 2.0 + 0.1 * np.expm1(-0.3) / -0.3 * fy
    np.testing.assert_allclose([x, y], [ex, ey], rtol=1e-6)


def test_odeint_decorator_and_errors():
    @bp.odeint(method="euler")
    def integral(v, t, a):
        return a

    assert float(integral(1.0, 0.0, 2.0, dt=0.5)) == 2.0
    with pytest.raises(bp.DiffEqError, match="time argument named 't'"):
        bp.odeint(lambda x, y: x)
    with pytest.raises(bp.DiffEqError, match="unknown ODE method 'rk9'"):
        bp.odeint(lambda x, t: x, method="rk9")
    with pytest.raises(bp.DiffEqError, match="float"):
        bp.odeint(lambda x, t: x)(jnp.int32(1), 0.0, dt=0.1)
    with pytest.raises(bp.DiffEqError, match="kind"):
        bp.odeint(lambda x, t, *, k: x)


def _np_hh_rhs(s, current):
    V, m, h, n = s
    am = 0.1 * (V + 40) / (1 - np.exp(-(V + 40) / 10))
    bm = 4 * np.exp(-(V + 65) / 18)
    ah = 0.07 * np.exp(-(V + 65) / 20)
    bh = 1 / (1 + np.exp(-(V + 35) / 10))
    an = 0.01 * (V + 55) / (1 - np.exp(-(V + 55) / 10))
    bn = 0.125 * np.exp(-(V + 65) / 80)
    dV = (
        current - 120 * m**3 * h * (V - 50) - 36 * n**4 * (V + 77) - 0.03 * (V + 54.387)
    )
    return np.array(
        [dV, am * (1 - m) - bm * m, ah * (1 - h) - bh * h, an * (1 - n) - bn * n]
    )


def test_hh_rk4_matches_numpy():
    hh = bp.HH(1, V_initializer=bp.init.Constant(-65.0), method="rk4")
    runner = bp.DSRunner(
        hh, monitors=["V", "spike"], inputs=("input", 10.0), dt=0.01, progress_bar=False
    )
    runner.run(20.0)
    s = np.array([-65.0, *[float(x) for x in bp._neurons.hh_gate_steady(-65.0)]])
    Vs = []
    for _ in range(2000):
        s = _np_rk4(lambda y: _np_hh_rhs(y, 10.0), s, 0.01)
        Vs.append(s[0])
    np.testing.assert_allclose(runner.mon.V[:, 0], Vs, atol=0.05)
    up = np.nonzero((np.array(Vs[:-1]) < 20) & (np.array(Vs[1:]) >= 20))[0] + 1
    np.testing.assert_array_equal(np.nonzero(runner.mon.spike[:, 0])[0], up)
    assert len(up) >= 2


def test_izhikevich_euler_matches_numpy():
    izh = bp.Izhikevich(1, method="euler")
    runner = bp.DSRunner(
        izh, monitors=["V", "spike"], inputs=("input", 10.0), progress_bar=False
    )
    runner.run(100.0)
    V, u, out, spk = -70.0, -14.0, [], []
    for _ in range(1000):
        V2 = V + 0.1 * (0.04 * V * V + 5 * V + 140 - u + 10.0)
        u2 = u + 0.1 * 0.02 * (0.2 * V - u)
        s = V2 >= 30
        V, u = (-65.0, u2 + 8.0) if s else (V2, u2)
        out.append(V)
        spk.append(s)
    np.testing.assert_allclose(runner.mon.V[:, 0], out, atol=1e-2)
    np.testing.assert_array_equal(runner.mon.spike[:, 0], spk)


def test_event_csr_matches_dense():
    rng = np.random.default_rng(0)
    conn = bp.FixedProb(0.1, pre=50, post=30, seed=1)
    mat = conn.require("conn_mat").astype(np.float32)
    assert 0.05 < mat.mean() < 0.15
    spikes = (rng.random(50) < 0.2).astype(np.float32)
    assert spikes.sum() > 3
    lin = bp.EventCSRLinear(conn, 0.5)
    np.testing.assert_allclose(
        lin(jnp.asarray(spikes, bool)), spikes @ mat * 0.5, rtol=1e-6
    )
    w = rng.random(int(mat.sum())).astype(np.float32)
    lin_w = bp.EventCSRLinear(conn, w)
    dense_w = np.zeros((50, 30), np.float32)
    dense_w[np.nonzero(mat)] = w
    np.testing.assert_allclose(
        lin_w(jnp.asarray(spikes, bool)), spikes @ dense_w, rtol=1e-5
    )
    # the padded-table (large network) path, exercised directly
    indices, indptr = conn.require("csr")
    deg = np.diff(indptr)
    table = np.full((50, deg.max()), 30, np.int32)
    table[
        np.repeat(np.arange(50), deg),
        np.arange(len(indices)) - np.repeat(indptr[:-1], deg),
    ] = indices
    events = jnp.asarray(spikes * rng.random(50), jnp.float32)
    got = event_csr_matvec(events, jnp.asarray(table), jnp.float32(0.5), 30)
    np.testing.assert_allclose(got, np.asarray(events) @ mat * 0.5, rtol=1e-5)
    with pytest.raises(
        ValueError, match=r"expected presynaptic events of shape \(50,\)"
    ):
        lin(jnp.zeros(49, bool))


def test_fixedprob_no_self():
    mat = bp.FixedProb(0.5, pre=20, post=20, seed=0, include_self=False).require(
        "conn_mat"
    )
    assert not np.any(np.diag(mat))


@pytest.mark.parametrize("delay, n_delay", [(None, 0), (0, 0), (0.3, 3), (1.0, 10)])
@pytest.mark.parametrize("syn_cls, out_cls", [(bp.Expon, bp.CUBA), (bp.Alpha, bp.COBA)])
def test_synapse_impulse_response(syn_cls, out_cls, delay, n_delay):
    pre = bp.LIF(1, V_th=1.0, V_reset=0.0, tau=1.0)
    post = bp.LIF(1, V_th=1e9)
    syn = syn_cls.desc(
        1, **({"tau": 5.0} if syn_cls is bp.Expon else {"tau_decay": 5.0})
    )
    proj = bp.ProjAlignPostMg2(
        pre=pre, delay=delay, comm=bp.EventCSRLinear(bp.FixedProb(1.0, pre=1, post=1), 2.0),
        syn=syn, out=out_cls.desc(), post=post,
    )  # fmt: skip
    net = bp.Network(pre=pre, post=post, proj=proj)
    drive = np.zeros((60, 1), np.float32)
    drive[0] = 1e4  # one spike at step 0
    runner = bp.DSRunner(
        net, inputs=[("pre.input", drive, "iter")], monitors=["proj.syn.g", "pre.spike"],
        progress_bar=False,
    )  # fmt: skip
    runner.run(6.0)
    assert runner.mon["pre.spike"][:, 0].tolist() == [True] + [False] * 59
    g = runner.mon["proj.syn.g"][:, 0]
    # step 1: the projection adds 2.0, then the synapse decays one step
    k = np.arange(1, 60)
    d = np.exp(-0.1 / 5.0)
    if syn_cls is bp.Expon:
        expected = 2.0 * d ** (k - 1) * d
    else:
        expected = np.zeros(59)
        gg, hh = 0.0, 2.0
        for j in range(59):
            gg = gg + 0.1 * np.expm1(-0.02) / -0.02 * ((-gg + hh) / 5.0)
            hh = hh * d
            expected[j] = gg
    # a delay of n steps shifts the whole response by n steps
    np.testing.assert_array_equal(g[: 1 + n_delay], 0.0)
    np.testing.assert_allclose(g[1 + n_delay :], expected[: 59 - n_delay], rtol=1e-4)


def _delayed_net(delay):
    pre = bp.PoissonGroup(30, freqs=400.0, seed=1)
    post = bp.LIF(30, V_th=1e9)
    comm = bp.EventCSRLinear(bp.FixedProb(0.3, pre=30, post=30, seed=0), 1.0)
    proj = bp.ProjAlignPostMg2(
        pre, delay, comm, bp.Expon.desc(30), bp.CUBA.desc(), post
    )
    return bp.Network(pre=pre, post=post, proj=proj)


def test_delayed_projection_continues_across_runs_and_checkpoints(tmp_path):
    """The ring buffer is model state: runs split in parts, or resumed from a
    checkpoint, give the same conductances as one long run."""
    whole = bp.DSRunner(_delayed_net(0.7), monitors=["proj.syn.g"], progress_bar=False)
    whole.run(5.0)
    parts = bp.DSRunner(_delayed_net(0.7), monitors=["proj.syn.g"], progress_bar=False)
    parts.run(2.3)
    first = parts.mon["proj.syn.g"]
    parts.save_checkpoint(tmp_path / "ckpt.npz")
    resumed = bp.DSRunner(
        _delayed_net(0.7), monitors=["proj.syn.g"], progress_bar=False
    )
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    resumed.run(2.7)
    g = np.concatenate([first, resumed.mon["proj.syn.g"]])
    np.testing.assert_allclose(g, whole.mon["proj.syn.g"], rtol=1e-6)
    assert whole.mon["proj.syn.g"].sum() > 0


def test_delay_buffer_follows_a_new_batch_size():
    """The projection may be reset before its pre group: the buffer takes the
    batch size of this reset, not the pre group's old one."""
    mode = bp.BatchingMode(2)
    pre = bp.PoissonGroup(10, freqs=400.0, seed=1, mode=mode)
    post = bp.LIF(10, V_th=1e9, mode=mode)
    comm = bp.EventCSRLinear(bp.FixedProb(0.3, pre=10, post=10, seed=0), 1.0)
    proj = bp.ProjAlignPostMg2(pre, 0.5, comm, bp.Expon.desc(10, mode=mode),
                               bp.CUBA.desc(), post, mode=mode)  # fmt: skip
    net = bp.Network(proj=proj, pre=pre, post=post, mode=mode)  # proj resets first
    assert proj.delay_buffer.shape == (5, 2, 10)
    net.reset(4)
    assert proj.delay_buffer.shape == (5, 4, 10)
    runner = bp.DSRunner(net, monitors=["proj.syn.g"], progress_bar=False)
    runner.run(2.0)
    assert runner.mon["proj.syn.g"].shape == (4, 20, 10)
    assert runner.mon["proj.syn.g"].sum() > 0


def test_bad_delays_are_clear_errors():
    with pytest.raises(ValueError, match=r"delay=0.25 ms is not a whole number"):
        _delayed_net(0.25)
    with pytest.raises(ValueError, match=r"non-negative number of ms, got -1"):
        _delayed_net(-1.0)
    runner = bp.DSRunner(_delayed_net(1.0), dt=0.05, progress_bar=False)
    with pytest.raises(ValueError, match=r"built with dt=0.1 ms .* runs with dt=0.05"):
        runner.run(1.0)


def test_plots(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    ts = np.arange(10) * 0.1
    sp = np.zeros((10, 3), bool)
    sp[2, 1] = sp[5, 2] = True
    ax = bp.visualize.raster_plot(ts, sp)
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, [0.2, 0.5])
    np.testing.assert_array_equal(y, [1, 2])
    ax = bp.visualize.line_plot(ts, np.ones((10, 3)), plot_ids=[0, 2])
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match=r"expected values of shape \(T, N\)"):
        bp.visualize.line_plot(ts, np.ones((9, 3)))


# Spike steps measured with brainpy 2.8.2 (bp.dyn.HH / bp.dyn.Izhikevich driven with a
# constant input of 10 through `update(10.)`, exp_auto), frozen so CI needs no BrainPy.
def test_hh_matches_brainpy_reference():
    hh = bp.HH(1, V_initializer=bp.init.Constant(-65.0))
    runner = bp.DSRunner(
        hh, monitors=["spike"], inputs=("input", 10.0), dt=0.01, progress_bar=False
    )
    runner.run(50.0)
    np.testing.assert_array_equal(
        np.nonzero(runner.mon.spike[:, 0])[0], [219, 1664, 3086, 4507]
    )


def test_izhikevich_matches_brainpy_reference():
    runner = bp.DSRunner(
        bp.Izhikevich(1), monitors=["spike"], inputs=("input", 10.0), progress_bar=False
    )
    runner.run(100.0)
    np.testing.assert_array_equal(np.nonzero(runner.mon.spike[:, 0])[0], [34, 206, 656])

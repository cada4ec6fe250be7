"""Forward simulation: solvers and layers against an independent numpy model."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from eventsnn_reference import first_crossing, simulate_layer

import eventsnn as es

TAU_SYN = 5e-3
T_MAX = 4 * TAU_SYN

# compiled once per solver kind (eager solver calls compile op by op)
next_spike_dt = jax.jit(es.next_spike_dt, static_argnums=(6, 7))


@pytest.mark.parametrize(
    "ratio,kind",
    [
        (2.0, "double"),
        (1.0, "equal"),
        (3.0, "general"),
        (1.4, "general"),
        (1.001, "general"),
        (0.5, "general"),
    ],
)
def test_next_spike_time_matches_numpy(ratio, kind):
    rng = np.random.default_rng(0)
    n = 60
    u0 = rng.uniform(-1.0, 0.9, n).astype(np.float32)
    i0 = rng.uniform(-2.0, 6.0, n).astype(np.float32)
    tm = ratio * TAU_SYN
    dt = np.asarray(
        next_spike_dt(
            jnp.asarray(u0),
            jnp.asarray(i0),
            jnp.ones(n),
            jnp.full(n, tm),
            jnp.full(n, TAU_SYN),
            jnp.asarray(0.05),
            kind,
        )
    )
    ref = np.array(
        [
            first_crossing(a, b, 1.0, tm, TAU_SYN, 0.05)
            for a, b in zip(u0, i0, strict=False)
        ]
    )
    np.testing.assert_array_equal(np.isfinite(dt), np.isfinite(ref))
    assert np.isfinite(ref).sum() > 10
    fin = np.isfinite(ref)
    np.testing.assert_allclose(dt[fin], ref[fin], atol=2e-8)


def test_general_solver_agrees_with_closed_forms():
    rng = np.random.default_rng(1)
    n = 50
    u0 = jnp.asarray(rng.uniform(-0.5, 0.9, n), jnp.float32)
    i0 = jnp.asarray(rng.uniform(0.0, 5.0, n), jnp.float32)
    # the general solver is exact for every ratio, including the closed-form ones
    for ratio, kind in [(2.0, "double"), (1.0, "equal")]:
        args = (u0, i0, jnp.ones(n), jnp.full(n, ratio * TAU_SYN), jnp.full(n, TAU_SYN))
        closed = next_spike_dt(*args, jnp.asarray(0.05), kind)
        general = next_spike_dt(*args, jnp.asarray(0.05), "general", None)
        fin = np.isfinite(np.asarray(closed)) & (np.asarray(closed) < 0.05)
        np.testing.assert_allclose(
            np.asarray(general)[fin], np.asarray(closed)[fin], atol=1e-8
        )


def test_solver_gradients_are_finite_and_match_finite_differences():
    @functools.partial(jax.jit, static_argnums=1)
    def f(i0, kind):
        return es.next_spike_dt(
            jnp.asarray([0.2]),
            i0,
            jnp.asarray([1.0]),
            jnp.asarray([1.5 * TAU_SYN if kind == "general" else 2 * TAU_SYN]),
            jnp.asarray([TAU_SYN]),
            jnp.asarray(0.05),
            kind,
        )[0]

    for kind in ("double", "general"):
        i0 = jnp.asarray([5.0])
        grad = jax.jit(jax.grad(f), static_argnums=1)
        g = grad(i0, kind)[0]
        h = 1e-3
        fd = (f(i0 + h, kind) - f(i0 - h, kind)) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=2e-2)
        # no crossing: zero, finite gradient
        assert grad(jnp.asarray([0.1]), kind)[0] == 0.0
    w = es.lambert_w0(jnp.asarray([-0.3, 0.0, 0.5, 2.0]))
    np.testing.assert_allclose(
        np.asarray(w * jnp.exp(w)), [-0.3, 0.0, 0.5, 2.0], atol=1e-6
    )


PARAMS = {
    "default": dict(tau_mem=1e-2, v_th=1.0, v_leak=0.0, v_reset=0.0),
    "leak_reset": dict(tau_mem=1e-2, v_th=1.0, v_leak=0.3, v_reset=-0.2),
    "equal_tau": dict(tau_mem=5e-3, v_th=1.0, v_leak=0.0, v_reset=0.0),
    "ratio_3": dict(tau_mem=1.5e-2, v_th=1.0, v_leak=0.0, v_reset=0.0),
}


@pytest.mark.parametrize("name", list(PARAMS))
def test_layer_spikes_match_numpy_reference(name):
    kw = PARAMS[name]
    params = es.LIFParameters(tau_syn=TAU_SYN, **kw)
    rng = np.random.default_rng(2)
    w = rng.normal(1.2, 0.8, (3, 4)).astype(np.float32)
    times = np.sort(rng.uniform(0, 0.012, 6)).astype(np.float32)
    idx = rng.integers(0, 3, 6).astype(np.int32)
    _, apply = es.LIF(4, 80, T_MAX, params)
    _, _, out, _ = apply(
        [es.WeightInput(jnp.asarray(w))],
        es.EventPropSpike(jnp.asarray(times), jnp.asarray(idx), jnp.zeros(6)),
    )
    ref = simulate_layer(times, idx, w, tau_syn=TAU_SYN, t_max=T_MAX, **kw)
    own = np.asarray(out.idx) >= 3
    got = list(
        zip(np.asarray(out.time)[own], np.asarray(out.idx)[own] - 3, strict=False)
    )
    assert len(got) == len(ref) > 2
    for (tg, ig), (tr, ir) in zip(got, ref, strict=False):
        assert ig == ir
        assert abs(tg - tr) < 1e-6
    # pass-through inputs are all there, in time order
    np.testing.assert_array_equal(
        np.sort(np.asarray(out.idx)[(np.asarray(out.idx) >= 0) & ~own]), np.sort(idx)
    )
    assert np.all(np.diff(out.time) >= 0)
    assert not bool(out.overflow)


def test_v_leak_is_honoured():
    # a neuron with v_leak above threshold fires without any input
    params = es.LIFParameters(v_th=1.0, v_leak=1.5)
    _, apply = es.LIF(1, 5, T_MAX, params)
    inp = es.EventPropSpike(jnp.array([T_MAX]), jnp.array([-1]), jnp.zeros(1))
    _, _, out, _ = apply([es.WeightInput(jnp.ones((1, 1)))], inp)
    assert np.sum(np.asarray(out.idx) == 1) >= 1
    # and a leak changes spike times compared with v_leak = 0
    times = []
    for leak in (0.0, 0.5):
        _, apply = es.LIF(1, 5, T_MAX, es.LIFParameters(v_th=1.0, v_leak=leak))
        inp = es.EventPropSpike(jnp.array([0.0]), jnp.array([0]), jnp.zeros(1))
        _, _, out, _ = apply([es.WeightInput(jnp.full((1, 1), 5.0))], inp)
        times.append(np.asarray(out.time)[np.asarray(out.idx) == 1][0])
    assert times[1] < times[0] - 1e-4

"""Canary: the hot reductions, jitted, against a float64 numpy reference.

jax/jaxlib 0.10.2 miscompiled broadcast-multiply-then-sum under `jit` on CPU
(jax-ml/jax#39103, #39257). The package writes such reductions as dot/einsum and
excludes the broken release; this file makes a future regression of that kind fail
here, on the shapes of real use (Yin-Yang: batch 64, 5 inputs, 100-300 hidden
neurons, budgets of 50-300 events), rather than in someone's results.

Covered: the EventProp adjoint (dot products inside the reverse scan, and the sum
of the per-sample weight gradients over the batch), the first-spike (min)
reduction, the losses (log-softmax mean, silent-label penalty contractions) and
the leaky-integrator readout (einsum over events).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import eventsnn as es

TAU_SYN, TAU_MEM, V_TH = 5e-3, 1e-2, 1.0
T_MAX = 4 * TAU_SYN


def _kappa(s):
    """PSP of a unit current jump `s` seconds ago (tau_mem = 2 tau_syn), float64."""
    x = np.exp(-np.maximum(s, 0.0) / TAU_MEM)
    return np.where(s > 0, x - x * x, 0.0)


def _dkappa(s):
    x = np.exp(-np.maximum(s, 0.0) / TAU_MEM)
    return np.where(s > 0, (-x + 2 * x * x) / TAU_MEM, 0.0)


def _reference_first_spikes(times, w):
    """First spike time of every neuron (single-spike neurons), float64.

    `u_j(t) = sum_i w_ij kappa(t - t_i)`: the first crossing of `V_TH` on a fine
    grid, refined by bisection. Returns `(t, usable)`: `t` is `inf` for a silent
    neuron; `usable` is False where the peak is too close to threshold to call or
    the crossing is nearly tangent."""
    grid = np.linspace(0.0, T_MAX, 8001)
    lag = grid[:, None] - times[None, :]  # (G, n_in)
    u = _kappa(lag) @ w  # (G, n)
    above = u >= V_TH
    fired = above.any(0)
    k = np.argmax(above, axis=0)
    lo = grid[np.maximum(k - 1, 0)]
    hi = grid[k]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        up = np.einsum("ni,in->n", _kappa(mid[:, None] - times[None, :]), w) >= V_TH
        hi = np.where(up, mid, hi)
        lo = np.where(up, lo, mid)
    t = np.where(fired, hi, np.inf)
    slope = np.einsum("ni,in->n", _dkappa(np.where(fired, hi, 0)[:, None] - times), w)
    usable = np.abs(u.max(0) - V_TH) > 1e-3
    usable &= ~fired | (slope * TAU_MEM > 0.05)
    return t, usable


def _reference_grad(times, w, t_spk, coef):
    """d(sum_j coef_j t_j)/dW by the implicit function theorem:
    dt_j/dw_ij = -kappa(t_j - t_i) / sum_i' w_i'j kappa'(t_j - t_i')."""
    fired = np.isfinite(t_spk)
    t = np.where(fired, t_spk, 0.0)
    lag = t[None, :] - times[:, None]  # (n_in, n)
    slope = np.sum(w * _dkappa(lag), axis=0)
    g = -_kappa(lag) / np.where(fired, slope, 1.0)
    return np.where(fired, g * coef, 0.0)


# (batch, n_hidden, budget): the Yin-Yang network, a wide one, a small one
SHAPES = [(64, 100, 105), (16, 300, 305), (128, 20, 25)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layer", [es.EventPropLIF, es.LIF])
def test_layer_times_and_gradients_against_float64(shape, layer):
    batch, n, budget = shape
    rng = np.random.default_rng(n)
    n_in = 5
    w = rng.normal(1.6, 1.0, (n_in, n)).astype(np.float32)
    times = rng.uniform(0.0, 2 * TAU_SYN, (batch, n_in)).astype(np.float32)
    times.sort(axis=1)
    # input neuron idx[b, k] spikes at times[b, k]
    idx = np.argsort(rng.uniform(size=(batch, n_in)), axis=1).astype(np.int32)
    w64 = w.astype(np.float64)
    t_ref = np.empty((batch, n))
    usable = np.empty((batch, n), bool)
    t_in = np.empty((batch, n_in))
    for b in range(batch):
        t_in[b, idx[b]] = times[b]
        t_ref[b], usable[b] = _reference_first_spikes(t_in[b], w64)
    # weigh each first spike in the loss; near-tangent crossings (ill-conditioned
    # in float32: d t / d w ~ 1 / slope) get weight 0
    coef = rng.uniform(0.5, 1.5, (batch, n)) * usable

    params = es.LIFParameters(TAU_SYN, TAU_MEM, V_TH, 0.0, -1000.0)
    _, apply = es.serial(layer(n, budget, T_MAX, params))
    t_j, idx_j = jnp.asarray(times), jnp.asarray(idx)
    spikes = es.EventPropSpike(t_j, idx_j, jnp.zeros_like(t_j))

    def loss(wj):
        out = apply([es.WeightInput(wj)], spikes)[2]
        first = es.first_spike(out, n_in, n, jnp.inf)
        hit = jnp.where(jnp.isfinite(first), first, 0.0)
        return jnp.einsum("bn,bn->", hit, jnp.asarray(coef, jnp.float32)), first

    (_, first), g = jax.jit(jax.value_and_grad(loss, has_aux=True))(jnp.asarray(w))
    first, g = np.asarray(first, np.float64), np.asarray(g, np.float64)

    np.testing.assert_array_equal(
        np.isfinite(first)[usable], np.isfinite(t_ref)[usable]
    )
    both = usable & np.isfinite(t_ref)
    assert both.sum() > batch * n // 4  # most neurons spike: a real test
    np.testing.assert_allclose(first[both], t_ref[both], rtol=0, atol=2e-6)
    g_ref = sum(_reference_grad(t_in[b], w64, t_ref[b], coef[b]) for b in range(batch))
    np.testing.assert_allclose(g, g_ref, rtol=0, atol=1e-4 * np.abs(g_ref).max())


@pytest.mark.parametrize("shape", [(64, 128, 3), (256, 53, 3), (16, 305, 10)])
def test_first_spike_and_losses_against_float64(shape):
    batch, n_events, n_out = shape
    rng = np.random.default_rng(n_events)
    start = 105
    idx = rng.integers(-1, start + n_out, (batch, n_events)).astype(np.int32)
    time = np.sort(rng.uniform(0, T_MAX, (batch, n_events)), axis=1).astype(np.float32)
    spikes = es.EventPropSpike(
        jnp.asarray(time), jnp.asarray(idx), jnp.zeros_like(jnp.asarray(time))
    )
    first = np.asarray(
        jax.jit(es.first_spike, static_argnums=(1, 2, 3))(spikes, start, n_out, T_MAX)
    )
    ref = np.full((batch, n_out), T_MAX)
    for b in range(batch):
        for k in range(n_out):
            hit = time[b][idx[b] == start + k]
            if hit.size:
                ref[b, k] = min(ref[b, k], hit.min())
    np.testing.assert_allclose(first, ref, rtol=0, atol=1e-7)

    labels = rng.integers(0, n_out, batch).astype(np.int32)
    tau = 5e-4
    ce = float(
        jax.jit(es.ttfs_cross_entropy, static_argnums=2)(
            jnp.asarray(first), jnp.asarray(labels), tau
        )
    )
    z = -ref / tau
    logp = z - z.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    np.testing.assert_allclose(ce, -logp[np.arange(batch), labels].mean(), rtol=1e-4)


@pytest.mark.parametrize("shape", [(64, 120, 3), (256, 100, 3), (32, 300, 10)])
def test_silent_label_penalty_against_float64(shape):
    batch, n_hidden, n_out = shape
    rng = np.random.default_rng(n_hidden)
    first = rng.choice([T_MAX, 0.01, 0.012], (batch, n_out)).astype(np.float32)
    labels = rng.integers(0, n_out, batch).astype(np.int32)
    fired = rng.uniform(size=(batch, n_hidden)) < 0.6
    w_out = rng.normal(1.0, 1.0, (n_hidden, n_out)).astype(np.float32)
    args = (
        jnp.asarray(first),
        jnp.asarray(labels),
        T_MAX,
        jnp.asarray(fired),
        jnp.asarray(w_out),
    )
    got = float(jax.jit(es.silent_label_penalty, static_argnums=2)(*args))
    silent = first[np.arange(batch), labels] >= T_MAX
    push = np.array(
        [
            fired[b] @ w_out[:, labels[b]].astype(np.float64) / n_hidden
            for b in range(batch)
        ]
    )
    want = -(silent * push).sum() / batch
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    # and its gradient: minus the fired fraction on the label's column, per silent sample
    g = np.asarray(
        jax.jit(jax.grad(es.silent_label_penalty, argnums=4), static_argnums=2)(*args)
    )
    g_ref = np.zeros((n_hidden, n_out))
    for b in range(batch):
        if silent[b]:
            g_ref[:, labels[b]] -= fired[b] / (n_hidden * batch)
    np.testing.assert_allclose(g, g_ref, rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("shape", [(20, 53, 3), (50, 128, 10)])
def test_leaky_integrator_against_float64(shape):
    steps, n_events, size = shape
    rng = np.random.default_rng(steps)
    n_in = 40
    tau_mem, tau_syn = 1.5e-2, 5e-3  # a general ratio
    params = es.LIParameters(tau_syn=tau_syn, tau_mem=tau_mem, v_leak=0.0)
    w = rng.normal(0.5, 1.0, (n_in, size)).astype(np.float32)
    time = np.sort(rng.uniform(0, T_MAX, n_events)).astype(np.float32)
    idx = rng.integers(-1, n_in, n_events).astype(np.int32)
    _, apply = es.LeakyIntegrator(size, T_MAX, params, time_steps=steps)
    spikes = es.EventPropSpike(jnp.asarray(time), jnp.asarray(idx), jnp.zeros(n_events))
    state = jax.jit(lambda w_, s: apply([es.WeightInput(w_)], s)[2])(
        jnp.asarray(w), spikes
    )
    grid = np.linspace(0.0, T_MAX, steps)
    lag = grid[:, None] - time[None, :].astype(np.float64)
    after = (lag >= 0) & (idx[None, :] >= 0)
    lag = np.where(after, lag, 0.0)
    k = np.where(
        after,
        tau_syn
        / (tau_mem - tau_syn)
        * (np.exp(-lag / tau_mem) - np.exp(-lag / tau_syn)),
        0.0,
    )
    a = np.where(after, np.exp(-lag / tau_syn), 0.0)
    rows = w[np.maximum(idx, 0)].astype(np.float64)
    np.testing.assert_allclose(
        np.asarray(state.V), k @ rows, rtol=0, atol=1e-5 * np.abs(rows).sum()
    )
    np.testing.assert_allclose(
        np.asarray(state.I), a @ rows, rtol=0, atol=1e-5 * np.abs(rows).sum()
    )

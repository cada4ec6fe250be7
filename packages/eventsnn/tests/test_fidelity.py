"""jaxsnn's semantics: simultaneous spikes, the initial membrane state, the currents
of passed-through events, and the `(init, apply)` model of the NIR data helpers.

Expected values are derived by hand (closed forms of the current-based LIF with
`tau_mem = 2 tau_syn`) or by the plain-numpy simulation in `eventsnn_reference`.
"""

from typing import Any, cast

import jax
import jax.numpy as jnp
import nir
import numpy as np
import pytest
from eventsnn_reference import simulate_layer

import eventsnn as es

TAU_SYN, TAU_MEM = 5e-3, 1e-2
T_MAX = 0.1
T_IN = 0.01


def single_input_spike_time(w, v_th=1.0):
    """Spike time after one input spike of weight `w` at T_IN (tau_mem = 2 tau_syn,
    V and I start at 0): `u = w (x - x^2)` with `x = exp(-s / tau_mem)`, so the
    first crossing is the larger root `x = (1 + sqrt(1 - 4 v_th / w)) / 2`."""
    x = (1.0 + np.sqrt(1.0 - 4.0 * v_th / w)) / 2.0
    s = -TAU_MEM * np.log(x)
    # ds/dw, from x'(w) = v_th / (w^2 sqrt(1 - 4 v_th / w))
    dx = v_th / (w * w * np.sqrt(1.0 - 4.0 * v_th / w))
    return T_IN + s, -TAU_MEM * dx / x, w * x * x  # time, d time / d w, current


def _first_of(ref, n):
    return [min((t for t, j in ref if j == k), default=T_MAX) for k in range(n)]


def _one_input():
    return es.EventPropSpike(jnp.array([T_IN]), jnp.array([0]), jnp.array([0.0]))


LAYERS = {
    "LIF": lambda *a: es.LIF(*a),
    "EventPropLIF": lambda *a: es.EventPropLIF(*a),
    "wrap_only_step": lambda *a: es.EventPropLIF(*a, wrap_only_step=True),
}


@pytest.mark.parametrize("layer", list(LAYERS))
def test_simultaneous_spikes_are_all_emitted(layer):
    # issue 11, item 3: both neurons reach threshold at the same instant
    params = es.LIFParameters(v_th=1.0, v_reset=-1000.0)
    _, apply = LAYERS[layer](3, 8, T_MAX, params)
    w = es.WeightInput(jnp.array([[4.5, 0.0, 4.5]]))
    out = apply([w], _one_input())[2]
    t, idx, cur = (np.asarray(a) for a in (out.time, out.idx, out.current))
    t_ref, _, i_ref = single_input_spike_time(4.5)
    assert abs(t_ref - 14.0547e-3) < 1e-7  # the instant named in the issue
    own = idx >= 1
    np.testing.assert_array_equal(idx[own], [1, 3])
    np.testing.assert_allclose(t[own], [t_ref, t_ref], rtol=0, atol=1e-7)
    np.testing.assert_allclose(cur[own], [i_ref, i_ref], rtol=1e-5)
    assert np.all(np.diff(t) >= 0)
    assert not bool(out.overflow)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_simultaneous_spikes_have_their_own_gradients(layer):
    params = es.LIFParameters(v_th=1.0, v_reset=-1000.0)
    _, apply = LAYERS[layer](3, 8, T_MAX, params)

    def loss(w):
        out = apply([es.WeightInput(w)], _one_input())[2]
        first = es.first_spike(out, 1, 3, T_MAX)
        return first[0] + 2.0 * first[2]

    g = np.asarray(jax.grad(loss)(jnp.array([[4.5, 0.0, 4.5]])))
    _, dtdw, _ = single_input_spike_time(4.5)
    np.testing.assert_allclose(g, [[dtdw, 0.0, 2.0 * dtdw]], rtol=1e-3, atol=1e-9)


def test_simultaneous_spikes_with_resets_match_the_numpy_reference():
    # three identical neurons spike together again and again (v_reset = 0), a
    # fourth one on its own; every event of the reference simulation is there
    kw = dict(tau_mem=TAU_MEM, tau_syn=TAU_SYN, v_th=1.0, v_leak=0.0, v_reset=0.0)
    w = np.array([[6.0, 6.0, 6.0, 5.0], [3.0, 3.0, 3.0, 0.5]], np.float32)
    times = np.array([0.0, 0.004], np.float32)
    idx = np.array([0, 1], np.int32)
    ref = simulate_layer(times, idx, w, t_max=T_MAX, **kw)
    ref_together = [j for _, j in ref if j < 3]
    assert len(ref_together) >= 6 and len(ref_together) % 3 == 0
    for layer in LAYERS.values():
        _, apply = layer(4, 60, T_MAX, es.LIFParameters(**kw))
        inp = es.EventPropSpike(jnp.asarray(times), jnp.asarray(idx), jnp.zeros(2))
        out = apply([es.WeightInput(jnp.asarray(w))], inp)[2]
        own = np.asarray(out.idx) >= 2
        got_t = np.asarray(out.time)[own]
        got_i = np.asarray(out.idx)[own] - 2
        assert len(got_t) == len(ref)
        np.testing.assert_allclose(got_t, [t for t, _ in ref], atol=1e-6)
        # within a group of simultaneous spikes the order is free; compare sets
        for tr in sorted({round(t, 7) for t, _ in ref}):
            want = sorted(j for t, j in ref if abs(t - tr) < 1e-6)
            have = sorted(got_i[np.abs(got_t - tr) < 1e-6].tolist())
            assert have == want


# ---------------------------------------------------------------------------------
# item 4: the initial membrane state


@pytest.mark.filterwarnings("ignore::eventsnn.BudgetOverflowWarning")
def test_membrane_starts_at_zero_by_default():
    # v_leak = 2 > v_th = 1: from V = 0 the neuron relaxes towards 2 and crosses 1
    # at tau_mem ln 2 (V = 2 (1 - exp(-t / tau_mem))), not at t = 0
    params = es.LIFParameters(v_th=1.0, v_leak=2.0, v_reset=0.0)
    no_input = es.EventPropSpike(jnp.array([T_MAX]), jnp.array([-1]), jnp.zeros(1))
    w = [es.WeightInput(jnp.zeros((1, 1)))]
    out = es.LIF(1, 4, T_MAX, params)[1](w, no_input)[2]
    t = np.asarray(out.time)[np.asarray(out.idx) == 1]
    # after each reset to 0 the same relaxation repeats
    np.testing.assert_allclose(t, TAU_MEM * np.log(2.0) * np.arange(1, 5), rtol=1e-5)
    # the previous behaviour, starting at rest, is an explicit option
    out = es.LIF(1, 4, T_MAX, params, v_init="v_leak")[1](w, no_input)[2]
    t = np.asarray(out.time)[np.asarray(out.idx) == 1]
    np.testing.assert_allclose(t, TAU_MEM * np.log(2.0) * np.arange(4), atol=1e-7)
    # and any other starting potential, per neuron
    out = es.LIF(1, 4, T_MAX, params, v_init=np.array([0.5]))[1](w, no_input)[2]
    t0 = np.asarray(out.time)[np.asarray(out.idx) == 1][0]
    np.testing.assert_allclose(t0, TAU_MEM * np.log(1.5), rtol=1e-5)


@pytest.mark.parametrize("v_init", [0.0, "v_leak", -0.3])
def test_initial_state_matches_the_numpy_reference(v_init):
    kw = dict(tau_mem=TAU_MEM, tau_syn=TAU_SYN, v_th=1.0, v_leak=0.4, v_reset=-0.2)
    rng = np.random.default_rng(5)
    w = rng.normal(2.0, 0.8, (3, 4)).astype(np.float32)
    times = np.sort(rng.uniform(0, 0.012, 6)).astype(np.float32)
    idx = rng.integers(0, 3, 6).astype(np.int32)
    ref = simulate_layer(times, idx, w, t_max=T_MAX, v_init=v_init, **kw)
    inp = es.EventPropSpike(jnp.asarray(times), jnp.asarray(idx), jnp.zeros(6))
    for layer in (es.LIF, es.EventPropLIF):
        _, apply = layer(4, 60, T_MAX, es.LIFParameters(**kw), v_init=v_init)
        out = apply([es.WeightInput(jnp.asarray(w))], inp)[2]
        own = np.asarray(out.idx) >= 3
        assert len(ref) > 3
        np.testing.assert_allclose(
            np.asarray(out.time)[own], [t for t, _ in ref], atol=1e-6
        )
        np.testing.assert_array_equal(np.asarray(out.idx)[own] - 3, [j for _, j in ref])


def test_initial_state_changes_spike_times_with_a_leak():
    # with v_leak = 0.4 the two initial states give different spike times
    kw = dict(tau_mem=TAU_MEM, tau_syn=TAU_SYN, v_th=1.0, v_leak=0.4, v_reset=-1e3)
    w = np.array([[3.0, 4.0]], np.float32)
    first = {}
    for v_init in (0.0, "v_leak"):
        ref = simulate_layer([T_IN], [0], w, t_max=T_MAX, v_init=v_init, **kw)
        _, apply = es.LIF(2, 8, T_MAX, es.LIFParameters(**kw), v_init=v_init)
        out = apply([es.WeightInput(jnp.asarray(w))], _one_input())[2]
        first[v_init] = np.asarray(es.first_spike(out, 1, 2, T_MAX))
        np.testing.assert_allclose(first[v_init], _first_of(ref, 2), atol=1e-6)
    assert np.all(np.abs(first[0.0] - first["v_leak"]) > 1e-4)


def test_bad_v_init_is_refused():
    with pytest.raises(ValueError, match="v_init"):
        es.LIF(2, 4, T_MAX, es.LIFParameters(), v_init="rest")
    with pytest.raises(ValueError, match="v_init"):
        es.LIF(2, 4, T_MAX, es.LIFParameters(), v_init=np.zeros(3))


def test_leaky_integrator_starts_at_zero_by_default():
    params = es.LIParameters(tau_mem=TAU_MEM, tau_syn=TAU_SYN, v_leak=0.5)
    no_input = es.EventPropSpike(jnp.array([T_MAX]), jnp.array([-1]), jnp.zeros(1))
    w = [es.WeightInput(jnp.zeros((1, 2)))]
    grid = np.linspace(0.0, T_MAX, 20)
    v = np.asarray(es.LeakyIntegrator(2, T_MAX, params)[1](w, no_input)[2].V)
    np.testing.assert_allclose(v[:, 0], 0.5 * (1 - np.exp(-grid / TAU_MEM)), atol=1e-6)
    li = es.LeakyIntegrator(2, T_MAX, params, v_init="v_leak")
    v = np.asarray(li[1](w, no_input)[2].V)
    np.testing.assert_allclose(v, 0.5, atol=1e-6)


def test_from_nir_passes_v_init():
    n = 2
    graph = nir.NIRGraph.from_list(
        nir.Linear(np.array([[3.0], [4.0]])),
        nir.CubaLIF(
            tau_syn=np.full(n, 5.0),
            tau_mem=np.full(n, 10.0),
            r=np.ones(n),
            v_leak=np.full(n, 0.4),
            v_threshold=np.ones(n),
            v_reset=np.full(n, -1e3),
        ),
    )
    key = next(k for k, v in graph.nodes.items() if isinstance(v, nir.CubaLIF))
    first = {}
    for v_init in (0.0, "v_leak"):
        cfg = es.ConversionConfig(t_max=T_MAX, n_spikes={key: 8}, v_init=v_init)
        init, apply = es.from_nir(graph, cfg)
        out = apply(init()[1], _one_input())[2]
        first[v_init] = np.asarray(es.first_spike(out, 1, 2, T_MAX))
    # the default is jaxsnn's V(0) = 0
    kw = dict(tau_mem=TAU_MEM, tau_syn=TAU_SYN, v_th=1.0, v_leak=0.4, v_reset=-1e3)
    w = np.array([[3.0, 4.0]])
    ref = simulate_layer([T_IN], [0], w, t_max=T_MAX, **kw)
    np.testing.assert_allclose(first[0.0], _first_of(ref, 2), atol=1e-6)
    assert np.all(np.abs(first[0.0] - first["v_leak"]) > 1e-4)


# ---------------------------------------------------------------------------------
# item 5: jaxsnn's event layout


def test_passed_through_inputs_carry_no_current():
    params = es.LIFParameters(v_th=1.0, v_reset=-1000.0)
    w = es.WeightInput(jnp.array([[3.0, 2.0], [2.0, 3.5]]))
    inp = es.EventPropSpike(
        jnp.array([0.002, 0.004]), jnp.array([0, 1]), jnp.array([5.0, 3.9])
    )
    for layer in LAYERS.values():
        out = layer(2, 8, T_MAX, params)[1]([w], inp)[2]
        idx, cur = np.asarray(out.idx), np.asarray(out.current)
        passed = (idx >= 0) & (idx < 2)
        assert passed.sum() == 2
        np.testing.assert_array_equal(cur[passed], 0.0)
        # own spikes still carry their synaptic current (> v_th for a crossing)
        assert np.all(cur[idx >= 2] > 1.0)
        # and the input's current receives no gradient (it has no effect)
        g = jax.grad(
            lambda c, lay=layer: jnp.sum(
                lay(2, 8, T_MAX, params)[1](
                    [w], es.EventPropSpike(inp.time, inp.idx, c)
                )[2].current
            )
        )(inp.current)
        np.testing.assert_array_equal(np.asarray(g), 0.0)


def _graph_and_model():
    n = 2
    graph = nir.NIRGraph.from_list(
        nir.Linear(np.array([[3.0], [4.0]])),
        nir.CubaLIF(
            tau_syn=np.full(n, 5.0),
            tau_mem=np.full(n, 10.0),
            r=np.ones(n),
            v_leak=np.zeros(n),
            v_threshold=np.ones(n),
        ),
    )
    key = next(k for k, v in graph.nodes.items() if isinstance(v, nir.CubaLIF))
    model = es.from_nir(graph, es.ConversionConfig(t_max=T_MAX, n_spikes={key: 6}))
    return key, model


def test_nir_data_helpers_accept_the_init_apply_pair():
    key, model = _graph_and_model()
    init, apply = model
    out = apply(init()[1], _one_input())[2]
    batch = jax.tree.map(lambda a: a[None], out)
    for m in (model, apply):
        data = es.to_nir_data({key: batch}, m, observables=("spikes", "current"))
        ev: Any = cast(Any, data.nodes[key]).observables["spikes"]
        np.testing.assert_array_equal(ev.idx, np.asarray(batch.idx))
        back = es.from_nir_data(data, m, observables=("spikes", "current"))[key]
        np.testing.assert_allclose(np.asarray(back.time), np.asarray(batch.time))
        np.testing.assert_allclose(
            np.asarray(back.current), np.asarray(batch.current), rtol=1e-6
        )
    with pytest.raises(TypeError, match="apply_fn"):
        es.to_nir_data({key: batch}, (init,))
    with pytest.raises(TypeError, match="apply_fn"):
        es.from_nir_data(data, object())

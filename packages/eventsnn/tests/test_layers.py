"""Layer API: indexing, padding, budget overflow, batching, errors."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import eventsnn as es

T_MAX = 2e-2
PARAMS = es.LIFParameters(v_th=1.0)
INPUT = es.EventPropSpike(
    jnp.array([0.001, 0.003, 0.004, 0.009]), jnp.array([0, 1, 2, 0]), jnp.zeros(4)
)


@pytest.fixture(scope="module")
def net():
    init, apply = es.serial(
        es.EventPropLIF(4, 12, T_MAX, PARAMS, mean=2.0, std=1.0),
        es.EventPropLIF(2, 14, T_MAX, PARAMS, mean=1.5, std=0.5),
    )
    size, weights = init(jax.random.PRNGKey(0), 3)
    assert size == 2
    return apply, weights


def test_init_shapes_defaults_and_duplication():
    init, _ = es.LIF(4, 10, T_MAX, PARAMS)
    _, size, w = init(jax.random.PRNGKey(0), 6)
    assert size == 4 and w.input.shape == (6, 4)
    # defaults mean=0.5, std=2.0
    _, _, big = init(jax.random.PRNGKey(0), 4000)
    assert abs(float(big.input.mean()) - 0.5) < 0.1
    assert abs(float(big.input.std()) - 2.0) < 0.1
    init, _ = es.EventPropLIF(4, 10, T_MAX, PARAMS, duplication=2)
    _, _, w = init(jax.random.PRNGKey(0), 6)
    np.testing.assert_array_equal(np.asarray(w.input[0]), np.asarray(w.input[1]))


def test_global_indexing_pass_through_and_padding(net):
    apply, weights = net
    carry, used, out, rec = apply(weights, INPUT)
    assert carry == (2, 7)
    assert len(used) == 2 and len(rec) == 2
    hidden = np.asarray(rec[0].idx)
    # first layer: the inputs 0..2 pass through, own spikes are 3..6
    assert set(hidden[hidden >= 0]) <= set(range(7))
    assert sorted(hidden[(hidden >= 0) & (hidden < 3)].tolist()) == [0, 0, 1, 2]
    assert np.any(hidden >= 3)
    # second layer: only the hidden spikes pass through, own spikes are 7..8
    o = np.asarray(out.idx)
    assert set(o[o >= 0]) <= set(range(3, 9))
    assert np.all(np.diff(out.time) >= 0)
    pad = o == -1
    np.testing.assert_array_equal(np.asarray(out.time)[pad], np.float32(T_MAX))


# The small budgets overflow (flagged and warned, tested elsewhere); both sides
# of the comparison drop the same events.
@pytest.mark.filterwarnings("ignore::eventsnn.BudgetOverflowWarning")
def test_built_in_batching_matches_single_samples(net):
    apply, weights = net
    other = es.EventPropSpike(
        jnp.array([0.002, 0.0025, 0.006, 0.01]), jnp.array([2, 1, 0, 2]), jnp.zeros(4)
    )
    batch = jax.tree.map(lambda a, b: jnp.stack([a, b]), INPUT, other)
    out = apply(weights, batch)[2]
    for i, single in enumerate([INPUT, other]):
        ref = apply(weights, single)[2]
        np.testing.assert_array_equal(np.asarray(out.idx[i]), np.asarray(ref.idx))
        np.testing.assert_allclose(np.asarray(out.time[i]), np.asarray(ref.time))


def test_budget_overflow_is_flagged_and_warned():
    _, apply = es.LIF(4, 3, T_MAX, PARAMS)
    w = [es.WeightInput(jnp.full((3, 4), 3.0))]
    with pytest.warns(es.BudgetOverflowWarning, match="n_spikes"):
        out = apply(w, INPUT)[2]
    assert bool(out.overflow)
    _, apply = es.LIF(4, 30, T_MAX, PARAMS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", es.BudgetOverflowWarning)
        out = apply(w, INPUT)[2]
    assert not bool(out.overflow)
    # inside jit: the flag, no warning
    flag = jax.jit(lambda w: es.LIF(4, 3, T_MAX, PARAMS)[1](w, INPUT)[2].overflow)(w)
    assert bool(flag)


def test_budget_overflow_warning_points_at_the_users_line():
    w = jnp.full((3, 4), 3.0)
    _, layer = es.LIF(4, 3, T_MAX, PARAMS)
    _, net = es.serial(es.LIF(4, 3, T_MAX, PARAMS))
    calls = {
        "layer": lambda: layer([es.WeightInput(w)], INPUT),
        "serial": lambda: net([es.WeightInput(w)], INPUT),
        "batched serial": lambda: net(
            [es.WeightInput(w)], jax.tree.map(lambda a: jnp.stack([a, a]), INPUT)
        ),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", es.BudgetOverflowWarning)
            call()
        assert len(caught) == 1, name
        # the lambda above, in this file: not eventsnn's internals
        assert caught[0].filename == __file__, (name, caught[0].filename)


def test_threshold_above_one_does_not_stall():
    # jaxsnn 0.2.1 resets neurons with V >= 1.0 (not v_th) at another neuron's spike
    # without emitting a spike, and then stalls; we emit both spikes (5.878 ms and
    # 9.687 ms, as an exact simulation gives).
    p = es.LIFParameters(v_th=2.0, v_reset=0.0)
    _, apply = es.LIF(3, 10, T_MAX, p)
    inp = es.EventPropSpike(jnp.array([0.0, 0.007]), jnp.array([0, 0]), jnp.zeros(2))
    out = apply([es.WeightInput(jnp.array([[8.1, 0.0, 4.2]]))], inp)[2]
    own = np.asarray(out.idx) >= 1
    np.testing.assert_allclose(
        np.asarray(out.time)[own], [5.8779e-3, 9.6872e-3], atol=1e-6
    )


def test_closed_form_solver_rejects_other_ratios():
    with pytest.raises(ValueError, match="tau_mem / tau_syn"):
        es.LIF(3, 10, T_MAX, es.LIFParameters(tau_mem=1.5e-2), solver="closed_form")
    es.LIF(3, 10, T_MAX, es.LIFParameters(tau_mem=1e-2), solver="closed_form")


def test_bad_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="tau_syn"):
        es.LIFParameters(tau_syn=-1e-3)
    with pytest.raises(ValueError, match="tau_mem"):
        es.LIFParameters(tau_mem=0.0)
    with pytest.raises(ValueError, match="v_reset"):
        es.LIFParameters(v_th=1.0, v_reset=1.5)
    with pytest.raises(ValueError, match="n_spikes"):
        es.LIF(3, 0, T_MAX, PARAMS)
    with pytest.raises(ValueError, match="one value per neuron"):
        es.LIF(3, 5, T_MAX, es.LIFParameters(v_th=jnp.ones(4)))


def test_bad_spikes_are_clear_errors():
    _, apply = es.LIF(4, 10, T_MAX, PARAMS)
    w = [es.WeightInput(jnp.ones((3, 4)))]
    unsorted = es.EventPropSpike(
        jnp.array([0.003, 0.001]), jnp.array([0, 1]), jnp.zeros(2)
    )
    with pytest.raises(ValueError, match="sorted in time"):
        apply(w, unsorted)
    out_of_range = es.EventPropSpike(
        jnp.array([0.001, 0.002]), jnp.array([0, 3]), jnp.zeros(2)
    )
    with pytest.raises(ValueError, match="below 3"):
        apply(w, out_of_range)
    with pytest.raises(ValueError, match=r"shape \(n_in, 4\)"):
        apply([es.WeightInput(jnp.ones((3, 5)))], INPUT)
    with pytest.raises(TypeError, match="EventPropSpike"):
        apply(w, (INPUT.time, INPUT.idx))
    # padding anywhere is fine
    padded = es.EventPropSpike(
        jnp.array([0.001, jnp.inf, 0.002]), jnp.array([0, -1, 1]), jnp.zeros(3)
    )
    apply(w, padded)


def test_local_spikes_option(net):
    apply, weights = net
    _, _, _, rec = apply(weights, INPUT)
    local = es.local_spikes(rec[0], 3, 4)
    idx = np.asarray(local.idx)
    n_own = int(np.sum(np.asarray(rec[0].idx) >= 3))
    assert n_own > 0
    assert np.all((idx[:n_own] >= 0) & (idx[:n_own] < 4)) and np.all(idx[n_own:] == -1)
    np.testing.assert_array_equal(
        np.asarray(local.time)[:n_own],
        np.asarray(rec[0].time)[np.asarray(rec[0].idx) >= 3],
    )


def test_recurrent_init_ignores_extra_means_like_jaxsnn():
    # jaxsnn's own tests pass two means for one sub-layer; the input weights are
    # those of a feed-forward layer drawn from the same key
    params = es.LIFParameters(v_th=1.0, v_reset=-1000.0)
    key = jax.random.PRNGKey(42)
    init_r, _ = es.serial(
        es.RecurrentLIF([4], 10, T_MAX, params, mean=[3.0, 0.5], std=[1.6, 0.8])
    )
    init_f, _ = es.serial(es.LIF(4, 10, T_MAX, params, mean=3.0, std=1.6))
    np.testing.assert_array_equal(
        init_r(key, 3)[1][0].input, init_f(key, 3)[1][0].input
    )
    with pytest.raises(ValueError, match="one mean and one std per sub-layer"):
        es.RecurrentLIF([4, 2], 10, T_MAX, params, mean=[3.0], std=[1.0, 1.0])

"""NIR import and export."""

from typing import Any

import jax
import jax.numpy as jnp
import nir
import numpy as np
import pytest

import eventsnn as es

T_MAX = 2e-2
PARAMS = es.LIFParameters(v_th=1.0)
INPUT = es.EventPropSpike(
    jnp.array([0.001, 0.003, 0.004, 0.009]), jnp.array([0, 1, 2, 0]), jnp.zeros(4)
)


def _cuba(n, **kw):
    base: dict[str, Any] = dict(
        tau_syn=np.full(n, 5.0),
        tau_mem=np.full(n, 10.0),
        r=np.ones(n),
        v_leak=np.zeros(n),
        v_threshold=np.ones(n),
        v_reset=np.zeros(n),
    )
    base.update(kw)
    return nir.CubaLIF(**base)


def _graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def _chain(**overrides):
    nodes = {
        "input": nir.Input(input_type={"input": np.array([3])}),
        "linear": nir.Linear(weight=np.full((4, 3), 2.0, np.float32)),
        "lif": _cuba(4),
        "linear_1": nir.Linear(weight=np.full((2, 4), 1.0, np.float32)),
        "lif_1": _cuba(2),
        "output": nir.Output(output_type={"output": np.array([2])}),
    }
    nodes.update(overrides)
    edges = [
        ("input", "linear"),
        ("linear", "lif"),
        ("lif", "linear_1"),
        ("linear_1", "lif_1"),
        ("lif_1", "output"),
    ]
    return nodes, edges


CONFIG = es.ConversionConfig(t_max=T_MAX, n_spikes={"lif": 20, "lif_1": 30})


def test_from_nir_builds_the_network():
    init, apply = es.from_nir(_graph(*_chain()), CONFIG)
    _, weights = init(None, None)
    assert [w.input.shape for w in weights] == [(3, 4), (4, 2)]
    assert apply.t_max == T_MAX and apply.n_spikes == {"lif": 20, "lif_1": 30}
    _, _, out, rec = apply(weights, INPUT)
    assert np.any(np.asarray(rec[0].idx) >= 3)
    assert out.time.shape == (30,)


def test_round_trip_through_file_reproduces_spikes(tmp_path):
    key = jax.random.PRNGKey(3)
    init, apply = es.serial(
        es.EventPropLIF(6, 20, T_MAX, PARAMS, mean=2.0, std=1.0),
        es.EventPropLIF(2, 30, T_MAX, PARAMS, mean=1.5, std=1.0),
    )
    _, weights = init(key, 3)
    reference = apply(weights, INPUT)[3]
    graph = es.to_nir(weights, PARAMS)
    nir.write(tmp_path / "net.nir", graph)
    loaded = nir.read(tmp_path / "net.nir")
    config = es.ConversionConfig(t_max=T_MAX, n_spikes={"cubalif": 20, "cubalif_1": 30})
    init2, apply2 = es.from_nir(loaded, config)
    _, weights2 = init2(None, None)
    for a, b in zip(weights, weights2, strict=True):
        np.testing.assert_array_equal(np.asarray(a.input), np.asarray(b.input))
    again = apply2(weights2, INPUT)[3]
    assert np.any(np.asarray(reference[-1].idx) >= 9)
    for a, b in zip(reference, again, strict=True):
        np.testing.assert_array_equal(np.asarray(a.idx), np.asarray(b.idx))
        np.testing.assert_array_equal(np.asarray(a.time), np.asarray(b.time))


def test_heterogeneous_parameters_are_supported():
    nodes, edges = _chain(lif=_cuba(4, v_threshold=np.array([1.0, 1.2, 0.8, 1.0])))
    init, apply = es.from_nir(_graph(nodes, edges), CONFIG)
    _, _, out, _ = apply(init(None, None)[1], INPUT)
    assert out.time.shape == (30,)
    with pytest.raises(ValueError, match="may not differ"):
        es.convert_to_number(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="not a numpy array"):
        es.convert_to_number(1.0)
    assert es.convert_to_number(np.array([2.0, 2.0])) == 2.0


def _error(nodes, edges, config=CONFIG):
    return es.from_nir(_graph(nodes, edges), config)


def test_missing_n_spikes_is_a_key_error():
    with pytest.raises(KeyError, match="lif_1"):
        _error(*_chain(), es.ConversionConfig(t_max=T_MAX, n_spikes={"lif": 10}))


def test_unsupported_nodes_and_structures():
    nodes, edges = _chain(
        lif=nir.LIF(
            tau=np.ones(4), r=np.ones(4), v_leak=np.zeros(4), v_threshold=np.ones(4)
        )
    )
    with pytest.raises(NotImplementedError, match="'lif'"):
        _error(nodes, edges)
    nodes, edges = _chain(linear=nir.Affine(weight=np.ones((4, 3)), bias=np.ones(4)))
    with pytest.raises(NotImplementedError, match="bias"):
        _error(nodes, edges)
    # branch
    nodes, edges = _chain()
    with pytest.raises(NotImplementedError, match="feed-forward"):
        _error(nodes, [*edges, ("input", "linear_1")])
    # Linear -> Linear
    nodes, edges = _chain()
    nodes["extra"] = nir.Linear(weight=np.ones((4, 4)))
    edges = [("input", "linear"), ("linear", "extra"), ("extra", "lif"), *edges[2:]]
    with pytest.raises(NotImplementedError, match="two synapses"):
        _error(nodes, edges)
    # Input -> CubaLIF without a synapse
    nodes, edges = _chain()
    edges = [("input", "lif"), *edges[2:]]
    del nodes["linear"]
    with pytest.raises(NotImplementedError, match="without a synapse"):
        _error(nodes, edges)
    # w_in != 1, r != 1
    with pytest.raises(NotImplementedError, match="w_in"):
        _error(*_chain(lif=_cuba(4, w_in=np.full(4, 2.0))))
    with pytest.raises(NotImplementedError, match="R has to be 1"):
        _error(*_chain(lif=_cuba(4, r=np.full(4, 2.0))))


def test_cycles_shapes_and_edges():
    nodes, edges = _chain()
    edges = [*edges[:-1], ("lif_1", "linear")]
    with pytest.raises(ValueError, match="cycle"):
        _error(nodes, edges)
    nodes, edges = _chain(linear_1=nir.Linear(weight=np.ones((2, 5))))
    with pytest.raises(ValueError, match="linear_1"):
        _error(nodes, edges)
    nodes, edges = _chain()
    with pytest.raises(KeyError, match="edges"):
        _error(nodes, [*edges, ("lif", "nowhere")])
    nodes, edges = _chain()
    del nodes["input"]
    with pytest.raises(KeyError):
        _error(nodes, edges)
    nodes, edges = _chain(lif=_cuba(4, tau_mem=np.full(4, -10.0)))
    with pytest.raises(ValueError, match="tau_mem"):
        _error(nodes, edges)


def test_neuron_to_neuron_gets_identity_synapse():
    nodes, edges = _chain()
    nodes["lif_1"] = _cuba(4)
    del nodes["linear_1"]
    edges = [
        ("input", "linear"),
        ("linear", "lif"),
        ("lif", "lif_1"),
        ("lif_1", "output"),
    ]
    init, _ = _error(nodes, edges)
    np.testing.assert_array_equal(np.asarray(init(None, None)[1][1].input), np.eye(4))


def test_nir_data_round_trip():
    _, apply = es.from_nir(_graph(*_chain()), CONFIG)
    spikes = es.EventPropSpike(
        jnp.array([[0.001, 0.002, T_MAX]]),
        jnp.array([[3, 5, -1]]),
        jnp.array([[0.5, 1.5, 0.0]]),
    )
    data = es.to_nir_data({"lif": spikes}, apply, observables=("spikes", "current"))
    node = data.nodes["lif"]
    assert isinstance(node, nir.NIRNodeData)
    assert node.observables["spikes"].n_neurons == 4
    back = es.from_nir_data(data, apply, observables=("spikes", "current"))["lif"]
    np.testing.assert_array_equal(np.asarray(back.idx), np.asarray(spikes.idx))
    np.testing.assert_allclose(np.asarray(back.time), np.asarray(spikes.time))
    np.testing.assert_allclose(np.asarray(back.current), np.asarray(spikes.current))
    # time-gridded boolean data uses the node's event budget; missing -> 2 t_max
    grid = np.zeros((1, 5, 4), dtype=bool)
    grid[0, 1, 2] = True
    gd = nir.data_ir.NIRGraphData(
        {
            "lif": nir.data_ir.NIRNodeData(
                {"spikes": nir.data_ir.TimeGriddedData(grid, 1e-3)}
            )
        }
    )
    ev = es.from_nir_data(gd, apply)["lif"]
    assert ev.time.shape == (1, 20)
    assert float(ev.time[0, 0]) == pytest.approx(1e-3)
    assert float(ev.time[0, 1]) == pytest.approx(2 * T_MAX)
    with pytest.raises(TypeError, match="n_samples"):
        es.to_nir_data({"lif": jax.tree.map(lambda a: a[0], spikes)}, apply)


def _cuba_li(n):
    return nir.CubaLI(
        tau_syn=np.full(n, 5.0),
        tau_mem=np.full(n, 10.0),
        r=np.ones(n),
        v_leak=np.zeros(n),
    )


def test_cuba_li_readout():
    nodes, edges = _chain(lif_1=_cuba_li(2))
    config = es.ConversionConfig(t_max=T_MAX, n_spikes={"lif": 20}, time_steps=11)
    init, apply = es.from_nir(_graph(nodes, edges), config)
    _, weights = init(None, None)
    _, _, state, rec = apply(weights, INPUT)
    assert state.V.shape == (11, 2)
    # independent check: sum of closed-form PSPs of the hidden spikes
    hidden = rec[0]
    t_grid = np.linspace(0, T_MAX, 11)
    ref = np.zeros((11, 2))
    for t_e, i_e in zip(np.asarray(hidden.time), np.asarray(hidden.idx), strict=True):
        if 3 <= i_e < 7:
            lag = np.clip(t_grid - t_e, 0, None)
            psp = np.exp(-lag / 0.01) - np.exp(-lag / 0.005)  # tau_s/(tau_m-tau_s) = 1
            ref += np.where(t_grid >= t_e, psp, 0.0)[:, None] * 1.0
    np.testing.assert_allclose(np.asarray(state.V), ref, atol=1e-5)
    assert es.max_over_time(state).shape == (2,)
    # a readout must be last
    nodes, edges = _chain(lif=_cuba_li(4))
    with pytest.raises(NotImplementedError, match="last layer"):
        es.from_nir(_graph(nodes, edges), CONFIG)

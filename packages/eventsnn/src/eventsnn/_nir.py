"""Conversion between NIR graphs and eventsnn networks (`from_nir`, `to_nir`).

Conventions (documented, unlike jaxsnn): NIR time constants are in milliseconds and
are divided by 1000 (`ConversionConfig.time_scale`); a `Linear`/`Affine` weight of
NIR shape `(out, in)` becomes `WeightInput(weight.T)`; a spike through weight `w`
makes the synaptic current jump by `w` (NIR's `w_in` must be 1, `r` must be 1).
"""

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol, cast

import jax.numpy as jnp
import nir
import numpy as np
from jaxtyping import ArrayLike

from ._layers import LIF, EventPropLIF, HardwareLIF, serial
from ._params import LIFParameters, LIParameters
from ._readout import LeakyIntegrator
from ._types import WeightInput

DUMMY_LAYER = (nir.Input, nir.Output)
NEURON_LAYER = (nir.CubaLIF, nir.CubaLI)
SYN_LAYER = (nir.Affine, nir.Linear)


@dataclasses.dataclass
class ConversionConfig:
    """Configuration of [`eventsnn.from_nir`][].

    **Arguments:**

    - `t_max`: end of the simulation in seconds.
    - `n_spikes`: event budget per `CubaLIF` node key.
    - `external`: replay externally recorded spikes ([`eventsnn.HardwareLIF`][]).
    - `duplication`: weight duplication factor passed to the layers.
    - `solver`: `"eventprop"` (EventProp gradients) or `"analytical"` (autodiff).
    - `time_scale`: factor from NIR time units to seconds (default `1e-3`: NIR
        time constants are in ms).
    - `time_steps`: grid points of a `CubaLI` readout ([`eventsnn.LeakyIntegrator`][]).
    - `v_init`: the membrane potential of every neuron at `t = 0` (default `0.0`,
        as in jaxsnn; `"v_leak"` starts at rest), see [`eventsnn.LIF`][].
    """

    t_max: float
    n_spikes: dict[str, int]
    external: bool = False
    duplication: int | None = None
    solver: str = "eventprop"
    time_scale: float = 1e-3
    time_steps: int = 20
    v_init: float | str | ArrayLike = 0.0


class NIRApplyFn(Protocol):
    """The `apply_fn` of [`eventsnn.from_nir`][]: the [`eventsnn.serial`][] network,
    carrying the conversion's `t_max`, `n_spikes` and layer `sizes`."""

    t_max: float
    n_spikes: dict[str, int]
    sizes: dict[str, int]

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


def bias_is_zero(obj) -> bool:
    """Whether every entry of a bias is zero."""
    return bool(np.all(np.asarray(obj) == 0))


def is_homogeneous(arr) -> bool:
    """Whether all entries of an array equal the first."""
    arr = np.atleast_1d(np.asarray(arr))
    return bool(np.all(arr == arr.flat[0]))


def convert_to_number(param):
    """The single value of a homogeneous numpy parameter array.

    **Raises:**

    `TypeError` if `param` is not a numpy array; `ValueError` if its entries differ.
    """
    if not isinstance(param, np.ndarray):
        raise TypeError(f"Parameter {param} is not a numpy array.")
    if not is_homogeneous(param):
        raise ValueError("Paramaters may not differ for neurons of the same layer.")
    return param.flat[0] if param.ndim else param.item()


def get_keys(graph, node_class) -> list[str]:
    """Keys of the graph's nodes of class `node_class`."""
    return [key for key, node in graph.nodes.items() if isinstance(node, node_class)]


def get_edge(graph, pre_node: str = "", post_node: str = ""):
    """The unique edge leaving `pre_node` (or, if `post_node` is given, entering it).

    **Raises:**

    `NotImplementedError` unless there is exactly one such edge (only linear
    feed-forward graphs are supported).
    """
    if post_node == "":
        found = [e for e in graph.edges if e[0] == pre_node]
        where = f"leaving node {pre_node!r}"
    else:
        found = [e for e in graph.edges if e[1] == post_node]
        where = f"entering node {post_node!r}"
    if len(found) != 1:
        raise NotImplementedError(
            "Only linear feed-forward graphs are supported yet: expected exactly one "
            f"edge {where}, found {len(found)} ({found})"
        )
    return found[0]


def get_prev_node(graph, node_key: str):
    """The node whose edge enters `node_key`."""
    return graph.nodes[get_edge(graph, post_node=node_key)[0]]


def _param_array(node_key: str, name: str, value, size: int) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"Parameter {value} is not a numpy array (node {node_key!r}, field "
            f"{name!r})."
        )
    arr = np.asarray(value, dtype=np.float64)
    if arr.size not in (1, size):
        raise ValueError(
            f"node {node_key!r}: field {name!r} has {arr.size} entries, expected "
            f"{size} (one per neuron, like tau_mem)"
        )
    arr = np.broadcast_to(arr.reshape(-1), (size,))
    return arr


def _scalar_or_array(arr: np.ndarray):
    return float(arr[0]) if is_homogeneous(arr) else np.asarray(arr, np.float32)


def _node_fields(graph, node_key: str, names: tuple[str, ...]) -> dict:
    """A neuron node's parameters as per-neuron arrays, with jaxsnn's checks."""
    node = graph.nodes[node_key]
    size = int(np.size(node.tau_mem))
    fields = {}
    for name in names:
        value = getattr(node, name)
        if name == "w_in" and not isinstance(value, np.ndarray):
            value = np.asarray(value)
        fields[name] = _param_array(node_key, name, value, size)
    if np.any(fields["r"] != 1):
        raise NotImplementedError(f"R has to be 1 (node {node_key!r})")
    if np.any(fields["w_in"] != 1):
        raise NotImplementedError(
            f"node {node_key!r}: w_in != 1 is not supported; eventsnn's synapses make "
            "the current jump by the weight, so fold w_in into the preceding Linear "
            "weight (weight * w_in[:, None]) and set w_in = 1"
        )
    for name in ("tau_mem", "tau_syn"):
        if np.any(fields[name] <= 0):
            raise ValueError(
                f"node {node_key!r}: {name} must be positive, got {fields[name]}"
            )
    fields["size"] = size
    return fields


def convert_cuba_lif(graph, node_key: str, config: ConversionConfig):
    """Convert the `nir.CubaLIF` node `node_key` to an `(init_fn, apply_fn)` layer.

    The layer is a [`eventsnn.HardwareLIF`][] (`config.external`),
    [`eventsnn.EventPropLIF`][] or [`eventsnn.LIF`][] (`config.solver`). Per-neuron
    (heterogeneous) parameters are supported.
    """
    n_spikes = config.n_spikes[node_key]
    names = ("tau_mem", "tau_syn", "r", "v_leak", "v_reset", "v_threshold", "w_in")
    fields = _node_fields(graph, node_key, names)
    params = LIFParameters(
        tau_mem=_scalar_or_array(fields["tau_mem"] * config.time_scale),
        tau_syn=_scalar_or_array(fields["tau_syn"] * config.time_scale),
        v_leak=_scalar_or_array(fields["v_leak"]),
        v_reset=_scalar_or_array(fields["v_reset"]),
        v_th=_scalar_or_array(fields["v_threshold"]),
    )
    kw: dict[str, Any] = dict(
        size=fields["size"],
        n_spikes=n_spikes,
        t_max=config.t_max,
        params=params,
        mean=1.0,
        std=0.0,
        duplication=config.duplication,
        v_init=config.v_init,
    )
    if config.external:
        if config.solver != "eventprop":
            raise AssertionError(
                "For external inputs, only the EventProp solver is supported"
            )
        return HardwareLIF(**kw)
    if config.solver not in ("eventprop", "analytical"):
        raise AssertionError(
            f"Solver {config.solver} not supported. Use 'eventprop' or 'analytical'."
        )
    return (EventPropLIF if config.solver == "eventprop" else LIF)(**kw)


def _convert_cuba_li(graph, node_key: str, config: ConversionConfig):
    names = ("tau_mem", "tau_syn", "r", "v_leak", "w_in")
    fields = _node_fields(graph, node_key, names)
    params = LIParameters(
        tau_mem=_scalar_or_array(fields["tau_mem"] * config.time_scale),
        tau_syn=_scalar_or_array(fields["tau_syn"] * config.time_scale),
        v_leak=_scalar_or_array(fields["v_leak"]),
    )
    return LeakyIntegrator(
        fields["size"],
        config.t_max,
        params,
        mean=1.0,
        std=0.0,
        time_steps=config.time_steps,
        v_init=config.v_init,
    )


def _chain(graph) -> list[str]:
    inputs = get_keys(graph, nir.Input)
    outputs = get_keys(graph, nir.Output)
    if not inputs or not outputs:
        raise IndexError(
            "the NIR graph needs an Input and an Output node, found inputs "
            f"{inputs} and outputs {outputs}"
        )
    if len(inputs) > 1:
        raise NotImplementedError(
            f"Only linear feed-forward graphs are supported yet: found several "
            f"Input nodes {inputs}"
        )
    chain = [inputs[0]]
    while True:
        nxt = get_edge(graph, pre_node=chain[-1])[1]
        if nxt in chain:
            raise ValueError(
                f"the NIR graph has a cycle through node {nxt!r} ({' -> '.join(chain)}"
                f" -> {nxt}); only feed-forward graphs are supported"
            )
        chain.append(nxt)
        if isinstance(graph.nodes[nxt], nir.Output):
            return chain


def from_nir(graph: nir.NIRGraph, config: ConversionConfig):
    """Convert a NIR graph to an eventsnn network `(init_fn, apply_fn)`.

    Supported: a linear chain `Input -> (Linear | Affine with zero bias) -> CubaLIF
    -> ... -> Output`; `CubaLIF -> CubaLIF` gets an identity synapse, and a
    `CubaLI` node becomes a [`eventsnn.LeakyIntegrator`][] readout. Unsupported
    graphs raise jaxsnn's exception types, with messages that name the node:
    `KeyError` (missing `n_spikes` entry, unknown edge endpoints), `ValueError`
    (malformed edges, cycles, mismatched shapes), `NotImplementedError`
    (branches, unsupported nodes, non-zero bias, `Linear -> Linear`, a CubaLIF
    without synapse, `r != 1`, `w_in != 1`), `IndexError` (no Input or Output).

    **Arguments:**

    - `graph`: a `nir.NIRGraph`.
    - `config`: a [`eventsnn.ConversionConfig`][].

    **Returns:**

    `(init_fn, apply_fn)`: `init_fn(rng, input_size) -> (rng, weights)` returns
    the graph's weights; `apply_fn` is the [`eventsnn.serial`][] network, with
    attributes `t_max` and `n_spikes`.
    """
    for key in get_keys(graph, nir.CubaLIF):
        if key not in config.n_spikes:
            raise KeyError(f"n_spikes for {key} not defined in config.n_spikes")
    for edge in graph.edges:
        if len(edge) != 2:
            raise ValueError(f"All edges must have length 2, got {edge!r}")
        if not (edge[0] in graph.nodes and edge[1] in graph.nodes):
            raise KeyError(
                "The nodes used in edges must be defined in graph.nodes: edge "
                f"{edge!r}, nodes {sorted(graph.nodes)}"
            )

    layers = []
    weights = []
    sizes: dict[str, int] = {}
    pending: tuple[str, np.ndarray] | None = None  # a synapse waiting for neurons
    prev_size: int | None = None
    prev_key = None
    readout = None
    for key in _chain(graph):
        node = graph.nodes[key]
        if readout is not None and not isinstance(node, nir.Output):
            raise NotImplementedError(
                f"the CubaLI readout {readout!r} must be the last layer, but it is "
                f"followed by {key!r}"
            )
        if isinstance(node, nir.CubaLI):
            readout = key
        if isinstance(node, NEURON_LAYER):
            size = int(np.size(node.tau_mem))
            if pending is None:
                prev = graph.nodes[prev_key] if prev_key is not None else None
                if isinstance(prev, NEURON_LAYER):
                    pending = (f"identity({prev_key})", np.eye(size, dtype=np.float32))
                else:
                    raise NotImplementedError(
                        f"CubaLIF node {key!r} receives input from {prev_key!r} "
                        "without a synapse; add a nir.Linear node between them (e.g. "
                        f"weight=np.eye({size}))"
                    )
            syn_key, w = pending
            if w.shape[1] != size:
                raise ValueError(
                    f"the synapse {syn_key!r} has {w.shape[1]} outputs but CubaLIF "
                    f"{key!r} has {size} neurons"
                )
            if prev_size is not None and w.shape[0] != prev_size:
                raise ValueError(
                    f"the synapse {syn_key!r} expects {w.shape[0]} inputs but the "
                    f"layer before it has {prev_size} neurons"
                )
            if isinstance(node, nir.CubaLI):
                layers.append(_convert_cuba_li(graph, key, config))
            else:
                layers.append(convert_cuba_lif(graph, key, config))
            sizes[key] = size
            weights.append(WeightInput(jnp.asarray(w)))
            pending = None
            prev_size = size
        elif isinstance(node, SYN_LAYER):
            if isinstance(node, nir.Affine) and not bias_is_zero(node.bias):
                raise NotImplementedError(
                    f"Affine layer with bias!=0 are currently not supported (node "
                    f"{key!r}); use a zero bias or a Linear node"
                )
            if pending is not None:
                raise NotImplementedError(
                    f"two synapses in a row ({pending[0]!r} -> {key!r}) are not "
                    "supported; multiply their weights into one Linear node"
                )
            weight = node.weight
            if not isinstance(weight, np.ndarray):
                weight = weight.numpy()
            weight = np.asarray(weight, dtype=np.float32)
            if weight.ndim != 2:
                raise ValueError(
                    f"node {key!r}: expected a weight of shape (out, in), got "
                    f"{weight.shape}"
                )
            pending = (key, weight.T)
        elif isinstance(node, nir.Input):
            shape = np.asarray(node.input_type.get("input", [])).reshape(-1)
            prev_size = int(np.prod(shape)) if shape.size else None
        elif isinstance(node, nir.Output):
            if pending is not None:
                raise NotImplementedError(
                    f"the graph ends in the synapse {pending[0]!r} without neurons; "
                    "a Linear node must be followed by a CubaLIF node"
                )
        else:
            raise NotImplementedError(
                f"{type(node)} layer currently not supported (node {key!r}); "
                "supported are Input, Linear, Affine (zero bias), CubaLIF, Output"
            )
        prev_key = key
    if not layers:
        raise NotImplementedError("the NIR graph has no CubaLIF node to simulate")

    _, serial_apply = serial(*layers)
    apply_fn = cast(NIRApplyFn, serial_apply)

    def init_fn(unused1=None, unused2=None):
        return unused1, list(weights)

    apply_fn.t_max = config.t_max
    apply_fn.n_spikes = dict(config.n_spikes)
    apply_fn.sizes = sizes
    return init_fn, apply_fn


def _layer_params(params, n_layers: int) -> list[LIFParameters]:
    if isinstance(params, LIFParameters):
        return [params] * n_layers
    params = list(params)
    if len(params) != n_layers:
        raise ValueError(
            f"expected one LIFParameters per layer ({n_layers}), got {len(params)}"
        )
    return params


def to_nir(
    weights: Sequence[WeightInput],
    params: LIFParameters | Sequence[LIFParameters],
    *,
    time_scale: float = 1e-3,
) -> nir.NIRGraph:
    """Export a feed-forward network to a `nir.NIRGraph`.

    The graph is `input -> linear -> cubalif -> linear_1 -> cubalif_1 -> ... ->
    output`, with NIR weights of shape `(out, in)` and time constants in units of
    `time_scale` seconds (ms by default). `nir.write`/`nir.read` round-trip it, and
    [`eventsnn.from_nir`][] of the result reproduces the network's spikes exactly.

    **Arguments:**

    - `weights`: one [`eventsnn.WeightInput`][] per layer.
    - `params`: one [`eventsnn.LIFParameters`][] for all layers, or one per layer.
    - `time_scale`: seconds per NIR time unit.

    **Returns:**

    The NIR graph.
    """
    weights = list(weights)
    if not weights:
        raise ValueError("to_nir needs the weights of at least one layer")
    plist = _layer_params(params, len(weights))
    n_in = int(np.shape(weights[0].input)[0])
    nodes: dict[str, nir.NIRNode] = {
        "input": nir.Input(input_type={"input": np.array([n_in])})
    }
    edges = []
    prev = "input"
    for i, (w, p) in enumerate(zip(weights, plist, strict=True)):
        if not isinstance(w, WeightInput):
            raise TypeError(
                f"to_nir supports feed-forward WeightInput layers, layer {i} has "
                f"{type(w).__name__}"
            )
        sfx = "" if i == 0 else f"_{i}"
        mat = np.asarray(w.input, dtype=np.float32)
        size = mat.shape[1]
        pb = p.broadcast(size)

        def arr(x):
            return np.asarray(x, dtype=np.float64)

        nodes["linear" + sfx] = nir.Linear(weight=mat.T.copy())
        nodes["cubalif" + sfx] = nir.CubaLIF(
            tau_syn=arr(pb.tau_syn) / time_scale,
            tau_mem=arr(pb.tau_mem) / time_scale,
            r=np.ones(size),
            v_leak=arr(pb.v_leak),
            v_threshold=arr(pb.v_th),
            v_reset=arr(pb.v_reset),
            w_in=np.ones(size),
        )
        edges += [(prev, "linear" + sfx), ("linear" + sfx, "cubalif" + sfx)]
        prev = "cubalif" + sfx
    size = int(np.shape(weights[-1].input)[1])
    nodes["output"] = nir.Output(output_type={"output": np.array([size])})
    edges.append((prev, "output"))
    return nir.NIRGraph(nodes=nodes, edges=edges)

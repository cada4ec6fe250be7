"""Conversion between NIR data (`nir.NIRGraphData`) and eventsnn spikes."""

from collections.abc import Mapping, Sequence

import jax.numpy as jnp
import nir
import numpy as np

from ._types import EventPropSpike


def _apply_of(model):
    # jaxsnn passes the `(init_fn, apply_fn)` pair; the apply_fn alone works too
    if isinstance(model, tuple | list) and len(model) == 2 and callable(model[1]):
        return model[1]
    return model


def _model_attr(model, name: str):
    value = getattr(_apply_of(model), name, None)
    if value is None:
        raise TypeError(
            f"model must be the (init_fn, apply_fn) pair of eventsnn.from_nir or its "
            f"apply_fn (which carries `t_max` and `n_spikes`); got "
            f"{type(model).__name__} without attribute {name!r}"
        )
    return value


def from_nir_data(
    graph_data: "nir.NIRGraphData",
    model,
    observables: Sequence[str] = ("spikes",),
) -> dict[str, EventPropSpike]:
    """Turn NIR data into eventsnn spikes, one entry per node.

    Time-gridded boolean spikes are converted to events with the node's event
    budget `model.n_spikes[node]`; missing events (`inf`) become `2 t_max`.

    **Arguments:**

    - `graph_data`: a `nir.NIRGraphData` whose nodes hold `EventData`,
        `ValuedEventData` or boolean `TimeGriddedData` under `"spikes"`.
    - `model`: the `(init_fn, apply_fn)` pair from [`eventsnn.from_nir`][], as in
        jaxsnn, or its `apply_fn` (for `t_max`, `n_spikes`).
    - `observables`: include `"current"` to read a `ValuedEventData` current.

    **Returns:**

    `{node_key: EventPropSpike}` with a leading sample axis.
    """
    t_max = float(_model_attr(model, "t_max"))
    n_spikes = _model_attr(model, "n_spikes")
    result = {}
    for key, node_data in graph_data.nodes.items():
        if isinstance(node_data, nir.NIRGraphData):
            raise NotImplementedError(
                f"nested graph data (node {key!r}) is not supported"
            )
        obs = node_data.observables
        if "spikes" not in obs:
            raise KeyError(f"node {key!r} has no 'spikes' observable")
        spikes = obs["spikes"]
        if isinstance(spikes, nir.data_ir.TimeGriddedData):
            if key not in n_spikes:
                raise KeyError(
                    f"n_spikes for {key} not defined: needed to turn its time-gridded "
                    "spikes into events"
                )
            spikes = spikes.to_event(n_events=int(n_spikes[key]))
        time = np.asarray(spikes.time, dtype=np.float64)
        time = np.where(np.isinf(time), 2.0 * t_max, time)
        current = np.zeros_like(time)
        if "current" in observables and "current" in obs:
            cur = obs["current"]
            if not isinstance(cur, nir.data_ir.ValuedEventData):
                raise NotImplementedError(
                    f"node {key!r}: only event-valued currents (ValuedEventData) are "
                    "supported"
                )
            current = np.asarray(cur.value, dtype=np.float64)
        result[key] = EventPropSpike(
            jnp.asarray(time, jnp.float32),
            jnp.asarray(spikes.idx, jnp.int32),
            jnp.asarray(current, jnp.float32),
        )
    return result


def to_nir_data(
    data: Mapping[str, EventPropSpike],
    model,
    observables: Sequence[str] = ("spikes",),
) -> "nir.NIRGraphData":
    """Turn eventsnn spikes into NIR data.

    **Arguments:**

    - `data`: `{node_key: EventPropSpike}` with shape `(n_samples, n_events)`.
    - `model`: the `(init_fn, apply_fn)` pair from [`eventsnn.from_nir`][], or its
        `apply_fn`.
    - `observables`: `"spikes"` and optionally `"current"` (as `ValuedEventData`).

    **Returns:**

    A `nir.NIRGraphData`. Unlike jaxsnn, `n_neurons` is the node's number of
    neurons, not its event budget.
    """
    t_max = float(_model_attr(model, "t_max"))
    sizes = getattr(_apply_of(model), "sizes", {}) or {}
    nodes = {}
    for key, spikes in data.items():
        time = np.asarray(spikes.time)
        idx = np.asarray(spikes.idx)
        if time.ndim != 2:
            raise TypeError(
                f"node {key!r}: expected spikes of shape (n_samples, n_events), got "
                f"{time.shape}; add a sample axis with [None]"
            )
        n_neurons = int(sizes.get(key, int(idx.max()) + 1 if idx.size else 0))
        obs: dict = {"spikes": nir.data_ir.EventData(idx, time, n_neurons, t_max)}
        if "current" in observables:
            obs["current"] = nir.data_ir.ValuedEventData(
                idx, time, n_neurons, t_max, np.asarray(spikes.current)
            )
        nodes[key] = nir.data_ir.NIRNodeData(obs)
    return nir.data_ir.NIRGraphData(nodes)

"""The event and weight containers passed between layers."""

import equinox as eqx
from jaxtyping import Array, Bool, Float, Int


class Spike(eqx.Module):
    """Spikes given by time and global neuron index (e.g. recorded on hardware).

    **Arguments:**

    - `time`: spike times in seconds, shape `(*batch, n)`.
    - `idx`: global neuron indices, `-1` for padding, shape `(*batch, n)`.
    """

    time: Float[Array, "*batch n"]
    idx: Int[Array, "*batch n"]


class EventPropSpike(eqx.Module):
    """The events a layer emits and the next layer consumes.

    A fixed-length, time-sorted list: padding entries have `idx == -1`.

    **Arguments:**

    - `time`: event times in seconds, shape `(*batch, n_spikes)`.
    - `idx`: global neuron indices (`-1` for padding), shape `(*batch, n_spikes)`.
    - `current`: the synaptic current of the spiking neuron at the spike (used by
        EventProp), shape `(*batch, n_spikes)`.
    - `overflow`: set by the layers (not by users): `True` where the layer's event
        budget `n_spikes` ran out before `t_max`, so that later events were dropped.
        `None` for user-made spikes.
    """

    time: Float[Array, "*batch n"]
    idx: Int[Array, "*batch n"]
    current: Float[Array, "*batch n"]
    overflow: Bool[Array, "*batch"] | None = None


class WeightInput(eqx.Module):
    """Feed-forward weights of a layer, shape `(n_in, n_out)` (presynaptic first)."""

    input: Float[Array, "n_in n_out"]


class WeightRecurrent(eqx.Module):
    """Feed-forward and recurrent weights of a layer.

    **Arguments:**

    - `input`: shape `(n_in, n_out)`.
    - `recurrent`: shape `(n_out, n_out)`; entry `[i, j]` is the weight from neuron
        `i` to neuron `j` of the same layer.
    """

    input: Float[Array, "n_in n_out"]
    recurrent: Float[Array, "n_out n_out"]


class LIFState(eqx.Module):
    """Membrane potential `V` and synaptic current `I` of a population."""

    V: Float[Array, " n"]
    I: Float[Array, " n"]  # noqa: E741 (the seed's field name)

"""Readouts and losses on output spike times."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from ._types import EventPropSpike


def first_spike(
    spikes: EventPropSpike, start: int, n_outputs: int, t_max: float
) -> Float[Array, "*batch n_outputs"]:
    """Time of the first spike of each output neuron (`t_max` if it never spikes).

    Vectorised (jaxsnn loops over neurons in Python).

    **Arguments:**

    - `spikes`: events of the output layer (global indices), shape `(*batch, n)`.
    - `start`: global index of the first output neuron.
    - `n_outputs`: number of output neurons.
    - `t_max`: the value for neurons without a spike.

    **Returns:**

    First-spike times, shape `(*batch, n_outputs)`.
    """
    neuron = jnp.arange(n_outputs) + start
    hit = spikes.idx[..., :, None] == neuron
    times = jnp.where(hit, spikes.time[..., :, None], t_max)
    return jnp.minimum(jnp.min(times, axis=-2), t_max)


def ttfs_cross_entropy(
    first: Float[Array, "*batch n"],
    labels: Int[Array, " *batch"],
    tau: float,
) -> Float[Array, ""]:
    """Cross-entropy of the softmax of `-first / tau` (earliest spike wins).

    **Arguments:**

    - `first`: first-spike times of the output neurons.
    - `labels`: the correct class of each sample.
    - `tau`: the time scale of the softmax (e.g. `tau_syn`).

    **Returns:**

    The mean loss.
    """
    logp = jax.nn.log_softmax(-first / tau, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, labels[..., None], axis=-1))


def silent_label_penalty(
    first: Float[Array, "batch n_out"],
    labels: Int[Array, " batch"],
    t_max: float,
    fired: Bool[Array, "batch n_hidden"],
    w_out: Float[Array, "n_hidden n_out"],
) -> Float[Array, ""]:
    """A loss term for the samples whose label neuron never spikes.

    A silent neuron has no EventProp gradient, so the loss alone cannot make it
    fire again (a class can go dark for good). For each such sample this is minus
    the mean weight from the hidden neurons that fired to the label neuron: its
    gradient strengthens exactly those weights, and it vanishes once the label
    neuron fires.

    **Arguments:**

    - `first`: first-spike times of the output neurons (`t_max`: silent).
    - `labels`: the correct class of each sample.
    - `t_max`: the end of the simulation.
    - `fired`: which hidden neurons spiked in each sample.
    - `w_out`: the output layer's weights, hidden neurons first.

    **Returns:**

    The penalty, averaged over the batch.
    """
    silent = jnp.take_along_axis(first, labels[:, None], axis=-1)[:, 0] >= t_max
    silent = jax.lax.stop_gradient(silent).astype(w_out.dtype)
    # written as contractions, not multiply-then-sum (miscompiled by jax 0.10.2)
    push = jnp.einsum("bh,hb->b", fired.astype(w_out.dtype), w_out[:, labels])
    push = push / fired.shape[-1]
    return -jnp.dot(silent, push) / silent.shape[0]


def accuracy(first: Float[Array, "*batch n"], labels: Int[Array, " *batch"]) -> Array:
    """Fraction of samples whose earliest output neuron is the label."""
    return jnp.mean(jnp.argmin(first, axis=-1) == labels)


def local_spikes(spikes: EventPropSpike, start: int, size: int) -> EventPropSpike:
    """A layer's own spikes, with local indices `0..size-1`, first in time order.

    Layer outputs mix passed-through inputs (global indices below `start`) with the
    layer's own spikes (`start..start+size-1`); this keeps the latter, renumbers
    them and moves the rest to the end as padding (`idx = -1`, `time = inf`).

    **Arguments:**

    - `spikes`: a layer's output, shape `(*batch, n)`.
    - `start`: global index of the layer's first neuron.
    - `size`: number of neurons of the layer.

    **Returns:**

    An [`eventsnn.EventPropSpike`][] of the same shape.
    """
    own = (spikes.idx >= start) & (spikes.idx < start + size)
    time = jnp.where(own, spikes.time, jnp.inf)
    order = jnp.argsort(time, axis=-1, stable=True)

    def take(a):
        return jnp.take_along_axis(a, order, axis=-1)

    return EventPropSpike(
        take(time),
        take(jnp.where(own, spikes.idx - start, -1)),
        take(jnp.where(own, spikes.current, 0.0)),
        spikes.overflow,
    )

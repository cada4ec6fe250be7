"""Readouts and losses on output spike times."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

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


def accuracy(first: Float[Array, "*batch n"], labels: Int[Array, " *batch"]) -> Array:
    """Fraction of samples whose earliest output neuron is the label."""
    return jnp.mean(jnp.argmin(first, axis=-1) == labels)

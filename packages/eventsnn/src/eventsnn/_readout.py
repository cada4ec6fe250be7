"""A non-spiking leaky-integrator readout layer (NIR's `CubaLI`)."""

import jax
import jax.numpy as jnp
from jaxtyping import ArrayLike

from ._layers import _init_input
from ._params import LIParameters
from ._solver import propagator_coefficients
from ._types import EventPropSpike, LIFState, WeightInput


def LeakyIntegrator(
    size: int,
    t_max: float,
    params: LIParameters,
    mean: float = 0.5,
    std: float = 2.0,
    time_steps: int = 20,
    *,
    v_init: float | str | ArrayLike = 0.0,
):
    """A current-based leaky-integrator readout, sampled on a time grid.

    The membrane of each neuron is computed exactly at `time_steps` equally spaced
    times in `[0, t_max]` as the sum of the closed-form responses to every input
    event (no spikes, no budget); gradients come from autodiff.

    **Arguments:**

    - `size`: number of readout neurons.
    - `t_max`: end of the time grid in seconds.
    - `params`: [`eventsnn.LIParameters`][] (any `tau_mem / tau_syn` ratio).
    - `mean`, `std`: statistics of the initial weights.
    - `time_steps`: number of grid points.
    - `v_init`: the membrane potential at `t = 0`: `0.0` by default, as in jaxsnn
        (it relaxes towards `v_leak`), a number per neuron, or `"v_leak"`.

    **Returns:**

    `(init_fn, apply_fn)`; `apply_fn(weights, spikes, external=None, carry=None)`
    returns `(carry, weights, LIFState(V, I), LIFState(V, I))` with `V` and `I` of
    shape `(*batch, time_steps, size)`.
    """
    if not isinstance(params, LIParameters):
        raise TypeError(
            f"params must be an eventsnn.LIParameters, got {type(params).__name__}"
        )
    grid = jnp.linspace(0.0, t_max, time_steps)
    tau_mem = jnp.broadcast_to(jnp.asarray(params.tau_mem, jnp.float32), (size,))
    tau_syn = jnp.broadcast_to(jnp.asarray(params.tau_syn, jnp.float32), (size,))
    v_leak = jnp.broadcast_to(jnp.asarray(params.v_leak, jnp.float32), (size,))
    if isinstance(v_init, str):
        if v_init != "v_leak":
            raise ValueError(
                f"v_init must be a number, one number per neuron, or 'v_leak', got "
                f"{v_init!r}"
            )
        u_init = jnp.zeros(size, jnp.float32)
    else:
        u_init = jnp.broadcast_to(jnp.asarray(v_init, jnp.float32), (size,)) - v_leak
    # the initial offset from rest decays with tau_mem
    rest = v_leak + u_init * jnp.exp(-grid[:, None] / tau_mem)

    def single(w_in, time, idx, prev_start, start):
        keep = (idx >= prev_start) & (idx < start)
        rows = jnp.where(keep[:, None], w_in[jnp.clip(idx - prev_start, 0)], 0.0)
        lag = grid[:, None] - jnp.where(keep, time, jnp.inf)[None, :]  # (T, E)
        after = lag >= 0
        lag = jnp.where(after, lag, 0.0)[..., None]  # (T, E, 1)
        a_mem, k, a_syn = propagator_coefficients(lag, tau_mem, tau_syn, "general")
        del a_mem
        k = jnp.where(after[..., None], k, 0.0)
        a_syn = jnp.where(after[..., None], a_syn, 0.0)
        v = rest + jnp.einsum("tek,ek->tk", k, rows)
        i = jnp.einsum("tek,ek->tk", a_syn, rows)
        return LIFState(v, i)

    def apply_fn(weights, input_spikes: EventPropSpike, external=None, carry=None):
        del external
        layer_index, layer_start = (0, 0) if carry is None else carry
        this = weights if isinstance(weights, WeightInput) else weights[layer_index]
        w_in = jnp.asarray(this.input)
        if w_in.ndim != 2 or w_in.shape[1] != size:
            raise ValueError(
                f"LeakyIntegrator: expected input weights of shape (n_in, {size}), "
                f"got {w_in.shape}"
            )
        start = int(layer_start) + int(w_in.shape[0])

        def fn(t, i):
            return single(w_in, t, i, int(layer_start), start)

        if jnp.ndim(input_spikes.time) == 2:
            fn = jax.vmap(fn)
        out = fn(input_spikes.time, input_spikes.idx)
        return (layer_index + 1, start), this, out, out

    return _init_input(size, mean, std, None), apply_fn


def max_over_time(state: LIFState) -> jax.Array:
    """The maximum membrane potential of each readout neuron over the time grid."""
    return jnp.max(state.V, axis=-2)

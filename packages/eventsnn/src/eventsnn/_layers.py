"""Layers in jaxsnn's `(init_fn, apply_fn)` style, and `serial` to chain them."""

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import ArrayLike

from rollax import is_concrete as _is_concrete, warn_user

from ._errors import BudgetOverflowWarning
from ._params import LIFParameters
from ._simulate import (
    LayerSpec,
    Queue,
    simulate,
    simulate_eventprop,
    simulate_stepwise,
)
from ._types import EventPropSpike, Spike, WeightInput, WeightRecurrent

Weight = WeightInput | WeightRecurrent
InitFn = Callable[..., Any]
ApplyFn = Callable[..., Any]


def _check_spikes(spikes: EventPropSpike, n_valid: int, layer_start: int) -> None:
    """Clear errors for malformed input events (only outside of jit)."""
    if not isinstance(spikes, EventPropSpike | Spike):
        raise TypeError(
            "input spikes must be an eventsnn.EventPropSpike(time, idx, current), "
            f"got {type(spikes).__name__}"
        )
    t, idx = spikes.time, spikes.idx
    if jnp.shape(t) != jnp.shape(idx):
        raise ValueError(
            f"spike time and idx must have the same shape, got time {jnp.shape(t)} "
            f"and idx {jnp.shape(idx)}"
        )
    if jnp.ndim(t) not in (1, 2):
        raise ValueError(
            f"expected spikes of shape (n_events,) or (batch, n_events), got shape "
            f"{jnp.shape(t)}"
        )
    if not _is_concrete(t, idx):
        return
    t = np.asarray(t)
    idx = np.asarray(idx)
    if not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"spike idx must be integers, got dtype {idx.dtype}")
    bad = (idx < -1) | (idx >= layer_start)
    if np.any(bad):
        raise ValueError(
            f"spike indices must be -1 (padding) or global neuron indices below "
            f"{layer_start} (this layer's first neuron), got {idx[bad][:5].tolist()}; "
            f"the inputs of the first layer are numbered 0..{n_valid - 1}"
        )
    valid = idx >= 0
    if np.any(np.isnan(t[valid])):
        raise ValueError("spike times contain NaN")
    tv = np.where(valid, t, np.inf)
    # sorted among the real events of each sample
    for row_t, row_v in zip(np.atleast_2d(tv), np.atleast_2d(valid), strict=True):
        real = row_t[row_v]
        if np.any(np.diff(real) < 0):
            raise ValueError(
                "input spikes must be sorted in time (padding, idx == -1, may be "
                f"anywhere); got times {real[:8].tolist()}...; sort them with "
                "jnp.argsort(time)"
            )


def _queue(spikes: EventPropSpike, prev_start, layer_start) -> Queue:
    idx = spikes.idx
    keep = (idx >= prev_start) & (idx < layer_start)
    time = jnp.where(keep, spikes.time, jnp.inf)
    order = jnp.argsort(time, stable=True)
    current = getattr(spikes, "current", None)
    if current is None:
        current = jnp.zeros_like(spikes.time)
    return Queue(
        time=time[order],
        current=current[order],
        local=jnp.where(keep, idx - prev_start, -1)[order].astype(jnp.int32),
        gidx=jnp.where(keep, idx, -1)[order].astype(jnp.int32),
    )


def _external_queue(external: Spike, layer_start, size):
    idx = external.idx
    keep = (idx >= layer_start) & (idx < layer_start + size)
    time = jnp.where(keep, external.time, jnp.inf)
    order = jnp.argsort(time, stable=True)
    local = jnp.where(keep, idx - layer_start, -1)[order].astype(jnp.int32)
    return time[order], local


def _warn_overflow(out: EventPropSpike, name: str) -> None:
    if out.overflow is not None and _is_concrete(out.overflow):
        flag = np.asarray(out.overflow)
        if np.any(flag):
            # attributed to the user's line, however deep inside serial/from_nir
            warn_user(
                f"{name}: the event budget n_spikes was used up before t_max in "
                f"{int(flag.sum())} of {flag.size} sample(s), so later events were "
                "dropped; raise n_spikes",
                BudgetOverflowWarning,
            )


def _make_layer(
    spec: LayerSpec,
    init_fn: InitFn,
    eventprop: bool,
    name: str,
    wrap_only_step: bool = False,
) -> tuple[InitFn, ApplyFn]:
    if wrap_only_step:
        simulate_fn = simulate_stepwise
    else:
        simulate_fn = simulate_eventprop if eventprop else simulate

    def core(w_in, w_rec, spikes, ext, prev_start, layer_start):
        queue = _queue(spikes, prev_start, layer_start)
        if spec.external:
            ext_q = _external_queue(ext, layer_start, spec.size)
        else:
            ext_q = (jnp.zeros((1,), w_in.dtype), -jnp.ones((1,), jnp.int32))
        ev = simulate_fn(spec, w_in, w_rec, queue, ext_q, layer_start)
        return EventPropSpike(ev.time, ev.idx, ev.current, ev.overflow)

    jitted = jax.jit(core, static_argnums=(4, 5))

    def apply_fn(
        weights: Sequence[Weight] | Weight,
        input_spikes: EventPropSpike,
        external: Sequence[Spike] | None = None,
        carry: tuple[int, int] | None = None,
    ):
        layer_index, layer_start = (0, 0) if carry is None else carry
        if isinstance(weights, WeightInput | WeightRecurrent):
            this = weights
        else:
            try:
                this = weights[layer_index]
            except (IndexError, TypeError) as e:
                raise ValueError(
                    f"{name}: expected a list of weights with an entry for layer "
                    f"{layer_index}, got {type(weights).__name__}"
                ) from e
        w_in = jnp.asarray(this.input)
        if w_in.ndim != 2 or w_in.shape[1] != spec.size:
            raise ValueError(
                f"{name}: expected input weights of shape (n_in, {spec.size}), got "
                f"{w_in.shape}"
            )
        if isinstance(this, WeightRecurrent):
            w_rec = jnp.asarray(this.recurrent)
            if w_rec.shape != (spec.size, spec.size):
                raise ValueError(
                    f"{name}: expected recurrent weights of shape ({spec.size}, "
                    f"{spec.size}), got {w_rec.shape}"
                )
        else:
            w_rec = jnp.zeros((0,), w_in.dtype)
        if spec.recurrent != isinstance(this, WeightRecurrent):
            raise TypeError(
                f"{name}: expected {'WeightRecurrent' if spec.recurrent else 'WeightInput'}"
                f" weights, got {type(this).__name__}"
            )
        n_in = int(w_in.shape[0])
        prev_start = int(layer_start)
        start = prev_start + n_in
        _check_spikes(input_spikes, n_in, start)
        ext = None
        if spec.external:
            if external is None:
                raise ValueError(
                    f"{name} replays externally recorded spikes: pass "
                    "external=[Spike(time, idx) per layer] to apply_fn"
                )
            ext = (
                external[layer_index]
                if isinstance(external, list | tuple)
                else external
            )
        if jnp.ndim(input_spikes.time) == 2:
            out = jax.vmap(
                lambda s, e: jitted(w_in, w_rec, s, e, prev_start, start),
                in_axes=(0, 0 if ext is not None else None),
            )(input_spikes, ext)
        else:
            out = jitted(w_in, w_rec, input_spikes, ext, prev_start, start)
        _warn_overflow(out, name)
        return (layer_index + 1, start), this, out, out

    return init_fn, apply_fn


def _init_input(size: int, mean, std, duplication) -> InitFn:
    def init_fn(rng, input_size: int):
        rng, key = jax.random.split(rng)
        if duplication is not None:
            if input_size % duplication:
                raise ValueError(
                    f"input_size {input_size} is not divisible by duplication "
                    f"{duplication}"
                )
            w = jax.random.normal(key, (input_size // duplication, size))
            w = jnp.repeat(w, duplication, axis=0)
        else:
            w = jax.random.normal(key, (input_size, size))
        return rng, size, WeightInput(w * std + mean)

    return init_fn


def LIF(
    size: int,
    n_spikes: int,
    t_max: float,
    params: LIFParameters,
    mean: float = 0.5,
    std: float = 2.0,
    duplication: int | None = None,
    *,
    solver: str = "auto",
    v_init: float | str | ArrayLike = 0.0,
):
    """A feed-forward layer of LIF neurons, differentiated by autodiff.

    Spike times are exact (closed form for `tau_mem = 2 tau_syn` or `tau_mem =
    tau_syn`, an exact root solver otherwise), and gradients flow through them by
    automatic differentiation.

    **Arguments:**

    - `size`: number of neurons.
    - `n_spikes`: event budget of the layer: the number of simulation steps, each of
        which consumes one input event or emits one spike.
    - `t_max`: end of the simulation in seconds.
    - `params`: [`eventsnn.LIFParameters`][] (scalars or one value per neuron).
    - `mean`, `std`: initial weights are `normal * std + mean`.
    - `duplication`: draw `n_in / duplication` weight rows and repeat each.
    - `solver`: `"auto"` (closed form where possible), `"closed_form"` (error for
        other tau ratios) or `"general"` (root solver for any ratio).
    - `v_init`: the membrane potential at `t = 0`: `0.0` by default, as in jaxsnn
        (a neuron with `v_leak != 0` then relaxes towards `v_leak`); a number, one
        number per neuron, or `"v_leak"` to start at rest (then a neuron with
        `v_leak >= v_th` fires at `t = 0`).

    Neurons that reach threshold at the same instant all spike: their events
    follow each other at that time, in the order of their indices.

    **Returns:**

    `(init_fn, apply_fn)`: `init_fn(rng, input_size) -> (rng, size, WeightInput)`;
    `apply_fn(weights, spikes, external=None, carry=None) -> (carry, weights,
    spikes, spikes)`. Inputs may carry a leading batch axis.
    """
    spec = LayerSpec.make(size, n_spikes, t_max, params, solver=solver, v_init=v_init)
    return _make_layer(spec, _init_input(size, mean, std, duplication), False, "LIF")


def EventPropLIF(
    size: int,
    n_spikes: int,
    t_max: float,
    params: LIFParameters,
    mean=0.5,
    std=2.0,
    wrap_only_step: bool = False,
    duplication: int | None = None,
    *,
    solver: str = "auto",
    v_init: float | str | ArrayLike = 0.0,
):
    """A feed-forward layer of LIF neurons with EventProp gradients.

    The forward pass is the one of [`eventsnn.LIF`][]; the backward pass is the
    EventProp adjoint (a reverse scan over the recorded events) defined as a custom
    VJP. It equals autodiff through the exact simulation, for the weights and for
    the input spike times, whatever the event budget.

    **Arguments:**

    As for [`eventsnn.LIF`][], plus `wrap_only_step`: put the custom VJP on each
    step (the closed-form chain rule of one event, which keeps the full neuron
    state of every step as residual) instead of on the whole trajectory (a reverse
    scan over the events with O(n_spikes) residuals). Both give the same gradients;
    in jaxsnn the per-step variant fails with NaNs or a `float0` error.

    **Returns:**

    `(init_fn, apply_fn)` as for [`eventsnn.LIF`][].
    """
    spec = LayerSpec.make(size, n_spikes, t_max, params, solver=solver, v_init=v_init)
    return _make_layer(
        spec,
        _init_input(size, mean, std, duplication),
        True,
        "EventPropLIF",
        wrap_only_step,
    )


def HardwareLIF(
    size: int,
    n_spikes: int,
    t_max: float,
    params: LIFParameters,
    mean: float,
    std: float,
    duplication: int | None = None,
    *,
    v_init: float | str | ArrayLike = 0.0,
):
    """A LIF layer that replays externally recorded spikes (e.g. from hardware).

    The layer's own spike times are taken from `external[layer_index]` (a
    [`eventsnn.Spike`][] with global indices) instead of being solved for; the
    currents at those times are simulated, and gradients use the EventProp adjoint.

    **Arguments:**

    As for [`eventsnn.LIF`][].

    **Returns:**

    `(init_fn, apply_fn)`; `apply_fn(weights, spikes, external, carry=None)`.
    """
    spec = LayerSpec.make(size, n_spikes, t_max, params, external=True, v_init=v_init)
    return _make_layer(
        spec, _init_input(size, mean, std, duplication), True, "HardwareLIF"
    )


def _init_recurrent(layers, mean, std, duplication) -> InitFn:
    layers = [int(n) for n in layers]
    # as in jaxsnn, entries beyond the number of sub-layers are ignored
    if len(mean) < len(layers) or len(std) < len(layers):
        raise ValueError(
            f"expected one mean and one std per sub-layer ({len(layers)}), got "
            f"{len(mean)} and {len(std)}"
        )

    def init_fn(rng, input_size: int):
        total = sum(layers)
        rng, key = jax.random.split(rng)
        n_rows = input_size // duplication if duplication else input_size
        w0 = jax.random.normal(key, (n_rows, layers[0])) * std[0] + mean[0]
        if duplication:
            w0 = jnp.repeat(w0, duplication, axis=0)
        w_in = jnp.zeros((input_size, total)).at[:, : layers[0]].set(w0)
        w_rec = jnp.zeros((total, total))
        start = 0
        for i, (a, b) in enumerate(itertools.pairwise(layers)):
            rng, key = jax.random.split(rng)
            block = jax.random.normal(key, (a, b)) * std[i + 1] + mean[i + 1]
            w_rec = w_rec.at[start : start + a, start + a : start + a + b].set(block)
            start += a
        return rng, total, WeightRecurrent(w_in, w_rec)

    return init_fn


def RecurrentLIF(
    layers: Sequence[int],
    n_spikes: int,
    t_max: float,
    params: LIFParameters,
    mean: Sequence[float],
    std: Sequence[float],
    duplication: int | None = None,
    *,
    v_init: float | str | ArrayLike = 0.0,
):
    """Several feed-forward layers simulated as one recurrent layer (autodiff).

    The recurrent weight matrix holds the inter-layer blocks, so that all layers
    run in one event loop.

    **Arguments:**

    - `layers`: sizes of the stacked layers.
    - `n_spikes`, `t_max`, `params`: as for [`eventsnn.LIF`][].
    - `mean`, `std`: one per layer (further entries are ignored, as in jaxsnn).
    - `duplication`, `v_init`: as for [`eventsnn.LIF`][].

    **Returns:**

    `(init_fn, apply_fn)` with [`eventsnn.WeightRecurrent`][] weights.
    """
    spec = LayerSpec.make(
        sum(layers), n_spikes, t_max, params, recurrent=True, v_init=v_init
    )
    init = _init_recurrent(layers, mean, std, duplication)
    return _make_layer(spec, init, False, "RecurrentLIF")


def RecurrentEventPropLIF(
    layers: Sequence[int],
    n_spikes: int,
    t_max: float,
    params: LIFParameters,
    mean: Sequence[float],
    std: Sequence[float],
    wrap_only_step: bool = False,
    duplication: int | None = None,
    *,
    v_init: float | str | ArrayLike = 0.0,
):
    """[`eventsnn.RecurrentLIF`][] with EventProp gradients (see
    [`eventsnn.EventPropLIF`][] for `wrap_only_step`)."""
    spec = LayerSpec.make(
        sum(layers), n_spikes, t_max, params, recurrent=True, v_init=v_init
    )
    init = _init_recurrent(layers, mean, std, duplication)
    return _make_layer(spec, init, True, "RecurrentEventPropLIF", wrap_only_step)


def serial(*layers):
    """Chain `(init_fn, apply_fn)` layers into one network.

    Neurons are numbered globally: the inputs `0..n_in-1`, then each layer in turn.
    Each layer passes its input events through and adds its own spikes; the next
    layer keeps only the events of the layer right before it.

    **Arguments:**

    - `*layers`: `(init_fn, apply_fn)` pairs such as [`eventsnn.EventPropLIF`][].

    **Returns:**

    `(init_fn, apply_fn)`: `init_fn(rng, input_size) -> (output_size, weights)`
    with one weight entry per layer; `apply_fn(weights, spikes, external=None,
    carry=None) -> (carry, weights, last_spikes, [spikes of each layer])`.
    """
    if not layers:
        raise ValueError("serial needs at least one layer")
    init_fns, apply_fns = zip(*layers, strict=True)

    def init_fn(rng, input_size: int):
        weights = []
        for layer_init in init_fns:
            rng, input_size, w = layer_init(rng, input_size)
            if isinstance(w, list):
                weights.extend(w)
            else:
                weights.append(w)
        return input_size, weights

    def apply_fn(weights, spikes, external=None, carry=None):
        if not isinstance(weights, list | tuple) or len(weights) < len(apply_fns):
            raise ValueError(
                f"expected a list of {len(apply_fns)} layer weights, got "
                f"{type(weights).__name__}"
                + (f" of length {len(weights)}" if isinstance(weights, list) else "")
            )
        recording = []
        used = []
        for layer_apply in apply_fns:
            carry, w, spikes, rec = layer_apply(weights, spikes, external, carry)
            if isinstance(rec, list):
                used.extend(w)
                recording.extend(rec)
            else:
                used.append(w)
                recording.append(rec)
        return carry, used, spikes, recording

    return init_fn, apply_fn

"""One Lenia update: potential (convolution), field (growth), new state."""

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Float

from ._registry import make_registry

GetStateFn = Callable[..., Array]

get_state_fns: dict[str, GetStateFn]
get_state_fns, register, get = make_registry(
    "update rule (world_params.get_state_fn_slug)",
    "core",
    "fn(rng_key, cells, field, dt) -> new_cells",
)


@jax.custom_jvp
def ste_clip(x: Array) -> Array:
    """`clip(x, 0, 1)` whose gradient is the identity (straight-through estimator)."""
    return jnp.clip(x, 0.0, 1.0)


@ste_clip.defjvp
def _ste_clip_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    return ste_clip(x), dx


@register("v1")
def get_state(rng_key: Any, cells: Array, field: Array, dt: ArrayLike) -> Array:
    """Lenia's rule `A' = clip(A + dt F, 0, 1)`, straight-through gradient.

    **Arguments:**

    - `rng_key`: unused (custom rules may draw noise from it).
    - `cells`: the state `A`, `[N, C, *world]`.
    - `field`: the field `F`, same shape.
    - `dt`: the time step `1 / T`.

    **Returns:**

    The new state.
    """
    del rng_key
    return ste_clip(cells + dt * field)


@register("v2")
def get_state_v2(rng_key: Any, cells: Array, field: Array, dt: ArrayLike) -> Array:
    """Asymptotic Lenia `A' = A (1 - dt) + dt F` (pair with `gaussian_target`).

    **Arguments:**

    - `rng_key`: unused.
    - `cells`: the state `A`.
    - `field`: the target `F`.
    - `dt`: the time step.

    **Returns:**

    The new state (not clipped).
    """
    del rng_key
    return cells * (1 - dt) + dt * field


@register("simple")
def get_state_simple(rng_key: Any, cells: Array, field: Array, dt: ArrayLike) -> Array:
    """Euler step `A' = A + dt F`, no clipping (neural cellular automata).

    **Arguments:**

    - `rng_key`: unused.
    - `cells`: the state `A`.
    - `field`: the field `F`.
    - `dt`: the time step.

    **Returns:**

    The new state.
    """
    del rng_key
    return cells + dt * field


def _to_channel_first(state: Array, channel_first: bool) -> Array:
    return state if channel_first else jnp.moveaxis(state, -1, 1)


def _from_channel_first(out: Array, channel_first: bool) -> Array:
    return out if channel_first else jnp.moveaxis(out, 1, -1)


def get_potential_fft(
    state: Float[Array, "N C *world"],
    K: Array,
    tc_indices: Sequence[int] | None = None,
    channel_first: bool = True,
) -> Float[Array, "N nb_kernels *world"]:
    """Potentials `U_k = K_k * A_{c_in(k)}` by FFT (periodic convolution).

    **Arguments:**

    - `state`: cells `[N, C, *world]` (or `[N, *world, C]` if not `channel_first`).
    - `K`: real-FFT kernel spectra `[1, C, max_k, *world[:-1], world[-1] // 2 + 1]`.
    - `tc_indices`: indices of the real kernels among the `C * max_k` stacked ones
        (`None`: all).
    - `channel_first`: layout of `state` and of the result.

    **Returns:**

    The potentials, `[N, nb_kernels, *world]` (channel-last if not `channel_first`).
    """
    state = _to_channel_first(state, channel_first)
    world = state.shape[2:]
    axes = tuple(range(-len(world), 0))
    nb_c, max_k = K.shape[1], K.shape[2]
    if nb_c != state.shape[1]:
        raise ValueError(
            f"kernels are for {nb_c} channel(s) but the state has shape "
            f"{state.shape}; expected {nb_c} channel(s) on axis 1"
        )
    a_hat = jnp.fft.rfftn(state, axes=axes)
    if max_k == 1 and (tc_indices is None or len(tc_indices) == nb_c):
        prod = a_hat * K[:, :, 0]
    else:
        prod = (a_hat[:, :, None] * K).reshape(
            (state.shape[0], nb_c * max_k, *a_hat.shape[2:])
        )
        if tc_indices is not None and len(tc_indices) != nb_c * max_k:
            prod = prod[:, jnp.asarray(tc_indices, dtype=jnp.int32)]
    potential = jnp.fft.irfftn(prod, s=world, axes=axes)
    return _from_channel_first(potential, channel_first)


def conv_padding(
    kernel_dims: Sequence[int], correlate: bool = False
) -> tuple[tuple[int, int], ...]:
    """Wrap padding `(before, after)` per world axis for the direct convolution."""
    out = []
    for d in kernel_dims:
        c = d // 2
        out.append((c, d - 1 - c) if correlate else (d - 1 - c, c))
    return tuple(out)


def get_potential(
    state: Float[Array, "N C *world"],
    K: Float[Array, "O 1 *kdims"],
    padding: Sequence[Sequence[int]] | None = None,
    tc_indices: Sequence[int] | None = None,
    channel_first: bool = True,
    correlate: bool = False,
) -> Float[Array, "N nb_kernels *world"]:
    """Potentials by direct (depthwise) convolution on a periodic world.

    Computes the same convolution as `get_potential_fft`, `U[x] = sum_y K[y]
    A[x - y]` with the kernel centred at index `d // 2`. Leniax's direct path
    computed a cross-correlation instead (`A[x + y]`), which differs for asymmetric
    kernels; pass `correlate=True` to reproduce it.

    **Arguments:**

    - `state`: cells `[N, C, *world]` (or channel-last).
    - `K`: spatial kernels `[C * max_k, 1, *kernel_dims]`.
    - `padding`: wrap padding per world axis; default from the kernel size.
    - `tc_indices`: indices of the real kernels (`None`: all).
    - `channel_first`: layout of `state` and of the result.
    - `correlate`: Leniax's cross-correlation orientation.

    **Returns:**

    The potentials, `[N, nb_kernels, *world]`.
    """
    state = _to_channel_first(state, channel_first)
    kdims = K.shape[2:]
    if padding is None:
        padding = conv_padding(kdims, correlate)
    pad = [(0, 0), (0, 0)] + [tuple(p) for p in padding]
    padded = jnp.pad(state, pad, mode="wrap")
    kernel = K if correlate else jnp.flip(K, axis=tuple(range(2, K.ndim)))
    out = lax.conv_general_dilated(
        padded,
        kernel.astype(state.dtype),
        window_strides=(1,) * len(kdims),
        padding="VALID",
        feature_group_count=state.shape[1],
        precision=lax.Precision.HIGHEST,
    )
    if tc_indices is not None and len(tc_indices) != out.shape[1]:
        out = out[:, jnp.asarray(tc_indices, dtype=jnp.int32)]
    return _from_channel_first(out, channel_first)


def weighted_sum(
    fields: Float[Array, "N nb_kernels *world"],
    weights: Float[Array, "C nb_kernels"],
) -> Float[Array, "N C *world"]:
    """`F_c = sum_k h_{c,k} G_k`.

    **Arguments:**

    - `fields`: per-kernel growths `[N, nb_kernels, *world]`.
    - `weights`: `[C, nb_kernels]`.

    **Returns:**

    The field `[N, C, *world]`.
    """
    nb_world = fields.ndim - 2
    w = jnp.asarray(weights, dtype=fields.dtype)
    if w.shape[1] == 1:
        return fields * w.reshape((1, w.shape[0]) + (1,) * nb_world)
    # A contraction, not `sum(fields[:, None] * w, axis=2)`: jax/jaxlib 0.10.2
    # miscompile that broadcast-multiply-then-sum under `jit` on CPU (off by up to
    # 3.7 on a [1, 15, 128, 128] field; jax-ml/jax#39103).
    return jnp.einsum("ck,nk...->nc...", w, fields, precision=lax.Precision.HIGHEST)


def weighted_mean(
    fields: Float[Array, "N nb_kernels *world"],
    weights: Float[Array, "C nb_kernels"],
) -> Float[Array, "N C *world"]:
    """`F_c = sum_k h_{c,k} G_k / sum_k h_{c,k}`; 0 for channels with no kernel.

    Leniax divided by a zero row sum (NaN) for a channel without incoming kernels
    and broadcast wrongly for multi-channel 3-D worlds; both are fixed here.

    **Arguments:**

    - `fields`: per-kernel growths `[N, nb_kernels, *world]`.
    - `weights`: `[C, nb_kernels]`.

    **Returns:**

    The field `[N, C, *world]`.
    """
    return weighted_sum(fields, _mean_weights(weights, fields.dtype))


def _mean_weights(weights: ArrayLike, dtype: Any) -> Array:
    """Row-normalised weights `h_{c,k} / sum_k h_{c,k}`; 0 rows stay 0."""
    w = jnp.asarray(weights, dtype=dtype)
    total = w.sum(axis=1, keepdims=True)
    safe = jnp.where(total == 0, 1.0, total)
    return jnp.where(total == 0, 0.0, w / safe)


def get_field(
    potential: Float[Array, "N nb_kernels *world"],
    gf_params: Float[Array, "nb_kernels n_params"],
    kernels_weight_per_channel: Float[Array, "C nb_kernels"],
    growth_fn_t: Sequence[Callable[[Any, Array], Array]],
    weighted_fn: Callable[[Array, Array], Array],
) -> Float[Array, "N C *world"]:
    """Growth per kernel, then aggregation into one field per channel.

    **Arguments:**

    - `potential`: `[N, nb_kernels, *world]`.
    - `gf_params`: growth parameters `[nb_kernels, n_params]`.
    - `kernels_weight_per_channel`: `[C, nb_kernels]`.
    - `growth_fn_t`: one growth function per kernel.
    - `weighted_fn`: `weighted_mean` or `weighted_sum`.

    **Returns:**

    The field `[N, C, *world]`.
    """
    if len(growth_fn_t) != potential.shape[1]:
        raise ValueError(
            f"expected one growth function per kernel ({potential.shape[1]}), got "
            f"{len(growth_fn_t)}"
        )
    fields = jnp.stack(
        [gf(gf_params[k], potential[:, k]) for k, gf in enumerate(growth_fn_t)], axis=1
    )
    return weighted_fn(fields, kernels_weight_per_channel)


def update(
    rng_key: Any,
    state: Float[Array, "N C *world"],
    K: Array,
    gf_params: Float[Array, "nb_kernels n_params"],
    kernels_weight_per_channel: Float[Array, "C nb_kernels"],
    dt: ArrayLike,
    get_potential_fn: Callable[[Array, Array], Array],
    get_field_fn: Callable[[Array, Array, Array], Array],
    get_state_fn: GetStateFn,
) -> tuple[Array, Array, Array]:
    """One Lenia step: potential, field, new state.

    **Arguments:**

    - `rng_key`: a PRNG key passed to the update rule.
    - `state`: cells `[N, C, *world]`.
    - `K`: stacked kernels (Fourier or spatial, matching `get_potential_fn`).
    - `gf_params`: growth parameters `[nb_kernels, n_params]`.
    - `kernels_weight_per_channel`: `[C, nb_kernels]`.
    - `dt`: the time step `1 / T`.
    - `get_potential_fn`, `get_field_fn`, `get_state_fn`: the three stages.

    **Returns:**

    A tuple `(new_state, field, potential)`.
    """
    potential = get_potential_fn(state, K)
    field = get_field_fn(potential, gf_params, kernels_weight_per_channel)
    if isinstance(get_field_fn, FieldFn) and get_state_fn in _EULER_RULES:
        # `A + dt F` with `F = sum_k h_k G_k`: fold `dt` into the (scalar, per
        # channel) weights, `A + sum_k (dt h_k) G_k`, one multiply per cell less
        # (exactly the same result for one kernel per channel: `dt * 1 == dt`).
        # The fused elementwise tail of the step then stays under XLA:CPU's
        # flops-per-byte threshold for splitting it across threads, a split that
        # costs more than the whole tail on a 128x128 world. `field` (returned)
        # is computed unscaled; XLA shares the growth and drops it when unused.
        scaled = get_field_fn(potential, gf_params, kernels_weight_per_channel, dt)
        new_state = _EULER_RULES[get_state_fn](state + scaled)
    else:
        new_state = get_state_fn(rng_key, state, field, dt)
    return new_state, field, potential


@dataclasses.dataclass(frozen=True)
class PotentialFn:
    """A hashable potential stage (FFT or direct), built by `build_get_potential_fn`."""

    fft: bool
    tc_indices: tuple[int, ...] | None
    padding: tuple[tuple[int, int], ...] | None
    channel_first: bool = True
    correlate: bool = False

    def __call__(self, state: Array, K: Array) -> Array:
        if self.fft:
            return get_potential_fft(state, K, self.tc_indices, self.channel_first)
        return get_potential(
            state, K, self.padding, self.tc_indices, self.channel_first, self.correlate
        )


@dataclasses.dataclass(frozen=True)
class FieldFn:
    """A hashable field stage, built by `build_get_field_fn`."""

    growth_fns: tuple[Callable[[Any, Array], Array], ...]
    average: bool = True

    def __call__(
        self,
        potential: Array,
        gf_params: Array,
        weights: Array,
        scale: ArrayLike | None = None,
    ) -> Array:
        """The field; with `scale`, the field times `scale` (folded into the
        weights, so that it costs no extra multiply per cell)."""
        if scale is None:
            weighted_fn = weighted_mean if self.average else weighted_sum
            return get_field(
                potential, gf_params, weights, self.growth_fns, weighted_fn
            )
        w = _mean_weights(weights, potential.dtype) if self.average else weights
        w = jnp.asarray(w, dtype=potential.dtype) * jnp.asarray(scale, potential.dtype)
        return get_field(potential, gf_params, w, self.growth_fns, weighted_sum)


_EULER_RULES: dict[GetStateFn, Callable[[Array], Array]] = {
    get_state: ste_clip,
    get_state_simple: lambda x: x,
}
"""Rules `A' = f(A + dt F)`, by the `f` they apply: `update` folds `dt` into `F`."""


@dataclasses.dataclass(frozen=True)
class UpdateFn:
    """A hashable update function, built by `build_update_fn`.

    Two update functions built from identical configurations compare equal and
    hash alike, so passing a rebuilt one to a runner reuses the compiled code
    (Leniax's `functools.partial` objects forced a recompilation each time).

    Call it as `update_fn(rng_key, state, K, gf_params, kernels_weight_per_channel,
    dt) -> (new_state, field, potential)`.
    """

    get_potential_fn: PotentialFn
    get_field_fn: FieldFn
    get_state_fn: GetStateFn

    def __call__(
        self,
        rng_key: Any,
        state: Array,
        K: Array,
        gf_params: Array,
        kernels_weight_per_channel: Array,
        dt: ArrayLike,
    ) -> tuple[Array, Array, Array]:
        return update(
            rng_key,
            state,
            K,
            gf_params,
            kernels_weight_per_channel,
            dt,
            self.get_potential_fn,
            self.get_field_fn,
            self.get_state_fn,
        )

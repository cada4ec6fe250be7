"""The Yin-Yang dataset, generated in code, and spike-time encoders."""

import functools

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray

from ._types import EventPropSpike

R_BIG = 0.5
R_SMALL = 0.1


def yinyang_class(xy: Float[Array, "*n 2"]) -> Int[Array, " *n"]:
    """Class of points of the Yin-Yang figure in the unit square.

    `0` yang, `1` yin, `2` one of the two small dots; points outside the big
    circle get `-1`.

    **Arguments:**

    - `xy`: coordinates in `[0, 1]^2`, shape `(*n, 2)`.

    **Returns:**

    Integer classes of shape `(*n,)`.
    """
    x, y = xy[..., 0], xy[..., 1]
    d_right = jnp.hypot(x - 1.5 * R_BIG, y - R_BIG)
    d_left = jnp.hypot(x - 0.5 * R_BIG, y - R_BIG)
    yin = (
        (d_right <= R_SMALL)
        | ((d_left > R_SMALL) & (d_left <= 0.5 * R_BIG))
        | ((y > R_BIG) & (d_right > 0.5 * R_BIG))
    )
    dots = (d_right < R_SMALL) | (d_left < R_SMALL)
    cls = jnp.where(dots, 2, yin.astype(jnp.int32))
    outside = jnp.hypot(x - R_BIG, y - R_BIG) > R_BIG
    return jnp.where(outside, -1, cls)


@functools.partial(jax.jit, static_argnums=1)
def yinyang_points(
    key: PRNGKeyArray, n: int
) -> tuple[Float[Array, "n 2"], Int[Array, " n"]]:
    """`n` points of the Yin-Yang set with (almost exactly) balanced classes.

    **Arguments:**

    - `key`: a JAX PRNG key.
    - `n`: number of samples.

    **Returns:**

    `(xy, label)` with `xy` in `[0, 1]^2` of shape `(n, 2)` and labels in `{0,1,2}`.
    """
    k1, k2 = jax.random.split(key)
    cand = jax.random.uniform(k1, (n * 12 + 300, 2))
    cls = yinyang_class(cand)
    per = [n // 3, n // 3, n - 2 * (n // 3)]
    picks = []
    for c, m in enumerate(per):
        where = jnp.nonzero(cls == c, size=m, fill_value=0)[0]
        picks.append(where)
    idx = jax.random.permutation(k2, jnp.concatenate(picks))
    return cand[idx], cls[idx]


def encode_yinyang(
    xy: Float[Array, "*n 2"],
    t_late: float,
    *,
    t_early: float = 0.0,
    bias_time: float | None = None,
    mirror: bool = True,
) -> EventPropSpike:
    """Encode points as input spike times, sorted in time.

    Coordinates `(x, y)` (and, with `mirror`, `(1 - x, 1 - y)`) become spike times
    `t_early + value (t_late - t_early)` of input neurons `0..3`; an optional bias
    neuron (the last input) spikes at `bias_time`.

    **Arguments:**

    - `xy`: coordinates in `[0, 1]`, shape `(*n, 2)`.
    - `t_late`: the time that encodes the value 1 (seconds).
    - `t_early`: the time that encodes the value 0.
    - `bias_time`: time of the bias spike, or `None` for no bias input.
    - `mirror`: add the mirrored coordinates as two more inputs.

    **Returns:**

    An [`eventsnn.EventPropSpike`][] with shape `(*n, n_inputs)`.
    """
    values = jnp.concatenate([xy, 1.0 - xy], axis=-1) if mirror else xy
    times = t_early + values * (t_late - t_early)
    if bias_time is not None:
        bias = jnp.full((*times.shape[:-1], 1), bias_time, times.dtype)
        times = jnp.concatenate([times, bias], axis=-1)
    idx = jnp.broadcast_to(jnp.arange(times.shape[-1], dtype=jnp.int32), times.shape)
    order = jnp.argsort(times, axis=-1)
    times = jnp.take_along_axis(times, order, axis=-1)
    idx = jnp.take_along_axis(idx, order, axis=-1)
    return EventPropSpike(times, idx, jnp.zeros_like(times))


@functools.partial(jax.jit, static_argnums=1, static_argnames=("mirror", "bias"))
def yinyang_dataset(
    key: PRNGKeyArray,
    n: int,
    *,
    tau_syn: float = 5e-3,
    mirror: bool = True,
    bias: bool = True,
) -> tuple[EventPropSpike, Int[Array, " n"]]:
    """The Yin-Yang classification set as input spikes and labels.

    Five inputs (x, y, 1 - x, 1 - y and a bias), encoded between `0.15 tau_syn`
    and `2 tau_syn`, with the bias at `0.9 tau_syn`.

    **Arguments:**

    - `key`: a JAX PRNG key.
    - `n`: number of samples.
    - `tau_syn`: the synaptic time constant that sets the time scale.
    - `mirror`, `bias`: which inputs to include.

    **Returns:**

    `(spikes, labels)`: spikes of shape `(n, n_inputs)`, labels `(n,)`.
    """
    xy, labels = yinyang_points(key, n)
    spikes = encode_yinyang(
        xy,
        2.0 * tau_syn,
        t_early=0.15 * tau_syn,
        bias_time=0.9 * tau_syn if bias else None,
        mirror=mirror,
    )
    return spikes, labels

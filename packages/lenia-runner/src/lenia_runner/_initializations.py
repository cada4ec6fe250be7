"""Random initial states used by searches: Perlin noise and uniform noise."""

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._errors import check_positive
from ._loader import make_array_compressible
from ._registry import make_registry

InitFn = Callable[..., tuple[Any, Array]]

initializations: dict[str, InitFn]
initializations, register, get = make_registry(
    "initialisation (init_slug)",
    "initializations",
    "fn(rng_key, nb_init, world_size, R, gf_params) -> (rng_key, cells)",
)


def _fade(t: Array) -> Array:
    return 6 * t**5 - 15 * t**4 + 10 * t**3


def generate_perlin_noise_2d(
    angles: Float[Array, "n r0 r1"], shape: Sequence[int], res: Sequence[int]
) -> Float[Array, "n h w"]:
    """Gradient (Perlin) noise from gradient angles on a `(res + 1)` lattice.

    Works for any `shape` (no divisibility requirement).

    **Arguments:**

    - `angles`: gradient directions `[n, res[0] + 1, res[1] + 1]` in radians.
    - `shape`: the output size `(h, w)`.
    - `res`: the number of lattice periods along each axis.

    **Returns:**

    Noise `[n, h, w]`, roughly in [-1, 1].
    """
    grads = jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1)

    def axis_coords(n: int, r: int) -> tuple[Array, Array]:
        t = jnp.arange(n, dtype=jnp.float32) * (r / n)
        i = jnp.floor(t).astype(jnp.int32)
        return i, t - i

    i0, f0 = axis_coords(shape[0], res[0])
    i1, f1 = axis_coords(shape[1], res[1])
    out = 0.0
    u0, u1 = _fade(f0)[:, None], _fade(f1)[None, :]
    for a in (0, 1):
        for b in (0, 1):
            g = grads[:, (i0 + a)[:, None], (i1 + b)[None, :]]  # [n, h, w, 2]
            dot = g[..., 0] * (f0[:, None] - a) + g[..., 1] * (f1[None, :] - b)
            w0 = u0 if a else 1 - u0
            w1 = u1 if b else 1 - u1
            out = out + w0 * w1 * dot
    return jnp.asarray(out)


def _amplitudes(nb_init: int, gf_params: Any) -> Array:
    m = jnp.asarray(gf_params, jnp.float32).reshape(-1)[0]
    i = jnp.arange(nb_init, dtype=jnp.float32)
    return m + i / nb_init * (jnp.minimum(1.0, 3 * m) - m)


def _check(nb_init: Any, world_size: Sequence[int], R: Any, dims: tuple[int, ...]):
    if not isinstance(nb_init, int) or nb_init < 1:
        raise ValueError(f"nb_init must be a positive integer, got {nb_init!r}")
    if len(world_size) not in dims or any(int(w) < 1 for w in world_size):
        raise ValueError(
            f"expected world_size with {' or '.join(map(str, dims))} positive sizes, "
            f"got {list(world_size)}"
        )
    check_positive(R, "R (the kernel radius in pixels)")


@register("perlin")
def perlin(
    rng_key: Any, nb_init: int, world_size: Sequence[int], R: float, gf_params: Any
) -> tuple[Any, Float[Array, "nb_init 1 h w"]]:
    """Perlin-noise worlds with Leniax's amplitude schedule.

    The lattice has `[h // (3 ceil R), w // (2 ceil R)]` periods (at least 1); the
    noise is rescaled to [0, 1] and multiplied by `m + i / n (min(1, 3 m) - m)` for
    init `i` (`m` the first growth parameter of kernel 0), then quantised.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `nb_init`: number of worlds `n`.
    - `world_size`: `[h, w]`.
    - `R`: the kernel radius.
    - `gf_params`: growth parameters (`[nb_kernels, n_params]` or `[n_params]`).

    **Returns:**

    `(new_rng_key, cells [nb_init, 1, h, w])`.
    """
    _check(nb_init, world_size, R, (2,))
    h, w = (int(s) for s in world_size)
    cr = math.ceil(float(R))
    res = (max(1, h // (3 * cr)), max(1, w // (2 * cr)))
    return _perlin(rng_key, nb_init, (h, w), res, jnp.asarray(gf_params, jnp.float32))


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _perlin(rng_key, nb_init, shape, res, gf_params):
    rng_key, sub = jax.random.split(rng_key)
    angles = 2 * jnp.pi * jax.random.uniform(sub, (nb_init, res[0] + 1, res[1] + 1))
    noise = generate_perlin_noise_2d(angles, shape, res)
    lo = noise.min(axis=(1, 2), keepdims=True)
    hi = noise.max(axis=(1, 2), keepdims=True)
    noise = (noise - lo) / jnp.where(hi > lo, hi - lo, 1.0)
    cells = noise * _amplitudes(nb_init, gf_params)[:, None, None]
    return rng_key, make_array_compressible(cells[:, None])


initializations["perlin_local"] = perlin  # the v1 -> v2 upgrade named it so


@register("cropped_perlin")
def cropped_perlin(
    rng_key: Any, nb_init: int, world_size: Sequence[int], R: float, gf_params: Any
) -> tuple[Any, Float[Array, "nb_init 1 h w"]]:
    """Perlin noise cropped to a `2 ceil(R)` square, centred in an empty world.

    Leniax always returned a 128x128 world; this works for any world size.

    **Arguments:**

    - `rng_key`, `nb_init`, `world_size`, `R`, `gf_params`: as for `perlin`.

    **Returns:**

    `(new_rng_key, cells [nb_init, 1, h, w])`.
    """
    _check(nb_init, world_size, R, (2,))
    rng_key, cells = perlin(rng_key, nb_init, world_size, R, gf_params)
    h, w = (int(s) for s in world_size)
    side = min(2 * math.ceil(float(R)), h, w)
    return rng_key, _crop_and_centre(cells, side)


@functools.partial(jax.jit, static_argnums=(1,))
def _crop_and_centre(cells, side):
    h, w = cells.shape[-2:]
    o0, o1 = min(24, h - side), min(24, w - side)
    patch = cells[:, :, o0 : o0 + side, o1 : o1 + side]
    s0, s1 = (h - side) // 2, (w - side) // 2
    return jnp.zeros_like(cells).at[:, :, s0 : s0 + side, s1 : s1 + side].set(patch)


@register("random_uniform")
def random_uniform(
    rng_key: Any, nb_init: int, world_size: Sequence[int], R: float, gf_params: Any
) -> tuple[Any, Float[Array, "nb_init 1 *world"]]:
    """Uniform noise, init `i` in `[0, linspace(0.4, 1, nb_init)[i]]`, any 2-D/3-D size.

    Leniax's version raised a reshape error for every 2-D world.

    **Arguments:**

    - `rng_key`, `nb_init`, `world_size`, `R`, `gf_params`: as for `perlin`.

    **Returns:**

    `(new_rng_key, cells [nb_init, 1, *world])`.
    """
    del gf_params
    _check(nb_init, world_size, R, (1, 2, 3))
    return _uniform(rng_key, nb_init, tuple(int(s) for s in world_size))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _uniform(rng_key, nb_init, world):
    rng_key, sub = jax.random.split(rng_key)
    maxval = jnp.linspace(0.4, 1.0, nb_init).reshape((nb_init, 1) + (1,) * len(world))
    cells = jax.random.uniform(sub, (nb_init, 1, *world)) * maxval
    return rng_key, make_array_compressible(cells)

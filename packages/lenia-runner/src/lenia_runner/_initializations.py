"""Random initial states used by searches: Perlin noise and uniform noise."""

import functools
import itertools
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


def generate_perlin_noise(
    grads: Float[Array, "n ... D"], shape: Sequence[int], res: Sequence[int]
) -> Float[Array, "n ..."]:
    """Gradient (Perlin) noise in `D` dimensions from gradients on a `res + 1` lattice.

    Works for any `shape` (no divisibility requirement). The noise is zero at the
    lattice points and interpolates the `2^D` corner contributions with Perlin's
    quintic fade.

    **Arguments:**

    - `grads`: gradient vectors `[n, res[0] + 1, ..., res[D-1] + 1, D]`.
    - `shape`: the output size (`D` sizes).
    - `res`: the number of lattice periods along each axis.

    **Returns:**

    Noise `[n, *shape]`, roughly in [-1, 1].
    """
    D = len(shape)

    def axis(d: int) -> tuple[Array, Array]:
        """Lattice cell and position in it along axis `d`, shaped to broadcast."""
        t = jnp.arange(shape[d], dtype=jnp.float32) * (res[d] / shape[d])
        i = jnp.floor(t).astype(jnp.int32)
        bshape = [1] * D
        bshape[d] = shape[d]
        return i.reshape(bshape), (t - i).reshape(bshape)

    cells, frac = zip(*(axis(d) for d in range(D)), strict=True)
    fade = [_fade(f) for f in frac]
    out = 0.0
    for corner in itertools.product((0, 1), repeat=D):
        g = grads[(slice(None), *(i + c for i, c in zip(cells, corner, strict=True)))]
        dot = sum(g[..., d] * (frac[d] - c) for d, c in enumerate(corner))
        weight = math.prod(u if c else 1 - u for u, c in zip(fade, corner, strict=True))
        out = out + weight * dot
    return jnp.asarray(out)


def generate_perlin_noise_2d(
    angles: Float[Array, "n r0 r1"], shape: Sequence[int], res: Sequence[int]
) -> Float[Array, "n h w"]:
    """2-D Perlin noise from gradient angles (radians) on a `res + 1` lattice.

    **Arguments:**

    - `angles`: gradient directions `[n, res[0] + 1, res[1] + 1]` in radians.
    - `shape`: the output size `(h, w)`.
    - `res`: the number of lattice periods along each axis.

    **Returns:**

    Noise `[n, h, w]`, roughly in [-1, 1] (see `generate_perlin_noise`).
    """
    grads = jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=-1)
    return generate_perlin_noise(grads, shape, res)


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
) -> tuple[Any, Float[Array, "nb_init 1 *world"]]:
    """Perlin-noise worlds (2-D or 3-D) with Leniax's amplitude schedule.

    The lattice has `h // (3 ceil R)` periods along the first axis and
    `n // (2 ceil R)` along the others (at least 1), as Leniax's 2-D lattice; the
    noise is rescaled to [0, 1] and multiplied by `m + i / n (min(1, 3 m) - m)` for
    init `i` (`m` the first growth parameter of kernel 0), then quantised. 2-D
    gradients have uniform random angles (as Leniax); 3-D gradients uniform random
    directions.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `nb_init`: number of worlds `n`.
    - `world_size`: `[h, w]` or `[d, h, w]`.
    - `R`: the kernel radius.
    - `gf_params`: growth parameters (`[nb_kernels, n_params]` or `[n_params]`).

    **Returns:**

    `(new_rng_key, cells [nb_init, 1, *world])`.
    """
    _check(nb_init, world_size, R, (2, 3))
    size = tuple(int(s) for s in world_size)
    cr = math.ceil(float(R))
    res = tuple(max(1, n // ((2 if d else 3) * cr)) for d, n in enumerate(size))
    return _perlin(rng_key, nb_init, size, res, jnp.asarray(gf_params, jnp.float32))


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _perlin(rng_key, nb_init, shape, res, gf_params):
    rng_key, sub = jax.random.split(rng_key)
    lattice = (nb_init, *(r + 1 for r in res))
    if len(shape) == 2:
        angles = 2 * jnp.pi * jax.random.uniform(sub, lattice)
        noise = generate_perlin_noise_2d(angles, shape, res)
    else:
        g = jax.random.normal(sub, (*lattice, len(shape)))
        g = g / jnp.linalg.norm(g, axis=-1, keepdims=True)
        noise = generate_perlin_noise(g, shape, res)
    axes = tuple(range(1, noise.ndim))
    lo = noise.min(axis=axes, keepdims=True)
    hi = noise.max(axis=axes, keepdims=True)
    noise = (noise - lo) / jnp.where(hi > lo, hi - lo, 1.0)
    amplitude = _amplitudes(nb_init, gf_params).reshape((nb_init,) + (1,) * len(shape))
    return rng_key, make_array_compressible((noise * amplitude)[:, None])


initializations["perlin_local"] = perlin  # the v1 -> v2 upgrade named it so


@register("cropped_perlin")
def cropped_perlin(
    rng_key: Any, nb_init: int, world_size: Sequence[int], R: float, gf_params: Any
) -> tuple[Any, Float[Array, "nb_init 1 *world"]]:
    """Perlin noise cropped to a `2 ceil(R)` square (cube in 3-D), centred in an
    empty world.

    Leniax always returned a 128x128 world; this works for any 2-D or 3-D size.

    **Arguments:**

    - `rng_key`, `nb_init`, `world_size`, `R`, `gf_params`: as for `perlin`.

    **Returns:**

    `(new_rng_key, cells [nb_init, 1, *world])`.
    """
    _check(nb_init, world_size, R, (2, 3))
    rng_key, cells = perlin(rng_key, nb_init, world_size, R, gf_params)
    side = min(2 * math.ceil(float(R)), *(int(s) for s in world_size))
    return rng_key, _crop_and_centre(cells, side)


@functools.partial(jax.jit, static_argnums=(1,))
def _crop_and_centre(cells, side):
    world = cells.shape[2:]
    src = tuple(slice(o, o + side) for o in (min(24, n - side) for n in world))
    dst = tuple(slice(o, o + side) for o in ((n - side) // 2 for n in world))
    patch = cells[(slice(None), slice(None), *src)]
    return jnp.zeros_like(cells).at[(slice(None), slice(None), *dst)].set(patch)


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

"""Growth functions: map a potential `U` to a growth in [-1, 1] (or a target)."""

from collections.abc import Callable

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._kernel_functions import staircase_profile, triangle_profile
from ._registry import make_registry
from ._types import ParamsLike

GrowthFunction = Callable[[ArrayLike, ArrayLike], Array]

growth_functions: dict[str, GrowthFunction]
growth_functions, register, get = make_registry(
    "growth function (gf_slug)", "growth_functions", "fn(params, U) -> array"
)


def _ms(params: ParamsLike) -> tuple[Array, Array]:
    p = jnp.asarray(params, dtype=jnp.float32).reshape(-1)
    return p[0], p[1]


@register("poly_quad4")
def poly_quad4(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Lenia's polynomial growth `2 max(0, 1 - (U - m)^2 / (9 s^2))^4 - 1`.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The growth, in [-1, 1].
    """
    m, s = _ms(params)
    X = jnp.asarray(X, dtype=jnp.float32)
    return 2 * jnp.maximum(0.0, 1 - (X - m) ** 2 / (9 * s**2)) ** 4 - 1


@register("gaussian")
def gaussian(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Gaussian growth `2 exp(-((U - m) / s)^2 / 2) - 1`.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The growth, in [-1, 1].
    """
    m, s = _ms(params)
    X = jnp.asarray(X, dtype=jnp.float32)
    return 2 * jnp.exp(-0.5 * ((X - m) / s) ** 2) - 1


@register("gaussian_target")
def gaussian_target(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Gaussian target `exp(-((U - m) / s)^2 / 2)` for the asymptotic rule `v2`.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The target, in [0, 1].
    """
    m, s = _ms(params)
    X = jnp.asarray(X, dtype=jnp.float32)
    return jnp.exp(-0.5 * ((X - m) / s) ** 2)


@register("step")
def step(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Step growth: +1 where `|U - m| <= s`, -1 elsewhere.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The growth, -1 or 1.
    """
    m, s = _ms(params)
    X = jnp.asarray(X, dtype=jnp.float32)
    return 2 * (jnp.abs(X - m) <= s).astype(jnp.float32) - 1


@register("staircase")
def staircase(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Staircase growth `2 staircase(m, s)(U) - 1`.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The growth: -1, 0 or 1.
    """
    m, s = _ms(params)
    return 2 * staircase_profile(m, s, jnp.asarray(X, jnp.float32)) - 1


@register("triangle")
def triangle(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """Triangle growth `2 triangle(m, s)(U) - 1`.

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: the potential `U`.

    **Returns:**

    The growth, in [-1, 1].
    """
    m, s = _ms(params)
    return 2 * triangle_profile(m, s, jnp.asarray(X, jnp.float32)) - 1


@register("identity")
def identity(params: ParamsLike, X: ArrayLike) -> Float[Array, "..."]:
    """The potential itself (used by Game-of-Life style rules).

    **Arguments:**

    - `params`: ignored.
    - `X`: the potential `U`.

    **Returns:**

    `U`.
    """
    del params
    return jnp.asarray(X, dtype=jnp.float32)


OLD_GF_ID = {0: "poly_quad4", 1: "gaussian", 2: "gaussian_target", 3: "step"}
"""v1 `gf_id` numbers and the growth function slugs they stand for."""

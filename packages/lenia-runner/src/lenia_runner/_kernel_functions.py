"""Kernel core functions: radial profiles on [0, 1] that shape a kernel's rings."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._registry import make_registry
from ._types import ParamsLike

KernelFunction = Callable[[ArrayLike, ArrayLike], Array]

kernel_functions: dict[str, KernelFunction]
kernel_functions, register, get = make_registry(
    "kernel function (kf_slug)", "kernel_functions", "fn(params, X) -> array"
)


def _xp(*args: Any) -> Any:
    """numpy for host inputs (fast kernel construction), jax.numpy otherwise."""
    return jnp if any(isinstance(a, jax.Array) for a in args) else np


def _p(params: ParamsLike, i: int, xp: Any = jnp) -> Any:
    dtype = np.float64 if xp is np else jnp.float32
    return xp.asarray(params, dtype=dtype).reshape(-1)[i]


def _x(X: Any, xp: Any) -> Any:  # host or traced inputs alike
    return xp.asarray(X, dtype=np.float64 if xp is np else jnp.float32)


@register("poly_quad")
def poly_quad(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Polynomial core `(4 X (1 - X))^q` (Lenia's standard core for `q = 4`).

    **Arguments:**

    - `params`: `[q]`.
    - `X`: positions in [0, 1] inside a ring.

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    X = _x(X, xp)
    return (4 * X * (1 - X)) ** _p(params, 0, xp)


@register("gauss_bump")
def gauss_bump(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Exponential bump `exp(q (q - 1 / (X (1 - X) + 1e-7)))`.

    Leniax's variant: equal to Lenia's `exp(α - α / (4 X (1 - X)))` only for `q = 4`.

    **Arguments:**

    - `params`: `[q]`.
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    X = _x(X, xp)
    q = _p(params, 0, xp)
    return xp.exp(q * (q - 1 / (X * (1 - X) + 1e-7)))


@register("step")
def step(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Step core: 1 on `[q, 1 - q]`, 0 elsewhere.

    **Arguments:**

    - `params`: `[q]`.
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    X = _x(X, xp)
    q = _p(params, 0, xp)
    return ((X >= q) & (X <= 1 - q)).astype(X.dtype)


@register("gauss")
def gauss(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Gaussian shell `exp(-((X - q) / (0.3 q))^2 / 2)`.

    **Arguments:**

    - `params`: `[q]` (0.5 gives the "Expanded Universe" shell, width 0.15).
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    X = _x(X, xp)
    q = _p(params, 0, xp)
    return xp.exp(-0.5 * ((X - q) / (0.3 * q)) ** 2)


@register("threshold")
def threshold(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Threshold core: 1 where `X >= q`.

    **Arguments:**

    - `params`: `[q]`.
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    X = _x(X, xp)
    return (X >= _p(params, 0, xp)).astype(X.dtype)


def staircase_profile(m: Any, s: Any, X: Any) -> Any:
    """0.5 on `[m-s, m-s/2)`, 1 on `[m-s/2, m+s/2]`, 0.5 on `(m+s/2, m+s]`, else 0."""
    xp = _xp(m, s, X)
    X = _x(X, xp)
    inner = (X >= m - s / 2) & (X <= m + s / 2)
    outer = (X >= m - s) & (X <= m + s)
    return xp.where(inner, 1.0, xp.where(outer, 0.5, 0.0)).astype(X.dtype)


def triangle_profile(m: Any, s: Any, X: Any) -> Any:
    """Linear 0 -> 1 on `[m-s, m)`, 1 -> 0 on `[m, m+s]`, else 0."""
    xp = _xp(m, s, X)
    X = _x(X, xp)
    up = (X - (m - s)) / s
    down = 1 - (X - m) / s
    value = xp.where(X < m, up, down)
    inside = (X >= m - s) & (X <= m + s)
    return xp.where(inside, value, 0.0).astype(X.dtype)


@register("staircase")
def staircase(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Staircase core (see `staircase_profile`).

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    return staircase_profile(_p(params, 0, xp), _p(params, 1, xp), X)


@register("triangle")
def triangle(params: ParamsLike, X: Any) -> Float[Array, "..."]:
    """Triangle core (see `triangle_profile`).

    **Arguments:**

    - `params`: `[m, s]`.
    - `X`: positions in [0, 1].

    **Returns:**

    The core's value at `X`.
    """
    xp = _xp(params, X)
    return triangle_profile(_p(params, 0, xp), _p(params, 1, xp), X)


OLD_K_ID = {0: "poly_quad", 1: "gauss_bump", 2: "step", 3: "staircase", 4: "gauss"}
"""v1 `k_id` numbers and the kernel function slugs they stand for."""

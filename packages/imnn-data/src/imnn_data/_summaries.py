"""Summaries and their parameter derivatives for one simulation (pure functions)."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


def value_and_chain(
    model: Callable, w: Any, d: Array, dd_dθ: Float[Array, "... p"]
) -> tuple[Float[Array, " s"], Float[Array, "s p"]]:
    """`x = f(w, d)` and `dx/dθ = (∂x/∂d)(∂d/∂θ)` by forward mode, one JVP per
    parameter (exact for inputs of any rank: no transposition of spatial axes)."""
    x, jvp = jax.linearize(lambda di: model(w, di), d)
    dx = jax.vmap(jvp, in_axes=-1, out_axes=-1)(dd_dθ)
    return x, dx


def value_and_simulator_derivative(
    model: Callable, simulator: Callable, w: Any, key: Any, θ: Array
) -> tuple[Float[Array, " s"], Float[Array, "s p"]]:
    """`x = f(w, sim(key, θ))` and its derivative with respect to `θ`."""
    x, jvp = jax.linearize(lambda t: model(w, simulator(key, t)), θ)
    eye = jnp.eye(θ.shape[0], dtype=θ.dtype)
    return x, jax.vmap(jvp, out_axes=-1)(eye)


def batch_apply(model: Callable, w: Any, d: Array) -> Array:
    """The network on a batch of single inputs."""
    return jax.vmap(lambda di: model(w, di))(d)

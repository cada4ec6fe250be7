"""The seed's Gaussian problem: 10 iid draws, parameters mean and variance."""

import functools
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._maths import f_statistics
from ._summaries import value_and_chain

INPUT_SHAPE = (10,)
θ_FID = (0.0, 1.0)
EXPECTED_DET_F = 50.0
"""det diag(10, 5): the Fisher information of 10 draws about (mean, variance)."""


def gaussian_simulator(key: PRNGKeyArray, θ: Float[Array, " 2"]) -> Float[Array, " 10"]:
    """10 iid draws from `N(θ[0], θ[1])`."""
    return θ[0] + jax.random.normal(key, INPUT_SHAPE) * jnp.sqrt(θ[1])


@functools.partial(jax.jit, static_argnums=(1, 2))
def gaussian_data(
    key: PRNGKeyArray, n_s: int, n_d: int
) -> tuple[Float[Array, "n_s 10"], Float[Array, "n_d 10 2"]]:
    """`n_s` fiducial simulations and exact derivatives of the first `n_d`."""
    θ = jnp.asarray(θ_FID)
    keys = jax.random.split(key, n_s)
    fiducial = jax.vmap(lambda k: gaussian_simulator(k, θ))(keys)
    derivative = jax.vmap(lambda k: jax.jacfwd(gaussian_simulator, 1)(k, θ))(keys[:n_d])
    return fiducial, derivative


@functools.partial(jax.jit, static_argnums=(1, 2))
def gaussian_numerical_data(
    key: PRNGKeyArray, n_s: int, n_d: int, δθ: Float[Array, " 2"]
) -> tuple[Float[Array, "n_s 10"], Float[Array, "n_d 2 2 10"]]:
    """`n_s` fiducial simulations and seed-matched ones at `θ ∓ δθ/2`."""
    θ = jnp.asarray(θ_FID)
    keys = jax.random.split(key, n_s)
    fiducial = jax.vmap(lambda k: gaussian_simulator(k, θ))(keys)
    shifts = jnp.stack([-jnp.diag(δθ) / 2, jnp.diag(δθ) / 2])  # (2, p, p)

    def perturbed(k):
        return jax.vmap(jax.vmap(lambda s: gaussian_simulator(k, θ + s)))(shifts)

    return fiducial, jax.vmap(perturbed)(keys[:n_d])


class DeepSet(eqx.Module):
    """A permutation-invariant summary network: `Σᵢ g(dᵢ)` with a small MLP `g`.

    **Arguments:**

    - `key`: PRNG key for the weights.
    - `n_summaries`, `width`: outputs and hidden width of `g`.
    """

    g: eqx.nn.MLP

    def __init__(self, key: PRNGKeyArray, n_summaries: int = 2, width: int = 64):
        self.g = eqx.nn.MLP(
            1, n_summaries, width, 2, activation=jax.nn.softplus, key=key
        )

    def __call__(self, d: Float[Array, " n"]) -> Float[Array, " n_summaries"]:
        return jnp.sum(jax.vmap(self.g)(d[:, None]), axis=0)


def fresh_det_F(model: Any, w: Any, key: PRNGKeyArray, n: int = 20000) -> float:
    """det F of the network's summaries on `n` fresh simulations (exact
    derivatives): an estimate of the information the summaries really carry."""
    fiducial, derivative = gaussian_data(key, n, n)

    @jax.jit
    def det(w):
        x, dx = jax.vmap(lambda d, t: value_and_chain(model, w, d, t))(
            fiducial, derivative
        )
        return jnp.linalg.det(f_statistics(x, dx).F)

    return float(det(w))

"""The mathematics of the IMNN: Fisher information, regularisation and loss."""

import math
from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Float


class FStatistics(NamedTuple):
    """Gaussian Fisher information of a set of summaries and what it is made of.

    **Arguments:**

    - `F`: the Fisher information matrix `(n_params, n_params)`.
    - `C`: the (unbiased) covariance of the summaries `(n_summaries, n_summaries)`.
    - `invC`: the inverse of `C`.
    - `dμ_dθ`: the derivative of the mean summary, `(n_summaries, n_params)`.
    - `μ`: the mean summary `(n_summaries,)`.
    """

    F: Float[Array, "p p"]
    C: Float[Array, "s s"]
    invC: Float[Array, "s s"]
    dμ_dθ: Float[Array, "s p"]
    μ: Float[Array, " s"]


class LossStatistics(NamedTuple):
    """The per-iteration numbers the fitting history records."""

    detF: Float[Array, ""]
    detC: Float[Array, ""]
    detinvC: Float[Array, ""]
    Λ2: Float[Array, ""]
    r: Float[Array, ""]


def get_alpha(λ: float, ϵ: float) -> float:
    """The rate `α` of the smooth regularisation strength `r(Λ₂)`.

    `α = -ln(ϵ(λ - 1) + ϵ²/(1 + ϵ)) / ϵ`, chosen so that `r` has fallen to `ϵ`-closeness.

    **Arguments:**

    - `λ`: the strength of the regularisation (`r → λ` for large `Λ₂`).
    - `ϵ`: the closeness criterion (how close `C` must be to the identity).

    **Returns:**

    `α` as a Python float.

    **Raises:**

    `ValueError` where `α` would be undefined (the logarithm's argument is not
    positive) or negative (the original then silently switches the regularisation
    off for large `Λ₂`, exactly when it is needed).
    """
    for value, label in ((λ, "λ"), (ϵ, "ϵ")):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(
                f"`{label}` must be a float, got {type(value).__name__} {value!r}"
            )
        if not math.isfinite(value) or value <= 0:
            raise ValueError(
                f"`{label}` must be a positive finite float, got {value!r}"
            )
    argument = ϵ * (λ - 1.0) + ϵ**2 / (1.0 + ϵ)
    if argument <= 0:
        raise ValueError(
            f"the regularisation rate α is undefined for λ={λ!r}, ϵ={ϵ!r}: "
            f"ϵ(λ-1) + ϵ²/(1+ϵ) = {argument:.4g} must be positive; increase λ "
            "(λ > 1 always works) or ϵ"
        )
    α = -math.log(argument) / ϵ
    if α < 0:
        raise ValueError(
            f"the regularisation rate α = {α:.4g} is negative for λ={λ!r}, ϵ={ϵ!r} "
            "(ϵ(λ-1) + ϵ²/(1+ϵ) > 1), which would switch the regularisation off for "
            "large Λ₂; expected λ < 1 + 1/ϵ - ϵ/(1+ϵ)², e.g. decrease λ or ϵ"
        )
    return α


def covariance(x: Float[Array, "n s"]) -> Float[Array, "s s"]:
    """Unbiased covariance `1/(n-1) Σ (x-μ)(x-μ)ᵀ` of the rows of `x`."""
    centred = x - jnp.mean(x, axis=0)
    return centred.T @ centred / (x.shape[0] - 1)


def f_statistics(
    x: Float[Array, "n_s s"], dx_dθ: Float[Array, "n_d s p"]
) -> FStatistics:
    """Fisher information of summaries `x` with derivatives `dx_dθ`.

    **Arguments:**

    - `x`: summaries of the `n_s` fiducial simulations.
    - `dx_dθ`: derivatives of the summaries of `n_d` simulations with respect to the
        parameters.

    **Returns:**

    An [`imnn_data.FStatistics`][].
    """
    μ = jnp.mean(x, axis=0)
    C = covariance(x)
    invC = jnp.linalg.inv(C)
    dμ_dθ = jnp.mean(dx_dθ, axis=0)
    F = dμ_dθ.T @ invC @ dμ_dθ
    F = 0.5 * (F + F.T)
    return FStatistics(F=F, C=C, invC=invC, dμ_dθ=dμ_dθ, μ=μ)


def regularisation(C: Float[Array, "s s"], invC: Float[Array, "s s"]) -> Array:
    """`Λ₂ = ‖C - I‖_F + ‖C⁻¹ - I‖_F`."""
    eye = jnp.eye(C.shape[0], dtype=C.dtype)
    return jnp.linalg.norm(C - eye) + jnp.linalg.norm(invC - eye)


def regularisation_strength(Λ2: Array, λ: Array | float, α: Array | float) -> Array:
    """`r(Λ₂) = λΛ₂ / (Λ₂ + exp(-αΛ₂))` (the sign the original's code uses)."""
    return λ * Λ2 / (Λ2 + jnp.exp(-α * Λ2))


def loss_and_statistics(
    x: Float[Array, "n_s s"],
    dx_dθ: Float[Array, "n_d s p"],
    λ: Array | float,
    α: Array | float,
) -> tuple[Array, LossStatistics]:
    """The IMNN loss `-ln|det F| + r(Λ₂) Λ₂` and the statistics it records.

    **Arguments:**

    - `x`: summaries `(n_s, n_summaries)`.
    - `dx_dθ`: derivatives of summaries `(n_d, n_summaries, n_params)`.
    - `λ`, `α`: regularisation strength and rate (see [`imnn_data.get_alpha`][]).

    **Returns:**

    `(loss, LossStatistics)`.
    """
    stats = f_statistics(x, dx_dθ)
    sign, logdet = jnp.linalg.slogdet(stats.F)
    Λ2 = regularisation(stats.C, stats.invC)
    r = regularisation_strength(Λ2, λ, α)
    loss = -sign * logdet + r * Λ2
    return loss, LossStatistics(
        detF=jnp.linalg.det(stats.F),
        detC=jnp.linalg.det(stats.C),
        detinvC=jnp.linalg.det(stats.invC),
        Λ2=Λ2,
        r=r,
    )


def numerical_derivative(
    x_pm: Float[Array, "n_d 2 p s"], δθ: Float[Array, " p"]
) -> Float[Array, "n_d s p"]:
    """Finite differences `(x₊ - x₋)/δθ` from summaries at `θ ∓ δθ/2`."""
    return jnp.swapaxes((x_pm[:, 1] - x_pm[:, 0]) / δθ[None, :, None], 1, 2)

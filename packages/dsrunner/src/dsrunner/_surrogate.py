"""Spike functions with surrogate gradients (`dsrunner.math.surrogate`).

Forward: the Heaviside step `x >= 0` as a float of `x`'s dtype. Backward: a smooth
stand-in for its derivative, so spiking networks can be trained by gradient.
"""

from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


class Surrogate:
    """Base class: `__call__(x)` is the step `x >= 0`, its gradient `surrogate_grad`."""

    def surrogate_grad(self, x: Float[Array, "..."]) -> Float[Array, "..."]:
        """The stand-in derivative of the step at `x`."""
        raise NotImplementedError(
            f"{type(self).__name__} must define surrogate_grad(x)"
        )

    def __call__(self, x: Any) -> Float[Array, "..."]:
        x = jnp.asarray(x)
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(jnp.float32)

        @jax.custom_jvp
        def step(x):
            return (x >= 0).astype(x.dtype)

        @step.defjvp
        def _(primals, tangents):
            (x,), (tx,) = primals, tangents
            grad = self.surrogate_grad(jax.lax.stop_gradient(x))
            return step(x), (grad * tx).astype(x.dtype)

        return step(x)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Sigmoid(Surrogate):
    """Gradient `alpha * s (1 - s)`, `s = sigmoid(alpha x)`.

    **Arguments:**

    - `alpha`: the steepness, default 4.
    """

    def __init__(self, alpha: float = 4.0):
        self.alpha = alpha

    def surrogate_grad(self, x):
        s = jax.nn.sigmoid(self.alpha * x)
        return self.alpha * s * (1.0 - s)


class Arctan(Surrogate):
    """Gradient `alpha / 2 / (1 + (pi alpha x / 2)^2)`.

    **Arguments:**

    - `alpha`: the steepness, default 1.
    """

    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def surrogate_grad(self, x):
        return self.alpha * 0.5 / (1.0 + (jnp.pi / 2 * self.alpha * x) ** 2)


class ReluGrad(Surrogate):
    """Piecewise-linear (triangular) gradient `alpha * max(width - |x|, 0)`.

    **Arguments:**

    - `alpha`: the slope, default 0.3.
    - `width`: the half-width of the support, default 1.
    """

    def __init__(self, alpha: float = 0.3, width: float = 1.0):
        self.alpha = alpha
        self.width = width

    def surrogate_grad(self, x):
        return jnp.maximum(self.alpha * (self.width - jnp.abs(x)), 0.0)


class PiecewiseLinear(ReluGrad):
    """Same as `ReluGrad`: the piecewise-linear (triangular) surrogate."""


class InvSquareGrad(Surrogate):
    """Gradient `1 / (alpha |x| + 1)^2` (BrainPy's default `spk_fun`).

    **Arguments:**

    - `alpha`: the sharpness, default 100.
    """

    def __init__(self, alpha: float = 100.0):
        self.alpha = alpha

    def surrogate_grad(self, x):
        return 1.0 / (self.alpha * jnp.abs(x) + 1.0) ** 2

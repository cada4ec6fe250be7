from typing import ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

import rollax


class NoisyDecay(rollax.AbstractStepper):
    """One Euler-Maruyama step of an Ornstein-Uhlenbeck process, `dx = -x/tau dt + sigma dW`.

    **Arguments:**

    - `size`: the length of the state vector (static: it sets shapes).
    - `tau`: the decay time constant.
    - `sigma`: the noise amplitude; with `sigma = 0` the stepper needs no key.
    - `dt`: the time step.
    """

    name: ClassVar[str] = "rollax-toy-plugin:NoisyDecay"

    size: int
    tau: Float[Array, ""]
    sigma: Float[Array, ""]
    dt: Float[Array, ""]

    def __init__(self, size: int, tau: float = 1.0, sigma: float = 0.1, dt=0.01):
        self.size = size
        self.tau = jnp.asarray(tau, dtype=float)
        self.sigma = jnp.asarray(sigma, dtype=float)
        self.dt = jnp.asarray(dt, dtype=float)

    def __check_init__(self):
        if self.size < 1:
            raise ValueError(f"expected size >= 1, got {self.size}")

    def __call__(
        self, state: Float[Array, " size"], *, key: PRNGKeyArray | None = None
    ) -> Float[Array, " size"]:
        if jnp.shape(state) != (self.size,):
            raise ValueError(
                f"expected a state of shape ({self.size},), got {jnp.shape(state)}; "
                "for a batch of states use jax.vmap"
            )
        drift = -state / self.tau * self.dt
        if key is None:
            return state + drift
        noise = self.sigma * jnp.sqrt(self.dt) * jax.random.normal(key, state.shape)
        return state + drift + noise.astype(state.dtype)

"""SimulatorIMNN: simulations generated on the fly from a JAX simulator."""

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._imnn import _IMNN
from ._summaries import value_and_simulator_derivative


def check_simulator(simulator: Any) -> Callable:
    if simulator is None:
        raise ValueError("`simulator` is None; expected a function simulator(key, θ)")
    if not callable(simulator):
        raise TypeError(
            "`simulator` must be a function simulator(key, θ) returning one "
            f"simulation, got {type(simulator).__name__}"
        )
    try:
        inspect.signature(simulator).bind(0, 0)
    except TypeError:
        raise ValueError(
            "`simulator` must take two arguments, a JAX PRNG key and the simulator "
            "parameters: simulator(key, θ)"
        ) from None
    except ValueError:
        pass
    return simulator


class SimulatorIMNN(_IMNN):
    """Information-maximising neural network fitted on simulations made on the fly.

    Each iteration draws `n_s` fresh simulations `simulator(key, θ_fid)`; the
    derivatives of the first `n_d` summaries with respect to `θ` are taken through
    the simulator and the network by forward mode.

    **Arguments:** as [`imnn_data.GradientIMNN`][], except

    - `simulator`: `simulator(key, θ)` returning one simulation of `input_shape`,
        differentiable with respect to `θ`.
    """

    simulate = True

    def __init__(
        self,
        n_s: int,
        n_d: int,
        n_params: int,
        n_summaries: int,
        input_shape: tuple[int, ...],
        θ_fid: Float[Array | np.ndarray, " n_params"],
        model: Any,
        optimiser: Any,
        key_or_state: Any,
        simulator: Callable[[Any, Array], Array],
    ):
        super().__init__(
            n_s,
            n_d,
            n_params,
            n_summaries,
            input_shape,
            θ_fid,
            model,
            optimiser,
            key_or_state,
        )
        self.simulator = check_simulator(simulator)
        out = jax.eval_shape(simulator, jax.random.key(0), self.θ_fid)
        if tuple(getattr(out, "shape", ())) != self.input_shape:
            raise ValueError(
                f"`simulator` should return one simulation of shape {self.input_shape}"
                f" (input_shape), but returns {getattr(out, 'shape', out)}"
            )

    def _summaries(self, w, data, key):
        keys = jax.random.split(key, self.n_s)
        θ = self.θ_fid

        def with_derivative(k):
            return value_and_simulator_derivative(self.model, self.simulator, w, k, θ)

        x_d, dx = jax.vmap(with_derivative)(keys[: self.n_d])
        if self.n_d == self.n_s:
            return x_d, dx
        x_rest = jax.vmap(lambda k: self.model(w, self.simulator(k, θ)))(
            keys[self.n_d :]
        )
        return jnp.concatenate([x_d, x_rest]), dx

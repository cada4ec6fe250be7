"""GradientIMNN: simulations with known derivatives, held in memory."""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jaxtyping import Array, Float

from ._imnn import _IMNN
from ._inmemory import InMemoryData
from ._summaries import batch_apply, value_and_chain


class GradientIMNN(InMemoryData, _IMNN):
    """Information-maximising neural network fitted with known derivatives.

    The network's summaries of the `n_s` fiducial simulations give the covariance;
    the derivatives of the first `n_d` summaries with respect to the parameters come
    from the chain rule `∂x/∂θ = (∂x/∂d)(∂d/∂θ)` with the given `∂d/∂θ` (computed
    by forward mode, correct for inputs of any rank).

    **Arguments:**

    - `n_s`, `n_d`, `n_params`, `n_summaries`: numbers of simulations for the
        covariance and for the derivative, of parameters and of summaries.
    - `input_shape`: shape of one simulation (a tuple).
    - `θ_fid`: fiducial parameter values `(n_params,)`.
    - `model`: an `equinox.Module` or a pair `(init_fn, apply_fn)`.
    - `optimiser`: an optax `GradientTransformation`.
    - `key_or_state`: PRNG key to initialise the network, or an `IMNNState` to
        resume from.
    - `fiducial`: simulations `(n_s, *input_shape)`.
    - `derivative`: their derivatives `(n_d, *input_shape, n_params)` (for the
        first `n_d` fiducial simulations).
    - `validation_fiducial`, `validation_derivative`: optional validation set of
        the same shapes (both or neither).
    - `mesh`: optional `jax.sharding.Mesh`; the simulations are then sharded along
        its first axis and the fit runs on all its devices.
    - `derivative_of_mean`: fit from the derivative of the mean simulation alone
        (the original's issue 10): `derivative` (and `validation_derivative`) is
        then `∂⟨d⟩/∂θ` of shape `(*input_shape, n_params)`, used for each of the
        first `n_d` simulations (take `n_d = n_s`). Exact where the parameters
        only move the mean (`d = m(θ) + noise` with noise independent of `θ`);
        otherwise use [`imnn_data.NumericalGradientIMNN`][], whose simulations
        at `θ ∓ δθ/2` need not share seeds (only the mean of the summaries'
        differences enters F).
    """

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
        fiducial: Float[Array | np.ndarray, "n_s ..."],
        derivative: Float[Array | np.ndarray, "n_d ... n_params"],
        validation_fiducial: Float[Array | np.ndarray, "n_s ..."] | None = None,
        validation_derivative: Float[Array | np.ndarray, "n_d ... n_params"]
        | None = None,
        *,
        mesh: Mesh | None = None,
        derivative_of_mean: bool = False,
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
        self.mesh = mesh
        if not isinstance(derivative_of_mean, bool):
            raise TypeError(
                "`derivative_of_mean` must be a bool, got "
                f"{type(derivative_of_mean).__name__}"
            )
        self.derivative_of_mean = derivative_of_mean
        self._set_data(fiducial, derivative, validation_fiducial, validation_derivative)

    def _set_data(
        self, fiducial, derivative, validation_fiducial, validation_derivative
    ) -> None:
        if self.derivative_of_mean:
            der_shape = (*self.input_shape, self.n_params)
            hint = (
                "with derivative_of_mean=True it is the derivative of the mean "
                "simulation, (*input_shape, n_params)"
            )
        else:
            der_shape = (self.n_d, *self.input_shape, self.n_params)
            hint = "derivatives are (n_d, *input_shape, n_params)"
        self._set_arrays(
            fiducial,
            derivative,
            validation_fiducial,
            validation_derivative,
            der_shape,
            hint,
        )

    def _summaries(self, w, data, key):
        fiducial, derivative = data
        x_d, dx = jax.vmap(
            lambda d, t: value_and_chain(self.model, w, d, t),
            in_axes=(0, None if self.derivative_of_mean else 0),
        )(fiducial[: self.n_d], derivative)
        if self.n_d == self.n_s:
            return x_d, dx
        x_rest = batch_apply(self.model, w, fiducial[self.n_d :])
        return jnp.concatenate([x_d, x_rest]), dx

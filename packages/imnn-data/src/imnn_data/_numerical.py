"""NumericalGradientIMNN: seed-matched simulations at θ_fid ± δθ/2, in memory."""

from typing import Any

import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jaxtyping import Array, Float

from ._checks import check_array
from ._imnn import _IMNN
from ._inmemory import InMemoryData
from ._maths import numerical_derivative
from ._summaries import batch_apply


class NumericalGradientIMNN(InMemoryData, _IMNN):
    """Information-maximising neural network fitted with numerical derivatives.

    The derivative of the summaries is the finite difference
    `(x(θ_fid + δθ_α/2) - x(θ_fid - δθ_α/2)) / δθ_α` of seed-matched simulations.

    **Arguments:** as [`imnn_data.GradientIMNN`][], except

    - `derivative`: simulations `(n_d, 2, n_params, *input_shape)`, where
        `[:, 0, α]` is generated at `θ_fid - δθ_α/2` and `[:, 1, α]` at
        `θ_fid + δθ_α/2` with the same seed as the matching fiducial one.
    - `δθ`: the full step between the two points, `(n_params,)`.
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
        derivative: Float[Array | np.ndarray, "n_d 2 n_params ..."],
        δθ: Float[Array | np.ndarray, " n_params"],
        validation_fiducial: Float[Array | np.ndarray, "n_s ..."] | None = None,
        validation_derivative: Float[Array | np.ndarray, "n_d 2 n_params ..."]
        | None = None,
        *,
        mesh: Mesh | None = None,
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
        self.δθ = jnp.asarray(check_array(δθ, (self.n_params,), "δθ"))
        self._set_data(fiducial, derivative, validation_fiducial, validation_derivative)

    def _set_data(
        self, fiducial, derivative, validation_fiducial, validation_derivative
    ) -> None:
        der_shape = (self.n_d, 2, self.n_params, *self.input_shape)
        hint = (
            "numerical derivatives are (n_d, 2, n_params, *input_shape): "
            "[:, 0] below and [:, 1] above θ_fid"
        )
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
        x = batch_apply(self.model, w, fiducial)
        flat = derivative.reshape((-1, *self.input_shape))
        x_pm = batch_apply(self.model, w, flat).reshape(
            (self.n_d, 2, self.n_params, self.n_summaries)
        )
        return x, numerical_derivative(x_pm, self.δθ.astype(x_pm.dtype))

"""Aggregated and dataset-fed IMNNs with numerical derivatives."""

from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._aggregated import HostArrays, _AggregatedIMNN, device_major, host_layout
from ._checks import check_array, check_divisible, check_list
from ._dataset import gather
from ._inmemory import check_validation_pair
from ._maths import numerical_derivative
from ._summaries import batch_apply

_HINT = (
    "numerical derivatives are (n_d, 2, n_params, *input_shape): [:, 0] below and "
    "[:, 1] above θ_fid"
)


class _NumericalFamily(_AggregatedIMNN):
    """Streams `fiducial` (n_s simulations) and `derivative` (the n_d × 2 × n_params
    perturbed simulations, flattened seed-major, then below/above, then parameter)."""

    def _set_δθ(self, δθ: Any) -> None:
        self.δθ = jnp.asarray(check_array(δθ, (self.n_params,), "δθ"))

    def _set_shapes(self) -> None:
        n, g = self.n_devices, self.n_per_device
        self.fiducial_iterations = check_divisible(self.n_s, "n_s", n, g)
        self.derivative_iterations = check_divisible(
            2 * self.n_params * self.n_d, "2 * n_params * n_d", n, g
        )
        self.fiducial_batch_shape = (n, self.fiducial_iterations, g)
        self.derivative_batch_shape = (n, self.derivative_iterations, g)
        self.derivative_output_shape = (
            self.n_d,
            2,
            self.n_params,
            self.n_summaries,
        )

    def _streams(self):
        return [
            ("fiducial", self.fiducial_iterations),
            ("derivative", self.derivative_iterations),
        ]

    def _batch_outputs(self, kind, w, batch):
        return batch_apply(self.model, w, batch)

    def _assemble(self, outs):
        x = device_major(jnp.stack(outs["fiducial"]), self.n_devices)
        x_pm = device_major(jnp.stack(outs["derivative"]), self.n_devices)
        x_pm = x_pm.reshape(self.derivative_output_shape)
        return x, numerical_derivative(x_pm, self.δθ.astype(x_pm.dtype))


class AggregatedNumericalGradientIMNN(HostArrays, _NumericalFamily):
    """[`imnn_data.NumericalGradientIMNN`][] for data that does not fit on a device.

    Summaries are computed `n_per_device` at a time on each of `devices` and the
    gradient is aggregated exactly, with one VJP per batch (see
    [`imnn_data.AggregatedGradientIMNN`][]).

    **Arguments:** as [`imnn_data.NumericalGradientIMNN`][], plus `host`,
    `devices`, `n_per_device`, `prefetch`, `cache` as in
    [`imnn_data.AggregatedGradientIMNN`][]; `n_s` and `2 * n_params * n_d` must be
    multiples of `len(devices) * n_per_device`.
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
        host: Any,
        devices: list[Any],
        n_per_device: int,
        validation_fiducial: Float[Array | np.ndarray, "n_s ..."] | None = None,
        validation_derivative: Float[Array | np.ndarray, "n_d 2 n_params ..."]
        | None = None,
        prefetch: int | None = None,
        cache: bool = False,
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
        self._set_δθ(δθ)
        self._set_devices(host, devices, n_per_device)
        self._set_shapes()
        der_shape = (self.n_d, 2, self.n_params, *self.input_shape)
        self._set_host_arrays(
            fiducial,
            derivative,
            validation_fiducial,
            validation_derivative,
            der_shape,
            _HINT,
            prefetch,
            cache,
        )

    def _layout(self, fiducial, derivative) -> dict[str, Any]:
        dtype = jnp.result_type(float)
        n, g = self.n_devices, self.n_per_device
        flat = np.asarray(derivative, dtype).reshape((-1, *self.input_shape))
        return {
            "fiducial": host_layout(np.asarray(fiducial, dtype), n, g),
            "derivative": host_layout(flat, n, g),
        }


class DatasetNumericalGradientIMNN(_NumericalFamily):
    """[`imnn_data.AggregatedNumericalGradientIMNN`][] fed by one iterator per device.

    **Arguments:** as [`imnn_data.NumericalGradientIMNN`][] without the arrays,
    plus `host`, `devices`, `n_per_device` and

    - `fiducial`: list (one per device) of iterators yielding
        `(n_per_device, *input_shape)`; device `j` serves the `j`-th contiguous
        block of the `n_s` fiducial simulations (`fiducial_iterations` batches per
        pass).
    - `derivative`: list (one per device) of iterators yielding
        `(n_per_device, *input_shape)` over the perturbed simulations flattened in
        (seed, below/above, parameter) order, as [`imnn_data.TFRecords`][] writes
        them; device `j` serves the `j`-th contiguous block
        (`derivative_iterations` batches per pass).
    - `validation_fiducial`, `validation_derivative`: optional validation
        iterators of the same layout (both or neither).
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
        fiducial: list[Any],
        derivative: list[Any],
        δθ: Float[Array | np.ndarray, " n_params"],
        host: Any,
        devices: list[Any],
        n_per_device: int,
        validation_fiducial: list[Any] | None = None,
        validation_derivative: list[Any] | None = None,
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
        self._set_δθ(δθ)
        self._set_devices(host, devices, n_per_device)
        self._set_shapes()
        self.fiducial = check_list(fiducial, self.n_devices, "fiducial")
        self.derivative = check_list(derivative, self.n_devices, "derivative")
        self.validate = check_validation_pair(
            validation_fiducial,
            validation_derivative,
            ("validation_fiducial", "validation_derivative"),
        )
        if self.validate:
            self.validation_fiducial = check_list(
                validation_fiducial, self.n_devices, "validation_fiducial"
            )
            self.validation_derivative = check_list(
                validation_derivative, self.n_devices, "validation_derivative"
            )

    def _batches(self, kind, validate, key):
        name = ("validation_" if validate else "") + kind
        shape = (self.n_per_device, *self.input_shape)
        n = dict(self._streams())[kind]
        for batch in gather(getattr(self, name), name, n, (shape,), ("a batch",)):
            yield self._put(batch)

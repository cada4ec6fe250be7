"""Aggregated and dataset-fed IMNNs with known derivatives."""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ._aggregated import HostArrays, _AggregatedIMNN, device_major, host_layout
from ._checks import check_divisible
from ._dataset import gather
from ._inmemory import check_validation_pair
from ._summaries import batch_apply, value_and_chain


class _GradientFamily(_AggregatedIMNN):
    """Streams `main` (fiducial[:n_d] with derivatives) and `remaining`."""

    def _set_shapes(self) -> None:
        self.n_iterations = check_divisible(
            self.n_d, "n_d", self.n_devices, self.n_per_device
        )
        self.n_remaining = self.n_s - self.n_d
        self.n_remaining_iterations = check_divisible(
            self.n_remaining, "n_s - n_d", self.n_devices, self.n_per_device
        )
        self.batch_shape = (self.n_devices, self.n_iterations, self.n_per_device)
        self.remaining_batch_shape = (
            self.n_devices,
            self.n_remaining_iterations,
            self.n_per_device,
        )

    def _streams(self):
        return [("main", self.n_iterations), ("remaining", self.n_remaining_iterations)]

    def _batch_outputs(self, kind, w, batch):
        if kind == "main":
            fid, der = batch
            return jax.vmap(lambda d, t: value_and_chain(self.model, w, d, t))(fid, der)
        return batch_apply(self.model, w, batch)

    def _assemble(self, outs):
        x = device_major(jnp.stack([o[0] for o in outs["main"]]), self.n_devices)
        dx = device_major(jnp.stack([o[1] for o in outs["main"]]), self.n_devices)
        if outs["remaining"]:
            rest = device_major(jnp.stack(outs["remaining"]), self.n_devices)
            x = jnp.concatenate([x, rest])
        return x, dx


class AggregatedGradientIMNN(HostArrays, _GradientFamily):
    """[`imnn_data.GradientIMNN`][] for data that does not fit on a device.

    The simulations stay in host memory and are fed `n_per_device` at a time to
    each of `devices` (one global batch sharded over a `jax.sharding.Mesh`). Pass 1
    computes the summaries, the loss gradient with respect to all summaries is
    taken on the mesh, and pass 2 takes one VJP per batch against that cotangent:
    the gradient equals `jax.grad` of the loss on the whole set, with any number of
    devices. Device memory holds one batch of inputs and the network's activations.

    **Arguments:** as [`imnn_data.GradientIMNN`][], plus

    - `host`: the device on which the F statistics are returned.
    - `devices`: list of devices to spread each batch over.
    - `n_per_device`: simulations per device per batch; `n_d` and `n_s - n_d`
        must be multiples of `len(devices) * n_per_device`.
    - `prefetch`: number of batches transferred to the devices ahead of the one
        being computed on (overlapping host-to-device copies with compute; the
        original's `tf.data` prefetch). `None` or 0: one at a time;
        `tf.data.AUTOTUNE` (-1): 2.
    - `cache`: keep the batches on the devices after the first transfer (faster
        where they fit).
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
        host: Any,
        devices: list[Any],
        n_per_device: int,
        validation_fiducial: Float[Array | np.ndarray, "n_s ..."] | None = None,
        validation_derivative: Float[Array | np.ndarray, "n_d ... n_params"]
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
        self._set_devices(host, devices, n_per_device)
        self._set_shapes()
        der_shape = (self.n_d, *self.input_shape, self.n_params)
        hint = "derivatives are (n_d, *input_shape, n_params)"
        self._set_host_arrays(
            fiducial,
            derivative,
            validation_fiducial,
            validation_derivative,
            der_shape,
            hint,
            prefetch,
            cache,
        )

    def _layout(self, fiducial, derivative) -> dict[str, Any]:
        dtype = jnp.result_type(float)
        fiducial = np.asarray(fiducial, dtype)
        derivative = np.asarray(derivative, dtype)
        n, g = self.n_devices, self.n_per_device
        return {
            "main": (
                host_layout(fiducial[: self.n_d], n, g),
                host_layout(derivative, n, g),
            ),
            "remaining": host_layout(fiducial[self.n_d :], n, g),
        }


class DatasetGradientIMNN(_GradientFamily):
    """[`imnn_data.AggregatedGradientIMNN`][] fed by one iterator per device.

    Typically `tf.data.Dataset(...).batch(n_per_device).repeat()
    .as_numpy_iterator()`, built from arrays, files or TFRecords (see
    [`imnn_data.TFRecords`][]). Each pass reads `n_iterations` batches from every
    `main` iterator and `n_remaining_iterations` from every `remaining` one; the
    fitting set is read twice per iteration (summaries, then gradients), so the
    iterators must repeat deterministically. Every batch is checked for shape and
    dtype.

    **Arguments:** as [`imnn_data.GradientIMNN`][] without the arrays, plus

    - `main`: list (one per device) of iterators yielding pairs
        `(fiducial (n_per_device, *input_shape),
        derivative (n_per_device, *input_shape, n_params))`; device `j` serves the
        `j`-th contiguous block of the `n_d` simulations with derivatives.
    - `remaining`: list (one per device) of iterators yielding
        `(n_per_device, *input_shape)` from the other `n_s - n_d` simulations
        (never read when `n_s == n_d`).
    - `host`, `devices`, `n_per_device`: as
        [`imnn_data.AggregatedGradientIMNN`][].
    - `validation_main`, `validation_remaining`: optional validation iterators of
        the same layout (both or neither).
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
        main: list[Any],
        remaining: list[Any],
        host: Any,
        devices: list[Any],
        n_per_device: int,
        validation_main: list[Any] | None = None,
        validation_remaining: list[Any] | None = None,
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
        self._set_devices(host, devices, n_per_device)
        self._set_shapes()
        self._set_prebuilt_dataset(
            main, remaining, validation_main, validation_remaining
        )

    def _set_prebuilt_dataset(
        self, main, remaining, validation_main, validation_remaining
    ) -> None:
        from ._checks import check_list

        self.main = check_list(main, self.n_devices, "main")
        self.remaining = check_list(remaining, self.n_devices, "remaining")
        self.validate = check_validation_pair(
            validation_main,
            validation_remaining,
            ("validation_main", "validation_remaining"),
        )
        if self.validate:
            self.validation_main = check_list(
                validation_main, self.n_devices, "validation_main"
            )
            self.validation_remaining = check_list(
                validation_remaining, self.n_devices, "validation_remaining"
            )

    def _batches(self, kind, validate, key):
        b = self.n_per_device
        fid = (b, *self.input_shape)
        name = ("validation_" if validate else "") + kind
        iterators = getattr(self, name)
        n = dict(self._streams())[kind]
        if kind == "main":
            shapes = (fid, (*fid, self.n_params))
            whats = ("a fiducial batch", "a derivative batch")
        else:
            shapes, whats = (fid,), ("a batch",)
        for batch in gather(iterators, name, n, shapes, whats):
            yield self._put(batch)

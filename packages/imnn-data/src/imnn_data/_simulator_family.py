"""AggregatedSimulatorIMNN: on-the-fly simulations aggregated over devices."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec
from jaxtyping import Array, Float

from ._aggregated import _AggregatedIMNN, device_major
from ._checks import check_divisible
from ._simulator import check_simulator
from ._summaries import value_and_simulator_derivative


class AggregatedSimulatorIMNN(_AggregatedIMNN):
    """[`imnn_data.SimulatorIMNN`][] aggregated over devices.

    The `n_s` keys of an iteration are split into global batches of
    `len(devices) * n_per_device`; the simulations are regenerated from the same
    keys in the gradient pass, so only one batch of simulations is ever held.

    **Arguments:** as [`imnn_data.SimulatorIMNN`][], plus `host`, `devices` and
    `n_per_device` (`n_d` and `n_s - n_d` must be multiples of
    `len(devices) * n_per_device`).
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
        host: Any,
        devices: list[Any],
        n_per_device: int,
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
        self._set_devices(host, devices, n_per_device)
        n, g = self.n_devices, self.n_per_device
        self.n_iterations = check_divisible(self.n_d, "n_d", n, g)
        self.n_remaining_iterations = check_divisible(
            self.n_s - self.n_d, "n_s - n_d", n, g
        )

    def _streams(self):
        return [("main", self.n_iterations), ("remaining", self.n_remaining_iterations)]

    def _batches(self, kind, validate, key):
        n = self.n_iterations if kind == "main" else self.n_remaining_iterations

        def split(key):
            keys = jax.random.split(key, self.n_s)
            keys = keys[: self.n_d] if kind == "main" else keys[self.n_d :]
            return keys.reshape((n, self._global))

        keys = self._jit(
            ("keys", kind),
            lambda: jax.jit(
                split,
                out_shardings=NamedSharding(self.mesh, PartitionSpec(None, "devices")),
            ),
        )(key)
        for i in range(n):
            yield keys[i]

    def _batch_outputs(self, kind, w, batch):
        θ = self.θ_fid
        if kind == "main":
            return jax.vmap(
                lambda k: value_and_simulator_derivative(
                    self.model, self.simulator, w, k, θ
                )
            )(batch)
        return jax.vmap(lambda k: self.model(w, self.simulator(k, θ)))(batch)

    def _assemble(self, outs):
        n = 1  # keys are split in iteration order: rows are already in key order
        x = device_major(jnp.stack([o[0] for o in outs["main"]]), n)
        dx = device_major(jnp.stack([o[1] for o in outs["main"]]), n)
        if outs["remaining"]:
            x = jnp.concatenate([x, device_major(jnp.stack(outs["remaining"]), n)])
        return x, dx

"""Aggregation: summaries computed `n_per_device` at a time over a mesh of devices,
gradients by the chain rule through the summaries with one VJP per batch."""

from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._checks import check_array, check_device, check_devices, check_int
from ._imnn import _IMNN, HISTORY_KEYS, _all_finite, _ProgressBar, _split3
from ._inmemory import check_arrays
from ._maths import f_statistics, loss_and_statistics
from ._model import IMNNState

_AXIS = "devices"


def device_major(a: jax.Array, n_devices: int) -> jax.Array:
    """Rows of stacked global batches `(n_steps, n_devices * B, ...)` back in the
    order of the data: device 0's block first, then device 1's, ..."""
    n_steps, g = a.shape[:2]
    rest = a.shape[2:]
    a = a.reshape((n_steps, n_devices, g // n_devices, *rest))
    a = jnp.swapaxes(a, 0, 1)
    return a.reshape((n_steps * g, *rest))


def host_layout(a: np.ndarray, n_devices: int, n_per_device: int) -> np.ndarray:
    """Split rows into contiguous per-device blocks, batched: `(n_steps, G, ...)`
    where global batch `i` holds batch `i` of every device's block (the inverse of
    [`device_major`][])."""
    a = np.asarray(a)
    rest = a.shape[1:]
    n_steps = a.shape[0] // (n_devices * n_per_device)
    a = a.reshape((n_devices, n_steps, n_per_device, *rest))
    a = np.swapaxes(a, 0, 1)
    return np.ascontiguousarray(a.reshape((n_steps, n_devices * n_per_device, *rest)))


class _AggregatedIMNN(_IMNN):
    """Two-pass aggregated fitting shared by the Aggregated and Dataset classes.

    Pass 1 computes the summaries batch by batch (each global batch sharded over
    the devices); the gradient of the loss with respect to all summaries is then
    cheap; pass 2 recomputes each batch with one VJP against its slice of that
    cotangent and sums the weight gradients. The batch layout of both passes is the
    same, so each input meets exactly its own cotangent whatever the number of
    devices.
    """

    def _set_devices(self, host: Any, devices: Any, n_per_device: Any) -> None:
        self.host = check_device(host, "host")
        self.devices = check_devices(devices, "devices")
        self.n_devices = len(self.devices)
        self.n_per_device = check_int(n_per_device, "n_per_device")
        self.mesh = Mesh(np.array(self.devices), (_AXIS,))
        self._sharding = NamedSharding(self.mesh, PartitionSpec(_AXIS))
        self._replicated = NamedSharding(self.mesh, PartitionSpec())
        self._global = self.n_devices * self.n_per_device

    # ------------------------------------------------------------ subclasses
    def _streams(self) -> list[tuple[str, int]]:
        """`[(kind, n_steps), ...]` in the order the data is read."""
        raise NotImplementedError

    def _batches(self, kind: str, validate: bool, key: Any) -> Iterator[Any]:
        """The global batches of one stream, sharded over the mesh."""
        raise NotImplementedError

    def _batch_outputs(self, kind: str, w: Any, batch: Any) -> Any:
        """Network outputs of one global batch (pure)."""
        raise NotImplementedError

    def _assemble(self, outs: dict[str, list[Any]]) -> tuple[jax.Array, jax.Array]:
        """`(x, dx_dθ)` of the whole set from the per-batch outputs (pure, linear)."""
        raise NotImplementedError

    # ------------------------------------------------------------ kernels
    def _kernel(self, which: str, kind: str) -> jax.stages.Wrapped:
        def make():
            if which == "fwd":
                return jax.jit(lambda w, b: self._batch_outputs(kind, w, b))

            def bwd(acc, w, b, ct):
                _, vjp = jax.vjp(lambda v: self._batch_outputs(kind, v, b), w)
                return jax.tree.map(jnp.add, acc, vjp(ct)[0])

            return jax.jit(bwd, donate_argnums=0)

        return self._jit((which, kind), make)

    def _put(self, batch: Any) -> Any:
        return jax.device_put(batch, self._sharding)

    def _forward(self, w: Any, validate: bool, key: Any) -> dict[str, list[Any]]:
        outs: dict[str, list[Any]] = {}
        for kind, _ in self._streams():
            fwd = self._kernel("fwd", kind)
            outs[kind] = [fwd(w, b) for b in self._batches(kind, validate, key)]
        return outs

    def _backward(self, w: Any, cts: dict[str, list[Any]], key: Any) -> Any:
        acc = self._jit(
            "zeros", lambda: jax.jit(lambda w: jax.tree.map(jnp.zeros_like, w))
        )(w)
        for kind, _ in self._streams():
            bwd = self._kernel("bwd", kind)
            for b, ct in zip(self._batches(kind, False, key), cts[kind], strict=True):
                acc = bwd(acc, w, b, ct)
        return acc

    def _loss_grad(self) -> Callable:
        def loss(outs, λ, α):
            value, stats = loss_and_statistics(*self._assemble(outs), λ, α)
            return value, jnp.stack(stats)

        return self._jit(
            "loss_grad", lambda: jax.jit(jax.value_and_grad(loss, has_aux=True))
        )

    def _stats(self) -> Callable:
        return self._jit(
            "stats",
            lambda: jax.jit(
                lambda outs, λ, α: jnp.stack(
                    loss_and_statistics(*self._assemble(outs), λ, α)[1]
                )
            ),
        )

    def _update(self) -> Callable:
        update = self.optimiser.update

        def step(g, opt_state, w, loss):
            updates, new_opt = update(g, opt_state, w)
            new_w = optax.apply_updates(w, updates)
            finite = jnp.isfinite(loss) & _all_finite(g) & _all_finite(new_w)
            keep = jax.tree.map(lambda a, b: jnp.where(finite, a, b), new_w, w)
            keep_opt = jax.tree.map(
                lambda a, b: jnp.where(finite, a, b), new_opt, opt_state
            )
            return keep, keep_opt, finite

        return self._jit("update", lambda: jax.jit(step))

    # ------------------------------------------------------------ public
    def get_summaries(self, w=None, key=None, validate=False):
        """Network outputs and derivatives, aggregated over all batches and devices.

        **Arguments:**

        - `w`: network weights (default: `imnn.w`).
        - `key`: PRNG key (needed when simulating).
        - `validate`: use the validation set.

        **Returns:**

        `(x, dx_dθ)` of shapes `(n_s, n_summaries)` and
        `(n_d, n_summaries, n_params)`.
        """
        w = self.w if w is None else w
        key = self._check_key(key, "key")
        outs = self._forward(self._replicate(w), validate and self.validate, key)
        return self._jit("assemble", lambda: jax.jit(self._assemble))(outs)

    def get_gradient(self, dΛ_dx, w=None, key=None):
        """Weight gradient from the loss gradient with respect to the summaries.

        **Arguments:**

        - `dΛ_dx`: `(∂Λ/∂x, ∂Λ/∂(dx/dθ))` of shapes `(n_s, n_summaries)` and
            `(n_d, n_summaries, n_params)`, in the order `get_summaries` returns.
        - `w`: network weights (default: `imnn.w`).
        - `key`: PRNG key (needed when simulating; the same as for the summaries).

        **Returns:**

        The gradient, a pytree like `w`.
        """
        w = self._replicate(self.w if w is None else w)
        key = self._check_key(key, "key")
        outs = self._forward(w, False, key)

        def transpose(outs, ct):
            return jax.vjp(self._assemble, outs)[1](ct)[0]

        cts = self._jit("transpose", lambda: jax.jit(transpose))(outs, tuple(dΛ_dx))
        return self._backward(w, cts, key)

    def _replicate(self, tree: Any) -> Any:
        return jax.device_put(tree, self._replicated)

    def _get_F_statistics(self, w, key, validate):
        x, dx = self.get_summaries(w, key=key, validate=validate)
        stats = self._jit("f_statistics", lambda: jax.jit(f_statistics))(x, dx)
        return jax.device_put(stats, self.host)

    # ------------------------------------------------------------ fitting
    def _run_fit(self, λ, α, rng, patience, min_iterations, max_iterations, print_rate):
        dtype = self._float_dtype()
        λ_, α_ = jnp.asarray(λ, dtype), jnp.asarray(α, dtype)
        w = self._replicate(self.state.w)
        opt_state = self._replicate(self.state.opt_state)
        best_w = self.best_w
        max_detF = float(self.history["max_detF"])
        loss_grad, stats_fn, update = self._loss_grad(), self._stats(), self._update()
        split3 = self._jit("split3", lambda: jax.jit(_split3))
        rows, vrows = [], []
        nan_row = np.full(len(HISTORY_KEYS), np.nan)
        bar = _ProgressBar(print_rate, max_iterations)
        i = pc = 0
        nan = False
        r_tol = getattr(self, "_r_tolerance", float("inf"))
        try:
            while pc < patience and i < max_iterations:
                rng, k_train, k_val = split3(rng)
                outs = self._forward(w, False, k_train)
                (loss, stats), cts = loss_grad(outs, λ_, α_)
                g = self._backward(w, cts, k_train)
                new_w, opt_state, finite = update(g, opt_state, w, loss)
                row = np.asarray(stats)
                if self.validate:
                    vouts = self._forward(new_w, True, k_val)
                    vrow = np.asarray(stats_fn(vouts, λ_, α_))
                    detF, ref_w, r = vrow[0], new_w, vrow[4]
                else:
                    vrow, detF, ref_w, r = nan_row, row[0], w, row[4]
                rows.append(row)
                vrows.append(vrow)
                finite = bool(finite)
                if finite and detF > max_detF:
                    max_detF, best_w, pc = float(detF), ref_w, 0
                elif i > min_iterations and r <= r_tol:
                    pc += 1
                w = new_w
                i += 1
                if print_rate is not None and (i % print_rate == 0 or not finite):
                    bar.update_host(i, pc, row, vrow, max_detF)
                if not finite:
                    nan = True
                    break
        finally:
            bar.close()
        hist = np.zeros((i, 2, len(HISTORY_KEYS)))
        if i:
            hist[:, 0] = np.stack(rows)
            hist[:, 1] = np.stack(vrows)
        return (w, opt_state, best_w, max_detF, hist, i, pc, nan, rng)

    def _finish_fit(self, result, best):
        w, opt_state, best_w, max_detF, hist, i, pc, nan, rng = result
        super()._finish_fit(
            (w, opt_state, best_w, jnp.asarray(max_detF), hist, i, pc, nan, rng), best
        )
        self.state = IMNNState(self.state.w, self.state.opt_state)


class HostArrays:
    """Aggregated classes fed from arrays in host memory (mixin): batches are put
    on the mesh one at a time, or kept there with `cache=True`."""

    n_s: int
    input_shape: tuple[int, ...]
    _put: Any

    def _set_host_arrays(
        self,
        fiducial,
        derivative,
        validation_fiducial,
        validation_derivative,
        der_shape,
        hint,
        prefetch,
        cache,
    ) -> None:
        if prefetch is not None:
            if (
                isinstance(prefetch, int)
                and not isinstance(prefetch, bool)
                and prefetch == -1
            ):
                prefetch = 2  # tf.data.AUTOTUNE: double buffering
            prefetch = check_int(prefetch, "prefetch", minimum=0)
        if not isinstance(cache, bool):
            raise TypeError(f"`cache` must be a bool, got {type(cache).__name__}")
        self.prefetch, self.cache = prefetch, cache
        self._device_cache: dict[Any, list[Any]] = {}
        train, val = check_arrays(
            fiducial,
            derivative,
            validation_fiducial,
            validation_derivative,
            ((self.n_s, *self.input_shape), der_shape),
            hint,
            lambda v, s, n, h: check_array(v, s, n, h),
        )
        self.validate = val is not None
        self._host = {False: self._layout(*train)}
        if val is not None:
            self._host[True] = self._layout(*val)

    def _layout(self, fiducial: Any, derivative: Any) -> dict[str, Any]:
        raise NotImplementedError

    def _host_batches(self, kind: str, validate: bool) -> Iterator[Any]:
        """The batches put on the mesh; with `prefetch = k` the next `k` batches
        are already being transferred (asynchronously) while one is computed on."""
        data = self._host[validate][kind]
        n = len(jax.tree.leaves(data)[0])
        ahead = self.prefetch or 0
        queue: deque[Any] = deque()
        i = 0
        while i < n or queue:
            while i < n and len(queue) <= ahead:
                queue.append(self._put(jax.tree.map(lambda a, i=i: a[i], data)))
                i += 1
            yield queue.popleft()

    def _batches(self, kind: str, validate: bool, key: Any) -> Iterator[Any]:
        if not self.cache:
            yield from self._host_batches(kind, validate)
            return
        cached = self._device_cache.get((kind, validate))
        if cached is None:
            cached = list(self._host_batches(kind, validate))
            self._device_cache[(kind, validate)] = cached
        yield from cached

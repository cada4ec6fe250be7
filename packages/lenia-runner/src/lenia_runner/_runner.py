"""The four Leniax runners, built on one scan and on `jax.sharding`."""

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
from jaxtyping import Array

from ._constants import START_CHECK_STOP
from ._errors import check_positive, is_concrete
from ._statistics import (
    StatsFn,
    check_heuristics,
    heuristics_init,
    heuristics_step,
    init_stats_carry,
    stats_list_to_dict,
)

UpdateFnT = Callable[..., tuple[Array, Array, Array]]
StatsFnT = Callable[..., tuple[dict[str, Array], Array, Array, Array]]


def _call_stats(stats_fn: StatsFnT, cells, field, potential, carry, dt, step):
    try:
        return stats_fn(cells, field, potential, *carry, dt=dt, step=step)
    except TypeError as e:  # a Leniax-style function without dt/step keywords
        if "unexpected keyword" not in str(e):
            raise
        return stats_fn(cells, field, potential, *carry)


def _dt(T: Any) -> Array:
    T = jnp.asarray(T, dtype=jnp.float32)
    if T.size != 1:
        raise ValueError(
            f"expected T to be a single number (shape () or [1]) per configuration, "
            f"got shape {T.shape}"
        )
    return 1.0 / T.reshape(())


def rollout(
    update_fn: UpdateFnT,
    compute_stats_fn: StatsFnT | None,
    max_run_iter: int,
    stats_every: int,
    record: bool,
    rng_key: Any,
    cells0: Array,
    K: Array,
    gf_params: Array,
    kernels_weight_per_channel: Array,
    T: Any,
) -> tuple[Array, dict[str, Array], dict[str, Array]]:
    """Run `max_run_iter` updates of one configuration (traceable; not jitted).

    Every `stats_every` steps (0: never) the statistics of the pre-update state are
    computed; with `record` the pre-update cells, field and potential are kept at
    the same steps (every step if there are no statistics).

    **Returns:**

    `(final_cells, frames, stats)`; `stats` has `N` (live steps) when computed.
    """
    dt = _dt(T)
    k = stats_every if stats_every > 0 else 1
    nblocks = max_run_iter // k
    keys = jax.random.split(rng_key, max_run_iter)
    keys = keys.reshape((nblocks, k, *keys.shape[1:]))
    N, nb_dims = cells0.shape[0], cells0.ndim - 2
    with_stats = stats_every > 0 and compute_stats_fn is not None

    def advance(cells, key):
        new, _, _ = update_fn(key, cells, K, gf_params, kernels_weight_per_channel, dt)
        return new, None

    # our statistics: reductions inside the loop, everything else once after it
    split = (
        compute_stats_fn
        if with_stats and isinstance(compute_stats_fn, StatsFn)
        else None
    )
    carry0 = init_stats_carry(N, nb_dims)

    def block(carry, xs):
        cells, stats_carry = carry
        block_keys, b = xs
        new, field, potential = update_fn(
            block_keys[0], cells, K, gf_params, kernels_weight_per_channel, dt
        )
        ys: dict[str, Any] = {}
        if split is not None:
            ys["raw"] = split.raw(cells, field, potential)
        elif with_stats:
            assert compute_stats_fn is not None
            stats, *stats_carry = _call_stats(
                compute_stats_fn, cells, field, potential, stats_carry, dt * k, b
            )
            ys["stats"] = stats
        if record:
            ys["cells"], ys["field"], ys["potential"] = cells, field, potential
        if k > 1:
            new, _ = jax.lax.scan(advance, new, block_keys[1:])
        return (new, tuple(stats_carry)), ys

    init = (cells0, () if split is not None else carry0)
    (final, _), ys = jax.lax.scan(block, init, (keys, jnp.arange(nblocks)))
    stats = ys.pop("stats", {})
    if split is not None:
        stats, _ = split.finish(
            ys.pop("raw"), carry0, dt=dt * k, step=jnp.arange(nblocks)
        )
    if stats:
        stats["N"] = check_heuristics(stats).sum(axis=0) * k
    return final, ys, stats


def _check_params(gf_params: Any, weights: Any, lead: int) -> None:
    prefix = ["N_device", "N_sols"][2 - lead :] if lead else []
    for name, value, dims in (
        ("gf_params", gf_params, ["nb_kernels", "n_params"]),
        ("kernels_weight_per_channel", weights, ["nb_channels", "nb_kernels"]),
    ):
        if np.ndim(value) != lead + 2:
            raise ValueError(
                f"expected {name} of shape [{', '.join(prefix + dims)}], got shape "
                f"{np.shape(value)}; build it with mapping.get_gf_params() / "
                "mapping.get_kernels_weight_per_channel()"
            )
    nb_k = np.shape(gf_params)[lead]
    if np.shape(weights)[lead + 1] != nb_k:
        raise ValueError(
            f"gf_params has {nb_k} kernel(s) but kernels_weight_per_channel has shape "
            f"{np.shape(weights)}; expected [..., nb_channels, {nb_k}]"
        )


def _check_inputs(
    cells0: Any, K: Any, T: Any, max_run_iter: Any, stats_every: int, lead: int
) -> None:
    if not isinstance(max_run_iter, (int, np.integer)) or max_run_iter < 1:
        raise ValueError(
            f"max_run_iter must be a positive integer, got {max_run_iter!r}"
        )
    if not isinstance(stats_every, (int, np.integer)) or stats_every < 0:
        raise ValueError(
            f"stats_every must be a non-negative integer (0: no statistics), got "
            f"{stats_every!r}"
        )
    if stats_every > 1 and max_run_iter % stats_every:
        raise ValueError(
            f"max_run_iter ({max_run_iter}) must be a multiple of stats_every "
            f"({stats_every}); expected e.g. max_run_iter="
            f"{max_run_iter - max_run_iter % stats_every or stats_every}"
        )
    shape = np.shape(cells0)
    names = ["N_device", "N_sols"][2 - lead :] if lead else []
    expected = ", ".join([*names, "N_init", "nb_channels", "world_dims..."])
    if len(shape) < lead + 3:
        raise ValueError(
            f"expected cells0 of shape [{expected}] (at least {lead + 3} axes), got "
            f"{shape}; add the missing leading axes (e.g. cells[None])"
        )
    nb_dims = len(shape) - lead - 2
    if K is not None and np.iscomplexobj(K) and np.ndim(K) != lead + 3 + nb_dims:
        raise ValueError(
            f"expected Fourier kernels of shape [{', '.join([*names, '1', 'C', 'max_k'])}"
            f", *freq] matching cells0 {shape}, got {np.shape(K)}"
        )
    if is_concrete(T):
        check_positive(T, "T (the time resolution)")
    if is_concrete(cells0) and not np.all(np.isfinite(np.asarray(cells0))):
        raise ValueError("cells0 contains NaN or infinity; expected finite cells")


@functools.partial(jax.jit, static_argnums=(0, 1, 2, 3, 4))
def _run_scan_jit(update_fn, stats_fn, max_run_iter, stats_every, record, *args):
    return rollout(update_fn, stats_fn, max_run_iter, stats_every, record, *args)


def run_scan(
    rng_key: Any,
    cells0: Array,
    K: Array,
    gf_params: Array,
    kernels_weight_per_channel: Array,
    T: Any,
    max_run_iter: int,
    R: float,
    update_fn: UpdateFnT,
    compute_stats_fn: StatsFnT,
    *,
    stats_every: int = 1,
    keep_frames: bool = True,
) -> tuple[Array, Array | None, Array | None, dict[str, Array]]:
    """Simulate one configuration from `N_init` initial states (jitted scan).

    **Arguments:**

    - `rng_key`: a JAX PRNG key (split into one subkey per step for the rule).
    - `cells0`: initial cells `[N_init, nb_channels, *world]`.
    - `K`: stacked kernels (from `get_kernels_and_mapping`).
    - `gf_params`: growth parameters `[nb_kernels, n_params]`.
    - `kernels_weight_per_channel`: `[nb_channels, nb_kernels]`.
    - `T`: the time resolution (`dt = 1 / T`).
    - `max_run_iter`: number of updates (static).
    - `R`: accepted for compatibility; the kernel radius lives in `K` and in
        `compute_stats_fn`, so unlike Leniax it is not static and never recompiles.
    - `update_fn`: from `build_update_fn` (hashable: rebuilt identical ones reuse
        the compiled code).
    - `compute_stats_fn`: from `build_compute_stats_fn`.
    - `stats_every`: compute statistics (and keep frames) every k steps; 0 for no
        statistics (frames every step, `stats = {}`).
    - `keep_frames`: `False` keeps only the final state and the statistics.

    **Returns:**

    `(all_cells, all_fields, all_potentials, stats)`: frames `[T', N_init, C,
    *world]` of the pre-update states (`T' = max_run_iter / stats_every`), their
    fields and potentials `[T', N_init, nb_kernels, *world]`, and statistics
    `[T', N_init]` (`channel_mass [T', N_init, C]`) with `N [N_init]` the number of
    steps for which the stop heuristics held. With `keep_frames=False`:
    `(final_cells [N_init, C, *world], None, None, stats)`.
    """
    del R
    _check_inputs(cells0, K, T, max_run_iter, stats_every, 0)
    _check_params(gf_params, kernels_weight_per_channel, 0)
    final, frames, stats = _run_scan_jit(
        update_fn,
        compute_stats_fn,
        int(max_run_iter),
        int(stats_every),
        bool(keep_frames),
        rng_key,
        cells0,
        K,
        gf_params,
        kernels_weight_per_channel,
        T,
    )
    if not keep_frames:
        return final, None, None, stats
    return frames["cells"], frames["field"], frames["potential"], stats


def _mem_optimized(update_fn, stats_fn, max_run_iter, stats_every, rng_key, *args):
    def one(*a):
        final, _, stats = rollout(
            update_fn, stats_fn, max_run_iter, stats_every, False, rng_key, *a
        )
        return stats, final

    return jax.vmap(one)(*args)


_mem_optimized_jit = jax.jit(_mem_optimized, static_argnums=(0, 1, 2, 3))


def run_scan_mem_optimized(
    rng_key: Any,
    cells0: Array,
    K: Array,
    gf_params: Array,
    kernels_weight_per_channel: Array,
    T: Array,
    max_run_iter: int,
    R: float,
    update_fn: UpdateFnT,
    compute_stats_fn: StatsFnT,
    *,
    stats_every: int = 1,
) -> tuple[dict[str, Array], Array]:
    """Simulate a batch of configurations, keeping statistics and final states.

    All configurations share the structure of `update_fn` (world size, channels,
    kernel graph, growth functions); their parameter values and `T` may differ,
    and each one's statistics use its own `T` (Leniax used the `T` baked into
    `compute_stats_fn` for all of them).

    **Arguments:**

    - `rng_key`: a JAX PRNG key shared by all configurations.
    - `cells0`: `[N_sols, N_init, nb_channels, *world]`.
    - `K`: `[N_sols, ...]` stacked kernels.
    - `gf_params`: `[N_sols, nb_kernels, n_params]`.
    - `kernels_weight_per_channel`: `[N_sols, nb_channels, nb_kernels]`.
    - `T`: `[N_sols]`.
    - `max_run_iter`, `R`, `update_fn`, `compute_stats_fn`, `stats_every`: as for
        `run_scan`.

    **Returns:**

    `(stats, final_cells)`: statistics `[N_sols, T', N_init]` with `N [N_sols,
    N_init]`, and the states after `max_run_iter` updates `[N_sols, N_init, C,
    *world]`.
    """
    del R
    _check_inputs(cells0, K, T, max_run_iter, stats_every, 1)
    _check_params(gf_params, kernels_weight_per_channel, 1)
    return _mem_optimized_jit(
        update_fn,
        compute_stats_fn,
        int(max_run_iter),
        int(stats_every),
        rng_key,
        cells0,
        K,
        gf_params,
        kernels_weight_per_channel,
        jnp.asarray(T, jnp.float32).reshape(np.shape(cells0)[0]),
    )


def _batched_frames(update_fn, stats_fn, max_run_iter, stats_every, rng_key, *args):
    def one(*a):
        _, frames, stats = rollout(
            update_fn, stats_fn, max_run_iter, stats_every, True, rng_key, *a
        )
        return frames["cells"], frames["field"], frames["potential"], stats

    return jax.vmap(one)(*args)


batched_frames_jit = jax.jit(_batched_frames, static_argnums=(0, 1, 2, 3))
"""`run_scan` vmapped over configurations, keeping every frame (jitted)."""


@functools.cache
def _sharded_fn(
    devices: tuple[Any, ...], update_fn, stats_fn, max_run_iter: int, stats_every: int
):
    mesh = Mesh(np.asarray(devices), ("sols",))

    def local(rng_key, *args):
        return _mem_optimized(
            update_fn, stats_fn, max_run_iter, stats_every, rng_key, *args
        )

    batched = P("sols")
    fn = jax.shard_map(
        local,
        mesh=mesh,
        in_specs=(P(),) + (batched,) * 5,
        out_specs=(batched, batched),
        check_vma=False,
    )
    return mesh, jax.jit(fn)


def run_scan_mem_optimized_pmap(
    rng_key: Any,
    cells0: Array,
    K: Array,
    gf_params: Array,
    kernels_weight_per_channel: Array,
    T: Array,
    max_run_iter: int,
    R: float,
    update_fn: UpdateFnT,
    compute_stats_fn: StatsFnT,
    *,
    stats_every: int = 1,
    devices: Any = None,
) -> tuple[dict[str, Array], Array]:
    """`run_scan_mem_optimized` over a leading device axis, sharded across devices.

    Keeps Leniax's name and shapes, but runs on `jax.sharding` (a one-axis mesh and
    `shard_map`) instead of `pmap`: the `[N_device, N_sols]` batch is flattened,
    padded to a multiple of the number of devices and split across them, so
    `N_device` need not equal the device count. The numbers equal those of
    `run_scan_mem_optimized` on the flattened batch.

    **Arguments:**

    - `rng_key`: a JAX PRNG key shared by all configurations.
    - `cells0`: `[N_device, N_sols, N_init, nb_channels, *world]`.
    - `K`, `gf_params`, `kernels_weight_per_channel`, `T`: with the two leading
        axes `[N_device, N_sols, ...]`.
    - `max_run_iter`, `R`, `update_fn`, `compute_stats_fn`, `stats_every`: as for
        `run_scan`.
    - `devices`: the devices to use (default: all of `jax.devices()`).

    **Returns:**

    `(stats, final_cells)` with leading axes `[N_device, N_sols]`.
    """
    del R
    _check_inputs(cells0, K, T, max_run_iter, stats_every, 2)
    _check_params(gf_params, kernels_weight_per_channel, 2)
    lead = tuple(np.shape(cells0)[:2])
    B = lead[0] * lead[1]
    devices = tuple(jax.devices() if devices is None else devices)
    n_dev = len(devices)
    pad = (-B) % n_dev

    def flat(x):
        x = jnp.asarray(x)
        x = x.reshape((B, *x.shape[2:]))
        if pad:
            x = jnp.concatenate([x, jnp.repeat(x[-1:], pad, axis=0)])
        return x

    T = jnp.asarray(T, jnp.float32).reshape(lead)
    args = [flat(a) for a in (cells0, K, gf_params, kernels_weight_per_channel, T)]
    mesh, fn = _sharded_fn(
        devices, update_fn, compute_stats_fn, int(max_run_iter), int(stats_every)
    )
    args = [jax.device_put(a, NamedSharding(mesh, P("sols"))) for a in args]
    key = jax.device_put(rng_key, NamedSharding(mesh, P()))
    stats, final = fn(key, *args)

    def unflat(x):
        return x[:B].reshape(lead + x.shape[1:])

    return jax.tree.map(unflat, stats), unflat(final)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _loop_step(update_fn, stats_fn, key, cells, K, gf, w, T, stats_carry, step):
    dt = _dt(T)
    new, field, potential = update_fn(key, cells, K, gf, w, dt)
    stats, *stats_carry = _call_stats(
        stats_fn, cells, field, potential, stats_carry, dt, step
    )
    return new, field, potential, stats, tuple(stats_carry)


_heuristics_init = jax.jit(heuristics_init)
_heuristics_step = jax.jit(heuristics_step)


def run(
    rng_key: Any,
    cells: Array,
    K: Array,
    gf_params: Array,
    kernels_weight_per_channel: Array,
    T: Any,
    max_run_iter: int,
    R: float,
    update_fn: UpdateFnT,
    compute_stats_fn: StatsFnT,
    stat_trunc: bool = False,
) -> tuple[Array, Array, Array, dict[str, Array]]:
    """Simulate one configuration with a Python loop (one jitted step per iteration).

    Unlike Leniax's `run`, the stop heuristics are exactly those of the scan
    runners (Leniax used raw total masses and never updated the monotonic rule),
    and `N` counts the same live steps, so `run` and `run_scan` agree. With
    `stat_trunc`, the loop stops at the first step where every simulation has
    failed a heuristic (never before step `START_CHECK_STOP`).

    **Arguments:**

    - `rng_key`, `cells` (`[N_init, C, *world]`), `K`, `gf_params`,
        `kernels_weight_per_channel`, `T`, `max_run_iter`, `R`, `update_fn`,
        `compute_stats_fn`: as for `run_scan`.
    - `stat_trunc`: stop early when the heuristics fail.

    **Returns:**

    `(all_cells, all_fields, all_potentials, stats)` as for `run_scan`, with as many
    frames as steps were run.
    """
    del R
    _check_inputs(cells, K, T, max_run_iter, 1, 0)
    _check_params(gf_params, kernels_weight_per_channel, 0)
    keys = jax.random.split(rng_key, max_run_iter)
    N, nb_dims = np.shape(cells)[0], np.ndim(cells) - 2
    stats_carry = init_stats_carry(N, nb_dims)
    all_cells, all_fields, all_potentials, all_stats = [], [], [], []
    heur = None
    nb_alive = 0
    for t in range(max_run_iter):
        new, field, potential, stats, stats_carry = _loop_step(
            update_fn,
            compute_stats_fn,
            keys[t],
            cells,
            K,
            gf_params,
            kernels_weight_per_channel,
            T,
            stats_carry,
            t,
        )
        all_cells.append(cells)
        all_fields.append(field)
        all_potentials.append(potential)
        all_stats.append(stats)
        cells = new
        if heur is None:
            heur = _heuristics_init(stats)
        heur, should_continue = _heuristics_step(heur, stats)
        nb_alive = nb_alive + should_continue
        if stat_trunc and t >= START_CHECK_STOP and not bool(jnp.any(should_continue)):
            break
    stats_dict = stats_list_to_dict(all_stats)
    stats_dict["N"] = jnp.asarray(nb_alive, jnp.float32)
    return (
        jnp.stack(all_cells),
        jnp.stack(all_fields),
        jnp.stack(all_potentials),
        stats_dict,
    )

"""Glue: configurations to kernels, update functions, runs and searches."""

import copy
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.ndimage
from jaxtyping import Array

from rollax import Checkpointing, CheckpointStore

from . import _core, _growth_functions, _initializations
from ._core import FieldFn, PotentialFn, UpdateFn, conv_padding
from ._kernels import KernelMapping, get_kernels_and_mapping
from ._loader import load_raw_cells
from ._runner import batched_frames_jit, run, run_scan, run_scan_mem_optimized
from ._statistics import StatsFn, build_compute_stats_fn
from ._utils import get_container, get_param, merge_cells, set_param


def build_get_potential_fn(
    kernel_shape: Sequence[int],
    true_channels: Any = None,
    fft: bool = True,
    channel_first: bool = True,
    *,
    compat: bool = False,
) -> PotentialFn:
    """The potential stage for kernels of `kernel_shape`.

    **Arguments:**

    - `kernel_shape`: `K.shape` from `get_kernels_and_mapping`.
    - `true_channels`: the mapping's mask of real kernels (`None`: all real).
    - `fft`: FFT (periodic convolution) or direct convolution.
    - `channel_first`: layout of the state.
    - `compat`: on the direct path, Leniax's cross-correlation orientation.

    **Returns:**

    A hashable `PotentialFn(state, K) -> potential`.
    """
    tc = None
    if true_channels is not None:
        mask = np.asarray(true_channels, dtype=bool).reshape(-1)
        if not mask.all():
            tc = tuple(int(i) for i in np.flatnonzero(mask))
    padding = None if fft else conv_padding(kernel_shape[2:], correlate=compat)
    return PotentialFn(
        fft=bool(fft),
        tc_indices=tc,
        padding=padding,
        channel_first=channel_first,
        correlate=bool(compat and not fft),
    )


def build_get_field_fn(
    cin_gfs: Sequence[Sequence[str]], average: bool = True
) -> FieldFn:
    """The field stage: growth functions in kernel order, then mean or sum.

    **Arguments:**

    - `cin_gfs`: growth slugs per input channel (`mapping.cin_gfs`).
    - `average`: weighted mean (default) or weighted sum.

    **Returns:**

    A hashable `FieldFn(potential, gf_params, weights) -> field`.
    """
    fns = tuple(_growth_functions.get(gf) for per_c in cin_gfs for gf in per_c)
    return FieldFn(growth_fns=fns, average=bool(average))


def build_update_fn(
    kernel_shape: Sequence[int],
    mapping: KernelMapping,
    get_state_fn_slug: str = "v1",
    average_weight: bool = True,
    fft: bool = True,
    *,
    compat: bool = False,
) -> UpdateFn:
    """Build the update function of a configuration.

    **Arguments:**

    - `kernel_shape`: `K.shape`.
    - `mapping`: the `KernelMapping` of the kernels.
    - `get_state_fn_slug`: the update rule (`'v1'`, `'v2'`, `'simple'`, or a
        registered one).
    - `average_weight`: weighted mean (default) or sum of the kernels' growths.
    - `fft`: FFT or direct convolution (must match how `K` was built).
    - `compat`: Leniax's cross-correlation on the direct path.

    **Returns:**

    A hashable `UpdateFn(rng_key, state, K, gf_params, kernels_weight_per_channel,
    dt) -> (new_state, field, potential)`.
    """
    return UpdateFn(
        get_potential_fn=build_get_potential_fn(
            kernel_shape, mapping.true_channels, fft, compat=compat
        ),
        get_field_fn=build_get_field_fn(mapping.cin_gfs, average_weight),
        get_state_fn=_core.get(get_state_fn_slug),
    )


def _prepared(config: Mapping[str, Any], use_init_cells: bool) -> tuple[dict, Array]:
    """A completed copy of `config` with `world_params.scale` applied, and its cells."""
    config = get_container(config)
    cells = load_raw_cells(config, use_init_cells)
    scale = float(config["world_params"]["scale"])
    if scale != 1.0:
        zoom = (1,) + (scale,) * (cells.ndim - 1)
        cells = jnp.asarray(
            scipy.ndimage.zoom(np.asarray(cells), zoom, order=0), jnp.float32
        )
        config["world_params"]["R"] = config["world_params"]["R"] * scale
        config["world_params"]["scale"] = 1.0
    return config, cells


def create_init_cells(
    world_size: Sequence[int],
    nb_channels: int,
    other_cells: Any = (),
    offsets: Sequence[Sequence[int]] = (),
) -> Array:
    """An initial world `[1, C, *world]` with patterns added at its centre.

    **Arguments:**

    - `world_size`: the world's size.
    - `nb_channels`: `C`.
    - `other_cells`: patterns `[C, *dims]` (a list), or one ready world array.
    - `offsets`: per-pattern offsets from the centre (same length as the list).

    **Returns:**

    The world, `[1, C, *world]`.
    """
    world_size = [int(w) for w in world_size]
    cells = jnp.zeros([nb_channels, *world_size], jnp.float32)
    if isinstance(other_cells, (jax.Array, np.ndarray)):
        other_cells = [other_cells]
    other_cells = list(other_cells)
    if offsets and len(offsets) != len(other_cells):
        raise ValueError(
            f"expected one offset per pattern ({len(other_cells)}), got {len(offsets)}"
        )
    for i, pattern in enumerate(other_cells):
        cells = merge_cells(cells, pattern, offsets[i] if offsets else None)
    return cells[None]


def init(
    config: Mapping[str, Any], use_init_cells: bool = True, fft: bool = True
) -> tuple[Array, Array, KernelMapping]:
    """Initial cells, kernels and mapping of a configuration.

    The configuration is completed and `world_params.scale` applied (pattern zoomed,
    `R` multiplied) on a copy: the caller's dict is never modified.

    **Arguments:**

    - `config`: the configuration.
    - `use_init_cells`: prefer `run_params.init_cells` over `run_params.cells`.
    - `fft`: Fourier-space kernels (default) or spatial ones.

    **Returns:**

    `(cells [1, C, *world], K, mapping)`.
    """
    config, pattern = _prepared(config, use_init_cells)
    wp, rp = config["world_params"], config["render_params"]
    cells = create_init_cells(rp["world_size"], wp["nb_channels"], [pattern])
    K, mapping = get_kernels_and_mapping(
        config["kernels_params"], rp["world_size"], wp["nb_channels"], wp["R"], fft
    )
    return cells, K, mapping


def build_all(
    config: Mapping[str, Any], *, fft: bool = True, compat: bool = False
) -> tuple[Array, Array, Array, KernelMapping, UpdateFn, StatsFn, dict]:
    """Everything a runner needs from a configuration (without the cells).

    **Returns:**

    `(K, gf_params, kernels_weight_per_channel, mapping, update_fn,
    compute_stats_fn, completed_config)`.
    """
    config = get_container(config)
    wp, rp = config["world_params"], config["render_params"]
    K, mapping = get_kernels_and_mapping(
        config["kernels_params"], rp["world_size"], wp["nb_channels"], wp["R"], fft
    )
    update_fn = build_update_fn(
        K.shape,
        mapping,
        wp["get_state_fn_slug"],
        wp["weighted_average"],
        fft,
        compat=compat,
    )
    stats_fn = build_compute_stats_fn(wp, rp, compat=compat)
    return (
        K,
        mapping.get_gf_params(),
        mapping.get_kernels_weight_per_channel(),
        mapping,
        update_fn,
        stats_fn,
        config,
    )


def init_and_run(
    rng_key: Any,
    config: Mapping[str, Any],
    use_init_cells: bool = True,
    with_jit: bool = True,
    fft: bool = True,
    stat_trunc: bool = False,
) -> tuple[Array, Array, Array, dict[str, Array]]:
    """Load a configuration and simulate it: the one-call API.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `config`: the configuration (`run_params.max_run_iter` steps).
    - `use_init_cells`: prefer `run_params.init_cells`.
    - `with_jit`: use `run_scan` (default) or the Python-loop `run`.
    - `fft`: FFT or direct convolution.
    - `stat_trunc`: truncate the outputs to the `N` steps the heuristics held.

    **Returns:**

    `(all_cells [T, 1, C, *world], all_fields, all_potentials, stats)` with the
    statistics squeezed to `[T]` (`N` a scalar).
    """
    config, pattern = _prepared(config, use_init_cells)
    wp, rp = config["world_params"], config["render_params"]
    cells = create_init_cells(rp["world_size"], wp["nb_channels"], [pattern])
    K, gf_params, weights, _, update_fn, stats_fn, config = build_all(config, fft=fft)
    T = jnp.asarray(wp["T"], jnp.float32)
    max_run_iter = int(config["run_params"]["max_run_iter"])
    R = wp["R"]
    if with_jit:
        all_cells, all_fields, all_potentials, stats = run_scan(
            rng_key, cells, K, gf_params, weights, T, max_run_iter, R, update_fn,
            stats_fn,
        )  # fmt: skip
    else:
        all_cells, all_fields, all_potentials, stats = run(
            rng_key, cells, K, gf_params, weights, T, max_run_iter, R, update_fn,
            stats_fn, stat_trunc,
        )  # fmt: skip
    assert all_fields is not None and all_potentials is not None
    stats = {
        k: jnp.squeeze(v, axis=1 if v.ndim > 1 else None) for k, v in stats.items()
    }
    if stat_trunc:
        n = max(1, int(stats["N"]))
        all_cells, all_fields, all_potentials = (
            all_cells[:n],
            all_fields[:n],
            all_potentials[:n],
        )
        stats = {k: (v if k == "N" else v[:n]) for k, v in stats.items()}
    return all_cells, all_fields, all_potentials, stats


def multi_init_and_run(
    rng_key: Any,
    main_config: Mapping[str, Any],
    configs: Sequence[Mapping[str, Any]],
    use_init_cells: bool = True,
    fft: bool = True,
) -> tuple[Array, Array, Array, dict[str, Array]]:
    """Simulate several configurations that share `main_config`'s structure.

    The configurations must have the same world, channels, kernel graph and growth
    functions as `main_config` (their parameter values, `T` and initial patterns
    may differ); they run together in one vmapped, jitted scan, each with its own
    `T` in the statistics.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `main_config`: the configuration fixing the structure and `max_run_iter`.
    - `configs`: the configurations to run.
    - `use_init_cells`: prefer `run_params.init_cells`.
    - `fft`: FFT or direct convolution.

    **Returns:**

    `(all_cells, all_fields, all_potentials, stats)`, each with a leading
    configuration axis: frames `[N_configs, T, 1, C, *world]`, statistics
    `[N_configs, T, 1]`, `N` `[N_configs, 1]`.
    """
    *_, update_fn, stats_fn, main = build_all(main_config, fft=fft)
    if not configs:
        raise ValueError("multi_init_and_run: expected at least one configuration")
    parts = []
    for i, cfg in enumerate(configs):
        cfg, pattern = _prepared(cfg, use_init_cells)
        wp, rp = cfg["world_params"], cfg["render_params"]
        cells = create_init_cells(rp["world_size"], wp["nb_channels"], [pattern])
        K, gf, w, _, upd, _, cfg = build_all(cfg, fft=fft)
        if upd != update_fn or cells.shape[1:] != (
            main["world_params"]["nb_channels"],
            *main["render_params"]["world_size"],
        ):
            raise ValueError(
                f"configs[{i}] does not share main_config's structure (world size, "
                "channels, kernel graph, growth functions, update rule); expected "
                "only parameter values, T and patterns to differ"
            )
        parts.append((cells, K, gf, w, float(wp["T"])))
    b_cells, b_K, b_gf, b_w = (jnp.stack([p[i] for p in parts]) for i in range(4))
    T = jnp.asarray([p[4] for p in parts], jnp.float32)
    return batched_frames_jit(
        update_fn,
        stats_fn,
        int(main["run_params"]["max_run_iter"]),
        1,
        rng_key,
        b_cells,
        b_K,
        b_gf,
        b_w,
        T,
    )


def search_for_init(
    rng_key: Any,
    config: Mapping[str, Any],
    fft: bool = True,
    *,
    checkpoint: "Checkpointing | str | os.PathLike | None" = None,
) -> tuple[Any, dict[str, Any], Array]:
    """Sample random initial states and keep the longest-living one.

    Uses `algo.init_slug` (default `'perlin'`) and `run_params.nb_init_search`
    initial states, simulated together by `run_scan` for `max_run_iter` steps.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `config`: the configuration.
    - `fft`: FFT or direct convolution.
    - `checkpoint`: a directory or a [`rollax.Checkpointing`][]. The candidates are
        then simulated in batches of `every_steps` (or a sixteenth of them; at
        least 2) and the progress (candidates done, their `N`, the best so far) is
        saved between batches; the same call again resumes and returns bit for bit
        what an uninterrupted checkpointed search returns (the same `all_N`, best
        and cells as without `checkpoint=`; its statistics may differ from those in
        the last float bits, as XLA compiles other batch sizes differently). A
        checkpoint of another configuration, key or budget is refused with a
        [`rollax.CheckpointError`][] listing what differs.

    **Returns:**

    `(rng_key, best, all_N)`: `best` has `N`, `init_idx`, `cells` (its initial
    state `[1, C, *world]`) and `all_stats` (its statistics `[T]`); `all_N` is the
    `N` of every initial state.
    """
    K, gf_params, weights, _, update_fn, stats_fn, config = build_all(config, fft=fft)
    wp, rp, runp = config["world_params"], config["render_params"], config["run_params"]
    init_slug = config.get("algo", {}).get("init_slug", "perlin")
    nb_init = int(runp["nb_init_search"])
    rng_key, cells0 = _initializations.get(init_slug)(
        rng_key, nb_init, rp["world_size"], wp["R"], gf_params
    )
    if cells0.shape[1] != wp["nb_channels"]:
        cells0 = jnp.repeat(cells0, wp["nb_channels"], axis=1)
    rng_key, run_key = jax.random.split(rng_key)

    def simulate(cells):
        final, _, _, stats = run_scan(
            run_key,
            cells,
            K,
            gf_params,
            weights,
            jnp.asarray(wp["T"], jnp.float32),
            int(runp["max_run_iter"]),
            wp["R"],
            update_fn,
            stats_fn,
            keep_frames=False,
        )
        del final
        return stats

    if checkpoint is None:
        stats = simulate(cells0)
        all_N = stats["N"]
        best = int(jnp.argmax(all_N))
        best_stats = {k: v[:, best] for k, v in stats.items() if k != "N"}
    else:
        run = {
            "configuration": _config_digest(config),
            "fft": str(bool(fft)),
            "key": _tree_digest(rng_key),
            "initial states": _tree_digest(cells0),
            "nb_init_search": str(nb_init),
            "max_run_iter": str(int(runp["max_run_iter"])),
        }
        all_N, best, best_stats = _resumable_search(simulate, cells0, checkpoint, run)
    return (
        rng_key,
        {
            "N": int(all_N[best]),
            "init_idx": best,
            "cells": cells0[best : best + 1],
            "all_stats": best_stats,
        },
        all_N,
    )


def _resumable_search(simulate, cells0, checkpoint, run):
    """Simulate `cells0` in batches, keeping the best, saving between batches."""
    store = CheckpointStore(checkpoint, run)
    nb_init = int(cells0.shape[0])
    every = store.config.every_steps
    # Batches of one fixed size (the last one padded): one compilation, and at least
    # two candidates, since XLA compiles a batch of one differently (last-bit changes).
    size = min(nb_init, max(2, int(every) if every else math.ceil(nb_init / 16)))
    try:
        # The shapes and dtypes of what is saved, without simulating.
        first = jax.eval_shape(simulate, cells0[:size])
        stats_like = {
            k: jax.ShapeDtypeStruct((v.shape[0], *v.shape[2:]), v.dtype)
            for k, v in first.items()
            if k != "N"
        }
        like = {
            "done": np.zeros((), np.int64),
            "all_N": np.zeros((nb_init,), first["N"].dtype),
            "best": np.zeros((), np.int64),
            "best_stats": stats_like,
        }
        restored = store.latest(like)
        if restored is None:
            done, best = 0, -1
            all_N = np.zeros((nb_init,), first["N"].dtype)
            best_stats = {}
        else:
            _, arrays = restored
            done, best = int(arrays["done"]), int(arrays["best"])
            all_N = np.asarray(arrays["all_N"]).copy()
            best_stats = arrays["best_stats"]
        while done < nb_init:
            stop = min(done + size, nb_init)
            batch = cells0[done:stop]
            if stop - done < size:
                pad = jnp.repeat(batch[-1:], size - (stop - done), axis=0)
                batch = jnp.concatenate([batch, pad])
            stats = simulate(batch)
            n = np.asarray(stats["N"])[: stop - done]
            all_N[done:stop] = n
            i = int(np.argmax(n))
            if best < 0 or n[i] > all_N[best]:  # strictly: the first maximum wins
                best = done + i
                best_stats = {k: v[:, i] for k, v in stats.items() if k != "N"}
            done = stop
            if done == nb_init or store.due(done):
                arrays = {
                    "done": np.asarray(done, np.int64),
                    "all_N": all_N,
                    "best": np.asarray(best, np.int64),
                    "best_stats": best_stats,
                }
                store.save(done, arrays, 0)
    finally:
        store.close()
    return jnp.asarray(all_N), best, dict(best_stats)


def _tree_digest(tree: Any) -> str:
    h = hashlib.sha256()
    for leaf in jax.tree.leaves(tree):
        if isinstance(leaf, jax.Array) and jnp.issubdtype(
            leaf.dtype, jax.dtypes.prng_key
        ):
            leaf = jax.random.key_data(leaf)
        array = np.ascontiguousarray(np.asarray(leaf))
        h.update(f"{array.shape}{array.dtype}".encode())
        h.update(array.tobytes())
    return h.hexdigest()[:16]


def _config_digest(config: Mapping[str, Any]) -> str:
    def describe(obj: Any) -> str:  # arrays by content: repr elides large ones
        return _tree_digest(obj) if hasattr(obj, "shape") else repr(obj)

    text = json.dumps(get_container(config), sort_keys=True, default=describe)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def search_for_mutation(
    rng_key: Any,
    config: Mapping[str, Any],
    nb_scale_for_stability: int = 1,
    fft: bool = True,
    use_init_cells: bool = True,
) -> tuple[Any, dict[str, Any]]:
    """Mutate a configuration's `genotype` parameters and keep the longest-living.

    Each of `run_params.nb_mut_search` mutants draws every genotype entry
    `{key, domain, type}` around its current value (Gaussian, `algo.mut_sigma0`,
    default 0.05 of the domain width), clipped to the domain. All mutants run in
    one batched `run_scan_mem_optimized`; with `nb_scale_for_stability > 1` a
    mutant's `N` is the minimum over world scales `2**i`.

    **Arguments:**

    - `rng_key`: a JAX PRNG key.
    - `config`: the configuration, with a `genotype` list.
    - `nb_scale_for_stability`: number of scales a mutant must survive.
    - `fft`: FFT or direct convolution.
    - `use_init_cells`: prefer `run_params.init_cells`.

    **Returns:**

    `(rng_key, best)` with `best = {'N', 'config'}` (the best mutant's config).
    """
    base = get_container(config)
    genotype = base.get("genotype") or []
    if not genotype:
        raise ValueError(
            "search_for_mutation: expected a 'genotype' list of {key, domain, type} "
            "entries naming the parameters to mutate"
        )
    nb_mut = int(base["run_params"]["nb_mut_search"])
    sigma = float(base.get("algo", {}).get("mut_sigma0", 0.05))
    rng = np.random.default_rng(
        np.asarray(jax.random.key_data(_typed(rng_key))).ravel()
    )
    rng_key, sub = jax.random.split(_typed(rng_key))
    mutants = []
    for _ in range(nb_mut):
        cfg = copy.deepcopy(base)
        for gene in genotype:
            lo, hi = gene["domain"]
            value = float(get_param(cfg, gene["key"]))
            new = float(np.clip(value + rng.normal() * sigma * (hi - lo), lo, hi))
            if gene.get("type") == "int":
                new = round(new)
            set_param(cfg, gene["key"], new)
        mutants.append(cfg)

    scores = np.full(nb_mut, np.inf)
    for s in range(max(1, nb_scale_for_stability)):
        batch = []
        for cfg in mutants:
            c = copy.deepcopy(cfg)
            c["world_params"]["scale"] = float(2**s)
            if s:
                c["render_params"]["world_size"] = [
                    w * 2**s for w in c["render_params"]["world_size"]
                ]
            c, pattern = _prepared(c, use_init_cells)
            wp, rp = c["world_params"], c["render_params"]
            cells = create_init_cells(rp["world_size"], wp["nb_channels"], [pattern])
            K, gf, w, _, update_fn, stats_fn, c = build_all(c, fft=fft)
            batch.append((cells, K, gf, w, float(wp["T"]), update_fn, stats_fn, c))
        b_cells, b_K, b_gf, b_w = (jnp.stack([b[i] for b in batch]) for i in range(4))
        T = jnp.asarray([b[4] for b in batch], jnp.float32)
        stats, _ = run_scan_mem_optimized(
            sub,
            b_cells,
            b_K,
            b_gf,
            b_w,
            T,
            int(batch[0][7]["run_params"]["max_run_iter"]),
            batch[0][7]["world_params"]["R"],
            batch[0][5],
            batch[0][6],
        )
        scores = np.minimum(scores, np.asarray(stats["N"]).max(axis=1))
    best = int(np.argmax(scores))
    return rng_key, {"N": int(scores[best]), "config": mutants[best]}


def _typed(key: Any) -> Any:
    key = jnp.asarray(key) if not isinstance(key, jax.Array) else key
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key.astype(jnp.uint32))


def world_size_for(R: float, pattern_shape: Sequence[int]) -> list[int]:
    """A power-of-two world comfortably larger than a pattern and its kernel."""
    need = [max(int(d), 2 * math.ceil(R)) * 2 for d in pattern_shape]
    return [2 ** math.ceil(math.log2(n)) for n in need]

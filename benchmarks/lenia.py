"""Throughput of lenia-runner on the Orbium rule (and of Leniax when importable).

Prints cell-updates per second (C * H * W * steps * batch / seconds) of:

- the floor: one rfft2 + irfft2 round trip per channel-kernel (the FFT work any
  FFT-based Lenia step must do), in a jitted scan;
- the update step alone (a jitted scan of `update_fn`);
- `run_scan` with statistics, keeping every frame (Leniax's output), and in the
  final-state-only mode;
- the batched runner `run_scan_mem_optimized` (16 configurations);

then the ratios the package aims at: update >= 0.8x floor, run_scan with
statistics >= 0.5x the update step. Medians of interleaved repeats; on a shared
machine the absolute numbers are noisy, the ratios measured in one run less so.

Usage: `python benchmarks/lenia.py [--quick]` (or `hatch run bench:lenia`).
"""

import argparse
import os
import statistics as pystats
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp

from lenia_runner import helpers, initializations, orbium_config, runner


def _time(fn, repeats):
    jax.block_until_ready(fn())  # compile + warm up
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        out.append(time.perf_counter() - start)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budget smoke run")
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args(argv)
    size = args.size
    steps = 32 if args.quick else 256
    n_sols = 4 if args.quick else 16
    repeats = 2 if args.quick else 5

    cfg = orbium_config((size, size), steps)
    K, gf, w, _, update_fn, stats_fn, cfg = helpers.build_all(cfg)
    T = jnp.float32(10)
    key = jax.random.key(0)
    _, cells0 = initializations.perlin(key, 1, [size, size], 13, gf)
    cells = cells0[:1]
    per_run = size * size * steps

    @jax.jit
    def floor(x):
        def body(c, _):
            u = jnp.fft.irfft2(jnp.fft.rfft2(c) * K[:, :, 0], s=(size, size))
            return u, None

        return jax.lax.scan(body, x, None, length=steps)[0]

    @jax.jit
    def update_only(x, gf):
        keys = jax.random.split(key, steps)

        def body(c, k):
            return update_fn(k, c, K, gf, w, 1.0 / T)[0], None

        return jax.lax.scan(body, x, keys)[0]

    def scan_stats():
        return runner.run_scan(key, cells, K, gf, w, T, steps, 13, update_fn, stats_fn)

    def scan_stats_final():
        return runner.run_scan(
            key, cells, K, gf, w, T, steps, 13, update_fn, stats_fn, keep_frames=False
        )

    def scan_stats_every8():
        return runner.run_scan(
            key, cells, K, gf, w, T, steps, 13, update_fn, stats_fn,
            keep_frames=False, stats_every=8,
        )  # fmt: skip

    stack = lambda x: jnp.stack([x] * n_sols)  # noqa: E731
    _, inits = initializations.perlin(key, n_sols, [size, size], 13, gf)
    b_cells, b_K, b_gf, b_w = inits[:, None], stack(K), stack(gf), stack(w)
    b_T = jnp.full((n_sols,), 10.0)

    def batched():
        return runner.run_scan_mem_optimized(
            key, b_cells, b_K, b_gf, b_w, b_T, steps, 13, update_fn, stats_fn
        )

    cases = {
        "floor (rfft2+irfft2 per kernel)": (lambda: floor(cells), per_run),
        "update step alone": (lambda: update_only(cells, gf), per_run),
        "run_scan + stats, all frames": (scan_stats, per_run),
        "run_scan + stats, final only": (scan_stats_final, per_run),
        "run_scan + stats every 8 steps": (scan_stats_every8, per_run),
        f"run_scan_mem_optimized x{n_sols}": (batched, per_run * n_sols),
    }
    # compile everything first, then interleave the timed repeats
    compile_s = {}
    for name, (fn, _) in cases.items():
        start = time.perf_counter()
        jax.block_until_ready(fn())
        compile_s[name] = time.perf_counter() - start
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, (fn, _) in cases.items():
            times[name] += _time(fn, 1)

    print(
        f"lenia-runner benchmark: Orbium {size}x{size}, {steps} steps, "
        f"{jax.device_count()} {jax.devices()[0].platform} device(s), medians of "
        f"{repeats} interleaved repeats"
    )
    rate = {}
    print(f"{'case':<36} {'median s':>10} {'Mcell-upd/s':>12} {'first call s':>13}")
    for name, (_, work) in cases.items():
        med = pystats.median(times[name])
        rate[name] = work / med / 1e6
        print(f"{name:<36} {med:>10.4f} {rate[name]:>12.1f} {compile_s[name]:>13.2f}")
    up = rate["update step alone"]
    print(
        f"\nupdate step / floor:              {up / rate['floor (rfft2+irfft2 per kernel)']:.2f}"
        "  (target >= 0.8)"
    )
    print(
        f"run_scan+stats (frames) / update: {rate['run_scan + stats, all frames'] / up:.2f}"
        "  (target >= 0.5; Leniax ~0.3)"
    )
    print(
        f"run_scan+stats (final) / update:  {rate['run_scan + stats, final only'] / up:.2f}"
    )
    print(
        f"batched / update:                 {rate[f'run_scan_mem_optimized x{n_sols}'] / up:.2f}"
    )
    _compare_with_leniax(size, steps, rate)


def _compare_with_leniax(size, steps, rate):
    """Leniax has no PyPI release and no longer imports on current JAX; when a
    patched copy is importable in this environment, time its bare update."""
    try:
        from leniax import (  # pyright: ignore[reportMissingImports]
            helpers as lx_helpers,
            kernels as lx_kernels,
        )
    except Exception as e:
        print(f"\nLeniax not importable here ({type(e).__name__}); comparison skipped")
        return
    try:
        cfg = orbium_config((size, size), steps)
        K, mapping = lx_kernels.get_kernels_and_mapping(
            cfg["kernels_params"], [size, size], 1, 13, fft=True
        )
        update_fn = lx_helpers.build_update_fn(K.shape, mapping)
        gf = mapping.get_gf_params()
        w = mapping.get_kernels_weight_per_channel()
        cells = jnp.zeros((1, 1, size, size)).at[0, 0, 50:70, 50:70].set(0.3)
        key = jax.random.PRNGKey(0)

        @jax.jit
        def lx_update_only(x):
            keys = jax.random.split(key, steps)

            def body(c, k):
                return update_fn(k, c, K, gf, w, 0.1)[0], None

            return jax.lax.scan(body, x, keys)[0]

        med = pystats.median(_time(lambda: lx_update_only(cells), 5))
        lx = size * size * steps / med / 1e6
        print(
            f"\nLeniax update step: {lx:.1f} Mcell-upd/s; lenia-runner / Leniax = "
            f"{rate['update step alone'] / lx:.2f}"
        )
    except Exception as e:
        print(f"\nLeniax comparison failed: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()

"""Throughput of lenia-runner on the Orbium rule (and of Leniax when importable).

Prints cell-updates per second (C * H * W * steps * batch / seconds) of:

- the floor: one rfft2 + irfft2 round trip per channel-kernel (the FFT work any
  FFT-based Lenia step must do), in a jitted scan;
- the update step alone (a jitted scan of `update_fn`);
- `run_scan` with statistics, keeping every frame (Leniax's output), and in the
  final-state-only mode;
- the batched runner `run_scan_mem_optimized` (16 configurations);

then the ratios the package aims at: update >= 0.8x floor, run_scan with
statistics >= 0.5x the update step. With `--leniax-python` (or `LENIAX_PYTHON`) the
update step, `run_scan` with statistics and the batched runner are also timed through
Leniax in its own environment (JAX 0.4), interleaved with ours by the shared harness
(`_harness.py`); the ratio is lenia-runner / Leniax, lower is better.

Usage: `python benchmarks/lenia.py [--quick] [--leniax-python PATH]` (or
`hatch run bench:lenia`).
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import _harness
import jax
import jax.numpy as jnp
import numpy as np

from lenia_runner import helpers, initializations, orbium_config, runner


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budget smoke run")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument(
        "--leniax-python",
        default=os.environ.get("LENIAX_PYTHON"),
        help="the Python of an environment where Leniax imports (default: $LENIAX_PYTHON)",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
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
    print(
        f"lenia-runner benchmark: Orbium {size}x{size}, {steps} steps, "
        f"{jax.device_count()} {jax.devices()[0].platform} device(s)"
    )
    leniax = _leniax_worker(args.leniax_python, cfg, cells, n_sols)
    theirs = {
        "update step alone": "update",
        "run_scan + stats, all frames": "run_scan_stats",
        f"run_scan_mem_optimized x{n_sols}": "batched",
    }
    rows = _harness.measure(
        [
            _harness.Case(
                name,
                fn,
                leniax.case(theirs[name]) if leniax and name in theirs else None,
                per=(work / 1e6, "Mcell-update"),
            )
            for name, (fn, work) in cases.items()
        ],
        repeats,
    )
    if leniax:
        leniax.close()
    note = (
        "Leniax from its source, in its own environment (JAX 0.4), same run"
        if leniax
        else "Leniax not measured: pass --leniax-python (or LENIAX_PYTHON), see benchmarks/README.md"
    )
    _harness.report("lenia-runner against Leniax", "lenia-runner", "Leniax", rows, note)
    rate = {
        row["case"]: work / row["ours_s"] / 1e6
        for row, (_, work) in zip(rows, cases.values(), strict=True)
    }
    up = rate["update step alone"]
    print("\nthroughput ratios within lenia-runner (same run):")
    print(
        f"  update step / floor:              {up / rate['floor (rfft2+irfft2 per kernel)']:.2f}  (target >= 0.8)"
    )
    print(
        f"  run_scan+stats (frames) / update: {rate['run_scan + stats, all frames'] / up:.2f}  (target >= 0.5)"
    )
    print(
        f"  run_scan+stats (final) / update:  {rate['run_scan + stats, final only'] / up:.2f}"
    )
    print(
        f"  batched / update:                 {rate[f'run_scan_mem_optimized x{n_sols}'] / up:.2f}"
    )
    _harness.write_json(args.json, {"lenia": rows})


def _leniax_worker(python, cfg, cells, n_sols):
    """Leniax in its own environment, or `None` when no such Python was given."""
    if not python:
        return None
    scratch = Path(tempfile.mkdtemp(prefix="lenia-bench-"))
    (scratch / "config.json").write_text(json.dumps(cfg))
    np.save(scratch / "cells.npy", np.asarray(cells))
    try:
        return _harness.Worker(
            python,
            _harness.HERE / "originals" / "leniax_cases.py",
            str(scratch / "config.json"),
            str(scratch / "cells.npy"),
            str(n_sols),
        )
    except RuntimeError as error:
        print(f"Leniax could not start: {error}")
        return None


if __name__ == "__main__":
    main()

"""The `rollax demo lenia-runner` demo: a Perlin-noise search under the Orbium rule."""

import csv
import json
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ._helpers import build_all
from ._initializations import perlin
from ._render import plot_stats, render_gif
from ._runner import run_scan
from ._species import orbium_config


def run_demo(outdir: Path, *, quick: bool = False) -> str:
    """Search Perlin initial states under the Orbium rule; render the best one.

    Samples initial states, simulates them together, keeps the longest-living (the
    largest `N`), and writes `best.gif`, `best_stats.png`, `search.csv` (the `N` of
    every initial state) and `summary.json` into `outdir`.

    **Arguments:**

    - `outdir`: an existing directory.
    - `quick`: a tiny budget (64x64 world, 4 initial states, 32 steps).

    **Returns:**

    A one-line summary.
    """
    outdir = Path(outdir)
    if quick:
        size, nb_init, steps = 64, 4, 32
    else:
        size, nb_init, steps = 128, 32, 512
    config = orbium_config((size, size), steps)
    K, gf, w, _, update_fn, stats_fn, config = build_all(config)
    wp = config["world_params"]
    T = jnp.asarray(wp["T"], jnp.float32)
    key = jax.random.key(42)
    key, cells0 = perlin(key, nb_init, [size, size], wp["R"], gf)
    start = time.perf_counter()
    # the quick search is small enough to keep every frame of every init
    out = run_scan(
        key, cells0, K, gf, w, T, steps, wp["R"], update_fn, stats_fn,
        keep_frames=quick,
    )  # fmt: skip
    stats = out[3]
    all_N = np.asarray(stats["N"])
    search_s = time.perf_counter() - start
    best = int(np.argmax(all_N))
    if quick:
        cells, best_stats, col = out[0], stats, best
    else:  # replay the best initial state, keeping its frames
        cells, _, _, best_stats = run_scan(
            key, cells0[best : best + 1], K, gf, w, T, steps, wp["R"], update_fn,
            stats_fn,
        )  # fmt: skip
        col = 0
    every = 1 if quick else 2
    frames = np.asarray(cells[:, col])[::every]
    render_gif(
        outdir / "best.gif",
        frames,
        fps=20,
        title=f"Lenia, Orbium rule: best of {nb_init} Perlin initial states",
        steps=range(0, len(frames) * every, every),
        T=float(wp["T"]),
    )
    one = {
        k: np.asarray(v)[:, col] if k != "N" else np.asarray(v)[col]
        for k, v in best_stats.items()
    }
    plot_stats(
        outdir / "best_stats.png",
        one,
        title=f"Orbium rule, Perlin init {best}: N = {int(one['N'])} / {steps}",
    )
    with open(outdir / "search.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["init", "N"])
        writer.writerows([i, float(n)] for i, n in enumerate(all_N))
    summary = {
        "world_size": [size, size],
        "steps": steps,
        "nb_init": nb_init,
        "best_init": best,
        "best_N": float(all_N[best]),
        "alive_to_the_end": int(np.sum(all_N >= steps)),
        "search_seconds": round(search_s, 3),
    }
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return (
        f"searched {nb_init} Perlin inits of the Orbium rule on {size}x{size} for "
        f"{steps} steps: best init {best} lived N={int(all_N[best])}, "
        f"{summary['alive_to_the_end']} alive to the end; wrote best.gif, "
        "best_stats.png, search.csv"
    )

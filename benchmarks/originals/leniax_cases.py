"""Leniax's side of `benchmarks/lenia.py`, run by `_worker.py` in Leniax's environment
(JAX 0.4; Leniax from its source). Arguments: the Orbium configuration as JSON, the
initial cells as .npy, the number of configurations of the batched case.

The same work as our cases: the bare update step in a jitted scan, `run_scan` with
statistics (every frame kept, Leniax's only mode) and `run_scan_mem_optimized`.
"""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
from leniax import helpers, kernels, runner, statistics  # pyright: ignore[reportMissingImports]

config = json.loads(open(sys.argv[1]).read())
cells = jnp.asarray(np.load(sys.argv[2]))
n_sols = int(sys.argv[3])
world, render = config["world_params"], config["render_params"]
size = render["world_size"]
steps = config["run_params"]["max_run_iter"]
R, T = world["R"], jnp.float32(world["T"])

K, mapping = kernels.get_kernels_and_mapping(
    config["kernels_params"], size, world["nb_channels"], R, fft=True
)
update_fn = helpers.build_update_fn(
    K.shape, mapping, world["get_state_fn_slug"], True, True
)
stats_fn = statistics.build_compute_stats_fn(world, render)
gf = mapping.get_gf_params()
w = mapping.get_kernels_weight_per_channel()
key = jax.random.PRNGKey(0)


@jax.jit
def update_only(x):
    def body(c, k):
        return update_fn(k, c, K, gf, w, 1.0 / T)[0], None

    return jax.lax.scan(body, x, jax.random.split(key, steps))[0]


def stack(x):
    return jnp.stack([x] * n_sols)


b_cells = jnp.stack([cells] * n_sols)
b_T = jnp.full((n_sols,), world["T"], jnp.float32)

CASES = {
    "update": lambda: update_only(cells),
    "run_scan_stats": lambda: runner.run_scan(
        key, cells, K, gf, w, T, steps, R, update_fn, stats_fn
    ),
    "batched": lambda: runner.run_scan_mem_optimized(
        key, b_cells, stack(K), stack(gf), stack(w), b_T, steps, R, update_fn, stats_fn
    ),
}
INFO = {"leniax": "from source"}

"""Ready-made configurations."""

from typing import Any


def orbium_config(
    world_size: tuple[int, ...] = (128, 128), max_run_iter: int = 256
) -> dict[str, Any]:
    """The Orbium rule as a v2 configuration (no initial pattern).

    R = 13, T = 10, one ring b = [1], polynomial core q = 4, polynomial growth
    m = 0.15, s = 0.015 (Bert Chan's Orbium unicaudatus rule).

    **Arguments:**

    - `world_size`: the world's size.
    - `max_run_iter`: number of steps of a run.

    **Returns:**

    A configuration dict; set `run_params.cells` or search for an initial state
    (`helpers.search_for_init`).
    """
    return {
        "version": 2,
        "world_params": {
            "nb_dims": len(world_size),
            "nb_channels": 1,
            "R": 13,
            "T": 10,
            "scale": 1.0,
            "get_state_fn_slug": "v1",
            "weighted_average": True,
        },
        "render_params": {"world_size": list(world_size), "pixel_size": 4},
        "kernels_params": [
            {
                "k_slug": "circle_2d" if len(world_size) == 2 else "sphere_3d",
                "k_params": [1, [1.0]],
                "kf_slug": "poly_quad",
                "kf_params": [4],
                "gf_slug": "poly_quad4",
                "gf_params": [0.15, 0.015],
                "h": 1,
                "c_in": 0,
                "c_out": 0,
            }
        ],
        "run_params": {
            "max_run_iter": max_run_iter,
            "seed": 1,
            "nb_init_search": 16,
            "nb_mut_search": 8,
        },
        "algo": {"init_slug": "perlin"},
    }

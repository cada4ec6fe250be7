"""Ready-made configurations."""

from typing import Any

from jaxtyping import Array

from ._utils import WORLD_DEFAULTS

ORBIUM_CELLS = (
    "H4sIACDCAWsC/5WUXUiTcRTGn+WcH6lLM6eL1Uwt56wJdaGMok+Q6OPC20AoKIM+yC6KoItQoihi"
    "K0KSQHZXTW8j6sK6KIjApJCMsYqyZqOLEOpiBvZ7eYW57d2iPxz+H+ec55zznPO+fTblXRPIE/S/"
    "kavIJv3f+obPlF3ylkiVZVICuYbMcL9QLE3a/o0xUCSNlBK/Anun1Fct+Wukc+xvuAcqpWi5tLU4"
    "P8ZNcuhaLr3HvqNWanTh3yB1u6V39dLjlWCBM4RNFXHuleRiBMljL/reKilG/Gn829ZIccTnhau1"
    "0qc66Ri5/MG2hXyS2NdkYUWo/yTv95E94OzEf6QJWSf9ZI9tgC/eti/xWzD4J25k8R4G/yn+MWJ0"
    "UluYnLsbqaNNSjVLh1okV0DqaQXLkRk/xP1UhXm2k8uD0rTOwL1ELQsd4IGVWG+eDRl05HLyus7c"
    "2+Gu2p6p2+9K+3o3mnsUeW7B7Qm3uU+vyNUdxr49kMYy5IZf6i/Ltd1Rb+4Xa63nIAS/w/geJZ9f"
    "1DfWbM5V9hqH2yT1vmAuOi1wjtC3FHyH8Y/Qt36PdNAi9yG43UZOo2A9s4jjpK+DzFF0tTQLB3H4"
    "bLXAmWKmujzmOd5kXZuN7+E0dR9HPJx7yjP1t+jPB/LZ12DeE36z39nrLnwnyHWAefPT18Ri398i"
    "u8EYBeMlfj6n+T5PfQ/h67YF1ll6NAzOHWy/YzPBvD4C/zIYbRbf6zhvB/BJOcx5mgTzOvsX8ogZ"
    "3y38nIF7Hzbz2MwVWXMRAf8r3M5iE+KcRDbjMwa3r1Yx9+DEOX8klx8F/j1XlnA4A94u4n1G3LzP"
    "UZeXuoLUdX5Z4X+Y3Z5f14suSN1bCmAYv0ljpCldfwGsC0XysAUAAA=="
)
"""An Orbium (20x18), in `loader.compress_array`'s format.

Found by this package's own Perlin search (`rollax demo lenia-runner`, seed 42,
init 30, state after 512 steps, centred and cropped); it glides at about 0.46 R
per unit of time.
"""


def orbium_cells() -> Array:
    """The Orbium pattern `[1, 20, 18]` found by this package's Perlin search."""
    from ._loader import decompress_array_gzip

    return decompress_array_gzip(ORBIUM_CELLS)


def orbium_config(
    world_size: tuple[int, ...] = (128, 128), max_run_iter: int = 256
) -> dict[str, Any]:
    """The Orbium rule as a v2 configuration, with an Orbium as initial pattern.

    R = 13, T = 10, one ring b = [1], polynomial core q = 4, polynomial growth
    m = 0.15, s = 0.015 (Bert Chan's Orbium unicaudatus rule). For a 2-D world
    `run_params.cells` holds `ORBIUM_CELLS`.

    **Arguments:**

    - `world_size`: the world's size.
    - `max_run_iter`: number of steps of a run.

    **Returns:**

    A configuration dict.
    """
    config = {
        "version": 2,
        "world_params": dict(WORLD_DEFAULTS, nb_dims=len(world_size)),
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
    if len(world_size) == 2:
        config["run_params"]["cells"] = ORBIUM_CELLS
    return config

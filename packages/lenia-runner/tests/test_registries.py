"""User extensions through the registries: Conway's Game of Life as a Lenia rule."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import core, growth_functions, helpers, kernel_functions, kernels


@core.register("test_cgol")
def cgol_state(rng_key, cells, field, dt):
    """Birth on 3 neighbours, survival on 2 or 3 (field = neighbour count)."""
    del rng_key, dt
    born = jnp.abs(field - 3) < 0.5
    survive = (cells > 0.5) & (jnp.abs(field - 2) < 0.5)
    return (born | survive).astype(cells.dtype)


def test_game_of_life_blinker_through_registered_rule():
    neighbours = np.ones((1, 3, 3), np.float32)
    neighbours[0, 1, 1] = 0
    config = {
        "world_params": {
            "nb_dims": 2, "nb_channels": 1, "R": 1, "T": 1,
            "get_state_fn_slug": "test_cgol", "weighted_average": False,
        },
        "render_params": {"world_size": [8, 8]},
        "kernels_params": [{
            "k_slug": "raw", "k_params": neighbours.tolist(), "gf_slug": "identity",
            "gf_params": [0, 0], "h": 1, "c_in": 0, "c_out": 0,
        }],
        "run_params": {"cells": [[[0, 0, 0], [1, 1, 1], [0, 0, 0]]], "max_run_iter": 4},
    }  # fmt: skip
    for fft in (True, False):
        all_cells, _, _, _ = helpers.init_and_run(jax.random.key(0), config, fft=fft)
        frames = np.round(np.asarray(all_cells[:, 0, 0]))
        np.testing.assert_array_equal(frames[0], frames[2])
        np.testing.assert_array_equal(frames[1], frames[0].T)  # horizontal <-> vertical
        assert frames[1].sum() == 3


def test_registered_kernel_and_growth_functions_are_used():
    @kernel_functions.register("test_flat")
    def flat(params, X):
        return np.ones_like(np.asarray(X))

    @growth_functions.register("test_double")
    def double(params, U):
        return 2 * U

    @kernels.register("test_square")
    def square(R, k_params, kf_slug, kf_params):
        return jnp.ones((1, 3, 3)) / 9.0

    assert kernel_functions.get("test_flat") is flat
    kp = [{"k_slug": "test_square", "k_params": [], "gf_slug": "test_double",
           "gf_params": [0, 0], "c_in": 0, "c_out": 0}]  # fmt: skip
    K, mapping = kernels.get_kernels_and_mapping(kp, [6, 6], 1, 1)
    fn = helpers.build_update_fn(K.shape, mapping, "simple")
    cells = jnp.ones((1, 1, 6, 6))
    new, field, pot = jax.jit(fn)(
        jax.random.key(0), cells, K, mapping.get_gf_params(),
        mapping.get_kernels_weight_per_channel(), 0.5,
    )  # fmt: skip
    np.testing.assert_allclose(pot, 1.0, rtol=1e-6)
    np.testing.assert_allclose(field, 2.0, rtol=1e-6)
    np.testing.assert_allclose(new, 2.0, rtol=1e-6)
    with pytest.raises(TypeError, match="non-empty str"):
        kernels.register("")

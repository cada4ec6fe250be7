"""Leniax API details its own test suite relies on (issue 11, item 8)."""

import os
import random
import subprocess
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import helpers, kernels, loader, utils


def _v1_config():
    return {
        "world_params": {"nb_dims": 2, "nb_channels": 1, "R": 13, "T": 10},
        "render_params": {"world_size": "???", "size_power2": 6},
        "kernels_params": {
            "k": [
                {"r": 1, "b": "1", "m": 0.15, "s": 0.015, "h": 1, "k_id": 0}
                | {"q": 4, "gf_id": 0, "c_in": 0, "c_out": 0}
            ]
        },
        "run_params": {"max_run_iter": 16, "seed": "${world_params.R}"},
    }


def test_get_container_accepts_a_struct_dictconfig():
    from omegaconf import (  # pyright: ignore[reportMissingImports]
        DictConfig,
        OmegaConf,
    )

    conf = OmegaConf.create(_v1_config())
    OmegaConf.set_struct(conf, True)  # as Hydra's compose returns it
    config = utils.get_container(conf, "/some/dir")
    assert type(config) is dict and type(config["world_params"]) is dict
    assert config["version"] == 2 and config["main_path"] == "/some/dir"
    assert config["render_params"]["world_size"] == [64, 64]  # '???' filled in
    assert config["world_params"]["scale"] == 1.0  # a default added
    assert config["run_params"]["seed"] == 13  # interpolation resolved
    assert config["kernels_params"][0]["gf_params"] == [0.15, 0.015]
    assert isinstance(conf, DictConfig) and "scale" not in conf.world_params


def test_omegaconf_is_not_imported_by_the_package():
    code = "import sys, lenia_runner.utils; print('omegaconf' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_kernel_mapping_built_by_hand_as_in_leniax():
    mapping = kernels.KernelMapping(2, 3)
    assert mapping.cin_gfs == [[], []] and mapping.true_channels is None
    assert np.asarray(mapping.kernels_weight_per_channel).shape == (2, 3)
    mapping.kernels_weight_per_channel = [[0.5, 0.4, 0.0], [0.0, 0.0, 0.2]]
    mapping.cin_gfs = [["poly_quad4", "poly_quad4"], ["poly_quad4"]]
    mapping.cin_gf_params = [[[0.1, 0.1], [0.2, 0.2]], [[0.3, 0.3]]]
    get_field = helpers.build_get_field_fn(mapping.cin_gfs, True)
    potential = jnp.full((1, 3, 5, 5), 0.2)
    out = jax.jit(get_field)(
        potential, mapping.get_gf_params(), mapping.get_kernels_weight_per_channel()
    )

    def g(u, m, s):
        return 2 * max(0.0, 1 - (u - m) ** 2 / (9 * s**2)) ** 4 - 1

    c0 = (0.5 * g(0.2, 0.1, 0.1) + 0.4 * g(0.2, 0.2, 0.2)) / 0.9
    np.testing.assert_allclose(out[0, 0], c0, rtol=1e-6)
    np.testing.assert_allclose(out[0, 1], g(0.2, 0.3, 0.3), rtol=1e-6)
    # the fields are mutable: new values are seen by the getters
    mapping.cin_gf_params = [[[0.2, 0.5], [0.3, 0.6]], [[0.4, 0.7]]]
    np.testing.assert_allclose(mapping.get_gf_params()[2], [0.4, 0.7], rtol=1e-7)
    with pytest.raises(ValueError, match="nb_channels"):
        kernels.KernelMapping(0, 3)


def test_kernel_mapping_from_a_config_is_filled():
    kp = [
        {"k_slug": "circle_2d", "k_params": [1, [1.0]], "kf_slug": "poly_quad"}
        | {"kf_params": [4], "gf_slug": "gaussian", "gf_params": [0.1, 0.01]}
        | {"h": h, "c_in": c_in, "c_out": 0}
        for h, c_in in ((0.5, 1), (0.25, 0), (1.0, 1))
    ]
    _, mapping = kernels.get_kernels_and_mapping(kp, [32, 32], 2, 5)
    assert mapping.cin_kernels == [[0], [1, 2]]  # sorted by c_in
    assert mapping.cin_gfs == [["gaussian"], ["gaussian", "gaussian"]]
    np.testing.assert_array_equal(
        mapping.get_kernels_weight_per_channel(), [[0.25, 0.5, 1.0], [0, 0, 0]]
    )
    assert list(mapping.true_channels) == [True, False, True, True]
    assert mapping.tc_indices == (0, 2, 3)


def test_set_param_creates_missing_list_entries():
    dic: dict[str, Any] = {"test": {"hip": 2.0}}
    utils.set_param(dic, "test.pim.pouf", 1.0)
    assert dic["test"] == {"hip": 2.0, "pim": {"pouf": 1.0}}
    utils.set_param(dic, "test_arr.0.pouf", 1)
    assert dic["test_arr"] == [{"pouf": 1}]
    utils.set_param(dic, "test_arr.2.woo", 2)
    assert dic["test_arr"] == [{"pouf": 1}, {}, {"woo": 2}]
    utils.set_param(dic, "vals.3", 7)  # a final index pads with None
    assert dic["vals"] == [None, None, None, 7]
    utils.set_param(dic, "vals.-1", 8)
    assert dic["vals"][-1] == 8
    with pytest.raises(KeyError, match=r"'test\.hip' is a float"):
        utils.set_param(dic, "test.hip.x", 1)
    with pytest.raises(KeyError, match="not an index"):
        utils.set_param(dic, "test_arr.x", 1)


def test_generate_beta_faces():
    # grid {0, 1/2, 1}^2: vectors with a 1, by the position of their first 1
    assert utils.generate_beta_faces(2, 2) == [
        [[1.0], [1.0, 0.5], [1.0, 1.0]],
        [[0.0, 1.0], [0.5, 1.0]],
    ]
    d = 3
    for n in (3, 4):
        faces = utils.generate_beta_faces(n, d)
        assert [len(f) for f in faces] == [
            d**i * (d + 1) ** (n - 1 - i) for i in range(n)
        ]
        for i, face in enumerate(faces):
            for b in face:
                assert b.index(1.0) == i and b[-1] != 0 and len(b) <= n
    with pytest.raises(ValueError, match="denominator"):
        utils.generate_beta_faces(2, 0)


def test_seed_everything(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    key = utils.seed_everything(3)
    draws = np.random.rand(3)
    rnd = random.Random(3)
    np_seed, hash_seed, jax_seed = (rnd.randint(1, 1_000_000) for _ in range(3))
    assert jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
    np.testing.assert_array_equal(
        jax.random.key_data(key), jax.random.key_data(jax.random.key(jax_seed))
    )
    assert os.environ["PYTHONHASHSEED"] == str(hash_seed)
    np.testing.assert_array_equal(
        draws,
        np.random.RandomState(np_seed).rand(3),
    )
    key2 = utils.seed_everything(3)
    np.testing.assert_array_equal(jax.random.key_data(key), jax.random.key_data(key2))


def test_make_array_compressible_round_trip_is_exact():
    cells = np.arange(0, 1e5, 100) / 1e5  # float64, as in Leniax's test
    rng = np.random.default_rng(1)
    for x in (cells, rng.uniform(0, 1, (64, 64)).astype(np.float32)):
        c = loader.make_array_compressible(x)
        assert c.dtype == jnp.float32
        back = loader.decompress_array(loader.compress_array(c), 1)
        np.testing.assert_array_equal(back, c)
        np.testing.assert_allclose(c, x, atol=0.5 / loader.MAX_VAL + 1e-7)
        # traced (inside jit, as the initialisers call it): the same levels
        cj = jax.jit(loader.make_array_compressible)(jnp.asarray(x, jnp.float32))
        np.testing.assert_array_equal(
            loader.decompress_array(loader.compress_array(cj), 1), cj
        )
    # level q is float32(q) * float32(1 / MAX_VAL), within 1 ulp of q / MAX_VAL
    q = np.arange(loader.MAX_VAL + 1)
    c = np.asarray(loader.make_array_compressible(q / loader.MAX_VAL))
    np.testing.assert_array_equal(
        c, q.astype(np.float32) * np.float32(1 / loader.MAX_VAL)
    )
    np.testing.assert_allclose(c, q / loader.MAX_VAL, rtol=1.2e-7, atol=0)


def test_kernel_mapping_refuses_an_impossible_number_of_dimensions():
    with pytest.raises(ValueError, match="nb_dims must be 1, 2 or 3, got 4"):
        kernels.KernelMapping(1, 1, nb_dims=4)


def test_statistics_refuse_cells_of_another_world_size():
    from lenia_runner import statistics

    stats_fn = statistics.build_compute_stats_fn(
        {"R": 13, "T": 10}, {"world_size": [32, 32]}
    )
    cells = jnp.zeros((1, 1, 16, 16))
    zeros = jnp.zeros(2)
    with pytest.raises(
        ValueError, match=r"world of size \(32, 32\) got cells of shape"
    ):
        stats_fn(cells, cells, cells, zeros, zeros, jnp.zeros(()))

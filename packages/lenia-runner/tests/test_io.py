"""Codecs, configurations, initial states and their errors."""

import copy

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import helpers, initializations, loader, orbium_config, utils


def test_gzip_codec_round_trip_and_format():
    rng = np.random.default_rng(0)
    cells = rng.uniform(0, 1, (1, 7, 9)).astype(np.float32)
    text = loader.compress_array(cells)
    back = loader.decompress_array(text)
    assert back.shape == (1, 7, 9)
    np.testing.assert_allclose(back, loader.make_array_compressible(cells), atol=1e-7)
    np.testing.assert_allclose(back, cells, atol=0.5 / loader.MAX_VAL + 1e-7)
    # the byte layout: count, int32 levels, shape (little endian), gzip, base64
    import base64
    import gzip
    import struct

    raw = gzip.decompress(base64.b64decode(text))
    assert struct.unpack("<I", raw[:4])[0] == 63
    assert struct.unpack("<3I", raw[-12:]) == (1, 7, 9)


def test_two_char_code():
    assert loader.ch2val(loader.val2ch(0)) == 0
    for v in (1, 111, 112, 5000, 12543):
        assert loader.ch2val(loader.val2ch(v)) == v
    cells = np.array([[0.0, 1.0], [0.5, 0.25]])
    code = "".join(loader.val2ch(round(v * loader.MAX_VAL)) for v in cells.ravel())
    back = loader.decompress_array(code + "::2;2")
    np.testing.assert_allclose(back, cells, atol=1e-4)


def test_rle_decode_hand_example_and_round_trip():
    # row 0: 2 x A (1/255) then o (255); row 1 empty (2$); row 2: pA (25/255)
    arr = loader.deprecated_decompress_array("2Ao2$pA!", 2)
    expected = np.zeros((3, 3), np.float32)
    expected[0] = [1 / 255, 1 / 255, 1.0]
    expected[2, 0] = 25 / 255
    np.testing.assert_allclose(arr, expected, atol=1e-7)
    # as Leniax calls it for a 2-D pattern: channel axis added
    assert loader.decompress_array("2Ao2$pA!", 3).shape == (1, 3, 3)
    assert loader.char2val_deprecated("yO") == 255
    assert (
        loader.val2char_deprecated(255) == "yO"
        and loader.val2char_deprecated(24) == "X"
    )
    rng = np.random.default_rng(1)
    for shape in [(5, 6), (3, 4, 5)]:
        cells = rng.integers(0, 256, shape) / 255.0
        cells[cells < 0.5] = 0
        code = loader.rle_encode(cells)
        np.testing.assert_allclose(
            loader.rle_decode(code, len(shape)), cells, atol=1e-6
        )


@pytest.mark.parametrize(
    "code, match",
    [("3A$Z!", "malformed RLE"), ("zz!", "malformed RLE"), ("A%B!", "dimension")],
)
def test_malformed_rle_is_a_clear_error(code, match):
    with pytest.raises(ValueError, match=match):
        loader.decompress_array(code, 2)


def test_v1_config_upgrade_and_defaults_do_not_mutate():
    v1 = {
        "world_params": {
            "nb_dims": 2,
            "nb_channels": 1,
            "R": 13,
            "T": 10,
            "update_fn_version": "v1",
        },
        "render_params": {"size_power2": 6, "pixel_size_power2": 2},
        "kernels_params": {
            "k": [
                {
                    "r": 1,
                    "b": "1,1/2",
                    "q": 4,
                    "k_id": 0,
                    "m": 0.15,
                    "s": 0.015,
                    "gf_id": 0,
                    "h": 1,
                    "c_in": 0,
                    "c_out": 0,
                }
            ]
        },
        "run_params": {"cells": "2Ao$3B!", "max_run_iter": 8},
    }
    original = copy.deepcopy(v1)
    cfg = utils.get_container(v1)
    assert v1 == original
    assert cfg["version"] == 2
    assert cfg["render_params"]["world_size"] == [64, 64]
    assert cfg["world_params"]["get_state_fn_slug"] == "v1"
    assert cfg["world_params"]["weighted_average"] is True
    k = cfg["kernels_params"][0]
    assert (
        k["k_slug"] == "circle_2d"
        and k["kf_slug"] == "poly_quad"
        and k["gf_slug"] == "poly_quad4"
    )
    np.testing.assert_allclose(k["k_params"][1], [1.0, 0.5])
    assert k["gf_params"] == [0.15, 0.015]
    assert utils.st2fracs2float("1,2/3") == pytest.approx([1.0, 2 / 3])


def test_dotted_get_set():
    cfg = orbium_config()
    assert utils.get_param(cfg, "kernels_params.0.gf_params.0") == 0.15
    utils.set_param(cfg, "kernels_params.0.gf_params.1", 0.02)
    assert cfg["kernels_params"][0]["gf_params"][1] == 0.02
    utils.set_param(cfg, "algo.sigma0", 0.1)
    assert cfg["algo"]["sigma0"] == 0.1
    with pytest.raises(KeyError, match=r"kernels_params\.3"):
        utils.get_param(cfg, "kernels_params.3.h")


def test_yaml_round_trip_and_malformed_yaml(tmp_path):
    cfg = orbium_config((32, 32), 4)
    cfg["run_params"]["cells"] = loader.compress_array(np.full((1, 4, 4), 0.5))
    path = utils.save_config(tmp_path, cfg)
    loaded = utils.load_config(path)
    assert loaded["world_params"]["R"] == 13 and loaded["render_params"][
        "world_size"
    ] == [32, 32]
    cells, _K, _mapping = helpers.init(loaded)
    assert cells.shape == (1, 1, 32, 32) and float(cells.sum()) == pytest.approx(
        8.0, abs=1e-3
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("world_params: {R: 13\nkernels_params: [\n")
    with pytest.raises(ValueError, match=r"malformed YAML in .*bad.yaml.* line"):
        utils.load_config(bad)
    (tmp_path / "list.yaml").write_text("- 1\n- 2\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        utils.load_config(tmp_path / "list.yaml")


@pytest.mark.parametrize(
    "path, value, match",
    [
        ("world_params.R", 0, "world_params.R"),
        ("world_params.T", -1, "world_params.T"),
        ("kernels_params.0.c_in", 2, r"kernels_params\[0\].c_in = 2"),
        ("kernels_params.0.k_slug", "square", "unknown kernel .k_slug. 'square'"),
        ("kernels_params.0.gf_slug", "nope", "unknown growth function"),
        ("world_params.get_state_fn_slug", "v9", "unknown update rule"),
        ("render_params.world_size", [16, 16], "larger than the world"),
    ],
)
def test_bad_config_is_a_clear_error(path, value, match):
    cfg = orbium_config((64, 64))
    utils.set_param(cfg, path, value)
    with pytest.raises(ValueError, match=match):
        helpers.build_all(cfg)


def test_pattern_larger_than_world_is_a_clear_error():
    with pytest.raises(
        ValueError, match=r"pattern \(40, 40\) is larger than the world \(32, 32\)"
    ):
        helpers.create_init_cells([32, 32], 1, [jnp.ones((1, 40, 40))])
    cells = helpers.create_init_cells([8, 8], 1, [jnp.ones((1, 2, 2))], [[0, 1, -1]])
    assert cells.shape == (1, 1, 8, 8)
    assert float(cells[0, 0, 4, 2]) == 1.0 and float(cells.sum()) == 4.0


def test_initialisers_work_for_any_world_size():
    key = jax.random.key(0)
    gf = jnp.array([[0.15, 0.015]])
    _, p = initializations.perlin(key, 3, [50, 70], 13, gf)
    assert p.shape == (3, 1, 50, 70)
    # Leniax's amplitude schedule: m + i / n (min(1, 3 m) - m)
    np.testing.assert_allclose(p.max(axis=(1, 2, 3)), [0.15, 0.25, 0.35], atol=1e-3)
    # cropped perlin for a 64x64 world (Leniax always returned 128x128)
    _, c = initializations.cropped_perlin(key, 2, [64, 64], 13, gf)
    assert c.shape == (2, 1, 64, 64)
    nz = np.argwhere(np.asarray(c[0, 0]) > 0)
    assert nz.min(0).tolist() == [19, 19] and nz.max(0).tolist() == [44, 44]
    # uniform noise for 2-D and 3-D worlds (Leniax raised a reshape error)
    _, u = initializations.random_uniform(key, 4, [20, 30], 13, gf)
    assert u.shape == (4, 1, 20, 30)
    assert float(u[0].max()) <= 0.4 + 1e-6 and float(u[-1].max()) > 0.9
    _, u3 = initializations.random_uniform(key, 2, [8, 8, 8], 13, gf)
    assert u3.shape == (2, 1, 8, 8, 8)
    assert initializations.get("perlin_local") is initializations.perlin
    with pytest.raises(ValueError, match="unknown initialisation"):
        initializations.get("gaussian_blobs")


def test_centre_and_crop():
    cells = np.zeros((1, 16, 16), np.float32)
    cells[0, 0:3, 14:16] = 1.0  # crosses the border
    cells[0, 0:3, 0:1] = 1.0
    out = np.asarray(utils.center_and_crop(cells))
    assert out.shape == (1, 3, 3) and out.sum() == 9.0

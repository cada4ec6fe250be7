"""One-call helpers, searches and rendering."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import helpers, initializations, loader, orbium_config, render


@pytest.fixture(scope="module")
def small_config():
    cfg = orbium_config((32, 32), 16)
    cfg["world_params"]["R"] = 6
    cfg["run_params"]["cells"] = loader.compress_array(np.full((1, 8, 8), 0.3))
    cfg["run_params"]["nb_init_search"] = 3
    cfg["run_params"]["nb_mut_search"] = 2
    return cfg


def test_init_and_run_squeezes_and_truncates(small_config):
    key = jax.random.key(0)
    cells, _fields, _potentials, stats = helpers.init_and_run(key, small_config)
    assert cells.shape == (16, 1, 1, 32, 32) and stats["mass"].shape == (16,)
    assert np.ndim(stats["N"]) == 0
    n = int(stats["N"])
    cells_t, _, _, stats_t = helpers.init_and_run(key, small_config, stat_trunc=True)
    assert cells_t.shape[0] == max(1, n) and stats_t["mass"].shape == (max(1, n),)
    # the caller's config is untouched (no default filling)
    assert "size_power2" not in small_config["render_params"]


def test_scale_zooms_the_pattern_and_R_without_mutating(small_config):
    cfg = dict(small_config, world_params=dict(small_config["world_params"], scale=2.0))
    cells, _K, _mapping = helpers.init(cfg)
    assert float(cells.sum()) == pytest.approx(0.3 * 16 * 16, rel=1e-3)
    assert cfg["world_params"]["R"] == 6 and cfg["world_params"]["scale"] == 2.0


def test_search_for_init_keeps_the_longest(small_config):
    _key, best, all_N = helpers.search_for_init(jax.random.key(1), small_config)
    assert all_N.shape == (3,)
    assert best["N"] == int(np.max(all_N)) and best["init_idx"] == int(np.argmax(all_N))
    assert best["cells"].shape == (1, 1, 32, 32)
    assert best["all_stats"]["mass"].shape == (16,)


def test_search_for_mutation(small_config):
    cfg = dict(small_config)
    cfg["genotype"] = [
        {"key": "kernels_params.0.gf_params.0", "domain": [0.1, 0.2], "type": "float"}
    ]
    _, best = helpers.search_for_mutation(jax.random.key(2), cfg)
    m = best["config"]["kernels_params"][0]["gf_params"][0]
    assert 0.1 <= m <= 0.2 and 0 <= best["N"] <= 16
    assert small_config["kernels_params"][0]["gf_params"][0] == 0.15
    with pytest.raises(ValueError, match="genotype"):
        helpers.search_for_mutation(jax.random.key(2), small_config)


def _perlin_point(grads, x, res, shape):
    """Perlin noise at one point, written out in numpy: 2^D corner dot products
    weighted by the quintic fade."""
    t = np.asarray(x, float) * np.asarray(res) / np.asarray(shape)
    i, f = np.floor(t).astype(int), t - np.floor(t)
    fade = 6 * f**5 - 15 * f**4 + 10 * f**3
    total = 0.0
    for corner in np.ndindex(*(2,) * len(x)):
        c = np.asarray(corner)
        g = grads[tuple(i + c)]
        weight = np.prod(np.where(c == 1, fade, 1 - fade))
        total += weight * np.dot(g, f - c)
    return total


def test_perlin_noise_in_3d_matches_numpy_and_vanishes_on_the_lattice():
    shape, res = (12, 8, 20), (3, 2, 4)
    grads = np.asarray(jax.random.normal(jax.random.key(1), (4, 3, 5, 3)))
    noise = np.asarray(
        initializations.generate_perlin_noise(jnp.asarray(grads)[None], shape, res)
    )[0]
    assert noise.shape == shape
    for x in [(0, 0, 0), (5, 3, 7), (11, 7, 19), (2, 6, 13)]:
        np.testing.assert_allclose(
            noise[x], _perlin_point(grads, x, res, shape), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_allclose(noise[::4, ::4, ::5], 0.0, atol=1e-6)
    assert np.abs(noise).max() > 0.1


def test_perlin_and_cropped_perlin_in_3d():
    key, gf = jax.random.key(0), jnp.array([[0.15, 0.015]])
    _, cells = initializations.perlin(key, 3, [16, 20, 24], 3, gf)
    assert cells.shape == (3, 1, 16, 20, 24)
    np.testing.assert_allclose(
        cells.max(axis=(1, 2, 3, 4)), [0.15, 0.25, 0.35], atol=1e-3
    )
    assert float(cells.min()) >= 0.0
    _, crop = initializations.cropped_perlin(key, 2, [16, 20, 24], 3, gf)
    nz = np.argwhere(np.asarray(crop[0, 0]) > 0)
    # a 6-cube (2 ceil R) centred in the world
    assert nz.min(0).tolist() == [5, 7, 9] and nz.max(0).tolist() == [10, 12, 14]
    with pytest.raises(ValueError, match="expected world_size with 2 or 3 positive"):
        initializations.perlin(key, 2, [8, 8, 8, 8], 3, gf)


@pytest.mark.filterwarnings("ignore:os.fork:RuntimeWarning")
def test_rendering(tmp_path):
    rng = np.random.default_rng(0)
    one = rng.uniform(0, 1, (1, 6, 5))
    assert render.get_image(one).shape == (6, 5, 3)
    two = render.get_image(rng.uniform(0, 1, (2, 6, 5)), pixel_size=2)
    assert (
        two.shape == (12, 10, 3) and two.dtype == np.uint8 and np.all(two[..., 2] == 0)
    )
    assert render.get_image(rng.uniform(0, 1, (3, 4, 6, 5))).shape == (
        4,
        6,
        3,
    )  # 3-D: projection
    with pytest.raises(ValueError, match="1 to 3 channels"):
        render.get_image(rng.uniform(0, 1, (4, 6, 5)))
    frames = rng.uniform(0, 1, (5, 1, 1, 16, 16))
    gif = render.render_gif(tmp_path / "a.gif", frames)
    assert gif.stat().st_size > 0
    png = render.plot_stats(
        tmp_path / "s.png",
        {"mass": np.arange(5.0), "channel_mass": np.ones((5, 2)), "N": 3.0},
    )
    assert png.stat().st_size > 0
    pytest.importorskip("imageio_ffmpeg")
    mp4 = render.render_video(tmp_path / "a.mp4", frames)
    assert mp4.stat().st_size > 0


def test_multi_init_and_run_matches_single_runs(small_config):
    other = dict(small_config, world_params=dict(small_config["world_params"], T=5))
    key = jax.random.key(0)
    cells, _fields, _pots, stats = helpers.multi_init_and_run(
        key, small_config, [small_config, other]
    )
    assert cells.shape == (2, 16, 1, 1, 32, 32) and stats["N"].shape == (2, 1)
    for i, cfg in enumerate([small_config, other]):
        ref = helpers.init_and_run(key, cfg)
        np.testing.assert_allclose(cells[i], ref[0], atol=1e-5)
        np.testing.assert_allclose(
            stats["mass_speed"][i, :, 0], ref[3]["mass_speed"], rtol=1e-4, atol=1e-5
        )
    bad = dict(small_config, render_params={"world_size": [16, 16]})
    with pytest.raises(ValueError, match="share main_config's structure"):
        helpers.multi_init_and_run(key, small_config, [bad])

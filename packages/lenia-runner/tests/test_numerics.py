"""Kernels, growth, potentials, one step and statistics against hand values and numpy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import (
    core,
    growth_functions as gfs,
    helpers,
    kernel_functions as kfs,
    kernels,
    orbium_config,
    statistics,
)

from ._reference import (
    np_circle_kernel,
    np_ellipse_kernel,
    np_potential,
    np_stats,
    np_step,
)


@pytest.fixture(scope="module")
def world():
    rng = np.random.default_rng(0)
    A = np.zeros((64, 64))
    A[20:44, 16:40] = rng.uniform(0, 1, (24, 24))
    return A


def test_circle_kernel_matches_numpy_and_pixel_grid():
    K = np.asarray(kernels.circle_2d(13, [1, [1.0]], "poly_quad", [4]))
    assert K.shape == (1, 26, 26)
    np.testing.assert_allclose(K.sum(), 1.0, rtol=1e-6)
    assert np.all(K[0, 0] == 0) and np.all(K[0, :, 0] == 0)
    np.testing.assert_allclose(K[0], np_circle_kernel(13), atol=1e-7)
    assert kernels.circle_2d(12, [0.91, [1.0]], "poly_quad", [4]).shape == (1, 22, 22)
    assert kernels.circle_2d(5, [1, [1.0]], "poly_quad", [4]).shape == (1, 10, 10)
    # two rings with weights 1 and 0.5
    K2 = np.asarray(kernels.circle_2d(10, [1, [1.0, 0.5]], "poly_quad", [4]))
    np.testing.assert_allclose(K2[0], np_circle_kernel(10, bs=(1.0, 0.5)), atol=1e-7)
    assert kernels.circle_2d(10, [1, "1,1/2"], "poly_quad", [4]).shape == (1, 20, 20)


def test_kernel_functions_hand_values():
    X = jnp.array([0.0, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(kfs.poly_quad([4], X), [0, 0.75**4, 1, 0], atol=1e-7)
    # gauss_bump: exp(q (q - 1/(X(1-X) + 1e-7))), at X = 0.5, q = 4: exp(4 (4 - 4))
    np.testing.assert_allclose(
        kfs.gauss_bump([4], 0.5), np.exp(4 * (4 - 1 / (0.25 + 1e-7))), rtol=1e-5
    )
    np.testing.assert_allclose(kfs.gauss([0.5], 0.5), 1.0)
    np.testing.assert_allclose(kfs.gauss([0.5], 0.65), np.exp(-0.5), rtol=1e-6)
    np.testing.assert_array_equal(kfs.step([0.25], X), [0, 1, 1, 0])
    np.testing.assert_array_equal(kfs.threshold([0.5], X), [0, 0, 1, 1])
    Y = jnp.array([0.1, 0.3, 0.45, 0.5, 0.55, 0.7, 0.9])
    np.testing.assert_array_equal(
        kfs.staircase([0.5, 0.2], Y), [0, 0.5, 1, 1, 1, 0.5, 0]
    )
    np.testing.assert_allclose(
        kfs.triangle([0.5, 0.2], Y), [0, 0, 0.75, 1, 0.75, 0, 0], atol=1e-6
    )


def test_growth_functions_hand_values():
    m, s = 0.15, 0.015
    U = jnp.array([0.0, 0.15, 0.15 + 0.015, 0.15 + 3 * 0.015, 1.0])
    np.testing.assert_allclose(
        gfs.poly_quad4([m, s], U), [-1, 1, 2 * (1 - 1 / 9) ** 4 - 1, -1, -1], atol=1e-6
    )
    np.testing.assert_allclose(
        gfs.gaussian([m, s], U[:3]),
        [2 * np.exp(-50) - 1, 1, 2 * np.exp(-0.5) - 1],
        atol=1e-6,
    )
    np.testing.assert_allclose(
        gfs.gaussian_target([m, s], m + s), np.exp(-0.5), rtol=1e-6
    )
    np.testing.assert_array_equal(
        gfs.step([0.5, 0.1], jnp.array([0.3, 0.45, 0.61])), [-1, 1, -1]
    )
    np.testing.assert_array_equal(
        gfs.staircase([0.5, 0.2], jnp.array([0.1, 0.3, 0.5])), [-1, 0, 1]
    )
    np.testing.assert_allclose(
        gfs.triangle([0.5, 0.2], jnp.array([0.4, 0.5])), [0, 1], atol=1e-6
    )
    np.testing.assert_allclose(gfs.identity([], jnp.array([0.3])), [0.3], rtol=1e-6)


@pytest.fixture(scope="module")
def orbium():
    cfg = orbium_config((64, 64), 16)
    return helpers.build_all(cfg)


def test_orbium_potential_and_step_match_numpy(world, orbium):
    K, gf, w, _, update_fn, _, _ = orbium
    kernel = np_circle_kernel(13)
    A_next, F, U = np_step(world, kernel, 0.15, 0.015, 10)
    new, field, potential = jax.jit(update_fn)(
        jax.random.key(0), jnp.asarray(world, jnp.float32)[None, None], K, gf, w, 0.1
    )
    np.testing.assert_allclose(potential[0, 0], U, atol=2e-6)
    np.testing.assert_allclose(field[0, 0], F, atol=2e-4)
    np.testing.assert_allclose(new[0, 0], A_next, atol=2e-5)


def test_direct_and_fft_paths_agree_and_match_numpy(world):
    cfg = orbium_config((64, 64))
    cfg["kernels_params"][0].update(
        k_slug="oriented_ellipse_2d", k_params=[1, [1.0], 1.0, 0.6, 0.2]
    )
    K_fft, mapping = kernels.get_kernels_and_mapping(
        cfg["kernels_params"], [64, 64], 1, 9
    )
    K_dir, _ = kernels.get_kernels_and_mapping(
        cfg["kernels_params"], [64, 64], 1, 9, fft=False
    )
    spatial = np.asarray(
        kernels.oriented_ellipse_2d(9, [1, [1.0], 1.0, 0.6, 0.2], "poly_quad", [4])
    )[0]
    assert np.abs(spatial - spatial[::-1, ::-1]).max() > 1e-3  # asymmetric
    A = jnp.asarray(world, jnp.float32)[None, None]
    U_fft = core.get_potential_fft(A, K_fft)
    U_dir = core.get_potential(A, K_dir)
    U_np = np_potential(world, spatial)
    np.testing.assert_allclose(U_fft[0, 0], U_np, atol=2e-6)
    np.testing.assert_allclose(U_dir[0, 0], U_np, atol=2e-6)
    # Leniax's direct path was a cross-correlation: reproduced with correlate=True
    U_corr = core.get_potential(A, K_dir, correlate=True)
    np.testing.assert_allclose(
        U_corr[0, 0], np_potential(world, spatial, correlate=True), atol=2e-6
    )
    assert float(jnp.abs(U_corr - U_fft).max()) > 1e-2
    # and through build_update_fn
    fn = helpers.build_update_fn(K_dir.shape, mapping, fft=False)
    fn_compat = helpers.build_update_fn(K_dir.shape, mapping, fft=False, compat=True)
    assert fn != fn_compat
    gf, w = mapping.get_gf_params(), mapping.get_kernels_weight_per_channel()
    _, _, pot = jax.jit(fn)(jax.random.key(0), A, K_dir, gf, w, 0.1)
    np.testing.assert_allclose(pot[0, 0], U_np, atol=2e-6)


ELLIPSES = [
    # (k_slug, R, k_params): the cases of issue 11 and a few more
    ("ellipse_2d", 13, [1, [1.0], 1.0, 0.6, 0.2]),
    ("ellipse_2d", 10, [1, [1.0, 0.5], 0.8, 0.5, 0.35]),
    ("oriented_ellipse_2d", 9, [1, [1.0], 0.7, 1.0, 0.6]),
    ("oriented_ellipse_2d", 9, [0.7, [1.0], 1.0, 1.0, 0.6]),
    ("oriented_ellipse_2d", 13, [1, [1.0, 0.3], 1.3, 0.6, -0.15]),  # a > 1: clipped
    ("ellipse_2d", 12, [0.91, [0.5, 1.0], 1.2, 0.7, 0.8]),
    ("oriented_ellipse_2d", 11, [1, [1.0, 1.0, 0.5], 1.0, 0.5, 0.0]),
]


@pytest.mark.parametrize("k_slug,R,k_params", ELLIPSES)
def test_ellipse_kernels_match_leniax_convention(k_slug, R, k_params):
    K = np.asarray(kernels.get(k_slug)(R, k_params, "poly_quad", [4]))
    rad = int(np.ceil(k_params[0] * R))
    assert K.shape == (1, 2 * rad, 2 * rad)  # the circle's grid, whatever a, b
    expected = np_ellipse_kernel(
        R, k_params[0], k_params[1], *k_params[2:], oriented=k_slug.startswith("o")
    )
    np.testing.assert_allclose(K[0], expected, rtol=0, atol=1e-7)


def test_ellipse_kernel_axis_order_and_rotation_by_hand():
    # theta = 0: x' runs along axis 0 (rows, downwards), the semi-axis a too
    K = np.asarray(kernels.ellipse_2d(10, [1, [1.0], 1.0, 0.5, 0.0], "poly_quad", [4]))
    c = 10  # centre index
    assert K[0, c + 5, c] > 0 and K[0, c - 5, c] < 0  # sign(x') = sign(row offset)
    assert K[0, c + 5, c] == pytest.approx(-K[0, c - 5, c])
    assert K[0, c + 6, c + 1] != 0 and K[0, c + 1, c + 6] == 0  # long axis on rows
    assert K[0, c, c + 3] == 0  # on the line x' = 0
    # theta = 0.5 turns x' onto axis 1: x' = v (columns, rightwards)
    K = np.asarray(kernels.ellipse_2d(10, [1, [1.0], 1.0, 0.5, 0.5], "poly_quad", [4]))
    assert K[0, c, c + 5] > 0 and K[0, c, c - 5] < 0
    assert K[0, c + 1, c + 6] != 0 and K[0, c + 6, c + 1] == 0
    # oriented: x' weighting, sum |K| = 1, and theta = 0.25 points along the diagonal
    K = np.asarray(
        kernels.oriented_ellipse_2d(10, [1, [1.0], 1.0, 1.0, 0.25], "poly_quad", [4])
    )
    np.testing.assert_allclose(np.abs(K).sum(), 1.0, rtol=1e-6)
    assert K[0, c + 4, c + 4] > 0 and K[0, c - 4, c - 4] < 0
    assert abs(K[0, c + 4, c - 4]) < 1e-9  # x' = (u + v) / sqrt(2) = 0


@pytest.mark.parametrize("k_slug,R,k_params", ELLIPSES[:3])
def test_ellipse_potentials_on_both_paths(world, k_slug, R, k_params):
    cfg = orbium_config((64, 64))
    cfg["world_params"]["R"] = R
    cfg["kernels_params"][0].update(k_slug=k_slug, k_params=k_params)
    spatial = np_ellipse_kernel(
        R, k_params[0], k_params[1], *k_params[2:], oriented=k_slug.startswith("o")
    )
    A = jnp.asarray(world, jnp.float32)[None, None]
    gf = w = None
    for fft, compat in ((True, False), (False, False), (False, True)):
        K, mapping = kernels.get_kernels_and_mapping(
            cfg["kernels_params"], [64, 64], 1, R, fft=fft
        )
        gf, w = mapping.get_gf_params(), mapping.get_kernels_weight_per_channel()
        fn = helpers.build_update_fn(K.shape, mapping, fft=fft, compat=compat)
        _, _, U = jax.jit(fn)(jax.random.key(0), A, K, gf, w, 0.1)
        # compat: Leniax's direct path correlates instead of convolving
        expected = np_potential(world, spatial, correlate=compat)
        np.testing.assert_allclose(U[0, 0], expected, atol=2e-6)


def test_odd_raw_kernel_is_centred():
    ker = np.zeros((3, 3), np.float32)
    ker[1, 2] = 1.0  # picks the right neighbour: U[x] = A[x - (0, 1)]
    kp = [
        {
            "k_slug": "raw",
            "k_params": ker[None].tolist(),
            "gf_slug": "identity",
            "gf_params": [0, 0],
            "c_in": 0,
            "c_out": 0,
            "h": 1,
        }
    ]
    A = np.zeros((8, 8), np.float32)
    A[4, 4] = 1
    for fft in (True, False):
        K, m = kernels.get_kernels_and_mapping(kp, [8, 8], 1, 1, fft=fft)
        pot_fn = helpers.build_get_potential_fn(K.shape, m.true_channels, fft)
        U = np.asarray(pot_fn(jnp.asarray(A)[None, None], K))[0, 0]
        assert U[4, 5] == pytest.approx(1.0, abs=1e-6), fft
        assert np.abs(U).sum() == pytest.approx(1.0, abs=1e-5)


def test_multi_channel_graph_and_weighted_mean_has_no_nan():
    cfg = orbium_config((32, 32))
    base = cfg["kernels_params"][0]
    kp = [
        dict(base, c_in=1, c_out=0, h=2.0, gf_params=[0.2, 0.02]),
        dict(base, c_in=0, c_out=0, h=1.0),
        dict(base, c_in=0, c_out=1, h=0.0),  # channel 1 gets no weight: row sum 0
    ]
    before = [dict(k) for k in kp]
    K, m = kernels.get_kernels_and_mapping(kp, [32, 32], 2, 5)
    assert kp == before  # the caller's list is not sorted in place
    assert m.cin_kernels == [[0, 1], [2]]  # lists, as in Leniax
    assert K.shape == (1, 2, 2, 32, 17)
    assert m.true_channels.tolist() == [True, True, True, False]
    np.testing.assert_array_equal(
        m.get_kernels_weight_per_channel(), [[1, 0, 2], [0, 0, 0]]
    )
    np.testing.assert_allclose(m.get_gf_params()[2], [0.2, 0.02])
    fields = jnp.ones((1, 3, 4, 4))
    out = core.weighted_mean(fields, m.get_kernels_weight_per_channel())
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0, 0], 1.0)
    np.testing.assert_allclose(out[0, 1], 0.0)
    out_sum = core.weighted_sum(fields, m.get_kernels_weight_per_channel())
    np.testing.assert_allclose(out_sum[0, 0], 3.0)
    # one full update on 2 channels stays finite
    fn = helpers.build_update_fn(K.shape, m)
    cells = jax.random.uniform(jax.random.key(1), (1, 2, 32, 32)) * 0.3
    new, _field, pot = jax.jit(fn)(
        jax.random.key(0),
        cells,
        K,
        m.get_gf_params(),
        m.get_kernels_weight_per_channel(),
        0.1,
    )
    assert pot.shape == (1, 3, 32, 32) and np.all(np.isfinite(new))


def test_3d_multi_channel_world_runs():
    base = orbium_config((16, 16, 16))["kernels_params"][0]
    kp = [dict(base, c_in=0, c_out=1), dict(base, c_in=1, c_out=0)]
    K, m = kernels.get_kernels_and_mapping(kp, [16, 16, 16], 2, 4)
    fn = helpers.build_update_fn(K.shape, m)
    cells = jax.random.uniform(jax.random.key(0), (1, 2, 16, 16, 16))
    new, _field, pot = jax.jit(fn)(
        jax.random.key(0),
        cells,
        K,
        m.get_gf_params(),
        m.get_kernels_weight_per_channel(),
        0.1,
    )
    assert new.shape == cells.shape and np.all(np.isfinite(new))
    Kd, md = kernels.get_kernels_and_mapping(kp, [16, 16, 16], 2, 4, fft=False)
    fnd = helpers.build_update_fn(Kd.shape, md, fft=False)
    _new_d, _, pot_d = jax.jit(fnd)(
        jax.random.key(0),
        cells,
        Kd,
        m.get_gf_params(),
        m.get_kernels_weight_per_channel(),
        0.1,
    )
    np.testing.assert_allclose(pot_d, pot, atol=1e-5)


def test_update_rules():
    A = jnp.array([0.0, 0.5, 0.95])
    F = jnp.array([-1.0, 0.5, 1.0])
    np.testing.assert_allclose(
        core.get_state(None, A, F, 0.1), [0, 0.55, 1.0], atol=1e-7
    )
    np.testing.assert_allclose(
        core.get_state_v2(None, A, F, 0.1), A * 0.9 + 0.1 * F, atol=1e-7
    )
    np.testing.assert_allclose(
        core.get_state_simple(None, A, F, 0.1), A + 0.1 * F, atol=1e-7
    )
    # straight-through: the gradient of the clipped update is that of A + dt F
    g = jax.grad(lambda a: core.get_state(None, a, F, 0.1).sum())(A)
    np.testing.assert_allclose(g, [1, 1, 1])


def test_statistics_match_numpy(world):
    rng = np.random.default_rng(1)
    A = world[None]
    F = rng.uniform(-1, 1, A.shape)
    U = rng.uniform(-0.1, 0.5, A.shape)
    shift = np.array([5, 60])
    prev_c = np.array([0.3, -0.2])
    prev_angle = 30.0
    ref, c = np_stats(A, F, U, shift, prev_c, prev_angle, 13, 0.1)
    stats, new_shift, new_c, _angle = jax.jit(
        statistics.compute_stats, static_argnames=("R", "dt")
    )(
        jnp.asarray(A, jnp.float32)[None],
        jnp.asarray(F, jnp.float32)[None],
        jnp.asarray(U, jnp.float32)[None],
        jnp.asarray(shift, jnp.int32)[None],
        jnp.asarray(prev_c, jnp.float32)[:, None],
        jnp.asarray([prev_angle], jnp.float32),
        R=13,
        dt=0.1,
    )
    for k, v in ref.items():
        np.testing.assert_allclose(
            np.asarray(stats[k])[0], v, rtol=2e-4, atol=2e-5, err_msg=k
        )
    np.testing.assert_array_equal(new_shift[0], (shift + np.trunc(c).astype(int)) % 64)
    np.testing.assert_allclose(new_c[:, 0], c - np.trunc(c), atol=1e-4)
    assert set(stats) == set(statistics.STAT_NAMES)


def test_heuristics_hand_built_series():
    T = 300
    C = 1

    def series(mass, volume=None):
        mass = np.asarray(mass, np.float32)
        return {
            "mass": jnp.asarray(mass)[:, None],
            "channel_mass": jnp.asarray(mass)[:, None, None].repeat(C, 2),
            "mass_volume": jnp.asarray(
                np.zeros(T) if volume is None else volume, jnp.float32
            )[:, None],
        }

    # constant mass: sign 0 every step; the 129th same-sign change fails
    assert float(statistics.check_heuristics(series(np.ones(T))).sum()) == 128
    # alternating mass never trips the monotonic rule
    alt = 1 + 0.01 * (np.arange(T) % 2)
    assert float(statistics.check_heuristics(series(alt)).sum()) == T
    # dies at step 50
    dead = alt.copy()
    dead[50:] = 0
    assert float(statistics.check_heuristics(series(dead)).sum()) == 50
    # explodes (> 3x initial mass) at step 70
    boom = alt.copy()
    boom[70:] = 3.5
    assert float(statistics.check_heuristics(series(boom)).sum()) == 70
    # too large for too long: the counter is 1 after a small step and reaches 2 at
    # the first large one (step 100), so it exceeds 128 at step 100 + 127
    vol = np.where(np.arange(T) >= 100, 11.0, 1.0)
    assert float(statistics.check_heuristics(series(alt, vol)).sum()) == 227


def test_3d_run_scan_statistics():
    from lenia_runner import initializations, runner

    cfg = orbium_config((16, 16, 16), 8)
    cfg["world_params"]["R"] = 4
    K, gf, w, _, update_fn, stats_fn, _ = helpers.build_all(cfg)
    _, cells = initializations.random_uniform(jax.random.key(0), 2, [16, 16, 16], 4, gf)
    frames, _, _, stats = runner.run_scan(
        jax.random.key(0), cells * 0.5, K, gf, w, 10.0, 8, 4, update_fn, stats_fn
    )
    assert frames.shape == (8, 2, 1, 16, 16, 16) and stats["N"].shape == (2,)
    for v in stats.values():
        assert np.all(np.isfinite(v))
    np.testing.assert_allclose(
        stats["mass"], np.asarray(frames).sum(axis=(2, 3, 4, 5)) / 16, rtol=1e-5
    )

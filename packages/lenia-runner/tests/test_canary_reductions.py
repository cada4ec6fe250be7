"""Canary: the package's hot reductions, jitted, against float64 numpy.

jax/jaxlib 0.10.2 miscompile a broadcast-multiply-then-sum under `jit` on CPU
(jax-ml/jax#39103, #39257): Lenia's field aggregation `F_c = sum_k h_ck G_k` was
off by up to 3.7 on a `[1, 15, 128, 128]` field, and a 3-channel, 15-kernel world
ended with half its mass. These tests run the reductions of the update step and of
the statistics, compiled, on shapes real configurations use, against a plain
numpy float64 reference with tolerances set by float32 rounding, so that a JAX
release that computes them wrongly fails here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import core, helpers, kernels, runner, statistics

from ._reference import np_stats

# (N, nb_kernels, *world), C: the Aquarium's 3 x 5 kernels, batches, 3-D, one kernel
FIELD_SHAPES = [
    ((1, 15, 128, 128), 3),
    ((1, 3, 64, 64), 3),
    ((4, 6, 64, 64), 2),
    ((2, 15, 32, 32, 32), 3),
    ((1, 1, 128, 128), 1),
    ((8, 4, 96, 80), 4),
]


def _np_weighted(fields, weights, mean):
    w = weights.astype(np.float64)
    if mean:
        total = w.sum(axis=1, keepdims=True)
        w = np.where(total == 0, 0.0, w / np.where(total == 0, 1.0, total))
    return np.einsum("ck,nk...->nc...", w, fields.astype(np.float64))


@pytest.mark.parametrize("shape,C", FIELD_SHAPES)
def test_weighted_sum_and_mean_jitted(shape, C):
    rng = np.random.default_rng(sum(shape))
    fields = rng.uniform(-1, 1, shape).astype(np.float32)
    weights = rng.uniform(0, 1, (C, shape[1])).astype(np.float32)
    weights[rng.uniform(size=weights.shape) < 0.3] = 0.0  # sparse, like c_out
    for fn, mean in ((core.weighted_sum, False), (core.weighted_mean, True)):
        out = np.asarray(jax.jit(fn)(fields, weights))
        np.testing.assert_allclose(
            out, _np_weighted(fields, weights, mean), rtol=0, atol=1e-5
        )


def _config(C, per_channel, R, rng):
    """A multi-channel configuration with random rings and growths."""
    kps = []
    for c_in in range(C):
        for j in range(per_channel):
            kps.append(
                {
                    "k_slug": "circle_2d",
                    "k_params": [float(rng.uniform(0.5, 1.0)), [1.0, 0.5][: 1 + j % 2]],
                    "kf_slug": "gauss",
                    "kf_params": [0.5],
                    "gf_slug": "gaussian",
                    "gf_params": [float(rng.uniform(0.1, 0.4)), 0.08],
                    "h": float(rng.uniform(0.1, 0.6)),
                    "c_in": c_in,
                    "c_out": int((c_in + j) % C),
                }
            )
    return kps


def _np_update(A, spatial, c_in, weights, gf_params, dt):
    """One Lenia step (gaussian growth, weighted sum, clip) in float64."""
    world = A.shape[1:]
    A_hat = np.fft.rfft2(A)
    G = []
    for ker, c, (m, s) in zip(spatial, c_in, gf_params, strict=True):
        placed = np.zeros(world)
        placed[: ker.shape[0], : ker.shape[1]] = ker
        placed = np.roll(placed, (-(ker.shape[0] // 2), -(ker.shape[1] // 2)), (0, 1))
        U = np.fft.irfft2(A_hat[c] * np.fft.rfft2(placed), s=world)
        G.append(2 * np.exp(-0.5 * ((U - m) / s) ** 2) - 1)
    F = np.einsum("ck,khw->chw", weights, np.stack(G))
    return np.clip(A + dt * F, 0, 1), F


@pytest.mark.parametrize(
    "C,per_channel,world,N,average",
    [(3, 5, (128, 128), 1, False), (2, 3, (64, 96), 3, True)],  # Aquarium-like first
)
@pytest.mark.parametrize("fft", [True, False])
def test_multi_kernel_update_and_runners_jitted(C, per_channel, world, N, average, fft):
    """One jitted step, and steps inside the runners' scans (where jax 0.10.2
    broke the Aquarium's field while a lone jitted step stayed right)."""
    rng = np.random.default_rng(C * 10 + per_channel)
    kps = _config(C, per_channel, 12, rng)
    K, mapping = kernels.get_kernels_and_mapping(kps, list(world), C, 12, fft=fft)
    w = np.asarray(mapping.get_kernels_weight_per_channel(), np.float64)
    gf = np.asarray(mapping.get_gf_params(), np.float64)
    order = sorted(range(len(kps)), key=lambda i: kps[i]["c_in"])
    spatial = [
        np.asarray(kernels.circle_2d(12, kps[i]["k_params"], "gauss", [0.5]), float)[0]
        for i in order
    ]
    c_in = [kps[i]["c_in"] for i in order]
    cells = rng.uniform(0, 1, (N, C, *world)).astype(np.float32)
    args = (K, mapping.get_gf_params(), mapping.get_kernels_weight_per_channel())
    steps, T = 3, 2.0
    stats_fn = statistics.build_compute_stats_fn(
        {"R": 12, "T": T}, {"world_size": list(world)}
    )
    if average:
        w = w / np.where(w.sum(1, keepdims=True) == 0, 1, w.sum(1, keepdims=True))
    ref_states, ref_fields = [cells.astype(np.float64)], []
    for _ in range(steps):
        pairs = [_np_update(A, spatial, c_in, w, gf, 1 / T) for A in ref_states[-1]]
        ref_states.append(np.stack([a for a, _ in pairs]))
        ref_fields.append(np.stack([f for _, f in pairs]))
    fn = helpers.build_update_fn(K.shape, mapping, "v1", average, fft)
    new, field, _ = jax.jit(fn)(jax.random.key(0), jnp.asarray(cells), *args, 1 / T)
    np.testing.assert_allclose(field, ref_fields[0], rtol=0, atol=2e-5)
    np.testing.assert_allclose(new, ref_states[1], rtol=0, atol=1e-5)
    frames, fields, _, _ = runner.run_scan(
        jax.random.key(0), jnp.asarray(cells), *args, T, steps, 12, fn, stats_fn
    )
    assert fields is not None
    np.testing.assert_allclose(frames, ref_states[:steps], rtol=0, atol=1e-4)
    np.testing.assert_allclose(fields, ref_fields, rtol=0, atol=2e-4)
    c2, K2, gf2, w2 = (jnp.stack([jnp.asarray(x)] * 2) for x in (cells, *args))
    _, final = runner.run_scan_mem_optimized(
        jax.random.key(0), c2, K2, gf2, w2, jnp.full((2,), T), steps, 12, fn, stats_fn
    )
    np.testing.assert_allclose(final[1], ref_states[steps], rtol=0, atol=1e-4)


def _blobs(N, C, world, rng):
    A = np.zeros((N, C, *world))
    for n in range(N):
        for c in range(C):
            y, x = rng.integers(0, world[0]), rng.integers(0, world[1])
            patch = rng.uniform(0, 1, (world[0] // 4, world[1] // 4))
            A[n, c, : patch.shape[0], : patch.shape[1]] = patch
            A[n, c] = np.roll(A[n, c], (y, x), (0, 1))  # may wrap around
    return A


@pytest.mark.parametrize(
    "N,C,world",
    [(1, 1, (64, 64)), (1, 3, (128, 128)), (4, 1, (128, 128)), (3, 2, (96, 160))],
)
def test_statistics_jitted(N, C, world):
    rng = np.random.default_rng(N + 7 * C)
    A = _blobs(N, C, world, rng)
    F = rng.uniform(-1, 1, A.shape)
    U = rng.uniform(0, 0.3, (N, 5, *world)) * (rng.uniform(size=(N, 5, *world)) > 0.5)
    shift = rng.integers(0, min(world), (N, 2))
    prev_c = rng.uniform(-1, 1, (2, N))
    prev_angle = rng.uniform(-180, 180, (N,))
    stats, new_shift, new_c, _ = jax.jit(
        statistics.compute_stats, static_argnames=("R", "dt")
    )(
        *(jnp.asarray(x, jnp.float32) for x in (A, F, U)),
        jnp.asarray(shift, jnp.int32),
        jnp.asarray(prev_c, jnp.float32),
        jnp.asarray(prev_angle, jnp.float32),
        R=12,
        dt=0.1,
    )
    for n in range(N):
        ref, c = np_stats(
            A[n], F[n], U[n], shift[n], prev_c[:, n], prev_angle[n], 12, 0.1
        )
        for k, v in ref.items():
            np.testing.assert_allclose(
                np.asarray(stats[k])[n], v, rtol=2e-5, atol=2e-5, err_msg=k
            )
        np.testing.assert_allclose(np.asarray(new_c)[:, n], c - np.trunc(c), atol=2e-5)
        np.testing.assert_array_equal(
            np.asarray(new_shift)[n], (shift[n] + np.trunc(c).astype(int)) % world
        )


def test_run_scan_statistics_jitted():
    """The runner's split statistics (in-loop reductions, then a scan over time)."""
    rng = np.random.default_rng(3)
    C, world, R, T, steps = 3, (128, 128), 12, 2.0, 12
    kps = _config(C, 3, R, rng)
    K, mapping = kernels.get_kernels_and_mapping(kps, list(world), C, R)
    update_fn = helpers.build_update_fn(K.shape, mapping, "v1", False)
    stats_fn = statistics.build_compute_stats_fn(
        {"R": R, "T": T}, {"world_size": list(world)}, compat=True
    )
    cells0 = jnp.asarray(_blobs(1, C, world, rng), jnp.float32)
    cells, fields, potentials, stats = runner.run_scan(
        jax.random.key(0), cells0, K, mapping.get_gf_params(),
        mapping.get_kernels_weight_per_channel(), T, steps, R, update_fn, stats_fn,
    )  # fmt: skip
    assert fields is not None and potentials is not None
    shift, prev_c, prev_angle = np.zeros(2, int), np.zeros(2), 0.0
    for t in range(steps):
        A, F, U = (np.asarray(x[t, 0], np.float64) for x in (cells, fields, potentials))
        ref, c = np_stats(A, F, U, shift, prev_c, prev_angle, R, 1 / T)
        for k, v in ref.items():
            # the angle of a centroid's step of a fraction of a pixel: float32
            # centroids (~1e-5 px) give it a relative error of about 1e-4
            tol = 2e-4 if k == "mass_angle_speed" else 2e-5
            np.testing.assert_allclose(
                np.asarray(stats[k])[t, 0], v, rtol=tol, atol=tol, err_msg=f"{k}@{t}"
            )
        delta = c - prev_c
        dist = np.linalg.norm(delta)
        prev_angle = np.degrees(np.arctan2(delta[1], delta[0])) * (dist / R > 0.001)
        shift = (shift + np.trunc(c).astype(int)) % np.asarray(world)
        prev_c = c - np.trunc(c)

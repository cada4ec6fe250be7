"""Canary: the package's hot reductions, jitted, against a float64 NumPy reference.

jax/jaxlib 0.10.2 miscompiles broadcast-multiply-then-sum under `jit` on CPU
(jax-ml/jax#39103, #39257). The package writes such reductions as einsum/dot/matmul
and excludes the broken release; this file makes a future regression of that kind
fail here, on realistic shapes, instead of in someone's benchmark numbers. The
references are written from the definitions in plain NumPy.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite._layers import GroupNorm
from apebench_lite._nonlinear import (
    ConvectionNonlinearFun,
    GeneralNonlinearFun,
    VorticityConvectionNonlinearFun,
)
from apebench_lite._trainer import TrainConfig, make_loss


def _close(got, want, name, rtol=2e-5):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    scale = max(float(np.max(np.abs(want))), 1e-30)
    err = float(np.max(np.abs(got - want))) / scale
    assert err < rtol, f"{name}: max|diff|/max|ref| = {err:.3g} (tolerance {rtol})"


def _smooth_fields(shape, num_spatial_dims, seed, cutoff=6):
    """Random band-limited periodic fields `(..., *N)` (float64)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    axes = tuple(range(-num_spatial_dims, 0))
    x_hat = np.fft.rfftn(x, axes=axes)
    n = shape[-1]
    k = _wavenumbers(num_spatial_dims, n)
    keep = np.all(np.abs(k) <= cutoff, axis=0)
    return np.fft.irfftn(x_hat * keep, s=shape[-num_spatial_dims:], axes=axes)


def _wavenumbers(d, n):
    full, half = np.fft.fftfreq(n, 1 / n), np.fft.rfftfreq(n, 1 / n)
    return np.stack(np.meshgrid(*([full] * (d - 1) + [half]), indexing="ij"))


def _np_gradient(u, d, length):
    """Dealiased (2/3 rule, hypercube) gradient of `(C, *N)` fields: `(D, C, *N)`."""
    n = u.shape[-1]
    axes = tuple(range(-d, 0))
    k = _wavenumbers(d, n)
    mask = np.all(np.abs(k) <= 2 / 3 * (n // 2) - 1, axis=0)
    u_hat = np.fft.rfftn(u, axes=axes) * mask
    ik = 2j * np.pi / length * k
    return np.stack(
        [np.fft.irfftn(ik[a] * u_hat, s=(n,) * d, axes=axes) for a in range(d)]
    ), mask


def _apply(fun, u, d):
    """`N(u)` of a nonlinear function, vmapped over a batch and jitted, in real space."""
    axes = tuple(range(-d, 0))
    n = u.shape[-1]

    @eqx.filter_jit
    def run(fun, u):
        def one(v):
            return jnp.fft.irfftn(
                fun(jnp.fft.rfftn(v, axes=axes)), s=(n,) * d, axes=axes
            )

        return jax.vmap(one)(u)

    return run(fun, jnp.asarray(u, jnp.float32))


# (batch, num_spatial_dims, num_points): 1-D default, 2-D default, 2-D fine, 3-D
SHAPES = [(20, 1, 160), (4, 2, 64), (2, 2, 160), (2, 3, 32)]


@pytest.mark.parametrize(("batch", "d", "n"), SHAPES)
def test_gradient_norm_nonlinearity(batch, d, n):
    length, b2 = 3.0, -0.8
    u = _smooth_fields((batch, 1) + (n,) * d, d, seed=n + d)
    fun = GeneralNonlinearFun(d, length, n, (0.0, 0.0, b2))
    want = []
    for v in u:
        g, _ = _np_gradient(v, d, length)
        g2 = (g**2).sum(axis=0)
        want.append(b2 / 2 * (g2 - g2.mean(axis=tuple(range(1, d + 1)), keepdims=True)))
    _close(_apply(fun, u, d), np.stack(want), "gradient norm")


@pytest.mark.parametrize(("batch", "d", "n"), [s for s in SHAPES if s[1] > 1])
def test_non_conservative_convection(batch, d, n):
    length, b = 2.0, 1.3
    u = _smooth_fields((batch, d) + (n,) * d, d, seed=7 * n + d)
    fun = ConvectionNonlinearFun(d, length, n, convection_scale=b, conservative=False)
    want = []
    for v in u:
        g, mask = _np_gradient(v, d, length)
        axes = tuple(range(-d, 0))
        v_masked = np.fft.irfftn(
            np.fft.rfftn(v, axes=axes) * mask, s=(n,) * d, axes=axes
        )
        want.append(-b * np.einsum("d...,dc...->c...", v_masked, g))
    _close(_apply(fun, u, d), np.stack(want), "convection")


@pytest.mark.parametrize(("batch", "n"), [(8, 64), (4, 128), (2, 160)])
def test_vorticity_convection(batch, n):
    length = 2 * np.pi
    w = _smooth_fields((batch, 1, n, n), 2, seed=n, cutoff=8)
    fun = VorticityConvectionNonlinearFun(2, length, n)
    k = _wavenumbers(2, n)
    ik = 2j * np.pi / length * k
    lap = (ik**2).sum(axis=0).real
    inv_lap = 1 / np.where(lap == 0, 1.0, lap)
    mask = np.all(np.abs(k) <= 2 / 3 * (n // 2) - 1, axis=0)
    want = []
    for v in w:
        v_hat = np.fft.rfft2(v)
        psi = v_hat * inv_lap  # Laplace psi = omega

        def real(a):
            return np.fft.irfft2(a * mask, s=(n, n))

        adv = real(ik[1] * psi) * real(ik[0] * v_hat) - real(ik[0] * psi) * real(
            ik[1] * v_hat
        )
        want.append(-adv)
    _close(_apply(fun, w, 2), np.stack(want), "vorticity convection")


# -- metrics -------------------------------------------------------------------------

METRIC_SHAPES = [
    (30, 1, (160,)),
    (10, 2, (64, 64)),
    (4, 3, (32, 32, 32)),
    (50, 1, (1024,)),
]


def _np_norms(e, p):
    flat = e.reshape(e.shape[0], e.shape[1], -1)
    return (np.abs(flat) ** p).sum(-1) ** (1 / p)


@pytest.mark.parametrize(("samples", "channels", "grid"), METRIC_SHAPES)
def test_spatial_metrics_and_correlation(samples, channels, grid):
    d = len(grid)
    ref = _smooth_fields((samples, channels, *grid), d, seed=1)
    pred = ref + 0.1 * _smooth_fields((samples, channels, *grid), d, seed=2)
    s = (1.0 / grid[0]) ** d
    e = pred - ref
    want = {
        "mean_nRMSE": (_np_norms(e, 2) / _np_norms(ref, 2)).sum(1).mean(),
        "mean_MSE": (s * _np_norms(e, 2) ** 2).sum(1).mean(),
        "mean_RMSE": (np.sqrt(s) * _np_norms(e, 2)).sum(1).mean(),
        "mean_nMAE": (_np_norms(e, 1) / _np_norms(ref, 1)).sum(1).mean(),
        "mean_sRMSE": (2 * _np_norms(e, 2) / (_np_norms(pred, 2) + _np_norms(ref, 2)))
        .sum(1)
        .mean(),
    }
    a = pred.reshape(samples, channels, -1)
    b = ref.reshape(samples, channels, -1)
    cos = (a * b).sum(-1) / np.sqrt((a * a).sum(-1) * (b * b).sum(-1))
    want["mean_correlation"] = cos.mean(1).mean()
    p32, r32 = jnp.asarray(pred, jnp.float32), jnp.asarray(ref, jnp.float32)
    for name, value in want.items():
        fn = jax.jit(ab.metrics.parse_metric(name))
        _close(fn(p32, r32), np.asarray(value), name, rtol=2e-5)


@pytest.mark.parametrize(("samples", "channels", "grid"), METRIC_SHAPES[:3])
def test_fourier_metrics(samples, channels, grid):
    d, n = len(grid), grid[0]
    ref = _smooth_fields((samples, channels, *grid), d, seed=3)
    pred = ref + 0.2 * _smooth_fields((samples, channels, *grid), d, seed=4)
    axes = tuple(range(-d, 0))
    k = _wavenumbers(d, n)
    low, high = 1, 4
    band = np.all(np.abs(k) <= high, axis=0) & ~np.all(np.abs(k) <= low - 1, axis=0)
    # Parseval weights of an rfft: interior modes of the last axis count twice
    last = np.abs(k[-1])
    weight = np.where((last == 0) | (last == n // 2), 1.0, 2.0) / n**d
    ik = 2j * np.pi * k

    def norm_sq(x, order):
        x_hat = np.fft.rfftn(x, axes=axes) * band
        if order is None:
            terms = [x_hat]
        else:
            terms = [x_hat * ik[a] ** order for a in range(d)]
        return [
            ((np.abs(t) ** 2) * weight).reshape(samples, channels, -1).sum(-1) / n**d
            for t in terms
        ]

    for order in (None, 1):
        num = np.sum([np.sqrt(v) for v in norm_sq(pred - ref, order)], axis=0)
        den = np.sum([np.sqrt(v) for v in norm_sq(ref, order)], axis=0)
        want = (num / den).sum(1).mean()
        config = f"mean_fourier_nRMSE;{low};{high};{order if order else 'None'}"
        fn = jax.jit(ab.metrics.parse_metric(config))
        got = fn(jnp.asarray(pred, jnp.float32), jnp.asarray(ref, jnp.float32))
        _close(got, np.asarray(want), config, rtol=5e-5)
    # the Fourier MSE over all modes equals the spatial one (Parseval)
    fn = jax.jit(ab.metrics.parse_metric(f"mean_fourier_MSE;0;{n // 2};None"))
    spatial = ((pred - ref) ** 2).reshape(samples, channels, -1).sum(-1) / n**d
    got = fn(jnp.asarray(pred, jnp.float32), jnp.asarray(ref, jnp.float32))
    _close(got, spatial.sum(1).mean(), "fourier MSE", rtol=5e-5)


# -- training loss and normalisation ---------------------------------------------------


@pytest.mark.parametrize(
    ("batch", "channels", "grid"),
    [(20, 1, (160,)), (8, 2, (64, 64)), (2, 1, (32,) * 3)],
)
def test_training_loss_and_group_norm(batch, channels, grid):
    d = len(grid)
    data = _smooth_fields((batch, 3, channels, *grid), d, seed=5)

    def scale(u):
        return 0.9 * u

    windows = jnp.asarray(data, jnp.float32)
    loss = jax.jit(make_loss(TrainConfig("sup", 2)), static_argnums=0)
    got = loss(scale, windows)
    p1 = 0.9 * data[:, 0]
    p2 = 0.9 * p1
    want = ((p1 - data[:, 1]) ** 2).mean() + ((p2 - data[:, 2]) ** 2).mean()
    _close(got, want, "sup;2 loss", rtol=2e-5)

    norm = GroupNorm(channels)
    x = data[:, 0] * 3.0 + 1.5
    got = jax.jit(jax.vmap(norm))(jnp.asarray(x, jnp.float32))
    mean = x.reshape(batch, -1).mean(1).reshape((batch,) + (1,) * (d + 1))
    var = ((x - mean) ** 2).reshape(batch, -1).mean(1).reshape(mean.shape)
    _close(got, (x - mean) / np.sqrt(var + 1e-5), "group norm", rtol=2e-5)


def test_the_known_broadcast_multiply_sum_pattern():
    # the reduction pattern of jax-ml/jax#39103 (a vmapped 3x3 matrix-vector
    # product, squared and summed): jax/jaxlib 0.10.2 returns a wrong last row
    # under jit on CPU; any release that does it again fails here
    n = 32_769
    i = np.arange(n, dtype=np.float32)
    x = np.stack([i, np.zeros_like(i), np.zeros_like(i)], axis=1)
    matrix = jnp.eye(3, dtype=jnp.float32)

    def f(x):
        return jax.vmap(lambda row: jnp.sum((matrix @ row) ** 2))(x)

    _close(jax.jit(f)(jnp.asarray(x)), i.astype(np.float64) ** 2, "vmapped matvec")

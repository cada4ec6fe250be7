"""Metrics against plain-numpy implementations."""

import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite import metrics as m

rng = np.random.default_rng(0)
PRED = rng.normal(size=(2, 16, 16)).astype(np.float32)
REF = rng.normal(size=(2, 16, 16)).astype(np.float32)


def _np_norm(x, p, length=1.0):
    s = (length / x.shape[1]) ** (x.ndim - 1)
    return (s * np.sum(np.abs(x.reshape(x.shape[0], -1)) ** p, axis=1)) ** (1 / p)


def test_spatial_metrics_against_numpy():
    e = PRED - REF
    np.testing.assert_allclose(m.MAE(PRED, REF), _np_norm(e, 1).sum(), rtol=1e-5)
    np.testing.assert_allclose(m.MSE(PRED, REF), (_np_norm(e, 2) ** 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(m.RMSE(PRED, REF), _np_norm(e, 2).sum(), rtol=1e-5)
    np.testing.assert_allclose(
        m.nRMSE(PRED, REF), (_np_norm(e, 2) / _np_norm(REF, 2)).sum(), rtol=1e-5
    )
    np.testing.assert_allclose(
        m.nMAE(PRED, REF), (_np_norm(e, 1) / _np_norm(REF, 1)).sum(), rtol=1e-5
    )
    np.testing.assert_allclose(
        m.sRMSE(PRED, REF),
        (2 * _np_norm(e, 2) / (_np_norm(PRED, 2) + _np_norm(REF, 2))).sum(),
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        m.RMSE(PRED, REF, domain_extent=3.0), _np_norm(e, 2, 3.0).sum(), rtol=1e-5
    )
    # a zero prediction has nRMSE 1 per channel, summed over channels
    np.testing.assert_allclose(m.nRMSE(0 * REF, REF), 2.0, rtol=1e-6)


def test_correlation():
    np.testing.assert_allclose(m.correlation(REF, REF), 1.0, rtol=1e-6)
    np.testing.assert_allclose(m.correlation(-REF, REF), -1.0, rtol=1e-6)
    a, b = PRED.reshape(2, -1), REF.reshape(2, -1)
    expected = np.mean(
        np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    )
    np.testing.assert_allclose(m.correlation(PRED, REF), expected, rtol=1e-5)


def test_fourier_metrics_obey_parseval():
    for kind, spatial in (("RMSE", m.RMSE), ("MSE", m.MSE), ("nRMSE", m.nRMSE)):
        np.testing.assert_allclose(
            m.fourier_metric(kind, PRED, REF), spatial(PRED, REF), rtol=1e-4
        )


def test_fourier_band_limits():
    x = np.arange(32) / 32
    low = np.sin(2 * np.pi * 2 * x)[None]
    high = np.sin(2 * np.pi * 9 * x)[None]
    zero = np.zeros_like(low)
    band = m.fourier_metric("RMSE", low + high, zero, low=0, high=4)
    np.testing.assert_allclose(band, m.RMSE(low, zero), rtol=1e-5)
    band_hi = m.fourier_metric("RMSE", low + high, zero, low=5, high=16)
    np.testing.assert_allclose(band_hi, m.RMSE(high, zero), rtol=1e-5)


def test_fourier_derivative_order_zero_is_not_multiplied_by_d():
    # exponax multiplies absolute Fourier metrics with derivative order 0 by D
    a = m.fourier_metric("RMSE", PRED, REF, derivative_order=0)
    b = m.fourier_metric("RMSE", PRED, REF)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_first_derivative_metric():
    x = np.arange(32) / 32
    u = np.sin(2 * np.pi * 3 * x)[None]
    d1 = m.fourier_metric("RMSE", u, 0 * u, derivative_order=1)
    du = 2 * np.pi * 3 * np.cos(2 * np.pi * 3 * x)[None]
    np.testing.assert_allclose(d1, m.RMSE(du, 0 * u), rtol=1e-4)


def test_mean_metric_and_parsing():
    pred = jnp.stack([PRED, REF])
    ref = jnp.stack([REF, REF])
    fn = m.parse_metric("mean_nRMSE")
    np.testing.assert_allclose(fn(pred, ref), m.nRMSE(PRED, REF) / 2, rtol=1e-5)
    for cfg in (
        "mean_correlation",
        "mean_fourier_nRMSE;0;4;1",
        "mean_H1_RMSE",
        "mean_sMAE",
        "mean_nMSE",
    ):
        assert np.isfinite(float(m.parse_metric(cfg)(pred, ref))), cfg


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("mean_nRMS", "unknown metric"),
        ("mean_fourier_nRMSE;0;4", "LOW;HIGH;ORDER"),
        ("mean_fourier_RMSE;a;4;1", "LOW must be an integer"),
    ],
)
def test_malformed_metric_configs(config, message):
    with pytest.raises(ab.ConfigError) as info:
        m.parse_metric(config)
    assert message in str(info.value) and "mean_correlation" in str(info.value)

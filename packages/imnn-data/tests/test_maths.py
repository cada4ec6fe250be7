import math

import jax.numpy as jnp
import numpy as np
import pytest

from imnn_data import get_alpha
from imnn_data._maths import (
    f_statistics,
    loss_and_statistics,
    numerical_derivative,
    regularisation_strength,
)


def test_get_alpha_values():
    assert get_alpha(10.0, 0.1) == pytest.approx(0.9531017980432489, rel=1e-12)
    assert get_alpha(10.0, 0.01) == pytest.approx(240.6846103318455, rel=1e-12)
    assert get_alpha(10, 0.1) == get_alpha(10.0, 0.1)  # ints are fine


@pytest.mark.parametrize(
    ("lam", "eps", "match"),
    [(100.0, 0.1, "negative"), (0.5, 0.1, "undefined"), (10.0, -0.1, "positive")],
)
def test_get_alpha_rejects_bad_rates(lam, eps, match):
    # the original returns α = -22.9 for (100, 0.1) (regularisation silently off)
    # and a bare "math domain error" for (0.5, 0.1)
    with pytest.raises(ValueError, match=match):
        get_alpha(lam, eps)


def test_regularisation_strength_uses_plus_sign():
    # the seed's docstring prints Λ2 - exp(-αΛ2), singular; the code uses +
    Λ2, α = 0.0104570, 0.9531017980432489
    r = float(regularisation_strength(jnp.float32(Λ2), 10.0, α))
    assert r == pytest.approx(10 * Λ2 / (Λ2 + math.exp(-α * Λ2)), rel=1e-6)
    assert r == pytest.approx(0.1045135, rel=1e-4)


def test_statistics_and_loss_against_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    dx = rng.normal(size=(20, 3, 2)) + np.array([[1.0, 0], [0, 1.0], [0.5, 0.5]])
    stats = f_statistics(jnp.asarray(x), jnp.asarray(dx))
    C = np.cov(x, rowvar=False)
    dmu = dx.mean(0)
    F = dmu.T @ np.linalg.inv(C) @ dmu
    np.testing.assert_allclose(stats.C, C, rtol=1e-5)
    np.testing.assert_allclose(stats.F, F, rtol=1e-4)
    loss, s = loss_and_statistics(jnp.asarray(x), jnp.asarray(dx), 10.0, 0.95)
    L2 = np.linalg.norm(C - np.eye(3)) + np.linalg.norm(np.linalg.inv(C) - np.eye(3))
    r = 10 * L2 / (L2 + np.exp(-0.95 * L2))
    assert float(loss) == pytest.approx(-np.log(np.linalg.det(F)) + r * L2, rel=1e-4)
    assert float(s.detF) == pytest.approx(np.linalg.det(F), rel=1e-4)
    assert float(s.Λ2) == pytest.approx(L2, rel=1e-5)


def test_numerical_derivative_layout():
    # x_pm[:, 0, α] below, [:, 1, α] above; δθ is the full step
    x_pm = np.zeros((1, 2, 2, 3))
    x_pm[0, 1, 0] = [1.0, 2.0, 3.0]
    x_pm[0, 1, 1] = [0.0, 0.0, 4.0]
    dx = numerical_derivative(jnp.asarray(x_pm), jnp.array([0.5, 2.0]))
    np.testing.assert_allclose(dx[0], [[2.0, 0.0], [4.0, 0.0], [6.0, 2.0]])

"""Validation of the ETDRK solver against analytic solutions and theory."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite import stepper as st
from apebench_lite._nonlinear import GeneralNonlinearFun


def _grid(n, length=1.0):
    return np.arange(n) * length / n


def _smooth_1d(n, length=1.0):
    x = _grid(n, length) * 2 * np.pi / length
    return (np.sin(3 * x) + 0.5 * np.cos(7 * x) + 0.2 * np.sin(11 * x + 0.3))[None]


def test_advection_shifts_exactly_four_cells():
    scenario = ab.scenario_dict["diff_adv"]()
    stepper = scenario.get_ref_stepper()
    u = jnp.asarray(_smooth_1d(160), dtype=jnp.float32)
    out = u
    for _ in range(3):
        out = stepper(out)
    np.testing.assert_allclose(out, np.roll(u, 12, axis=-1), atol=2e-6)


def test_diffusion_damps_each_mode_by_the_analytic_factor():
    nu, dt, length, n = 0.01, 0.1, 2.0, 64
    stepper = st.Diffusion(1, length, n, dt, diffusivity=nu)
    x = _grid(n, length)
    for k in (1, 5, 17):
        u = np.cos(2 * np.pi * k * x / length)[None]
        out = np.asarray(stepper(jnp.asarray(u, dtype=jnp.float32)))
        factor = np.exp(-nu * (2 * np.pi * k / length) ** 2 * dt)
        np.testing.assert_allclose(out, factor * u, atol=1e-6)


def test_anisotropic_diffusion_matches_analytic_factor_2d():
    nu = np.array([[1e-3, 5e-4], [5e-4, 2e-3]])
    n, dt = 16, 0.5
    stepper = st.Diffusion(2, 1.0, n, dt, diffusivity=nu)
    x, y = np.meshgrid(_grid(n), _grid(n), indexing="ij")
    kx, ky = 2 * np.pi * 2, 2 * np.pi * 3
    u = np.cos(kx * x + ky * y)[None]
    kvec = np.array([kx, ky])
    factor = np.exp(-(kvec @ nu @ kvec) * dt)
    out = np.asarray(stepper(jnp.asarray(u, dtype=jnp.float32)))
    np.testing.assert_allclose(out, factor * u, atol=1e-5)


def test_burgers_matches_cole_hopf_solution():
    nu, n, dt, steps = 0.1, 64, 0.01, 100
    length = 2 * np.pi
    x = _grid(n, length)

    def exact(t):
        e = np.exp(-nu * t)
        return (2 * nu * e * np.sin(x) / (2 + e * np.cos(x)))[None]

    stepper = st.Burgers(
        1, length, n, dt, diffusivity=nu, convection_scale=1.0, single_channel=True
    )
    run = eqx.filter_jit(ab.repeat(stepper, steps))
    with jax.enable_x64(True):
        u = run(jnp.asarray(exact(0.0)))
        err = np.max(np.abs(np.asarray(u) - exact(steps * dt)))
    assert err < 1e-6 * 50, err


def _kdv_soliton(x, t, c, x0, length):
    xi = (x - c * t - x0 + length / 2) % length - length / 2
    return (c / 2 / np.cosh(np.sqrt(c) / 2 * xi) ** 2)[None]


@pytest.fixture(scope="module")
def kdv_errors():
    length, n, dt, steps, c = 40.0, 128, 0.01, 400, 1.0
    x = _grid(n, length)
    u0 = jnp.asarray(_kdv_soliton(x, 0.0, c, 10.0, length), dtype=jnp.float32)
    exact = _kdv_soliton(x, steps * dt, c, 10.0, length)
    errors = {}
    for compat in (False, True):
        stepper = st.KortewegDeVries(1, length, n, dt, exponax_compat=compat)
        u = eqx.filter_jit(ab.repeat(stepper, steps))(u0)
        errors[compat] = float(np.max(np.abs(np.asarray(u) - exact)))
    return errors


def test_kdv_soliton_keeps_shape_and_speed(kdv_errors):
    # amplitude 0.5, moved by 4 length units
    assert kdv_errors[False] < 5e-3, kdv_errors


def test_complex_coefficients_beat_exponax_real_part(kdv_errors):
    # exponax 0.1 keeps only the real part of the ETDRK coefficients: for the
    # (complex) KdV operator that is a much larger error
    assert kdv_errors[True] > 10 * kdv_errors[False], kdv_errors


def _ks_stepper(dt, order):
    return st.KuramotoSivashinsky(1, 2 * np.pi * 4, 64, dt, order=order)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_convergence_order_matches_theory(order):
    with jax.enable_x64(True):
        x = _grid(64, 2 * np.pi * 4) / 4
        u0 = jnp.asarray((np.cos(x) * (1 + np.sin(x)))[None])
        t_end = 1.0
        ref = ab.repeat(_ks_stepper(t_end / 512, 4), 512)(u0)
        errs = []
        for steps in (8, 16):
            u = ab.repeat(_ks_stepper(t_end / steps, order), steps)(u0)
            errs.append(float(jnp.max(jnp.abs(u - ref))))
    measured = np.log2(errs[0] / errs[1])
    assert abs(measured - order) < 0.5, (order, measured, errs)


def test_float64_mode_end_to_end():
    with jax.enable_x64(True):
        stepper = st.Burgers(1, 1.0, 32, 0.01, diffusivity=0.01, single_channel=True)
        out = stepper(jnp.asarray(_smooth_1d(32)))
        assert out.dtype == jnp.float64
        assert stepper._coefs[0].dtype == jnp.float64  # real operator: real coefs
        kdv = st.KortewegDeVries(1, 10.0, 32, 0.01)
        assert kdv._coefs[0].dtype == jnp.complex128


def test_zero_coefficient_nonlinear_terms_are_skipped():
    kdv = ab.scenario_dict["diff_kdv"]().get_ref_stepper()
    ks = ab.scenario_dict["diff_ks"]().get_ref_stepper()
    assert kdv.nonlinear_fun.gradient_norm_scale is None
    assert kdv.nonlinear_fun.square_factor is not None
    assert ks.nonlinear_fun.square_factor is None
    assert ks.nonlinear_fun.gradient_norm_scale is not None
    # exponax-0.1 compatibility evaluates every term, with the same result
    compat = ab.stepper.GeneralNonlinearStepper(
        1, 1.0, 32, 0.01, nonlinear_coefficients=(0.0, -1.0, 0.0)
    )
    u = jnp.asarray(_smooth_1d(32), dtype=jnp.float32)
    assert isinstance(compat.nonlinear_fun, GeneralNonlinearFun)
    assert compat.nonlinear_fun.gradient_norm_scale is None
    full = ab.stepper.GeneralNonlinearStepper(
        1, 1.0, 32, 0.01, nonlinear_coefficients=(0.0, -1.0, 1e-30)
    )
    np.testing.assert_allclose(compat(u), full(u), atol=1e-6)


def test_new_coefficient_values_do_not_recompile():
    compiles = []

    @eqx.filter_jit
    def run(stepper, u):
        compiles.append(1)
        return stepper(u)

    u = jnp.asarray(_smooth_1d(32), dtype=jnp.float32)
    for nu in (0.01, 0.02, 0.05):
        run(st.Burgers(1, 1.0, 32, 0.01, diffusivity=nu, single_channel=True), u)
    assert len(compiles) == 1


def test_2d_and_3d_steppers_run():
    u2 = jnp.zeros((2, 16, 16)).at[0, 3, 4].set(1.0)
    out = st.Burgers(2, 1.0, 16, 0.01, diffusivity=0.01)(u2)
    assert out.shape == (2, 16, 16) and bool(jnp.all(jnp.isfinite(out)))
    u3 = jnp.zeros((1, 8, 8, 8)).at[0, 1, 2, 3].set(1.0)
    out = ab.scenario_dict["diff_ks"](
        num_spatial_dims=3, num_points=8
    ).get_ref_stepper()(u3)
    assert out.shape == (1, 8, 8, 8) and bool(jnp.all(jnp.isfinite(out)))


def test_linear_operator_and_difficulty_conversion():
    g = (0.0, -4.0, 4.0, 4.0, -4.0)
    alphas = ab.normalized.extract_normalized_coefficients_from_difficulty(
        g, num_spatial_dims=2, num_points=64
    )
    back = ab.normalized.reduce_normalized_coefficients_to_difficulty(
        alphas, num_spatial_dims=2, num_points=64
    )
    np.testing.assert_allclose(back, g)
    phys = ab.normalized.denormalize_coefficients(alphas, domain_extent=3.0, dt=0.2)
    np.testing.assert_allclose(
        ab.normalized.normalize_coefficients(phys, domain_extent=3.0, dt=0.2), alphas
    )
    # gamma_1 = -4 in 1-D is a CFL number of 4: alpha_1 = -4 / 160
    assert ab.normalized.extract_normalized_coefficients_from_difficulty(
        (0.0, -4.0), num_spatial_dims=1, num_points=160
    )[1] == pytest.approx(-0.025)


def test_poisson_solves_minus_laplace():
    length, n = 10.0, 32
    x = _grid(n, length)
    k = 2 * np.pi * 3 / length
    f = np.sin(k * x)[None]
    u = ab.stepper.Poisson(1, length, n)(jnp.asarray(f, dtype=jnp.float32))
    np.testing.assert_allclose(u, f / k**2, atol=1e-5)


def test_wrong_state_shape_is_a_clear_error():
    stepper = st.Advection(1, 1.0, 32, 0.1)
    with pytest.raises(
        ValueError, match=r"expected a state of shape .*\(1, 32\).*channel"
    ):
        stepper(jnp.zeros(32))
    with pytest.raises(ValueError, match=r"jax\.vmap"):
        stepper(jnp.zeros((4, 1, 32)))


def test_bad_order_is_a_clear_error():
    with pytest.raises(ValueError, match="order must be"):
        st.GeneralNonlinearStepper(1, 1.0, 32, 0.1, order=7)


def test_fourier_chained_rollout_equals_stepping():
    stepper = ab.scenario_dict["diff_kdv"](num_points=64).get_ref_stepper()
    u0 = jnp.asarray(_smooth_1d(64), dtype=jnp.float32)
    fast = eqx.filter_jit(ab.rollout(stepper, 20, include_init=True))(u0)
    slow = [u0]
    for _ in range(20):
        slow.append(stepper(slow[-1]))
    np.testing.assert_allclose(fast, jnp.stack(slow), atol=1e-5)
    np.testing.assert_allclose(
        eqx.filter_jit(ab.repeat(stepper, 20))(u0), slow[-1], atol=1e-5
    )

"""2-D Navier-Stokes (vorticity form): the phy_decay_turb / phy_kolm_flow physics.

The expected values are derived here by hand or with a small float64 NumPy
pseudo-spectral ETDRK2 written in this file (exact phi-functions), never from
exponax output. Convention (exponax's, APEBench's equation): `Laplace psi = omega`,
velocity `(d_y psi, -d_x psi)`, `omega_t + (u . grad) omega = nu Laplace omega +
2 drag omega + f`.
"""

import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite._nonlinear import VorticityConvectionNonlinearFun


def _grid(n, length):
    x = np.arange(n) * length / n
    return np.meshgrid(x, x, indexing="ij")  # axis 0 is x, axis 1 is y


def _nonlin(fun, omega):
    u_hat = jnp.fft.rfftn(jnp.asarray(omega[None], jnp.float32), axes=(-2, -1))
    out = fun(u_hat)
    return np.asarray(jnp.fft.irfftn(out, s=omega.shape, axes=(-2, -1)))[0]


def test_vorticity_nonlinearity_is_the_hand_derived_jacobian():
    # omega = cos x + cos 2y: psi = -cos x - cos(2y)/4, u = psi_y = sin(2y)/2,
    # v = -psi_x = -sin x, so u omega_x + v omega_y = 1.5 sin x sin 2y and
    # N = -b * 1.5 sin x sin 2y.
    n, length, b = 32, 2 * math.pi, 0.7
    x, y = _grid(n, length)
    omega = np.cos(x) + np.cos(2 * y)
    fun = VorticityConvectionNonlinearFun(2, length, n, convection_scale=b)
    expected = -b * 1.5 * np.sin(x) * np.sin(2 * y)
    np.testing.assert_allclose(_nonlin(fun, omega), expected, atol=2e-6)


@pytest.mark.parametrize("compat", [False, True])
def test_kolmogorov_forcing_amplitude(compat):
    # curl of s sin(k_f y) is -s k_f cos(k_f y), k_f = 2 pi n / L; exponax 0.1 uses
    # the amplitude s n (the same when L = 2 pi), reproduced with exponax_compat
    n_points, length, mode, s = 32, 1.0, 3, 0.5
    _, y = _grid(n_points, length)
    fun = VorticityConvectionNonlinearFun(
        2,
        length,
        n_points,
        injection_mode=mode,
        injection_scale=s,
        exponax_compat=compat,
    )
    kf = 2 * math.pi * mode / length
    amplitude = mode if compat else kf
    expected = -s * amplitude * np.cos(kf * y)
    got = _nonlin(fun, np.zeros((n_points, n_points)))
    np.testing.assert_allclose(got, expected, atol=1e-5 * abs(amplitude))


# -- a float64 NumPy reference step ----------------------------------------------------


def _phi(z):
    """Exact (e^z - 1)/z and (e^z - 1 - z)/z^2, with series near z = 0."""
    small = np.abs(z) < 1e-4
    zs = np.where(small, 1.0, z)
    phi1 = np.where(small, 1 + z / 2 + z**2 / 6, np.expm1(zs) / zs)
    phi2 = np.where(small, 0.5 + z / 6 + z**2 / 24, (np.expm1(zs) - zs) / zs**2)
    return phi1, phi2


def _numpy_ns_stepper(n, length, dt, nu, drag, forcing, num_substeps, post_mask):
    k = np.fft.fftfreq(n, 1 / n)
    kx, ky = np.meshgrid(k, np.fft.rfftfreq(n, 1 / n), indexing="ij")
    cutoff = 2 / 3 * (n // 2) - 1
    mask = (np.abs(kx) <= cutoff) & (np.abs(ky) <= cutoff)
    ikx, iky = 2j * np.pi / length * kx, 2j * np.pi / length * ky
    lap = (ikx**2 + iky**2).real
    inv_lap = np.where(lap == 0, 1.0, 1 / np.where(lap == 0, 1.0, lap))
    lin = nu * lap + 2 * drag  # the zeroth-order term acts once per axis
    h = dt / num_substeps
    e = np.exp(lin * h)
    phi1, phi2 = _phi(lin * h)
    c1, c2 = h * phi1, h * phi2
    if post_mask:
        c1, c2 = c1 * mask, c2 * mask
    f_hat = np.fft.rfft2(forcing)

    def ifft(a):
        return np.fft.irfft2(a * mask, s=(n, n))

    def nonlin(w_hat):
        psi = w_hat * inv_lap
        u, v = ifft(iky * psi), ifft(-ikx * psi)
        adv = u * ifft(ikx * w_hat) + v * ifft(iky * w_hat)
        return -np.fft.rfft2(adv) + f_hat

    def step(w):
        w_hat = np.fft.rfft2(w)
        for _ in range(num_substeps):
            n0 = nonlin(w_hat)
            a = e * w_hat + c1 * n0
            w_hat = a + c2 * (nonlin(a) - n0)
        return np.fft.irfft2(w_hat, s=(n, n))

    return step


def _ic(n):
    x, y = _grid(n, 1.0)
    rng = np.random.default_rng(0)
    w = np.zeros((n, n))
    for kx in range(-4, 5):
        for ky in range(-4, 5):
            a, p = rng.uniform(-1, 1), rng.uniform(0, 2 * np.pi)
            w += a * np.cos(2 * np.pi * (kx * x + ky * y) + p)
    return w / np.abs(w).max()


@pytest.mark.parametrize("compat", [False, True])
@pytest.mark.parametrize("name", ["phy_decay_turb", "phy_kolm_flow"])
def test_navier_stokes_scenarios_match_a_numpy_pseudo_spectral_step(name, compat):
    n, num_steps = 48, 3
    s = ab.scenario_dict[name](num_points=n, exponax_compat=compat)
    if name == "phy_kolm_flow":
        _, y = _grid(n, s.domain_extent)
        m = s.injection_mode
        kf = 2 * math.pi * m / s.domain_extent
        forcing = -s.injection_scale * kf * np.cos(kf * y)
        drag = s.drag
    else:
        forcing, drag = np.zeros((n, n)), 0.0
    ref_step = _numpy_ns_stepper(
        n,
        s.domain_extent,
        s.dt,
        s.diffusivity,
        drag,
        forcing,
        s.num_substeps,
        post_mask=not compat,
    )
    stepper = eqx.filter_jit(s.get_ref_stepper())
    w_ref = 5.0 * _ic(n) if name == "phy_kolm_flow" else _ic(n)
    w = jnp.asarray(w_ref[None], jnp.float32)
    for _ in range(num_steps):
        w_ref = ref_step(w_ref)
        w = stepper(w)
        err = np.linalg.norm(np.asarray(w)[0] - w_ref) / np.linalg.norm(w_ref)
        assert err < 2e-5, err

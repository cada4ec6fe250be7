"""Exponential time differencing Runge-Kutta (ETDRK0-4) on periodic domains.

Cox & Matthews (2002) schemes for `u_t = L u + N(u)` with a diagonal (Fourier)
linear operator; the phi-function coefficients are evaluated with the
Kassam & Trefethen (2005) contour integral (mean over `num_circle_points` points on
a circle of radius `circle_radius` around every `z = L dt`). The coefficients keep
their complex values, which matters whenever `L` is not real (odd derivatives:
advection, dispersion). `exponax_compat=True` keeps only their real part, as
exponax 0.1 (and so APEBench) does.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Float

import rollax

from ._nonlinear import AbstractNonlinearFun
from ._spectral import fft, ifft, spectral_shape


def _is_traced(*xs) -> bool:
    return not rollax.is_concrete(*xs)


def _contour_mean(f, z, num_circle_points: int, circle_radius: float, xp):
    j = xp.arange(1, num_circle_points + 1)
    theta = 2 * np.pi * (j - 0.5) / num_circle_points
    points = z[..., None] + circle_radius * xp.exp(1j * theta)
    return xp.mean(f(points, xp), axis=-1)


def _phi1(z, xp):
    return (xp.exp(z) - 1) / z


def _phi2(z, xp):
    return (xp.exp(z) - 1 - z) / z**2


def _half_phi1(z, xp):
    return (xp.exp(z / 2) - 1) / z


def _kt_f1(z, xp):
    return (-4 - z + xp.exp(z) * (4 - 3 * z + z**2)) / z**3


def _kt_f2(z, xp):
    return (2 + z + xp.exp(z) * (z - 2)) / z**3


def _kt_f3(z, xp):
    return (-4 - 3 * z - z**2 + xp.exp(z) * (4 - z)) / z**3


_COEFFICIENT_FUNCTIONS = {
    0: (),
    1: (_phi1,),
    2: (_phi1, _phi2),
    3: (_half_phi1, _phi1, _kt_f1, _kt_f2, _kt_f3),
    4: (_half_phi1, _kt_f1, _kt_f2, _kt_f3),
}


def etdrk_coefficients(
    linear_operator,
    dt,
    *,
    order: int,
    num_circle_points: int = 16,
    circle_radius: float = 1.0,
    exponax_compat: bool = False,
):
    """The exponentials and phi-coefficients of an ETDRK scheme.

    **Arguments:**

    - `linear_operator`: the Fourier symbol `L` (complex array).
    - `dt`: the time step.
    - `order`: 0 to 4.
    - `num_circle_points`, `circle_radius`: the contour of the Kassam-Trefethen
        evaluation.
    - `exponax_compat`: keep only the real part of the phi-coefficients.

    **Returns:**

    `(exp(L dt), exp(L dt / 2), coefficients)`, with `coefficients` a tuple
    (already multiplied by `dt`).
    """
    if order not in _COEFFICIENT_FUNCTIONS:
        raise ValueError(
            f"ETDRK order must be 0, 1, 2, 3 or 4, got {order!r}; use order=0 for "
            "linear problems and 2 (the APEBench default) or 4 for nonlinear ones"
        )
    xp = jnp if _is_traced(linear_operator, dt) else np
    lin = xp.asarray(linear_operator).astype(complex)
    z = lin * dt
    exp_full = xp.exp(z)
    exp_half = xp.exp(z / 2)
    coefs = []
    for f in _COEFFICIENT_FUNCTIONS[order]:
        c = dt * _contour_mean(f, z, num_circle_points, circle_radius, xp)
        if exponax_compat:
            c = c.real
        coefs.append(c)
    if order == 3:
        coefs[3] = 4 * coefs[3]
    return exp_full, exp_half, tuple(coefs)


class AbstractETDRKStepper(rollax.AbstractStepper):
    """ETDRK time stepper of `u_t = L u + N(u)` for one sample `u` of shape `(C, *N)`.

    Concrete steppers build the linear operator and nonlinear function; this class
    holds the precomputed exponentials and coefficients (arrays: new parameter
    values never recompile) and takes `num_substeps` ETDRK steps of size
    `dt / num_substeps` in Fourier space per call.
    """

    num_spatial_dims: int = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    num_channels: int = eqx.field(static=True)
    order: int = eqx.field(static=True)
    num_substeps: int = eqx.field(static=True)
    domain_extent: Float[Array, ""]
    dt: Float[Array, ""]
    linear_operator: Complex[Array, " C *K"]
    nonlinear_fun: AbstractNonlinearFun | None
    _exp: Complex[Array, " C *K"]
    _exp_half: Complex[Array, " C *K"]
    _coefs: tuple[Array, ...]

    def _setup(
        self,
        *,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        num_channels: int,
        dt: float,
        linear_operator,
        nonlinear_fun: AbstractNonlinearFun | None,
        order: int,
        num_substeps: int = 1,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        exponax_compat: bool = False,
    ) -> None:
        _check_grid(num_spatial_dims, num_points, num_channels, num_substeps)
        if nonlinear_fun is None and order not in (0, 1, 2, 3, 4):
            raise ValueError(f"ETDRK order must be 0..4, got {order!r}")
        self.num_spatial_dims = num_spatial_dims
        self.num_points = num_points
        self.num_channels = num_channels
        self.order = 0 if nonlinear_fun is None else order
        self.num_substeps = num_substeps
        self.domain_extent = jnp.asarray(domain_extent)
        self.dt = jnp.asarray(dt)
        lin = jnp.asarray(linear_operator)
        if lin.ndim == num_spatial_dims:
            lin = lin[None]
        expected = spectral_shape(num_spatial_dims, num_points)
        if lin.shape[1:] != expected or lin.shape[0] not in (1, num_channels):
            raise ValueError(
                f"linear operator of shape {lin.shape}; expected (1 or "
                f"{num_channels}, *{expected})"
            )
        self.linear_operator = lin
        self.nonlinear_fun = nonlinear_fun
        e, eh, coefs = etdrk_coefficients(
            np.asarray(linear_operator) if not _is_traced(linear_operator) else lin,
            dt / num_substeps,
            order=self.order,
            num_circle_points=num_circle_points,
            circle_radius=circle_radius,
            exponax_compat=exponax_compat,
        )
        if nonlinear_fun is not None and not exponax_compat:
            # post-dealiasing of N(u) for free: every N term is multiplied by a
            # coefficient
            mask = np.asarray(nonlinear_fun.mask)
            coefs = tuple(c * mask for c in coefs)
        if not _is_traced(linear_operator, dt) and np.all(
            np.imag(np.asarray(linear_operator)) == 0
        ):
            # a real operator has real exponentials and phi-functions: real arrays
            # halve the cost of the multiplications
            e, eh = np.real(e), np.real(eh)
            coefs = tuple(np.real(c) for c in coefs)
        shape = lin.shape
        self._exp = jnp.asarray(e).reshape(shape)
        self._exp_half = jnp.asarray(eh).reshape(shape)
        self._coefs = tuple(jnp.asarray(c).reshape(shape) for c in coefs)

    def _setup_linear(
        self, num_spatial_dims, domain_extent, num_points, dt, linear_operator, channels
    ) -> None:
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=channels,
            dt=dt,
            linear_operator=linear_operator,
            nonlinear_fun=None,
            order=0,
        )

    # -- stepping ---------------------------------------------------------------------

    def _nonlin(self, u_hat):
        assert self.nonlinear_fun is not None
        return self.nonlinear_fun(u_hat)

    def step_fourier(self, u_hat: Complex[Array, " C *K"]) -> Complex[Array, " C *K"]:
        """One ETDRK step of size `dt / num_substeps` in Fourier space."""
        e, eh, c = self._exp, self._exp_half, self._coefs
        if self.order == 0:
            return e * u_hat
        n_u = self._nonlin(u_hat)
        if self.order == 1:
            return e * u_hat + c[0] * n_u
        if self.order == 2:
            a = e * u_hat + c[0] * n_u
            return a + c[1] * (self._nonlin(a) - n_u)
        if self.order == 3:
            qh, c1, f1, f2, f3 = c
            a = eh * u_hat + qh * n_u
            n_a = self._nonlin(a)
            b = e * u_hat + c1 * (2 * n_a - n_u)
            n_b = self._nonlin(b)
            return e * u_hat + f1 * n_u + f2 * n_a + f3 * n_b
        q, f1, f2, f3 = c
        a = eh * u_hat + q * n_u
        n_a = self._nonlin(a)
        b = eh * u_hat + q * n_a
        n_b = self._nonlin(b)
        cc = eh * a + q * (2 * n_b - n_u)
        n_c = self._nonlin(cc)
        return e * u_hat + f1 * n_u + 2 * f2 * (n_a + n_b) + f3 * n_c

    def check_state(self, u) -> None:
        expected = (self.num_channels,) + (self.num_points,) * self.num_spatial_dims
        shape = tuple(jnp.shape(u))
        if shape != expected:
            hint = ""
            if shape == expected[1:]:
                hint = "; add a channel axis (u[None])"
            elif len(shape) == len(expected) + 1 and shape[1:] == expected:
                hint = (
                    "; this looks like a batch: steppers act on one sample, use "
                    "jax.vmap(stepper)"
                )
            raise ValueError(
                f"{type(self).__name__}: expected a state of shape (C, *N) = "
                f"{expected}, got {shape}{hint}"
            )

    def __call__(self, u: Float[Array, " C *N"], *, key=None) -> Float[Array, " C *N"]:
        """Advance one sample by `dt`.

        **Arguments:**

        - `u`: the state, shape `(num_channels, *(num_points,)*num_spatial_dims)`.
        - `key`: ignored (deterministic stepper).

        **Returns:**

        The state `dt` later, same shape and dtype.
        """
        self.check_state(u)
        u_hat = fft(u, self.num_spatial_dims)
        if self.num_substeps == 1:
            u_hat = self.step_fourier(u_hat)
        else:
            u_hat = jax.lax.fori_loop(
                0, self.num_substeps, lambda _, x: self.step_fourier(x), u_hat
            )
        return ifft(u_hat, self.num_spatial_dims, self.num_points).astype(
            jnp.result_type(u)
        )


def _check_grid(num_spatial_dims, num_points, num_channels, num_substeps) -> None:
    if num_spatial_dims not in (1, 2, 3):
        raise ValueError(
            f"num_spatial_dims must be 1, 2 or 3, got {num_spatial_dims!r}"
        )
    if not isinstance(num_points, int) or num_points < 4:
        raise ValueError(f"num_points must be an integer >= 4, got {num_points!r}")
    if not isinstance(num_channels, int) or num_channels < 1:
        raise ValueError(
            f"num_channels must be a positive integer, got {num_channels!r}"
        )
    if not isinstance(num_substeps, int) or num_substeps < 1:
        raise ValueError(
            f"num_substeps must be a positive integer, got {num_substeps!r}"
        )

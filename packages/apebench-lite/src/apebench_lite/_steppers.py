"""Concrete ETDRK steppers: generic forms, named PDEs, and normalized/difficulty forms."""

from collections.abc import Sequence
from typing import ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

import rollax

from ._etdrk import AbstractETDRKStepper
from ._nonlinear import (
    ConvectionNonlinearFun,
    GeneralNonlinearFun,
    GrayScottNonlinearFun,
    PolynomialNonlinearFun,
    VorticityConvectionNonlinearFun,
)
from ._normalized import (
    extract_normalized_coefficients_from_difficulty,
    extract_normalized_nonlinear_scales_from_difficulty,
)
from ._spectral import derivative_operator, fft, ifft


def _deriv(num_spatial_dims, domain_extent, num_points):
    return derivative_operator(num_spatial_dims, domain_extent, num_points)


def general_linear_operator(coefficients: Sequence[float], derivative) -> np.ndarray:
    """`sum_j a_j sum_d (i k_d)^j`: per-axis powers summed over axes.

    As in exponax, the zeroth-order term is also summed over the `D` axes (so a
    drag coefficient acts `D` times in `D` dimensions).
    """
    out = np.zeros(derivative.shape[1:], dtype=complex)
    for j, a in enumerate(coefficients):
        out = out + a * np.sum(derivative**j, axis=0)
    return out[None]


def _options(scope: dict) -> dict:
    """The ETDRK options among a stepper constructor's arguments."""
    names = ("order", "num_substeps", "num_circle_points", "circle_radius")
    return {k: scope[k] for k in (*names, "exponax_compat")}


def _laplace(derivative):
    return np.sum(derivative**2, axis=0)


_NONLIN_DOC = """
    - `order`: ETDRK order 0..4 (default 2).
    - `dealiasing_fraction`: fraction of the modes kept (2/3 rule by default).
    - `num_circle_points`, `circle_radius`: Kassam-Trefethen contour (16, 1.0).
    - `num_substeps`: ETDRK substeps of size `dt / num_substeps` per call.
    - `exponax_compat`: reproduce exponax 0.1 numerics (real-part coefficients,
        pre-dealiasing only). Off by default: complex coefficients are exact for
        complex operators (KdV, advection-dominated problems).
"""


class GeneralLinearStepper(AbstractETDRKStepper):
    """Exact (ETDRK0) stepper of `u_t = sum_j a_j sum_d d_d^j u`.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: the grid and step.
    - `linear_coefficients`: `(a_0, a_1, ...)`.
    - `num_channels`: channels of the state (the operator acts on each).
    """

    name: ClassVar[str] = "apebench-lite:GeneralLinearStepper"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        linear_coefficients: Sequence[float] = (0.0, -0.1, 0.01),
        num_channels: int = 1,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        self._setup_linear(
            num_spatial_dims,
            domain_extent,
            num_points,
            dt,
            general_linear_operator(linear_coefficients, d),
            num_channels,
        )


class Advection(AbstractETDRKStepper):
    """Exact stepper of `u_t + v . grad u = 0` (`velocity` scalar or one per axis)."""

    name: ClassVar[str] = "apebench-lite:Advection"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        velocity: float | Sequence[float] | Float[ArrayLike, "..."] = 1.0,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        v = _per_axis(velocity, num_spatial_dims, "velocity")
        lin = -np.tensordot(v, d, axes=1)
        self._setup_linear(num_spatial_dims, domain_extent, num_points, dt, lin, 1)


class Diffusion(AbstractETDRKStepper):
    """Exact stepper of `u_t = div(nu grad u)`.

    `diffusivity` is a scalar, one value per axis, or a symmetric `D x D` matrix
    (anisotropic diffusion `sum_ij nu_ij d_i d_j u`).
    """

    name: ClassVar[str] = "apebench-lite:Diffusion"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float
        | Sequence[float]
        | Sequence[Sequence[float]]
        | Float[ArrayLike, "..."] = 0.01,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        nu = np.asarray(diffusivity, dtype=float)
        if nu.ndim == 2:
            if nu.shape != (num_spatial_dims, num_spatial_dims):
                raise ValueError(
                    f"diffusivity matrix of shape {nu.shape}; expected "
                    f"({num_spatial_dims}, {num_spatial_dims})"
                )
            lin = np.einsum("ij,i...,j...->...", nu, d, d)
        else:
            lin = np.tensordot(_per_axis(nu, num_spatial_dims, "diffusivity"), d**2, 1)
        self._setup_linear(num_spatial_dims, domain_extent, num_points, dt, lin, 1)


class AdvectionDiffusion(AbstractETDRKStepper):
    """Exact stepper of `u_t + v . grad u = nu Laplace u`."""

    name: ClassVar[str] = "apebench-lite:AdvectionDiffusion"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        velocity: float | Sequence[float] | Float[ArrayLike, "..."] = 1.0,
        diffusivity: float = 0.01,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        v = _per_axis(velocity, num_spatial_dims, "velocity")
        lin = -np.tensordot(v, d, axes=1) + diffusivity * _laplace(d)
        self._setup_linear(num_spatial_dims, domain_extent, num_points, dt, lin, 1)


class Dispersion(AbstractETDRKStepper):
    """Exact stepper of `u_t = xi sum_d d_d^3 u` (or `xi (sum_d d_d) Laplace u`).

    `advect_on_diffusion=True` selects the spatially mixed form.
    """

    name: ClassVar[str] = "apebench-lite:Dispersion"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        dispersivity: float | Sequence[float] | Float[ArrayLike, "..."] = 1.0,
        advect_on_diffusion: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        xi = _per_axis(dispersivity, num_spatial_dims, "dispersivity")
        if advect_on_diffusion:
            lin = np.tensordot(xi, d, axes=1) * _laplace(d)
        else:
            lin = np.tensordot(xi, d**3, axes=1)
        self._setup_linear(num_spatial_dims, domain_extent, num_points, dt, lin, 1)


class HyperDiffusion(AbstractETDRKStepper):
    """Exact stepper of `u_t = -mu sum_d d_d^4 u` (or `-mu Laplace(Laplace u)`).

    `diffuse_on_diffuse=True` selects the spatially mixed form.
    """

    name: ClassVar[str] = "apebench-lite:HyperDiffusion"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        hyper_diffusivity: float = 0.0001,
        diffuse_on_diffuse: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        if diffuse_on_diffuse:
            lin = -hyper_diffusivity * _laplace(d) ** 2
        else:
            lin = -hyper_diffusivity * np.sum(d**4, axis=0)
        self._setup_linear(num_spatial_dims, domain_extent, num_points, dt, lin, 1)


class GeneralNonlinearStepper(AbstractETDRKStepper):
    """ETDRK stepper of `u_t = sum_j a_j sum_d d_d^j u + N(u)` with
    `N(u) = b0 u^2 + b1/2 (sum_d d_d)(u^2) + b2/2 (|grad u|^2 - mean)`.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`, `dt`: grid and step.
    - `linear_coefficients`: `(a_0, a_1, ...)`.
    - `nonlinear_coefficients`: `(b0, b1, b2)`; zero terms are skipped.
    """

    name: ClassVar[str] = "apebench-lite:GeneralNonlinearStepper"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        linear_coefficients: Sequence[float] = (0.0, 0.0, 0.01),
        nonlinear_coefficients: Sequence[float] = (0.0, -1.0, 0.0),
        order: int = 2,
        dealiasing_fraction: float = 2 / 3,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
        num_channels: int = 1,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        nonlin = GeneralNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            tuple(nonlinear_coefficients),  # type: ignore[arg-type]
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=num_channels,
            dt=dt,
            linear_operator=general_linear_operator(linear_coefficients, d),
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


class GeneralConvectionStepper(AbstractETDRKStepper):
    """ETDRK stepper of `u_t = sum_j a_j sum_d d_d^j u - b/2 div(u (x) u)`.

    Multi-channel (as many channels as dimensions, vector Burgers) unless
    `single_channel=True`; `conservative=False` uses `-b (u . grad) u`.
    """

    name: ClassVar[str] = "apebench-lite:GeneralConvectionStepper"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        linear_coefficients: Sequence[float] = (0.0, 0.0, 0.01),
        convection_scale: float = 1.0,
        single_channel: bool = False,
        conservative: bool = True,
        order: int = 2,
        dealiasing_fraction: float = 2 / 3,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        nonlin = ConvectionNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            convection_scale=convection_scale,
            single_channel=single_channel,
            conservative=conservative,
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=1 if single_channel else num_spatial_dims,
            dt=dt,
            linear_operator=general_linear_operator(linear_coefficients, d),
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


class GeneralPolynomialStepper(AbstractETDRKStepper):
    """ETDRK stepper of `u_t = sum_j a_j sum_d d_d^j u + sum_k c_k u^k`."""

    name: ClassVar[str] = "apebench-lite:GeneralPolynomialStepper"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        linear_coefficients: Sequence[float] = (10.0, 0.0, 0.01),
        polynomial_coefficients: Sequence[float] = (0.0, 0.0, -10.0),
        order: int = 2,
        dealiasing_fraction: float = 2 / 3,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
        num_channels: int = 1,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        nonlin = PolynomialNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            coefficients=tuple(polynomial_coefficients),
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=num_channels,
            dt=dt,
            linear_operator=general_linear_operator(linear_coefficients, d),
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


def Burgers(
    num_spatial_dims: int,
    domain_extent: float,
    num_points: int,
    dt: float,
    *,
    diffusivity: float = 0.1,
    convection_scale: float = 1.0,
    single_channel: bool = False,
    conservative: bool = True,
    **kwargs,
) -> GeneralConvectionStepper:
    """Burgers `u_t + b/2 div(u (x) u) = nu Laplace u` (vector unless single channel)."""
    return GeneralConvectionStepper(
        num_spatial_dims,
        domain_extent,
        num_points,
        dt,
        linear_coefficients=(0.0, 0.0, diffusivity),
        convection_scale=convection_scale,
        single_channel=single_channel,
        conservative=conservative,
        **kwargs,
    )


def KortewegDeVries(
    num_spatial_dims: int,
    domain_extent: float,
    num_points: int,
    dt: float,
    *,
    convection_scale: float = -6.0,
    dispersivity: float = 1.0,
    diffusivity: float = 0.0,
    hyper_diffusivity: float = 0.0,
    **kwargs,
) -> GeneralNonlinearStepper:
    """KdV `u_t = b/2 (sum_d d_d)(u^2) - xi sum d_d^3 u + nu Lap u - mu sum d_d^4 u`.

    The defaults give the classic `u_t + 6 u u_x + u_xxx = 0`.
    """
    return GeneralNonlinearStepper(
        num_spatial_dims,
        domain_extent,
        num_points,
        dt,
        linear_coefficients=(0.0, 0.0, diffusivity, -dispersivity, -hyper_diffusivity),
        nonlinear_coefficients=(0.0, convection_scale, 0.0),
        **kwargs,
    )


def KuramotoSivashinsky(
    num_spatial_dims: int,
    domain_extent: float,
    num_points: int,
    dt: float,
    *,
    gradient_norm_scale: float = 1.0,
    second_order_scale: float = 1.0,
    fourth_order_scale: float = 1.0,
    **kwargs,
) -> GeneralNonlinearStepper:
    """KS `u_t + g/2 |grad u|^2 + s Lap u + f sum_d d_d^4 u = 0`."""
    return GeneralNonlinearStepper(
        num_spatial_dims,
        domain_extent,
        num_points,
        dt,
        linear_coefficients=(0.0, 0.0, -second_order_scale, 0.0, -fourth_order_scale),
        nonlinear_coefficients=(0.0, 0.0, -gradient_norm_scale),
        **kwargs,
    )


class NavierStokesVorticity(AbstractETDRKStepper):
    """2-D incompressible Navier-Stokes in vorticity form, optionally Kolmogorov-forced.

    `omega_t + b (u . grad) omega = nu Laplace omega + drag omega (+ forcing)`, with
    the forcing `-s k_f cos(k_f y)` (`k_f = 2 pi n / L`) when `injection_mode` is set.
    As in exponax, the velocity is `(d_y psi, -d_x psi)` with `Laplace psi = omega`
    (so `omega = d_y u - d_x v`), and the drag, a zeroth-order term summed over the
    axes, acts as `2 drag`. With `exponax_compat=True` the forcing amplitude is
    `s n` instead of `s k_f` (exponax 0.1; the same when `L = 2 pi`).
    """

    name: ClassVar[str] = "apebench-lite:NavierStokesVorticity"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity: float = 0.01,
        vorticity_convection_scale: float = 1.0,
        drag: float = 0.0,
        injection_mode: int | None = None,
        injection_scale: float = 1.0,
        order: int = 2,
        dealiasing_fraction: float = 2 / 3,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        nonlin = VorticityConvectionNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            convection_scale=vorticity_convection_scale,
            injection_mode=injection_mode,
            injection_scale=injection_scale,
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        lin = general_linear_operator((drag, 0.0, diffusivity), d)
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=1,
            dt=dt,
            linear_operator=lin,
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


def KolmogorovFlowVorticity(
    num_spatial_dims: int,
    domain_extent: float,
    num_points: int,
    dt: float,
    *,
    diffusivity: float = 0.001,
    vorticity_convection_scale: float = 1.0,
    drag: float = -0.1,
    injection_mode: int = 4,
    injection_scale: float = 1.0,
    **kwargs,
) -> NavierStokesVorticity:
    """Kolmogorov flow: forced, damped 2-D Navier-Stokes in vorticity form."""
    return NavierStokesVorticity(
        num_spatial_dims,
        domain_extent,
        num_points,
        dt,
        diffusivity=diffusivity,
        vorticity_convection_scale=vorticity_convection_scale,
        drag=drag,
        injection_mode=injection_mode,
        injection_scale=injection_scale,
        **kwargs,
    )


class GrayScott(AbstractETDRKStepper):
    """Gray-Scott reaction-diffusion for the two-channel state `(u, v)`."""

    name: ClassVar[str] = "apebench-lite:GrayScott"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        diffusivity_1: float = 2e-5,
        diffusivity_2: float = 1e-5,
        feed_rate: float = 0.04,
        kill_rate: float = 0.06,
        order: int = 2,
        dealiasing_fraction: float = 1 / 2,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        lap = _laplace(d)
        lin = np.stack([diffusivity_1 * lap, diffusivity_2 * lap])
        nonlin = GrayScottNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            feed_rate=feed_rate,
            kill_rate=kill_rate,
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=2,
            dt=dt,
            linear_operator=lin,
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


class SwiftHohenberg(AbstractETDRKStepper):
    """Swift-Hohenberg `u_t = r u - (k^2 + Laplace)^2 u + sum_k c_k u^k`."""

    name: ClassVar[str] = "apebench-lite:SwiftHohenberg"

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dt: float,
        *,
        reactivity: float = 0.7,
        critical_number: float = 1.0,
        polynomial_coefficients: Sequence[float] = (0.0, 0.0, 1.0, -1.0),
        order: int = 2,
        dealiasing_fraction: float = 1 / 2,
        num_circle_points: int = 16,
        circle_radius: float = 1.0,
        num_substeps: int = 1,
        exponax_compat: bool = False,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        lin = reactivity - (critical_number**2 + _laplace(d)) ** 2
        nonlin = PolynomialNonlinearFun(
            num_spatial_dims,
            domain_extent,
            num_points,
            coefficients=tuple(polynomial_coefficients),
            dealiasing_fraction=dealiasing_fraction,
            exponax_compat=exponax_compat,
        )
        self._setup(
            num_spatial_dims=num_spatial_dims,
            domain_extent=domain_extent,
            num_points=num_points,
            num_channels=1,
            dt=dt,
            linear_operator=lin,
            nonlinear_fun=nonlin,
            **_options(locals()),
        )


class RepeatedStepper(rollax.AbstractStepper):
    """Apply `stepper` `num_sub_steps` times per call (ETDRK steppers stay in Fourier
    space between the substeps)."""

    name: ClassVar[str] = "apebench-lite:RepeatedStepper"
    stepper: rollax.AbstractStepper
    num_sub_steps: int = eqx.field(static=True)

    def __call__(self, u, *, key=None):
        s = self.stepper
        if isinstance(s, AbstractETDRKStepper) and s.num_substeps == 1:
            s.check_state(u)
            u_hat = jax.lax.fori_loop(
                0,
                self.num_sub_steps,
                lambda _, x: s.step_fourier(x),
                fft(u, s.num_spatial_dims),
            )
            return ifft(u_hat, s.num_spatial_dims, s.num_points).astype(u.dtype)
        return jax.lax.fori_loop(0, self.num_sub_steps, lambda _, x: s(x), u)


class Poisson(eqx.Module):
    """Spectral solver of `(-Laplace)^(order/2) u = f` with zero-mean `u`.

    **Arguments:**

    - `num_spatial_dims`, `domain_extent`, `num_points`: the grid.
    - `order`: the (even) order of the operator; 2 is the Poisson equation.
    """

    num_spatial_dims: int = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    inverse: Array

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        order: int = 2,
    ):
        d = _deriv(num_spatial_dims, domain_extent, num_points)
        k2 = -_laplace(d).real
        sym = k2 ** (order / 2)
        sym[(0,) * num_spatial_dims] = 1.0
        inv = 1.0 / sym
        inv[(0,) * num_spatial_dims] = 0.0
        self.num_spatial_dims = num_spatial_dims
        self.num_points = num_points
        self.inverse = jnp.asarray(inv)

    def __call__(self, f: Float[Array, " C *N"], *, key=None) -> Float[Array, " C *N"]:
        expected = (self.num_points,) * self.num_spatial_dims
        if tuple(f.shape[1:]) != expected or f.ndim != self.num_spatial_dims + 1:
            raise ValueError(
                f"Poisson: expected a right-hand side of shape (C, *{expected}), got "
                f"{tuple(f.shape)}"
            )
        out = ifft(
            fft(f, self.num_spatial_dims) * self.inverse,
            self.num_spatial_dims,
            self.num_points,
        )
        return out.astype(f.dtype)


# -- normalized and difficulty forms -----------------------------------------------------


def _norm_kwargs(kwargs):
    return kwargs


def NormalizedLinearStepper(
    num_spatial_dims: int,
    num_points: int,
    *,
    normalized_coefficients: Sequence[float] = (0.0, -0.5, 0.01),
    num_channels: int = 1,
) -> GeneralLinearStepper:
    """Linear stepper on the unit domain with unit time step (`alpha_j`)."""
    return GeneralLinearStepper(
        num_spatial_dims,
        1.0,
        num_points,
        1.0,
        linear_coefficients=normalized_coefficients,
        num_channels=num_channels,
    )


def DifficultyLinearStepper(
    num_spatial_dims: int = 1,
    num_points: int = 48,
    *,
    linear_difficulties: Sequence[float] = (0.0, -2.0),
    num_channels: int = 1,
) -> GeneralLinearStepper:
    """Linear stepper from difficulties `gamma_j` (see `_normalized`)."""
    alphas = extract_normalized_coefficients_from_difficulty(
        linear_difficulties, num_spatial_dims=num_spatial_dims, num_points=num_points
    )
    return NormalizedLinearStepper(
        num_spatial_dims,
        num_points,
        normalized_coefficients=alphas,
        num_channels=num_channels,
    )


def NormalizedGeneralNonlinearStepper(
    num_spatial_dims: int,
    num_points: int,
    *,
    normalized_coefficients_linear: Sequence[float] = (0.0, 0.0, 0.1 * 0.1),
    normalized_coefficients_nonlinear: Sequence[float] = (0.0, -1.0 * 0.1, 0.0),
    **kwargs,
) -> GeneralNonlinearStepper:
    """General nonlinear stepper on the unit domain with unit time step."""
    return GeneralNonlinearStepper(
        num_spatial_dims,
        1.0,
        num_points,
        1.0,
        linear_coefficients=normalized_coefficients_linear,
        nonlinear_coefficients=normalized_coefficients_nonlinear,
        **kwargs,
    )


def DifficultyGeneralNonlinearStepper(
    num_spatial_dims: int = 1,
    num_points: int = 48,
    *,
    linear_difficulties: Sequence[float] = (0.0, 0.0, 0.1 * 0.1 / 1.0 * 48**2 * 2),
    nonlinear_difficulties: Sequence[float] = (0.0, -1.0 * 0.1 / 1.0 * 48, 0.0),
    maximum_absolute: float = 1.0,
    **kwargs,
) -> GeneralNonlinearStepper:
    """General nonlinear stepper from difficulties `gamma_j`, `delta_j`."""
    alphas = extract_normalized_coefficients_from_difficulty(
        linear_difficulties, num_spatial_dims=num_spatial_dims, num_points=num_points
    )
    betas = extract_normalized_nonlinear_scales_from_difficulty(
        nonlinear_difficulties,
        num_spatial_dims=num_spatial_dims,
        num_points=num_points,
        maximum_absolute=maximum_absolute,
    )
    return NormalizedGeneralNonlinearStepper(
        num_spatial_dims,
        num_points,
        normalized_coefficients_linear=alphas,
        normalized_coefficients_nonlinear=betas,
        **kwargs,
    )


def NormalizedConvectionStepper(
    num_spatial_dims: int,
    num_points: int,
    *,
    normalized_coefficients: Sequence[float] = (0.0, 0.0, 0.01 * 0.1),
    normalized_convection_scale: float = 1.0 * 0.1,
    **kwargs,
) -> GeneralConvectionStepper:
    """Convection stepper on the unit domain with unit time step."""
    return GeneralConvectionStepper(
        num_spatial_dims,
        1.0,
        num_points,
        1.0,
        linear_coefficients=normalized_coefficients,
        convection_scale=normalized_convection_scale,
        **kwargs,
    )


def DifficultyConvectionStepper(
    num_spatial_dims: int = 1,
    num_points: int = 48,
    *,
    linear_difficulties: Sequence[float] = (0.0, 0.0, 0.6),
    convection_difficulty: float = 5.0,
    maximum_absolute: float = 1.0,
    **kwargs,
) -> GeneralConvectionStepper:
    """Convection stepper from difficulties (`convection_difficulty > 0`: Burgers)."""
    alphas = extract_normalized_coefficients_from_difficulty(
        linear_difficulties, num_spatial_dims=num_spatial_dims, num_points=num_points
    )
    beta = convection_difficulty / (maximum_absolute * num_points * num_spatial_dims)
    return NormalizedConvectionStepper(
        num_spatial_dims,
        num_points,
        normalized_coefficients=alphas,
        normalized_convection_scale=beta,
        **kwargs,
    )


def NormalizedPolynomialStepper(
    num_spatial_dims: int,
    num_points: int,
    *,
    normalized_coefficients: Sequence[float] = (10.0 * 0.001, 0.0, 1.0 * 0.001),
    normalized_polynomial_scales: Sequence[float] = (0.0, 0.0, -10.0 * 0.001),
    **kwargs,
) -> GeneralPolynomialStepper:
    """Polynomial stepper on the unit domain with unit time step."""
    return GeneralPolynomialStepper(
        num_spatial_dims,
        1.0,
        num_points,
        1.0,
        linear_coefficients=normalized_coefficients,
        polynomial_coefficients=normalized_polynomial_scales,
        **kwargs,
    )


def DifficultyPolynomialStepper(
    num_spatial_dims: int = 1,
    num_points: int = 48,
    *,
    linear_difficulties: Sequence[float] = (0.01, 0.0, 0.2),
    polynomial_difficulties: Sequence[float] = (0.0, 0.0, -0.01),
    **kwargs,
) -> GeneralPolynomialStepper:
    """Polynomial stepper from difficulties (polynomial ones equal normalized)."""
    alphas = extract_normalized_coefficients_from_difficulty(
        linear_difficulties, num_spatial_dims=num_spatial_dims, num_points=num_points
    )
    return NormalizedPolynomialStepper(
        num_spatial_dims,
        num_points,
        normalized_coefficients=alphas,
        normalized_polynomial_scales=polynomial_difficulties,
        **kwargs,
    )


def _per_axis(value, num_spatial_dims: int, what: str) -> np.ndarray:
    v = np.asarray(value, dtype=float)
    if v.ndim == 0:
        return np.full(num_spatial_dims, float(v))
    if v.shape != (num_spatial_dims,):
        raise ValueError(
            f"{what} must be a scalar or have one entry per spatial axis "
            f"({num_spatial_dims}), got shape {v.shape}"
        )
    return v

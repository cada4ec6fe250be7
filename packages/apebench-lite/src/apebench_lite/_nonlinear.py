"""Pseudo-spectral nonlinear terms `N(u)` of `u_t = L u + N(u)`, in Fourier space.

Every function maps `u_hat` of shape `(C, *K)` to `N_hat` of the same shape. Inputs
are dealiased (hypercube low-pass mask) before going to physical space. The 2/3 rule
also needs the product masked after the forward transform: the ETDRK steppers fold
that mask into their coefficients (free), except with `exponax_compat=True`, which
reproduces exponax 0.1 (pre-mask only).
"""

import abc

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex

from ._spectral import dealiasing_mask, derivative_operator, fft, ifft


class AbstractNonlinearFun(eqx.Module):
    """A nonlinear right-hand side evaluated pseudo-spectrally."""

    num_spatial_dims: int = eqx.field(static=True)
    num_points: int = eqx.field(static=True)
    derivative: Complex[Array, " D *K"]
    mask: Array
    masked_derivative: Complex[Array, " D *K"]

    def _setup(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        dealiasing_fraction: float,
        exponax_compat: bool,
    ) -> None:
        self.num_spatial_dims = num_spatial_dims
        self.num_points = num_points
        del exponax_compat  # the post-mask lives in the stepper's coefficients
        self.derivative = jnp.asarray(
            derivative_operator(num_spatial_dims, domain_extent, num_points)
        )
        mask = dealiasing_mask(num_spatial_dims, num_points, dealiasing_fraction)
        self.mask = jnp.asarray(mask)
        self.masked_derivative = jnp.asarray(
            derivative_operator(num_spatial_dims, domain_extent, num_points) * mask
        )

    def to_physical(self, u_hat):
        return ifft(u_hat * self.mask, self.num_spatial_dims, self.num_points)

    def to_fourier(self, u):
        return fft(u, self.num_spatial_dims)

    def gradient(self, u_hat):
        """Dealiased physical-space gradient: shape `(D, C, *N)`."""
        d = self.masked_derivative[:, None]
        return ifft(d * u_hat[None], self.num_spatial_dims, self.num_points)

    @abc.abstractmethod
    def __call__(self, u_hat: Complex[Array, " C *K"]) -> Complex[Array, " C *K"]:
        """Evaluate the nonlinear term."""


class GeneralNonlinearFun(AbstractNonlinearFun):
    """`b0 u^2 + b1/2 (sum_d d_d)(u^2) + b2/2 (|grad u|^2 - mean)`, per channel.

    Terms whose coefficient is exactly zero (as Python numbers) are not evaluated.
    """

    square_factor: Complex[Array, " *K"] | None
    gradient_norm_scale: Array | None

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        coefficients: tuple[float, float, float],
        *,
        dealiasing_fraction: float = 2 / 3,
        exponax_compat: bool = False,
    ):
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dealiasing_fraction,
            exponax_compat,
        )
        b0, b1, b2 = _three(coefficients)
        uses_square = exponax_compat or not (_is_zero(b0) and _is_zero(b1))
        uses_grad = exponax_compat or not _is_zero(b2)
        if uses_square:
            self.square_factor = b0 + b1 / 2 * jnp.sum(self.derivative, axis=0)
        else:
            self.square_factor = None
        self.gradient_norm_scale = jnp.asarray(b2 / 2) if uses_grad else None

    def __call__(self, u_hat):
        out = jnp.zeros_like(u_hat)
        if self.square_factor is not None:
            u = self.to_physical(u_hat)
            out = out + self.square_factor * self.to_fourier(u * u)
        if self.gradient_norm_scale is not None:
            g = self.gradient(u_hat)
            g2_hat = self.to_fourier(jnp.einsum("d...,d...->...", g, g))
            g2_hat = _zero_mean_mode(g2_hat, self.num_spatial_dims)
            out = out + self.gradient_norm_scale * g2_hat
        return out


class ConvectionNonlinearFun(AbstractNonlinearFun):
    """`-b/2 div(u (x) u)` (conservative) or `-b (u . grad) u`.

    With `single_channel=True`: `-b/2 (sum_d d_d)(u^2)` or `-b u sum_d d_d u`.
    """

    scale: Array
    single_channel: bool = eqx.field(static=True)
    conservative: bool = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        *,
        convection_scale: float = 1.0,
        single_channel: bool = False,
        conservative: bool = True,
        dealiasing_fraction: float = 2 / 3,
        exponax_compat: bool = False,
    ):
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dealiasing_fraction,
            exponax_compat,
        )
        self.scale = jnp.asarray(convection_scale)
        self.single_channel = single_channel
        self.conservative = conservative

    def __call__(self, u_hat):
        if self.single_channel:
            d_sum = jnp.sum(self.derivative, axis=0)
            u = self.to_physical(u_hat)
            if self.conservative:
                return -self.scale / 2 * d_sum * self.to_fourier(u * u)
            du = ifft(d_sum * u_hat * self.mask, self.num_spatial_dims, self.num_points)
            return -self.scale * self.to_fourier(u * du)
        if u_hat.shape[0] != self.num_spatial_dims:
            raise ValueError(
                f"multi-channel convection expects as many channels as spatial "
                f"dimensions ({self.num_spatial_dims}), got {u_hat.shape[0]}; use "
                "single_channel=True for a scalar field"
            )
        u = self.to_physical(u_hat)
        if self.conservative:
            # u_c u_d is symmetric: transform the D (D + 1) / 2 distinct products only
            d = self.num_spatial_dims
            pairs = [(c, e) for c in range(d) for e in range(c, d)]
            prods = self.to_fourier(jnp.stack([u[c] * u[e] for c, e in pairs]))
            index = {pair: i for i, pair in enumerate(pairs)}
            rows = []
            for c in range(d):
                terms = [
                    self.derivative[e] * prods[index[(min(c, e), max(c, e))]]
                    for e in range(d)
                ]
                rows.append(sum(terms[1:], terms[0]))
            return -self.scale / 2 * jnp.stack(rows)
        g = self.gradient(u_hat)  # (D, C, *N)
        adv = jnp.einsum("d...,dc...->c...", u, g)  # sum_d u_d d_d u_c
        return -self.scale * self.to_fourier(adv)


class PolynomialNonlinearFun(AbstractNonlinearFun):
    """`sum_k c_k u^k`, per channel."""

    coefficients: tuple[Array, ...]
    powers: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        *,
        coefficients: tuple[float, ...],
        dealiasing_fraction: float = 2 / 3,
        exponax_compat: bool = False,
    ):
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dealiasing_fraction,
            exponax_compat,
        )
        pairs = [
            (k, c)
            for k, c in enumerate(coefficients)
            if exponax_compat or not _is_zero(c)
        ]
        self.powers = tuple(k for k, _ in pairs)
        self.coefficients = tuple(jnp.asarray(c) for _, c in pairs)

    def __call__(self, u_hat):
        if not self.powers:
            return jnp.zeros_like(u_hat)
        u = self.to_physical(u_hat)
        total = sum(
            (c * u**k for k, c in zip(self.powers, self.coefficients, strict=True)),
            jnp.zeros_like(u),
        )
        return self.to_fourier(total)


class VorticityConvectionNonlinearFun(AbstractNonlinearFun):
    """2-D vorticity advection `-b (u . grad) omega` (+ optional constant forcing).

    Sign convention (exponax's): the stream function solves `Laplace psi = omega`
    and the velocity is `(u, v) = (d_y psi, -d_x psi)`, so `omega = d_y u - d_x v`
    (clockwise-positive vorticity). The forcing `-s k_f cos(k_f y)` with
    `k_f = 2 pi n / L` is the curl of `s sin(k_f y)`; with `exponax_compat=True`
    its amplitude is `s n` as exponax 0.1 computes it (equal when `L = 2 pi`).
    """

    scale: Array
    inverse_laplacian: Array
    forcing_hat: Complex[Array, " 1 *K"] | None

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        *,
        convection_scale: float = 1.0,
        injection_mode: int | None = None,
        injection_scale: float = 1.0,
        dealiasing_fraction: float = 2 / 3,
        exponax_compat: bool = False,
    ):
        if num_spatial_dims != 2:
            raise ValueError(
                f"vorticity convection is only defined in 2-D, got num_spatial_dims="
                f"{num_spatial_dims}; use num_spatial_dims=2"
            )
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dealiasing_fraction,
            exponax_compat,
        )
        self.scale = jnp.asarray(convection_scale)
        d = derivative_operator(num_spatial_dims, domain_extent, num_points)
        lap = np.sum(d**2, axis=0).real
        lap[(0,) * num_spatial_dims] = 1.0
        self.inverse_laplacian = jnp.asarray(1.0 / lap)
        if injection_mode is None:
            self.forcing_hat = None
        else:
            n = injection_mode
            kf = 2 * np.pi * n / domain_extent
            y = np.arange(num_points) * domain_extent / num_points
            amplitude = n if exponax_compat else kf
            f = -injection_scale * amplitude * np.cos(kf * y)
            field = np.broadcast_to(f[None, :], (num_points, num_points))[None]
            self.forcing_hat = jnp.asarray(np.fft.rfftn(field, axes=(-2, -1)))

    def __call__(self, u_hat):
        psi_hat = u_hat * self.inverse_laplacian  # Laplace psi = omega
        dpsi = self.gradient(psi_hat)  # (2, 1, N, N)
        vel = jnp.stack([dpsi[1], -dpsi[0]])  # u = d_y psi, v = -d_x psi
        dw = self.gradient(u_hat)
        adv = jnp.einsum("dc...,dc...->c...", vel, dw)  # u w_x + v w_y
        out = -self.scale * self.to_fourier(adv)
        if self.forcing_hat is not None:
            out = out + self.forcing_hat
        return out


class GrayScottNonlinearFun(AbstractNonlinearFun):
    """`[F (1 - u) - u v^2, -(F + k) v + u v^2]` for the state `(u, v)`."""

    feed_rate: Array
    kill_rate: Array

    def __init__(
        self,
        num_spatial_dims: int,
        domain_extent: float,
        num_points: int,
        *,
        feed_rate: float,
        kill_rate: float,
        dealiasing_fraction: float = 1 / 2,
        exponax_compat: bool = False,
    ):
        self._setup(
            num_spatial_dims,
            domain_extent,
            num_points,
            dealiasing_fraction,
            exponax_compat,
        )
        self.feed_rate = jnp.asarray(feed_rate)
        self.kill_rate = jnp.asarray(kill_rate)

    def __call__(self, u_hat):
        if u_hat.shape[0] != 2:
            raise ValueError(
                f"Gray-Scott expects 2 channels (u, v), got {u_hat.shape[0]}"
            )
        uv = self.to_physical(u_hat)
        u, v = uv[0], uv[1]
        uvv = u * v * v
        f, k = self.feed_rate, self.kill_rate
        rhs = jnp.stack([f * (1 - u) - uvv, -(f + k) * v + uvv])
        return self.to_fourier(rhs)


def _zero_mean_mode(u_hat, num_spatial_dims):
    index = (slice(None),) + (0,) * num_spatial_dims
    return u_hat.at[index].set(0.0)


def _is_zero(x) -> bool:
    try:
        return float(x) == 0.0
    except Exception:
        return False


def _three(coefficients) -> tuple:
    c = tuple(coefficients)
    if len(c) > 3:
        raise ValueError(
            f"expected at most 3 nonlinear coefficients (quadratic, convection, "
            f"gradient norm), got {len(c)}: {c}"
        )
    return c + (0.0,) * (3 - len(c))

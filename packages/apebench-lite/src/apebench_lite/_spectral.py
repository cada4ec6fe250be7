"""Fourier-space helpers on periodic, uniform grids (real FFTs, channels first)."""

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Float


def spatial_axes(num_spatial_dims: int) -> tuple[int, ...]:
    """The trailing spatial axes of a `(C, *N)` (or batched) array."""
    return tuple(range(-num_spatial_dims, 0))


def spatial_shape(num_spatial_dims: int, num_points: int) -> tuple[int, ...]:
    return (num_points,) * num_spatial_dims


def spectral_shape(num_spatial_dims: int, num_points: int) -> tuple[int, ...]:
    """Shape of `rfftn` over the spatial axes: `(N,)*(D-1) + (N//2+1,)`."""
    return (num_points,) * (num_spatial_dims - 1) + (num_points // 2 + 1,)


def fft(u: Float[Array, " C *N"], num_spatial_dims: int) -> Complex[Array, " C *K"]:
    return jnp.fft.rfftn(u, axes=spatial_axes(num_spatial_dims))


def ifft(
    u_hat: Complex[Array, " C *K"], num_spatial_dims: int, num_points: int
) -> Float[Array, " C *N"]:
    return jnp.fft.irfftn(
        u_hat,
        s=spatial_shape(num_spatial_dims, num_points),
        axes=spatial_axes(num_spatial_dims),
    )


def integer_wavenumbers(num_spatial_dims: int, num_points: int) -> np.ndarray:
    """Integer wavenumbers, shape `(D, *spectral_shape)` (numpy, float64).

    The last axis holds `0..N//2` (Nyquist positive), the others `fftfreq` order
    (Nyquist negative), as in an `rfftn`.
    """
    full = np.fft.fftfreq(num_points, 1.0 / num_points)
    half = np.fft.rfftfreq(num_points, 1.0 / num_points)
    axes = [full] * (num_spatial_dims - 1) + [half]
    grids = np.meshgrid(*axes, indexing="ij")
    return np.stack(grids).astype(np.float64)


def derivative_operator(
    num_spatial_dims: int, domain_extent: float, num_points: int
) -> np.ndarray:
    """`i k` per axis, scaled by `2 pi / L`; shape `(D, *spectral_shape)`."""
    k = integer_wavenumbers(num_spatial_dims, num_points)
    return 1j * k * (2 * np.pi / domain_extent)


def dealiasing_mask(
    num_spatial_dims: int, num_points: int, fraction: float
) -> np.ndarray:
    """Hypercube low-pass mask keeping `|k_d| <= fraction * (N//2) - 1` on every axis.

    With the default `fraction = 2/3` this is the 2/3 rule (N=160 keeps modes 0..52).
    """
    k = np.abs(integer_wavenumbers(num_spatial_dims, num_points))
    cutoff = fraction * (num_points // 2) - 1
    return np.all(k <= cutoff, axis=0)


def low_pass_mask(num_spatial_dims: int, num_points: int, cutoff: float) -> np.ndarray:
    """Hypercube low-pass mask `|k_d| <= cutoff` on every axis."""
    k = np.abs(integer_wavenumbers(num_spatial_dims, num_points))
    return np.all(k <= cutoff, axis=0)


def _axis_scaling(num_spatial_dims: int, num_points: int, *, halve: str) -> np.ndarray:
    k = np.abs(integer_wavenumbers(num_spatial_dims, num_points))
    nyquist = num_points / 2
    edge = (k == 0) | ((num_points % 2 == 0) & (k == nyquist))
    per_axis = np.where(edge, float(num_points), num_points / 2)
    if halve == "all":
        return np.prod(per_axis, axis=0)
    # "last": only the last (rfft) axis is halved
    full = np.full(per_axis.shape[1:], float(num_points) ** (num_spatial_dims - 1))
    return full * per_axis[-1]


def coef_extraction_scaling(num_spatial_dims: int, num_points: int) -> np.ndarray:
    """Divide an `rfftn` by this to read off cosine/sine amplitudes (and invert)."""
    return _axis_scaling(num_spatial_dims, num_points, halve="all")


def reconstruction_scaling(num_spatial_dims: int, num_points: int) -> np.ndarray:
    """`N^D`, halved on interior modes of the last (rfft) axis (Parseval weights)."""
    return _axis_scaling(num_spatial_dims, num_points, halve="last")


def grid(num_spatial_dims: int, domain_extent: float, num_points: int) -> np.ndarray:
    """Grid coordinates `x_i = i L / N` (right end excluded), shape `(D, *N)`."""
    x = np.arange(num_points) * domain_extent / num_points
    return np.stack(np.meshgrid(*([x] * num_spatial_dims), indexing="ij"))

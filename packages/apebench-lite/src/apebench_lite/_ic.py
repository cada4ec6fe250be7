"""Random initial-condition distributions on periodic grids, and their config strings."""

import abc

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from rollax import is_concrete

from ._config import config_error, expect_fields, split, to_bool, to_float, to_int
from ._rng import KeyLike, as_key, normal, split_key, uniform
from ._spectral import (
    coef_extraction_scaling,
    grid,
    integer_wavenumbers,
    low_pass_mask,
    spectral_shape,
)


class AbstractICGenerator(eqx.Module):
    """A distribution of single-sample initial conditions `(C, *N)`."""

    num_spatial_dims: eqx.AbstractVar[int]

    @abc.abstractmethod
    def __call__(self, num_points: int, *, key: KeyLike) -> Float[Array, " C *N"]:
        """Draw one initial condition on a grid of `num_points` per axis."""


def _normalise(u, zero_mean: bool, max_one: bool):
    if zero_mean:
        u = u - jnp.mean(u)
    if max_one:
        u = u / jnp.max(jnp.abs(u))
    return u


def _irfft(coef, d, n):
    axes = tuple(range(-d, 0))
    return jnp.fft.irfftn(coef, s=(n,) * d, axes=axes)


@eqx.filter_jit
def _shaped(generator, num_points: int, *draws):
    """`generator._shape(num_points, *draws)`: the deterministic part of a draw,
    compiled once per generator and grid (an eager draw runs one program, not one
    compiled kernel per operation)."""
    return generator._shape(num_points, *draws)


class RandomTruncatedFourierSeries(AbstractICGenerator):
    """Sum of modes `|k_d| <= cutoff` with amplitudes U(-1, 1) and phases U(0, 2 pi).

    **Arguments:**

    - `num_spatial_dims`: 1, 2 or 3.
    - `cutoff`: highest wavenumber per axis (inclusive).
    - `zero_mean`: mean 0; otherwise the mean is drawn from `offset_range`.
    - `max_one`: divide by the maximum absolute value.
    """

    num_spatial_dims: int = eqx.field(static=True)
    cutoff: int = eqx.field(static=True, default=5)
    zero_mean: bool = eqx.field(static=True, default=True)
    max_one: bool = eqx.field(static=True, default=True)
    offset_range: tuple[float, float] = eqx.field(static=True, default=(-0.5, 0.5))

    def __call__(self, num_points, *, key):
        d = self.num_spatial_dims
        shape = (1, *spectral_shape(d, num_points))
        amp_key, phase_key, offset_key = split_key(key, 3)
        amp = uniform(amp_key, shape, -1.0, 1.0)
        phase = uniform(phase_key, shape, 0.0, 2 * np.pi)
        low, high = (0.0, 0.0) if self.zero_mean else self.offset_range
        offset = uniform(offset_key, (1,), low, high)
        return _shaped(self, num_points, amp, phase, offset)

    def _shape(self, num_points, amp, phase, offset):
        d = self.num_spatial_dims
        shape = amp.shape
        coef = amp * jnp.exp(1j * phase) * low_pass_mask(d, num_points, self.cutoff)
        is_mean = np.zeros(shape, bool)
        is_mean[(0,) * (d + 1)] = True
        coef = jnp.where(is_mean, offset[0], coef)
        coef = coef * coef_extraction_scaling(d, num_points)
        u = _irfft(coef, d, num_points)
        return _normalise(u, False, self.max_one)


class DiffusedNoise(AbstractICGenerator):
    """White noise smoothed by one exact diffusion step of strength `intensity`."""

    num_spatial_dims: int = eqx.field(static=True)
    intensity: float = eqx.field(static=True, default=0.001)
    zero_mean: bool = eqx.field(static=True, default=True)
    max_one: bool = eqx.field(static=True, default=True)

    def __call__(self, num_points, *, key):
        d = self.num_spatial_dims
        return _shaped(self, num_points, normal(key, (1,) + (num_points,) * d))

    def _shape(self, num_points, noise):
        d = self.num_spatial_dims
        k = integer_wavenumbers(d, num_points) * 2 * np.pi
        damp = np.exp(-self.intensity * np.sum(k**2, axis=0))
        axes = tuple(range(-d, 0))
        u = _irfft(jnp.fft.rfftn(noise, axes=axes) * damp, d, num_points)
        return _normalise(u, self.zero_mean, self.max_one)


class GaussianRandomField(AbstractICGenerator):
    """Gaussian random field whose power spectrum decays as `|k|^(-powerlaw_exponent)`."""

    num_spatial_dims: int = eqx.field(static=True)
    powerlaw_exponent: float = eqx.field(static=True, default=3.0)
    zero_mean: bool = eqx.field(static=True, default=True)
    max_one: bool = eqx.field(static=True, default=True)

    def __call__(self, num_points, *, key):
        d = self.num_spatial_dims
        shape = (1, *spectral_shape(d, num_points))
        k_re, k_im = split_key(key, 2)
        return _shaped(self, num_points, normal(k_re, shape), normal(k_im, shape))

    def _shape(self, num_points, noise_re, noise_im):
        d = self.num_spatial_dims
        noise = noise_re + 1j * noise_im
        k = np.sqrt(np.sum((integer_wavenumbers(d, num_points) * 2 * np.pi) ** 2, 0))
        k[(0,) * d] = 1.0
        amp = k ** (-self.powerlaw_exponent / 2)
        amp[(0,) * d] = 1.0
        coef = noise * (amp * coef_extraction_scaling(d, num_points))
        u = _irfft(coef, d, num_points)
        return _normalise(u, self.zero_mean, self.max_one)


class ClampingICGenerator(AbstractICGenerator):
    """Affinely rescale another generator's output so that min -> low, max -> high."""

    ic_gen: AbstractICGenerator
    limits: tuple[float, float] = eqx.field(static=True, default=(0.0, 1.0))

    @property
    def num_spatial_dims(self) -> int:
        return self.ic_gen.num_spatial_dims

    def __call__(self, num_points, *, key):
        return _clamp(self.ic_gen(num_points, key=key), self.limits)


@eqx.filter_jit
def _clamp(u, limits):
    low, high = limits
    lo, hi = u.min(), u.max()
    return low + (u - lo) / (hi - lo) * (high - low)


class RandomMultiChannelICGenerator(AbstractICGenerator):
    """One generator per channel; the key is split into one sub-key per channel."""

    generators: tuple[AbstractICGenerator, ...]

    @property
    def num_spatial_dims(self) -> int:
        return self.generators[0].num_spatial_dims

    def __call__(self, num_points: int, *, key: KeyLike) -> Float[Array, " C *N"]:
        keys = split_key(key, len(self.generators))
        parts = [
            g(num_points, key=k) for g, k in zip(self.generators, keys, strict=True)
        ]
        return jnp.concatenate(parts)


class RandomGaussianBlobs(AbstractICGenerator):
    """Average of `num_blobs` isotropic Gaussian blobs at random positions.

    With `one_complement=True` the result is `1 - blobs` (the Gray-Scott `u`).
    """

    num_spatial_dims: int = eqx.field(static=True)
    domain_extent: float = eqx.field(static=True, default=1.0)
    num_blobs: int = eqx.field(static=True, default=1)
    position_range: tuple[float, float] = eqx.field(static=True, default=(0.4, 0.6))
    variance_range: tuple[float, float] = eqx.field(static=True, default=(0.005, 0.01))
    one_complement: bool = eqx.field(static=True, default=False)

    def __call__(self, num_points, *, key):
        d, length = self.num_spatial_dims, self.domain_extent
        pos_key, var_key = split_key(key)
        lo, hi = self.position_range
        pos = length * uniform(pos_key, (self.num_blobs, d), lo, hi)
        vlo, vhi = self.variance_range
        var = length**2 * uniform(var_key, (self.num_blobs,), vlo, vhi)
        return _shaped(self, num_points, pos, var)

    def _shape(self, num_points, pos, var):
        d, length = self.num_spatial_dims, self.domain_extent
        x = grid(d, length, num_points)
        diff = x[None] - pos.reshape((self.num_blobs, d) + (1,) * d)
        r2 = jnp.einsum("bd...,bd...->b...", diff, diff)
        blobs = jnp.exp(-0.5 * r2 / var.reshape((-1,) + (1,) * d))
        u = jnp.mean(blobs, axis=0)[None]
        return 1.0 - u if self.one_complement else u


def build_ic_set(
    ic_generator: AbstractICGenerator,
    *,
    num_points: int,
    num_samples: int,
    key: KeyLike,
) -> Float[Array, " S C *N"]:
    """Draw `num_samples` initial conditions, splitting the key once per sample.

    The samples are drawn one after the other (`key, sub = split_key(key)`, then
    `ic_generator(num_points, key=sub)`): eagerly for a concrete key (the random
    kernels are compiled once per process, not per shape), as a `lax.scan` under
    `jit`. Both give the same initial conditions.

    **Arguments:**

    - `ic_generator`: the distribution (see `parse_ic_config`).
    - `num_points`: grid points per axis.
    - `num_samples`: how many initial conditions.
    - `key`: a JAX PRNG key (or a raw `uint32[2]` key).

    **Returns:**

    An array `(num_samples, C, *N)`.
    """
    key = as_key(key)
    if is_concrete(key):
        ics = []
        for _ in range(num_samples):
            key, sub = split_key(key)
            ics.append(ic_generator(num_points, key=sub))
        return jnp.stack(ics)

    def body(k, _):
        k, sub = split_key(k)
        return k, ic_generator(num_points, key=sub)

    _, ics = jax.lax.scan(body, key, None, length=num_samples)
    return ics


def parse_ic_config(ic_config: str, num_spatial_dims: int) -> AbstractICGenerator:
    """Build a single-channel generator from an APEBench `ic_config` string."""
    parts = split(ic_config, "ic_config")
    kind = parts[0].lower()
    if kind == "clamp":
        if len(parts) < 4:
            raise config_error(
                "ic_config", ic_config, "'clamp' needs LOW;HIGH;<inner ic_config>"
            )
        low = to_float(parts[1], "ic_config", ic_config, "LOW")
        high = to_float(parts[2], "ic_config", ic_config, "HIGH")
        inner = parse_ic_config(";".join(parts[3:]), num_spatial_dims)
        return ClampingICGenerator(inner, limits=(low, high))  # pyright: ignore[reportCallIssue]
    if kind not in ("fourier", "diffused", "grf"):
        raise config_error("ic_config", ic_config, f"unknown IC type {parts[0]!r}")
    expect_fields(parts, (4,), "ic_config", ic_config, f"'{kind}'")
    zero_mean = to_bool(parts[2], "ic_config", ic_config, "ZERO_MEAN")
    max_one = to_bool(parts[3], "ic_config", ic_config, "MAX_ONE")
    if kind == "fourier":
        cutoff = to_int(parts[1], "ic_config", ic_config, "CUTOFF")
        return RandomTruncatedFourierSeries(
            num_spatial_dims, cutoff=cutoff, zero_mean=zero_mean, max_one=max_one
        )
    value = to_float(parts[1], "ic_config", ic_config, parts[0].upper() + " value")
    if kind == "diffused":
        return DiffusedNoise(
            num_spatial_dims, intensity=value, zero_mean=zero_mean, max_one=max_one
        )
    return GaussianRandomField(
        num_spatial_dims, powerlaw_exponent=value, zero_mean=zero_mean, max_one=max_one
    )

"""Building blocks of the emulator networks: periodic convolutions, norms, spectral conv."""

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._rng import KeyLike, as_float, normal, split_key, uniform


def _uniform(key, shape, fan_in):
    lim = 1.0 / math.sqrt(fan_in)
    return as_float(uniform(key, shape, -lim, lim))


def _circular_pad(x, num_spatial_dims, left, right):
    pads = [(0, 0)] * (x.ndim - num_spatial_dims) + [(left, right)] * num_spatial_dims
    return jnp.pad(x, pads, mode="wrap")


class PeriodicConv(eqx.Module):
    """Convolution with periodic ("circular") padding on a `(C, *N)` input.

    Weights and biases are initialised uniformly in `+-1/sqrt(fan_in)`.
    """

    weight: Float[Array, " O I *K"]
    bias: Float[Array, " O *ones"] | None
    num_spatial_dims: int = eqx.field(static=True)
    kernel_size: int = eqx.field(static=True)
    stride: int = eqx.field(static=True)
    dilation: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims: int,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        *,
        stride: int = 1,
        dilation: int = 1,
        use_bias: bool = True,
        key: KeyLike,
    ):
        wkey, bkey = split_key(key)
        fan_in = in_channels * kernel_size**num_spatial_dims
        self.weight = _uniform(
            wkey,
            (out_channels, in_channels) + (kernel_size,) * num_spatial_dims,
            fan_in,
        )
        self.bias = (
            _uniform(bkey, (out_channels,) + (1,) * num_spatial_dims, fan_in)
            if use_bias
            else None
        )
        self.num_spatial_dims = num_spatial_dims
        self.kernel_size = kernel_size
        self.stride = stride
        self.dilation = dilation

    @property
    def reach(self) -> int:
        """How far the output at one point sees, per side, in input cells."""
        return (self.kernel_size - 1) // 2 * self.dilation + (
            (self.kernel_size - 1) % 2
        ) * self.dilation

    def __call__(self, x):
        total = (self.kernel_size - 1) * self.dilation
        left = total // 2 + total % 2
        x = _circular_pad(x, self.num_spatial_dims, left, total - left)
        y = jax.lax.conv_general_dilated(
            x[None],
            self.weight,
            window_strides=(self.stride,) * self.num_spatial_dims,
            padding="VALID",
            rhs_dilation=(self.dilation,) * self.num_spatial_dims,
        )[0]
        return y if self.bias is None else y + self.bias


class PeriodicConvTranspose(eqx.Module):
    """Stride-2 transposed convolution on a periodic grid: zero-stuffing, then conv."""

    conv: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)

    def __init__(self, num_spatial_dims, in_channels, out_channels, *, key):
        self.conv = PeriodicConv(
            num_spatial_dims, in_channels, out_channels, 3, key=key
        )
        self.num_spatial_dims = num_spatial_dims

    def __call__(self, x):
        c, *n = x.shape
        up = jnp.zeros((c, *tuple(2 * m for m in n)), x.dtype)
        up = up.at[(slice(None),) + (slice(None, None, 2),) * len(n)].set(x)
        return self.conv(up)


class GroupNorm(eqx.Module):
    """Group normalisation with one group (over channels and space), affine."""

    weight: Float[Array, " C"]
    bias: Float[Array, " C"]
    eps: float = eqx.field(static=True, default=1e-5)

    def __init__(self, channels: int, eps: float = 1e-5):
        self.weight = jnp.ones((channels,))
        self.bias = jnp.zeros((channels,))
        self.eps = eps

    def __call__(self, x):
        mean = jnp.mean(x)
        centred = (x - mean).reshape(-1)
        var = jnp.dot(centred, centred) / centred.size  # a dot (jax-ml/jax#39103)
        y = (x - mean) / jnp.sqrt(var + self.eps)
        shape = (-1,) + (1,) * (x.ndim - 1)
        return y * self.weight.reshape(shape) + self.bias.reshape(shape)


class SpectralConv(eqx.Module):
    """Fourier-space linear map of the lowest `modes` per axis (FNO layer, no bias)."""

    weights_real: Float[Array, " B I O *M"]
    weights_imag: Float[Array, " B I O *M"]
    num_spatial_dims: int = eqx.field(static=True)
    modes: int = eqx.field(static=True)

    def __init__(self, num_spatial_dims, in_channels, out_channels, modes, *, key):
        blocks = 2 ** (num_spatial_dims - 1)
        shape = (blocks, in_channels, out_channels) + (modes,) * num_spatial_dims
        scale = 1.0 / (in_channels * out_channels)
        rkey, ikey = split_key(key)
        self.weights_real = scale * as_float(normal(rkey, shape))
        self.weights_imag = scale * as_float(normal(ikey, shape))
        self.num_spatial_dims = num_spatial_dims
        self.modes = modes

    def _corners(self):
        d, m = self.num_spatial_dims, self.modes
        corners = []
        for b in range(2 ** (d - 1)):
            idx = []
            for axis in range(d - 1):
                idx.append(slice(-m, None) if (b >> axis) & 1 else slice(0, m))
            idx.append(slice(0, m))
            corners.append(tuple(idx))
        return corners

    def __call__(self, x):
        d = self.num_spatial_dims
        n = x.shape[1:]
        axes = tuple(range(1, d + 1))
        x_hat = jnp.fft.rfftn(x, axes=axes)
        out = jnp.zeros((self.weights_real.shape[2], *x_hat.shape[1:]), x_hat.dtype)
        w = self.weights_real + 1j * self.weights_imag
        for b, corner in enumerate(self._corners()):
            sel = (slice(None), *corner)
            out = out.at[sel].set(jnp.einsum("i...,io...->o...", x_hat[sel], w[b]))
        return jnp.fft.irfftn(out, s=n, axes=axes)


class Linear(eqx.Module):
    weight: Float[Array, " O I"]
    bias: Float[Array, " O"]

    def __init__(self, in_features, out_features, *, key):
        wkey, bkey = split_key(key)
        self.weight = _uniform(wkey, (out_features, in_features), in_features)
        self.bias = _uniform(bkey, (out_features,), in_features)

    def __call__(self, x):
        return self.weight @ x + self.bias


ACTIVATIONS: dict[str, Callable] = {
    "relu": jax.nn.relu,
    "sigmoid": jax.nn.sigmoid,
    "tanh": jnp.tanh,
    "swish": jax.nn.swish,
    "silu": jax.nn.silu,
    "gelu": jax.nn.gelu,
    "identity": lambda x: x,
}

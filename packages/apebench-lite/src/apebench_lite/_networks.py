"""Emulator architectures with periodic padding, single sample `(C, *N) -> (C, *N)`.

Parameter counts equal those of the pdequinox 0.1.2 networks APEBench uses (e.g.
`Conv;34;10;relu` has 31,757 parameters in 1-D with one channel).
"""

import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp

from ._layers import (
    ACTIVATIONS,
    GroupNorm,
    Linear,
    PeriodicConv,
    PeriodicConvTranspose,
    SpectralConv,
)
from ._rng import split_key


class AbstractNetwork(eqx.Module):
    """A network mapping one state `(C, *N)` to the next."""

    num_spatial_dims: eqx.AbstractVar[int]
    activation: eqx.AbstractVar[str]

    def act(self, x):
        return ACTIVATIONS[self.activation](x)

    def _reach(self) -> float:
        raise NotImplementedError

    @property
    def receptive_field(self) -> tuple[tuple[float, float], ...]:
        """Cells seen to the left and right, per spatial axis."""
        r = self._reach()
        return ((r, r),) * self.num_spatial_dims

    def _check(self, x, in_channels: int, num_points: int | None = None):
        if x.ndim != self.num_spatial_dims + 1 or x.shape[0] != in_channels:
            raise ValueError(
                f"{type(self).__name__}: expected one sample of shape (C, *N) with "
                f"C={in_channels} and {self.num_spatial_dims} spatial axes, got "
                f"{tuple(x.shape)}; batch with jax.vmap"
            )
        if num_points is not None and any(n != num_points for n in x.shape[1:]):
            raise ValueError(
                f"{type(self).__name__}: expected {num_points} points per axis, got "
                f"{tuple(x.shape)}"
            )


def _conv(d, i, o, k, key, **kw):
    return PeriodicConv(d, i, o, k, key=key, **kw)


class ConvNet(AbstractNetwork):
    """`depth + 1` periodic 3-wide convolutions, activation after all but the last."""

    layers: tuple[PeriodicConv, ...]
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        hidden_channels,
        depth,
        activation,
        key,
    ):
        keys = split_key(key, depth + 1)
        sizes = [in_channels] + [hidden_channels] * depth + [out_channels]
        self.layers = tuple(
            _conv(num_spatial_dims, a, b, 3, k)
            for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        )
        self.num_spatial_dims = num_spatial_dims
        self.activation = activation
        self.in_channels = in_channels

    def _reach(self):
        return float(len(self.layers))

    def __call__(self, x):
        self._check(x, self.in_channels)
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)


class ResNet(AbstractNetwork):
    """Classic post-activation ResNet without normalisation, 1x1 lifting/projection."""

    lifting: PeriodicConv
    blocks: tuple[tuple[PeriodicConv, PeriodicConv], ...]
    projection: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        hidden_channels,
        num_blocks,
        activation,
        key,
    ):
        d, h = num_spatial_dims, hidden_channels
        keys = split_key(key, 2 * num_blocks + 2)
        self.lifting = _conv(d, in_channels, h, 1, keys[0])
        self.blocks = tuple(
            (_conv(d, h, h, 3, keys[2 * i + 1]), _conv(d, h, h, 3, keys[2 * i + 2]))
            for i in range(num_blocks)
        )
        self.projection = _conv(d, h, out_channels, 1, keys[-1])
        self.num_spatial_dims = d
        self.activation = activation
        self.in_channels = in_channels

    def _reach(self):
        return 2.0 * len(self.blocks)

    def __call__(self, x):
        self._check(x, self.in_channels)
        x = self.lifting(x)
        for c1, c2 in self.blocks:
            x = self.act(c2(self.act(c1(x))) + x)
        return self.projection(x)


class ModernResBlock(eqx.Module):
    """Pre-activation residual block: `conv(act(norm(x)))` twice, plus a bypass."""

    norm_1: GroupNorm
    conv_1: PeriodicConv
    norm_2: GroupNorm
    conv_2: PeriodicConv
    bypass_norm: GroupNorm | None
    bypass_conv: PeriodicConv | None
    activation: str = eqx.field(static=True)

    def __init__(self, d, in_channels, out_channels, *, activation, key):
        k1, k2, k3 = split_key(key, 3)
        self.norm_1 = GroupNorm(in_channels)
        self.conv_1 = _conv(d, in_channels, out_channels, 3, k1)
        self.norm_2 = GroupNorm(out_channels)
        self.conv_2 = _conv(d, out_channels, out_channels, 3, k2)
        if in_channels != out_channels:
            self.bypass_norm = GroupNorm(in_channels)
            self.bypass_conv = _conv(
                d, in_channels, out_channels, 1, k3, use_bias=False
            )
        else:
            self.bypass_norm = None
            self.bypass_conv = None
        self.activation = activation

    def __call__(self, x):
        act = ACTIVATIONS[self.activation]
        y = self.conv_1(act(self.norm_1(x)))
        y = self.conv_2(act(self.norm_2(y)))
        if self.bypass_conv is not None:
            assert self.bypass_norm is not None
            x = self.bypass_conv(self.bypass_norm(x))
        return y + x


class ModernResNet(AbstractNetwork):
    """Pre-activation ResNet with group normalisation, 1x1 lifting/projection."""

    lifting: PeriodicConv
    blocks: tuple[ModernResBlock, ...]
    projection: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        hidden_channels,
        num_blocks,
        activation,
        key,
    ):
        d, h = num_spatial_dims, hidden_channels
        keys = split_key(key, num_blocks + 2)
        self.lifting = _conv(d, in_channels, h, 1, keys[0])
        self.blocks = tuple(
            ModernResBlock(d, h, h, activation=activation, key=keys[i + 1])
            for i in range(num_blocks)
        )
        self.projection = _conv(d, h, out_channels, 1, keys[-1])
        self.num_spatial_dims = d
        self.activation = activation
        self.in_channels = in_channels

    def _reach(self):
        return 2.0 * len(self.blocks)

    def __call__(self, x):
        self._check(x, self.in_channels)
        x = self.lifting(x)
        for block in self.blocks:
            x = block(x)
        return self.projection(x)


class DoubleConv(eqx.Module):
    """`act(norm(conv(x)))` twice (classic UNet block, one-group norm)."""

    conv_1: PeriodicConv
    norm_1: GroupNorm
    conv_2: PeriodicConv
    norm_2: GroupNorm
    activation: str = eqx.field(static=True)

    def __init__(self, d, in_channels, out_channels, *, activation, key):
        k1, k2 = split_key(key)
        self.conv_1 = _conv(d, in_channels, out_channels, 3, k1)
        self.norm_1 = GroupNorm(out_channels)
        self.conv_2 = _conv(d, out_channels, out_channels, 3, k2)
        self.norm_2 = GroupNorm(out_channels)
        self.activation = activation

    def __call__(self, x):
        act = ACTIVATIONS[self.activation]
        x = act(self.norm_1(self.conv_1(x)))
        return act(self.norm_2(self.conv_2(x)))


class _ModernStack(eqx.Module):
    blocks: tuple[ModernResBlock, ...]

    def __init__(self, d, in_channels, out_channels, num_blocks, *, activation, key):
        keys = split_key(key, num_blocks)
        sizes = [in_channels] + [out_channels] * num_blocks
        self.blocks = tuple(
            ModernResBlock(d, a, b, activation=activation, key=k)
            for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        )

    def __call__(self, x):
        for b in self.blocks:
            x = b(x)
        return x


class UNet(AbstractNetwork):
    """Hierarchical UNet: stride-2 conv down, transposed conv up, skip concatenation.

    `modern=False` uses classic double-conv blocks (`UNet`), `modern=True` two
    pre-activation residual blocks per level (`MoUNet`).
    """

    lifting: eqx.Module
    down: tuple[PeriodicConv, ...]
    left: tuple[eqx.Module, ...]
    up: tuple[PeriodicConvTranspose, ...]
    right: tuple[eqx.Module, ...]
    projection: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)
    num_levels: int = eqx.field(static=True)
    convs_per_block: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        hidden_channels,
        num_levels,
        activation,
        modern=False,
        key,
    ):
        d, h = num_spatial_dims, hidden_channels
        key, lkey, pkey = split_key(key, 3)
        nb = 2

        def block(i, o, k):
            if modern:
                return _ModernStack(d, i, o, nb, activation=activation, key=k)
            return DoubleConv(d, i, o, activation=activation, key=k)

        if modern:
            self.lifting = ModernResBlock(
                d, in_channels, h, activation=activation, key=lkey
            )
        else:
            self.lifting = DoubleConv(
                d, in_channels, h, activation=activation, key=lkey
            )
        self.projection = _conv(d, h, out_channels, 1, pkey)
        chans = [h] + [h * 2**i for i in range(1, num_levels + 1)]
        down, left, up, right = [], [], [], []
        for fan_in, fan_out in itertools.pairwise(chans):
            key, k1, k2, k3, k4 = split_key(key, 5)
            down.append(_conv(d, fan_in, fan_in, 3, k1, stride=2))
            left.append(block(fan_in, fan_out, k2))
            up.append(PeriodicConvTranspose(d, fan_out, fan_out // 2, key=k3))
            right.append(block(fan_out // 2 + fan_in, fan_in, k4))
        self.down, self.left, self.up, self.right = (
            tuple(down),
            tuple(left),
            tuple(up),
            tuple(right),
        )
        self.num_spatial_dims = d
        self.activation = activation
        self.in_channels = in_channels
        self.num_levels = num_levels
        self.convs_per_block = 2 * nb if modern else 2

    def _reach(self):
        c = self.convs_per_block
        r = 2.0
        for level in range(1, self.num_levels + 1):
            r += 2 ** (level - 1) + c * 2**level + 2**level + c * 2 ** (level - 1)
        return r

    def __call__(self, x):
        self._check(x, self.in_channels)
        factor = 2**self.num_levels
        if any(n % factor for n in x.shape[1:]):
            raise ValueError(
                f"UNet with {self.num_levels} levels needs num_points divisible by "
                f"{factor}, got spatial shape {tuple(x.shape[1:])}"
            )
        x = self.lifting(x)  # type: ignore[operator]
        skips = []
        for down, left in zip(self.down, self.left, strict=True):
            skips.append(x)
            x = left(down(x))  # type: ignore[operator]
        for up, right in zip(reversed(self.up), reversed(self.right), strict=True):
            x = jnp.concatenate([skips.pop(), up(x)], axis=0)
            x = right(x)  # type: ignore[operator]
        return self.projection(x)


class DilatedResNet(AbstractNetwork):
    """Residual blocks of dilated convolutions (rates `1, 2, .., 2^f, .., 2, 1`)."""

    lifting: PeriodicConv
    blocks: tuple[tuple[tuple[GroupNorm, PeriodicConv], ...], ...]
    projection: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)
    dilations: tuple[int, ...] = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        dilation_factor,
        hidden_channels,
        num_blocks,
        activation,
        key,
    ):
        d, h = num_spatial_dims, hidden_channels
        rates = [2**i for i in range(dilation_factor + 1)]
        self.dilations = tuple(rates + rates[-2::-1])
        keys = split_key(key, num_blocks + 2)
        self.lifting = _conv(d, in_channels, h, 1, keys[0])
        blocks = []
        for b in range(num_blocks):
            bkeys = split_key(keys[b + 1], len(self.dilations))
            blocks.append(
                tuple(
                    (GroupNorm(h), _conv(d, h, h, 3, k, dilation=r))
                    for r, k in zip(self.dilations, bkeys, strict=True)
                )
            )
        self.blocks = tuple(blocks)
        self.projection = _conv(d, h, out_channels, 1, keys[-1])
        self.num_spatial_dims = d
        self.activation = activation
        self.in_channels = in_channels

    def _reach(self):
        return float(len(self.blocks) * sum(self.dilations))

    def __call__(self, x):
        self._check(x, self.in_channels)
        x = self.lifting(x)
        for block in self.blocks:
            y = x
            for norm, conv in block:
                y = self.act(conv(norm(y)))
            x = x + y
        return self.projection(x)


class FNO(AbstractNetwork):
    """Fourier neural operator: `act(spectral(x) + bypass(x))` blocks, 1x1 lift/proj."""

    lifting: PeriodicConv
    spectral: tuple[SpectralConv, ...]
    bypass: tuple[PeriodicConv, ...]
    projection: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        modes,
        hidden_channels,
        num_blocks,
        activation,
        key,
    ):
        d, h = num_spatial_dims, hidden_channels
        keys = split_key(key, 2 * num_blocks + 2)
        self.lifting = _conv(d, in_channels, h, 1, keys[0])
        self.spectral = tuple(
            SpectralConv(d, h, h, modes, key=keys[2 * i + 1]) for i in range(num_blocks)
        )
        self.bypass = tuple(
            _conv(d, h, h, 1, keys[2 * i + 2]) for i in range(num_blocks)
        )
        self.projection = _conv(d, h, out_channels, 1, keys[-1])
        self.num_spatial_dims = d
        self.activation = activation
        self.in_channels = in_channels

    def _reach(self):
        return math.inf

    def __call__(self, x):
        self._check(x, self.in_channels)
        x = self.lifting(x)
        for s, b in zip(self.spectral, self.bypass, strict=True):
            x = self.act(s(x) + b(x))
        return self.projection(x)


class MLP(AbstractNetwork):
    """Dense network on the flattened state (tied to one resolution)."""

    layers: tuple[Linear, ...]
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)
    num_points: int = eqx.field(static=True)

    def __init__(
        self,
        num_spatial_dims,
        in_channels,
        out_channels,
        *,
        num_points,
        width,
        depth,
        activation,
        key,
    ):
        n = num_points**num_spatial_dims
        sizes = [in_channels * n] + [width] * depth + [out_channels * n]
        keys = split_key(key, len(sizes) - 1)
        self.layers = tuple(
            Linear(a, b, key=k)
            for a, b, k in zip(sizes[:-1], sizes[1:], keys, strict=True)
        )
        self.num_spatial_dims = num_spatial_dims
        self.activation = activation
        self.in_channels = in_channels
        self.num_points = num_points

    def _reach(self):
        return float(self.num_points)

    def __call__(self, x):
        self._check(x, self.in_channels, self.num_points)
        shape = x.shape
        y = x.reshape(-1)
        for layer in self.layers[:-1]:
            y = self.act(layer(y))
        y = self.layers[-1](y)
        return y.reshape((-1, *shape[1:]))


class PureConv(AbstractNetwork):
    """One linear periodic convolution without bias (learns a stencil)."""

    conv: PeriodicConv
    num_spatial_dims: int = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    in_channels: int = eqx.field(static=True)

    def __init__(
        self, num_spatial_dims, in_channels, out_channels, *, kernel_size, key
    ):
        self.conv = _conv(
            num_spatial_dims,
            in_channels,
            out_channels,
            kernel_size,
            key,
            use_bias=False,
        )
        self.num_spatial_dims = num_spatial_dims
        self.activation = "identity"
        self.in_channels = in_channels

    def _reach(self):
        return float((self.conv.kernel_size - 1) // 2)

    def __call__(self, x):
        self._check(x, self.in_channels)
        return self.conv(x)


def parameter_count(model) -> int:
    """Number of scalar parameters in the floating-point array leaves of `model`."""
    leaves = jax.tree.leaves(eqx.filter(model, eqx.is_inexact_array))
    return int(sum(x.size for x in leaves))

"""Kernel construction and the kernel graph (which channel feeds which)."""

import copy
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from . import _kernel_functions as kfs
from ._errors import check_positive
from ._registry import make_registry

KernelBuilder = Callable[..., Array]

kernels: dict[str, KernelBuilder]
kernels, register, get = make_registry(
    "kernel (k_slug)", "kernels", "fn(R, k_params, kf_slug, kf_params) -> [1, *dims]"
)


def _ring_params(k_params: Any, where: str) -> tuple[float, list[float]]:
    if not isinstance(k_params, (list, tuple)) or len(k_params) < 2:
        raise ValueError(
            f"{where}: expected k_params = [r, [b_1, ..., b_B]], got {k_params!r}"
        )
    r = float(k_params[0])
    bs = k_params[1]
    if isinstance(bs, str):
        from ._utils import st2fracs2float

        bs = st2fracs2float(bs)
    bs = [float(b) for b in np.atleast_1d(np.asarray(bs, dtype=np.float64))]
    check_positive(r, f"{where}: k_params[0] (the relative radius r)")
    if not bs:
        raise ValueError(f"{where}: expected at least one ring weight in k_params[1]")
    return r, bs


def _shell(
    d: np.ndarray, bs: Sequence[float], kf_slug: str, kf_params: Any
) -> np.ndarray:
    """Rings of a kernel: `(d < 1) kf(kf_params, B d mod 1) b[floor(B d)]`."""
    kf = kfs.get(kf_slug)
    B = len(bs)
    Bd = B * d
    beta = np.asarray(bs, dtype=np.float64)[
        np.minimum(np.floor(Bd), B - 1).astype(np.int64)
    ]
    core = np.asarray(kf(np.asarray(kf_params, dtype=np.float64), np.mod(Bd, 1.0)))
    return np.where(d < 1, core * beta, 0.0)


def _normalise(K: np.ndarray, norm: Any, where: str) -> np.ndarray:
    total = float(norm)
    if not np.isfinite(total) or total == 0:
        raise ValueError(
            f"{where}: the kernel is zero everywhere (its sum is {total}); expected "
            "some positive weight: check r, the ring weights b and kf_params"
        )
    return K / total


def _offsets(rad: int, scale: float, nb_dims: int) -> list[np.ndarray]:
    idx = (np.arange(2 * rad, dtype=np.float64) - rad) / scale
    return list(np.meshgrid(*([idx] * nb_dims), indexing="ij"))


def _check_R(R: Any, where: str) -> float:
    check_positive(R, f"{where}: R (world_params.R, the kernel radius in pixels)")
    return float(R)


@register("circle_2d")
def circle_2d(
    R: float, k_params: Any, kf_slug: str, kf_params: Any
) -> Float[Array, "1 h w"]:
    """Radially symmetric 2-D kernel of concentric rings, normalised to sum 1.

    The grid is `2 ceil(r R)` pixels wide with the centre at index `ceil(r R)`, so
    the first row and column are zero (Leniax's exact pixel grid).

    **Arguments:**

    - `R`: the kernel radius in pixels (`world_params.R`).
    - `k_params`: `[r, b]`: relative radius and ring weights.
    - `kf_slug`: the kernel core function (e.g. `"poly_quad"`).
    - `kf_params`: its parameters (e.g. `[4]`).

    **Returns:**

    The kernel, shape `[1, 2 ceil(r R), 2 ceil(r R)]`.
    """
    where = "circle_2d"
    R = _check_R(R, where)
    r, bs = _ring_params(k_params, where)
    rad = math.ceil(r * R)
    y, x = _offsets(rad, r * R, 2)
    d = np.sqrt(x**2 + y**2)
    K = _shell(d, bs, kf_slug, kf_params)
    return jnp.asarray(_normalise(K, K.sum(), where)[None], jnp.float32)


@register("sphere_3d")
def sphere_3d(
    R: float, k_params: Any, kf_slug: str, kf_params: Any
) -> Float[Array, "1 d h w"]:
    """The 3-D analogue of `circle_2d`: concentric spherical shells, sum 1.

    **Arguments:**

    - `R`: the kernel radius in pixels.
    - `k_params`: `[r, b]`.
    - `kf_slug`, `kf_params`: the kernel core function and its parameters.

    **Returns:**

    The kernel, shape `[1, 2 ceil(r R), 2 ceil(r R), 2 ceil(r R)]`.
    """
    where = "sphere_3d"
    R = _check_R(R, where)
    r, bs = _ring_params(k_params, where)
    rad = math.ceil(r * R)
    z, y, x = _offsets(rad, r * R, 3)
    d = np.sqrt(x**2 + y**2 + z**2)
    K = _shell(d, bs, kf_slug, kf_params)
    return jnp.asarray(_normalise(K, K.sum(), where)[None], jnp.float32)


def _ellipse(R: Any, k_params: Any, kf_slug: str, kf_params: Any, where: str):
    R = _check_R(R, where)
    r, bs = _ring_params(k_params, where)
    if len(k_params) != 5:
        raise ValueError(
            f"{where}: expected k_params = [r, b, a, b_axis, theta], got {k_params!r}"
        )
    a, b, theta = (float(v) for v in k_params[2:])
    check_positive(a, f"{where}: k_params[2] (semi-axis a)")
    check_positive(b, f"{where}: k_params[3] (semi-axis b)")
    # Leniax's grid: the circle's `2 ceil(r R)` square, whatever a and b (an
    # ellipse with a semi-axis above 1 is clipped by it).
    rad = math.ceil(r * R)
    u, v = _offsets(rad, r * R, 2)  # u along axis 0 (rows), v along axis 1
    c, s = math.cos(theta * math.pi), math.sin(theta * math.pi)
    u_rot = u * c + v * s
    v_rot = -u * s + v * c
    d = np.sqrt((u_rot / a) ** 2 + (v_rot / b) ** 2)
    return _shell(d, bs, kf_slug, kf_params), u_rot


@register("ellipse_2d")
def ellipse_2d(
    R: float, k_params: Any, kf_slug: str, kf_params: Any
) -> Float[Array, "1 h w"]:
    """Antisymmetric elliptic kernel: rings on an ellipse, times `sign(x')`.

    Leniax's convention, to float32 precision: the grid is the circle's, `2 rad`
    pixels square with `rad = ceil(r R)` and the centre at index `rad`, whatever
    the semi-axes (an ellipse with a semi-axis above 1 is clipped by it). Pixel
    `(i, j)` has coordinates `u = (i - rad) / (r R)` along axis 0 (rows) and
    `v = (j - rad) / (r R)` along axis 1 (columns); they are rotated by
    `phi = theta * pi`: `x' = u cos(phi) + v sin(phi)`, `y' = -u sin(phi) +
    v cos(phi)`, so at `theta = 0` the semi-axis `a` lies along axis 0 and
    `theta = 0.5` turns it onto axis 1. The distance `d = sqrt((x'/a)^2 +
    (y'/b)^2)` goes through the rings as in `circle_2d`; the result is normalised
    to sum 1 and then multiplied by `sign(x')`, except where `|x'| <= 0.01`, where
    it is multiplied by `x'` itself.

    **Arguments:**

    - `R`: the kernel radius in pixels.
    - `k_params`: `[r, b, a, b_axis, theta]`: relative radius, ring weights, the
        semi-axes along `x'` and `y'` (relative to `r R`), the angle in units of pi.
    - `kf_slug`, `kf_params`: the kernel core function and its parameters.

    **Returns:**

    The kernel, shape `[1, 2 ceil(r R), 2 ceil(r R)]`.
    """
    K, xr = _ellipse(R, k_params, kf_slug, kf_params, "ellipse_2d")
    K = _normalise(K, K.sum(), "ellipse_2d")
    factor = np.where(np.abs(xr) > 0.01, np.sign(xr), xr)
    return jnp.asarray((K * factor)[None], jnp.float32)


@register("oriented_ellipse_2d")
def oriented_ellipse_2d(
    R: float, k_params: Any, kf_slug: str, kf_params: Any
) -> Float[Array, "1 h w"]:
    """Elliptic kernel weighted by `x'`, normalised so that `sum |K| = 1`.

    Same grid, axes, rotation and distance as `ellipse_2d` (Leniax's convention):
    the rings on the ellipse are multiplied by `x' = u cos(theta pi) + v sin(theta
    pi)`, `u` the offset along axis 0 and `v` along axis 1 in units of `r R`, then
    divided by the sum of their absolute values.

    **Arguments:**

    - `R`: the kernel radius in pixels.
    - `k_params`: `[r, b, a, b_axis, theta]` (see `ellipse_2d`).
    - `kf_slug`, `kf_params`: the kernel core function and its parameters.

    **Returns:**

    The kernel, shape `[1, 2 ceil(r R), 2 ceil(r R)]`.
    """
    K, xr = _ellipse(R, k_params, kf_slug, kf_params, "oriented_ellipse_2d")
    K = K * xr
    K = _normalise(K, np.abs(K).sum(), "oriented_ellipse_2d")
    return jnp.asarray(K[None], jnp.float32)


@register("raw")
def raw(R: float, k_params: Any, kf_slug: Any = None, kf_params: Any = None) -> Array:
    """A kernel given as an array (any number of dimensions).

    **Arguments:**

    - `R`: unused.
    - `k_params`: the kernel itself, shape `[1, *dims]` or `[*dims]`.
    - `kf_slug`, `kf_params`: unused.

    **Returns:**

    The kernel as float32, shape `[1, *dims]`.
    """
    del R, kf_slug, kf_params
    K = jnp.asarray(k_params, dtype=jnp.float32)
    if K.ndim < 1 or K.size == 0:
        raise ValueError(f"raw: expected a non-empty kernel array, got {k_params!r}")
    return K


@dataclasses.dataclass(init=False, eq=False)
class KernelMapping:
    """How kernels connect channels, in kernel order (kernels sorted by `c_in`).

    Built by `get_kernels_and_mapping`; as in Leniax it can also be made empty,
    `KernelMapping(nb_channels, nb_kernels)`, and filled in by assigning its
    fields (plain lists), e.g. to build a field function by hand.

    **Arguments:**

    - `nb_channels`: the number of channels `C`.
    - `nb_kernels`: the number of kernels.
    - `nb_dims`: the world's number of dimensions (2 or 3).

    **Fields:**

    - `cin_kernels`: for each input channel, the indices of the kernels it feeds.
    - `cin_k_params`, `cin_kfs`, `cin_kf_params`, `cin_gfs`, `cin_gf_params`: per
        input channel, the kernels' parameters and kernel/growth function slugs.
    - `kernels_weight_per_channel`: `[C, nb_kernels]`, entry `[c_out, k] = h_k`.
    - `true_channels`: `[C * max_k_per_channel]` booleans, which of the stacked
        (padded) kernels are real (`None`: all of them).
    - `nb_dims`: 2 or 3.
    """

    cin_kernels: list[list[int]]
    cin_k_params: list[list[Any]]
    cin_kfs: list[list[str | None]]
    cin_kf_params: list[list[Any]]
    cin_gfs: list[list[str]]
    cin_gf_params: list[list[Any]]
    kernels_weight_per_channel: Any
    true_channels: Any
    nb_dims: int

    def __init__(self, nb_channels: int, nb_kernels: int, nb_dims: int = 2):
        if not isinstance(nb_channels, (int, np.integer)) or nb_channels < 1:
            raise ValueError(
                f"KernelMapping: nb_channels must be a positive integer, got "
                f"{nb_channels!r}"
            )
        if not isinstance(nb_kernels, (int, np.integer)) or nb_kernels < 0:
            raise ValueError(
                f"KernelMapping: nb_kernels must be a non-negative integer, got "
                f"{nb_kernels!r}"
            )
        self.cin_kernels = [[] for _ in range(nb_channels)]
        self.cin_k_params = [[] for _ in range(nb_channels)]
        self.cin_kfs = [[] for _ in range(nb_channels)]
        self.cin_kf_params = [[] for _ in range(nb_channels)]
        self.cin_gfs = [[] for _ in range(nb_channels)]
        self.cin_gf_params = [[] for _ in range(nb_channels)]
        self.kernels_weight_per_channel = np.zeros(
            (nb_channels, nb_kernels), dtype=np.float32
        )
        if nb_dims not in (1, 2, 3):
            raise ValueError(
                f"KernelMapping: nb_dims must be 1, 2 or 3, got {nb_dims!r}"
            )
        self.true_channels = None
        self.nb_dims = int(nb_dims)

    @property
    def nb_kernels(self) -> int:
        return sum(len(k) for k in self.cin_kernels)

    @property
    def nb_channels(self) -> int:
        return len(self.cin_kernels)

    @property
    def tc_indices(self) -> tuple[int, ...]:
        """Indices of the real kernels among the stacked (padded) ones."""
        if self.true_channels is None:
            return tuple(range(self.nb_kernels))
        return tuple(int(i) for i in np.flatnonzero(self.true_channels))

    @property
    def growth_fn_slugs(self) -> tuple[str, ...]:
        """Growth function slugs in kernel order."""
        return tuple(gf for per_c in self.cin_gfs for gf in per_c)

    def get_k_params(self) -> list[Any]:
        """Kernel parameters in kernel order."""
        return [p for per_c in self.cin_k_params for p in per_c]

    def get_gf_params(self) -> Float[Array, "nb_kernels n_params"]:
        """Growth parameters in kernel order, padded with zeros to a common length."""
        params = [
            np.atleast_1d(np.asarray(p, dtype=np.float32)).reshape(-1)
            for per_c in self.cin_gf_params
            for p in per_c
        ]
        width = max((p.size for p in params), default=0)
        out = np.zeros((len(params), max(width, 1)), dtype=np.float32)
        for i, p in enumerate(params):
            out[i, : p.size] = p
        return jnp.asarray(out)

    def get_kernels_weight_per_channel(self) -> Float[Array, "C nb_kernels"]:
        """The `[C, nb_kernels]` matrix of kernel weights `h`."""
        return jnp.asarray(self.kernels_weight_per_channel, dtype=jnp.float32)


_KERNEL_KEYS = ("k_slug", "k_params", "gf_slug", "gf_params", "c_in", "c_out")


def _check_kernel_entry(i: int, kp: Any, nb_channels: int) -> None:
    where = f"kernels_params[{i}]"
    if not isinstance(kp, dict):
        raise TypeError(
            f"{where}: expected a dict with keys {_KERNEL_KEYS}, got {kp!r}"
        )
    missing = [k for k in _KERNEL_KEYS if k not in kp]
    if missing:
        raise ValueError(
            f"{where}: missing key(s) {missing}; expected keys {_KERNEL_KEYS} "
            "(plus kf_slug, kf_params, h). Upgrade v1 configs with "
            "lenia_runner.utils.update_config_v1_v2."
        )
    for key in ("c_in", "c_out"):
        c = kp[key]
        if not isinstance(c, (int, np.integer)) or not 0 <= c < nb_channels:
            raise ValueError(
                f"{where}.{key} = {c!r} is not a channel of this world; expected an "
                f"integer in [0, {nb_channels - 1}] (world_params.nb_channels = "
                f"{nb_channels})"
            )


def centre_index(shape: Sequence[int]) -> tuple[int, ...]:
    """The pixel taken as a kernel's centre: index `d // 2` along each axis."""
    return tuple(d // 2 for d in shape)


def wrap_kernel(kernel: np.ndarray, world_size: Sequence[int]) -> np.ndarray:
    """Place a kernel's centre at index 0 of a periodic world-sized array."""
    out = np.zeros(tuple(world_size), dtype=np.float32)
    centre = centre_index(kernel.shape)
    idx = np.ix_(
        *[
            (np.arange(k) - c) % w
            for k, c, w in zip(kernel.shape, centre, world_size, strict=True)
        ]
    )
    np.add.at(out, idx, kernel)
    return out


def crop_centred(kernels: np.ndarray) -> np.ndarray:
    """Crop all-zero borders of stacked kernels `[n, *dims]`, keeping the centre.

    The result has odd sizes `2 e + 1` with the centre (index `d // 2` of the
    input) in the middle, `e` the largest extent of a non-zero value from it.
    """
    dims = kernels.shape[1:]
    centre = centre_index(dims)
    nz = np.argwhere(np.any(kernels != 0, axis=0))
    slices = [slice(None)]
    for ax, (d, c) in enumerate(zip(dims, centre, strict=True)):
        if nz.size == 0:
            e = 0
        else:
            e = int(np.max(np.abs(nz[:, ax] - c)))
        lo, hi = c - e, c + e + 1
        if lo < 0 or hi > d:  # not symmetric room: pad instead
            pad = max(-lo, hi - d)
            padding = [(0, 0)] * kernels.ndim
            padding[ax + 1] = (pad, pad)
            kernels = np.pad(kernels, padding)
            lo, hi = lo + pad, hi + pad
        slices.append(slice(lo, hi))
    return kernels[tuple(slices)]


def get_kernels_and_mapping(
    kernels_params: Sequence[dict[str, Any]],
    world_size: Sequence[int],
    nb_channels: int,
    R: float,
    fft: bool = True,
) -> tuple[Array, KernelMapping]:
    """Build the stacked kernels and their mapping from a config's `kernels_params`.

    Kernels are ordered by `c_in` (a stable sort of a copy: the caller's list is
    left untouched). On the FFT path the kernels are returned in Fourier space as
    real-FFT spectra `[1, C, max_k_per_channel, *world[:-1], world[-1] // 2 + 1]`
    (complex64); on the direct path as spatial kernels
    `[C * max_k_per_channel, 1, *kernel_dims]`, cropped symmetrically around their
    centre. Channels with fewer kernels are padded with zero kernels, flagged in
    `mapping.true_channels`.

    **Arguments:**

    - `kernels_params`: the list of kernel entries of a v2 config.
    - `world_size`: the world's size, e.g. `[128, 128]`.
    - `nb_channels`: the number of channels `C`.
    - `R`: the kernel radius in pixels.
    - `fft`: Fourier-space kernels (default) or spatial ones for direct convolution.

    **Returns:**

    A tuple `(K, mapping)`.
    """
    world_size = tuple(int(w) for w in world_size)
    nb_dims = len(world_size)
    if not isinstance(nb_channels, (int, np.integer)) or nb_channels < 1:
        raise ValueError(
            f"world_params.nb_channels must be a positive integer, got {nb_channels!r}"
        )
    if nb_dims not in (1, 2, 3) or any(w < 1 for w in world_size):
        raise ValueError(
            "render_params.world_size must list 1 to 3 positive sizes, got "
            f"{list(world_size)}"
        )
    check_positive(R, "world_params.R (the kernel radius in pixels)")
    if not isinstance(kernels_params, (list, tuple)) or not kernels_params:
        raise ValueError(
            "kernels_params must be a non-empty list of kernel entries, got "
            f"{kernels_params!r}"
        )
    for i, kp in enumerate(kernels_params):
        _check_kernel_entry(i, kp, nb_channels)
    order = sorted(range(len(kernels_params)), key=lambda i: kernels_params[i]["c_in"])
    params = [copy.deepcopy(kernels_params[i]) for i in order]

    spatial = []
    for pos, kp in enumerate(params):
        where = f"kernels_params[{order[pos]}]"
        builder = get(kp["k_slug"])
        K = np.asarray(
            builder(R, kp["k_params"], kp.get("kf_slug"), kp.get("kf_params", [])),
            dtype=np.float32,
        )
        if K.ndim == nb_dims:
            K = K[None]
        if K.ndim != nb_dims + 1 or K.shape[0] != 1:
            raise ValueError(
                f"{where} ({kp['k_slug']}): expected a kernel of shape [1, *dims] "
                f"with {nb_dims} dims, got {K.shape}"
            )
        if any(k > w for k, w in zip(K.shape[1:], world_size, strict=True)):
            raise ValueError(
                f"{where} ({kp['k_slug']}): the kernel {K.shape[1:]} is larger than "
                f"the world {world_size}; expected at most the world size: lower R "
                "or r, or enlarge render_params.world_size"
            )
        spatial.append(K[0])

    cin_kernels: list[list[int]] = [[] for _ in range(nb_channels)]
    for k, kp in enumerate(params):
        cin_kernels[kp["c_in"]].append(k)
    max_k = max(1, max(len(c) for c in cin_kernels))

    weights = np.zeros((nb_channels, len(params)), dtype=np.float32)
    for k, kp in enumerate(params):
        weights[kp["c_out"], k] = float(kp.get("h", 1.0))
    true_channels = np.zeros((nb_channels, max_k), dtype=bool)
    slots: list[tuple[int, int, int]] = []  # (c, j, k)
    for c, ks in enumerate(cin_kernels):
        for j, k in enumerate(ks):
            true_channels[c, j] = True
            slots.append((c, j, k))

    if fft:
        stack = np.zeros((nb_channels, max_k, *world_size), dtype=np.float32)
        for c, j, k in slots:
            stack[c, j] = wrap_kernel(spatial[k], world_size)
        axes = tuple(range(-nb_dims, 0))
        spectra = np.fft.rfftn(stack.astype(np.float64), axes=axes)[None]
        K_out = jnp.asarray(spectra.astype(np.complex64))
    else:
        shape = tuple(max(s.shape[i] for s in spatial) for i in range(nb_dims))
        stack = np.zeros((nb_channels, max_k, *shape), dtype=np.float32)
        for c, j, k in slots:
            s = spatial[k]
            # centre every kernel at index d // 2 of the common shape
            offs = [
                sc - kc
                for sc, kc in zip(
                    centre_index(shape), centre_index(s.shape), strict=True
                )
            ]
            sl = tuple(slice(o, o + d) for o, d in zip(offs, s.shape, strict=True))
            stack[(c, j, *sl)] = s
        flat = stack.reshape((nb_channels * max_k, *shape))
        cropped = crop_centred(flat)
        K_out = jnp.asarray(cropped[:, None])

    mapping = KernelMapping(nb_channels, len(params), nb_dims)
    for c, ks in enumerate(cin_kernels):
        for k in ks:
            kp = params[k]
            mapping.cin_kernels[c].append(k)
            mapping.cin_k_params[c].append(kp["k_params"])
            mapping.cin_kfs[c].append(kp.get("kf_slug"))
            mapping.cin_kf_params[c].append(kp.get("kf_params", []))
            mapping.cin_gfs[c].append(kp["gf_slug"])
            mapping.cin_gf_params[c].append(kp["gf_params"])
    mapping.kernels_weight_per_channel = weights
    mapping.true_channels = true_channels.reshape(-1)
    return K_out, mapping

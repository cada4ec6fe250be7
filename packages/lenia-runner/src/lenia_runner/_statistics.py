"""The 12 Lenia statistics, the 4 stop heuristics and the number of live steps."""

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from ._constants import EPSILON
from ._errors import check_positive

MONOTONIC_STOP_STEP = 128
"""Fail after this many consecutive mass changes of the same sign."""
MASS_VOLUME_THRESHOLD = 10.0
"""A mass volume above this (in units of R^2) counts as "too big"."""
MASS_VOLUME_STOP_STEP = 128
"""Fail after this many consecutive "too big" steps."""

STAT_NAMES = (
    "channel_mass",
    "mass",
    "mass_volume",
    "mass_density",
    "growth",
    "growth_volume",
    "growth_density",
    "mass_speed",
    "mass_angle_speed",
    "mass_growth_dist",
    "inertia",
    "potential_volume",
)
"""The statistics computed at each step, in Leniax's order."""


def _world_coords(n: int, shift: Array) -> Array:
    """Centred coordinates `[*shift.shape, n]` of a world axis rolled by `-shift`."""
    i = jnp.arange(n, dtype=jnp.int32)
    return (jnp.mod(i - shift[..., None], n) - n // 2).astype(jnp.float32)


def raw_stats(
    cells: Float[Array, "N C *world"],
    field: Float[Array, "N C *world"],
    potential: Float[Array, "N K *world"],
) -> dict[str, Any]:
    """The reductions over the world that the statistics need (the costly part).

    Everything else follows from these small arrays (see `finish_stats`), so a
    runner computes them inside its loop and the rest once after it: two passes
    over the mass and two over the positive growth (see `_marginals`), and three
    counts (in float32: exact up to 2^24 cells per world).

    **Returns:**

    A dict: `channel_mass [N, C]` and `growth [N]` (sums), `cell_margs` and
    `growth_margs` (one marginal `[N, n_d]` per world axis, summed over
    channels), `volumes [N, 3]` (cells of mass, positive growth and potential
    above `EPSILON`).
    """
    positive = jnp.maximum(field, 0.0)
    channel_mass, cell_margs = _marginals(cells)
    growth, growth_margs = _marginals(positive)
    volumes = [
        jnp.sum((x > EPSILON).astype(x.dtype), axis=tuple(range(1, x.ndim)))
        for x in (cells, positive, potential)
    ]
    return {
        "channel_mass": channel_mass,
        "growth": jnp.sum(growth, axis=-1),
        "cell_margs": cell_margs,
        "growth_margs": growth_margs,
        "volumes": jnp.stack(volumes, axis=-1),
    }


def _marginals(x: Float[Array, "N C *world"]) -> tuple[Array, tuple[Array, ...]]:
    """Per-channel totals `[N, C]` and one marginal `[N, n_d]` per world axis.

    Two passes over `x` whatever its dimension: a sum over the last axis (from
    which the other marginals and the totals follow cheaply) and one over all
    axes but the last.
    """
    last = jnp.sum(x, axis=-1)  # [N, C, *world[:-1]]
    channel = jnp.sum(last, axis=tuple(range(2, last.ndim)))
    margs = []
    for axis in range(2, last.ndim):
        other = tuple(a for a in range(1, last.ndim) if a != axis)
        margs.append(jnp.sum(last, axis=other))
    margs.append(jnp.sum(x, axis=tuple(range(1, x.ndim - 1))))
    return channel, tuple(margs)


def _moment(margs: Sequence[Array], shift: Array, power: int) -> Array:
    """`[D, ..., N]` moments of marginals `[..., N, n_d]` about a grid rolled by
    `-shift` (`[..., N, D]`): rolling the world equals rolling the coordinates."""
    return jnp.stack(
        [
            _dot_last(m, _world_coords(m.shape[-1], shift[..., d]) ** power)
            for d, m in enumerate(margs)
        ]
    )


def _dot_last(a: Array, b: Array) -> Array:
    """`sum(a * b, axis=-1)` as a contraction.

    Reductions of a product are written as `einsum`, never as a multiply then a
    sum: jax/jaxlib 0.10.2 miscompile the latter under `jit` on CPU
    (jax-ml/jax#39103); `tests/test_canary_reductions.py` watches for that.
    """
    return jnp.einsum("...i,...i->...", a, b, precision=jax.lax.Precision.HIGHEST)


def _sq_norm(x: Array) -> Array:
    """`sum(x**2, axis=1)` of `[T, D, N]` vectors, as a contraction (see `_dot_last`)."""
    return jnp.einsum("tdn,tdn->tn", x, x, precision=jax.lax.Precision.HIGHEST)


def finish_stats(
    raw: Mapping[str, Any],
    carry: tuple[Array, Array, Array],
    *,
    R: ArrayLike,
    dt: ArrayLike,
    step: Array | None = None,
) -> tuple[dict[str, Array], tuple[Array, Array, Array]]:
    """The statistics of `T` consecutive steps from their `raw_stats`.

    Only the re-centring shift is sequential (a scan over small arrays); the rest
    is computed for all steps at once.

    **Arguments:**

    - `raw`: `raw_stats` of each step, stacked on a leading time axis `T`.
    - `carry`: `(total_shift_idx [N, D], mass_centroid [D, N], mass_angle [N])`
        before the first step (see `compute_stats`).
    - `R`, `dt`: as for `compute_stats`.
    - `step`: `[T]` step indices (zeroes the spurious first speeds), or `None`.

    **Returns:**

    `(stats, carry)`: statistics with a leading time axis and the carry after
    the last step.
    """
    R1 = jnp.asarray(R, jnp.float32)
    R2 = R1**2
    shift0, centroid0, angle0 = carry
    cell_margs = raw["cell_margs"]
    m_00 = jnp.sum(raw["channel_mass"], axis=-1)  # [T, N]
    world = jnp.asarray([m.shape[-1] for m in cell_margs], jnp.int32)

    def recentre(shift, xs):
        margs, m = xs
        MX = _moment(margs, shift, 1)
        whole = (MX / (m + EPSILON)).astype(jnp.int32)
        return jnp.mod(shift + whole.T, world), (shift, MX)

    shift_T, (shifts, MX) = jax.lax.scan(recentre, shift0, (cell_margs, m_00))
    MX2 = jnp.moveaxis(_moment(cell_margs, shifts, 2), 0, 1)
    GX = jnp.moveaxis(_moment(raw["growth_margs"], shifts, 1), 0, 1)
    g_00 = raw["growth"]
    volumes = raw["volumes"] / R2
    mass = m_00 / R2
    growth = g_00 / R2

    mass_centroid = MX / (m_00[:, None] + EPSILON)  # [T, D, N]
    fraction = mass_centroid - mass_centroid.astype(jnp.int32)
    previous = jnp.concatenate([centroid0[None], fraction[:-1]])
    delta = mass_centroid - previous
    dist = jnp.sqrt(_sq_norm(delta))
    mass_speed = dist / R1 / dt
    mass_angle = jnp.degrees(jnp.arctan2(delta[:, 1], delta[:, 0])) * (
        dist / R1 > 0.001
    )
    previous_angle = jnp.concatenate([angle0[None], mass_angle[:-1]])
    mass_angle_speed = ((mass_angle - previous_angle + 540) % 360 - 180) / dt
    if step is not None:
        mass_speed = jnp.where(step[:, None] >= 1, mass_speed, 0.0)
        mass_angle_speed = jnp.where(step[:, None] >= 2, mass_angle_speed, 0.0)

    growth_centroid = GX / (g_00[:, None] + EPSILON)
    mass_growth_dist = jnp.sqrt(_sq_norm(growth_centroid - mass_centroid)) / R1
    inertia = jnp.sum(
        (MX2 - mass_centroid * MX) / (m_00[:, None] ** 2 + EPSILON), axis=1
    )
    stats = {
        "channel_mass": raw["channel_mass"] / R2,
        "mass": mass,
        "mass_volume": volumes[..., 0],
        "mass_density": mass / (volumes[..., 0] + EPSILON),
        "growth": growth,
        "growth_volume": volumes[..., 1],
        "growth_density": growth / (volumes[..., 1] + EPSILON),
        "mass_speed": mass_speed,
        "mass_angle_speed": mass_angle_speed,
        "mass_growth_dist": mass_growth_dist,
        "inertia": inertia,
        "potential_volume": volumes[..., 2],
    }
    return stats, (shift_T, fraction[-1], mass_angle[-1])


def compute_stats(
    cells: Float[Array, "N C *world"],
    field: Float[Array, "N C *world"],
    potential: Float[Array, "N K *world"],
    previous_total_shift_idx: Array,
    previous_mass_centroid: Array,
    previous_mass_angle: Array,
    *,
    R: ArrayLike,
    dt: ArrayLike,
    step: Any = None,
) -> tuple[dict[str, Array], Array, Array, Array]:
    """The statistics of one step, in a world re-centred on the mass.

    **Arguments:**

    - `cells`, `field`, `potential`: the pre-update state, its field and potential.
    - `previous_total_shift_idx`: `[N, D]` int32, the accumulated re-centring shift.
    - `previous_mass_centroid`: `[D, N]`, the previous centroid (fractional part).
    - `previous_mass_angle`: `[N]`, the previous direction of motion in degrees.
    - `R`: the kernel radius (units of masses and distances).
    - `dt`: the time between this step and the previous one.
    - `step`: the index of this step; when given, `mass_speed` is 0 at step 0 and
        `mass_angle_speed` at steps 0 and 1, where there is no previous centroid
        (Leniax reports spurious values there). `None` reproduces Leniax.

    **Returns:**

    A tuple `(stats, total_shift_idx, mass_centroid, mass_angle)`.
    """
    raw = jax.tree.map(lambda a: a[None], raw_stats(cells, field, potential))
    carry = (previous_total_shift_idx, previous_mass_centroid, previous_mass_angle)
    steps = None if step is None else jnp.reshape(jnp.asarray(step), (1,))
    stats, carry = finish_stats(raw, carry, R=R, dt=dt, step=steps)
    return {k: v[0] for k, v in stats.items()}, *carry


def init_stats_carry(N: int, nb_dims: int) -> tuple[Array, Array, Array]:
    """Initial `(total_shift_idx [N, D], mass_centroid [D, N], mass_angle [N])`."""
    return (
        jnp.zeros((N, nb_dims), jnp.int32),
        jnp.zeros((nb_dims, N), jnp.float32),
        jnp.zeros((N,), jnp.float32),
    )


@dataclasses.dataclass(frozen=True)
class StatsFn:
    """A hashable statistics function, built by `build_compute_stats_fn`.

    Call it as Leniax's `compute_stats_fn(cells, field, potential,
    previous_total_shift_idx, previous_mass_centroid, previous_mass_angle)`; the
    runners also pass `dt=1 / T` (each configuration's own `T`) and `step`. The
    scan runners instead compute `raw` inside their loop and `finish` once after
    it (same numbers, far fewer small operations per step).

    **Arguments:**

    - `world_size`: the world's size.
    - `R`: the kernel radius.
    - `T`: the configuration's time resolution (used when no `dt` is passed).
    - `compat`: reproduce Leniax: speeds always use this `T`, and step 0 (and 1 for
        the angle speed) report the spurious values described in `compute_stats`.
    """

    world_size: tuple[int, ...]
    R: float
    T: float
    compat: bool = False

    def __call__(
        self,
        cells: Array,
        field: Array,
        potential: Array,
        previous_total_shift_idx: Array,
        previous_mass_centroid: Array,
        previous_mass_angle: Array,
        *,
        dt: ArrayLike | None = None,
        step: ArrayLike | None = None,
    ) -> tuple[dict[str, Array], Array, Array, Array]:
        world = tuple(cells.shape[-len(self.world_size) :])
        if world != tuple(self.world_size):
            raise ValueError(
                f"statistics built for a world of size {tuple(self.world_size)} got cells "
                f"of shape {cells.shape}; build them with the config's render_params "
                "world_size, or pass cells of that size"
            )
        if self.compat or dt is None:
            dt = 1.0 / self.T
        return compute_stats(
            cells,
            field,
            potential,
            previous_total_shift_idx,
            previous_mass_centroid,
            previous_mass_angle,
            R=self.R,
            dt=dt,
            step=None if self.compat else step,
        )

    raw = staticmethod(raw_stats)

    def finish(
        self,
        raw: Mapping[str, Any],
        carry: tuple[Array, Array, Array],
        *,
        dt: ArrayLike,
        step: Array | None,
    ) -> tuple[dict[str, Array], tuple[Array, Array, Array]]:
        """`finish_stats` with this function's `R` (and its `T` under `compat`)."""
        if self.compat:
            dt, step = 1.0 / self.T, None
        return finish_stats(raw, carry, R=self.R, dt=dt, step=step)


def build_compute_stats_fn(
    world_params: Mapping[str, Any],
    render_params: Mapping[str, Any],
    *,
    compat: bool = False,
) -> StatsFn:
    """Build the statistics function of a configuration.

    **Arguments:**

    - `world_params`: the config's `world_params` (uses `R`, `T`, `scale`).
    - `render_params`: the config's `render_params` (uses `world_size`).
    - `compat`: reproduce Leniax's speed quirks (see `StatsFn`).

    **Returns:**

    A hashable `StatsFn`; identical configurations give equal functions.
    """
    R = world_params.get("R")
    T = world_params.get("T")
    check_positive(R, "world_params.R (the kernel radius in pixels)")
    check_positive(T, "world_params.T (the time resolution)")
    world_size = tuple(int(w) for w in render_params["world_size"])
    return StatsFn(world_size=world_size, R=float(R), T=float(T), compat=compat)  # pyright: ignore[reportArgumentType]


def init_counters(N: int) -> dict[str, Array]:
    """Zeroed heuristic counters for `N` simulations."""
    return {
        "nb_monotone_step": jnp.zeros(N, dtype=jnp.int32),
        "nb_slow_mass_step": jnp.zeros(N, dtype=jnp.int32),
        "nb_max_volume_step": jnp.zeros(N, dtype=jnp.int32),
    }


def min_channel_mass_heuristic(epsilon: float, channel_mass: Array) -> Array:
    """Alive: every channel's mass `[N, C]` is at least `epsilon`; returns `[N]`."""
    return jnp.all(channel_mass >= epsilon, axis=-1)


def max_channel_mass_heuristic(init_channel_mass: Array, channel_mass: Array) -> Array:
    """Not exploding: every channel's mass at most 3x its initial mass; `[N]`."""
    return jnp.all(channel_mass <= 3 * init_channel_mass, axis=-1)


def min_mass_heuristic(epsilon: float, mass: Array) -> Array:
    """Alive: the total mass is at least `epsilon`."""
    return mass >= epsilon


def max_mass_heuristic(init_mass: Array, mass: Array) -> Array:
    """Not exploding: the total mass is at most 3x the initial mass."""
    return mass <= 3 * init_mass


def monotonic_heuristic(
    sign: Array, previous_sign: Array, monotone_counter: Array
) -> tuple[Array, Array]:
    """Fail after `MONOTONIC_STOP_STEP` mass changes of the same sign in a row.

    **Returns:**

    A tuple `(should_continue, new_counter)`.
    """
    counter = monotone_counter * (sign == previous_sign) + 1
    return counter <= MONOTONIC_STOP_STEP, counter


def mass_volume_heuristic(
    mass_volume: Array, mass_volume_counter: Array
) -> tuple[Array, Array]:
    """Fail after `MASS_VOLUME_STOP_STEP` steps in a row with a too-large volume.

    **Returns:**

    A tuple `(should_continue, new_counter)`.
    """
    counter = mass_volume_counter * (mass_volume > MASS_VOLUME_THRESHOLD) + 1
    return counter <= MASS_VOLUME_STOP_STEP, counter


def heuristics_init(first: Mapping[str, Array]) -> dict[str, Any]:
    """The heuristics' carry from the first step's statistics."""
    N = first["mass"].shape[0]
    return {
        "should_continue": jnp.ones(N, jnp.float32),
        "init_channel_mass": first["channel_mass"],
        "previous_mass": first["mass"],
        "previous_sign": jnp.zeros(N, jnp.float32),
        "counters": init_counters(N),
    }


def heuristics_step(
    carry: Mapping[str, Any], stat_t: Mapping[str, Array]
) -> tuple[dict[str, Any], Array]:
    """Advance the heuristics by one step; returns `(carry, should_continue)`."""
    counters = dict(carry["counters"])
    ok = min_channel_mass_heuristic(EPSILON, stat_t["channel_mass"])
    ok = ok & max_channel_mass_heuristic(
        carry["init_channel_mass"], stat_t["channel_mass"]
    )
    sign = jnp.sign(stat_t["mass"] - carry["previous_mass"])
    cond, counters["nb_monotone_step"] = monotonic_heuristic(
        sign, carry["previous_sign"], counters["nb_monotone_step"]
    )
    ok = ok & cond
    cond, counters["nb_max_volume_step"] = mass_volume_heuristic(
        stat_t["mass_volume"], counters["nb_max_volume_step"]
    )
    ok = ok & cond
    should_continue = carry["should_continue"] * ok
    new_carry = {
        "should_continue": should_continue,
        "init_channel_mass": carry["init_channel_mass"],
        "previous_mass": stat_t["mass"],
        "previous_sign": sign,
        "counters": counters,
    }
    return new_carry, should_continue


@jax.jit
def check_heuristics(stats: Mapping[str, Array]) -> Float[Array, "T N"]:
    """Per step and simulation, whether every stop rule has held so far.

    The rules: every channel keeps a mass of at least `EPSILON` and at most 3x its
    initial mass; the mass does not change in the same direction more than
    `MONOTONIC_STOP_STEP` steps in a row; the mass volume does not exceed
    `MASS_VOLUME_THRESHOLD` more than `MASS_VOLUME_STOP_STEP` steps in a row.

    **Arguments:**

    - `stats`: statistics with a leading time axis (`mass [T, N]`,
        `channel_mass [T, N, C]`, `mass_volume [T, N]`).

    **Returns:**

    Float flags `[T, N]` (1 = still alive); their sum over time is `N`.
    """
    needed = {"mass", "channel_mass", "mass_volume"}
    missing = needed - set(stats)
    if missing:
        raise ValueError(
            f"check_heuristics: expected statistics {sorted(needed)}, missing "
            f"{sorted(missing)}"
        )
    xs = {k: stats[k] for k in needed}
    first = {k: v[0] for k, v in xs.items()}
    _, flags = jax.lax.scan(heuristics_step, heuristics_init(first), xs)
    return flags


def stats_list_to_dict(all_stats: Sequence[Mapping[str, Array]]) -> dict[str, Array]:
    """A list of per-step statistics dicts as a dict of arrays with a time axis."""
    if not all_stats:
        return {}
    return {k: jnp.stack([s[k] for s in all_stats]) for k in all_stats[0]}

"""The Lenia update and run as rollax modules (stepper, runner, summariser)."""

import functools
from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

import rollax

from ._core import UpdateFn
from ._helpers import build_all
from ._runner import _run_scan_jit
from ._statistics import STAT_NAMES, StatsFn, build_compute_stats_fn
from ._utils import get_container


def _check_state(state: Any, shape: tuple[int, ...], who: str) -> None:
    got = tuple(jnp.shape(state))
    if got != shape:
        hint = "; add a channel axis (state[None])" if got == shape[1:] else ""
        raise ValueError(
            f"{who}: expected cells of shape (C, *world) = {shape}, got {got}{hint}"
        )


def _key(key: PRNGKeyArray | None) -> PRNGKeyArray:
    return jax.random.key(0) if key is None else key


@functools.partial(jax.jit, static_argnums=0)
def _step(update_fn, key, state, K, gf_params, weights, T):
    return update_fn(key, state[None], K, gf_params, weights, 1.0 / T)[0][0]


class LeniaStepper(rollax.AbstractStepper):
    """One Lenia update of a single world `[C, *world]`, as a rollax stepper.

    Parameter values (kernels, growth parameters, weights, `T`) are array fields:
    new values never recompile. Build one with `LeniaStepper.from_config`.

    **Arguments:**

    - `K`: stacked kernels (from `get_kernels_and_mapping`).
    - `gf_params`: growth parameters `[nb_kernels, n_params]`.
    - `kernels_weight_per_channel`: `[C, nb_kernels]`.
    - `T`: the time resolution.
    - `update_fn`: the (static) update function.
    - `state_shape`: the expected `(C, *world)`.
    """

    name: ClassVar[str] = "lenia-runner:LeniaStepper"
    K: Array
    gf_params: Float[Array, "nb_kernels n_params"]
    kernels_weight_per_channel: Float[Array, "C nb_kernels"]
    T: Float[Array, ""]
    update_fn: UpdateFn = eqx.field(static=True)
    state_shape: tuple[int, ...] = eqx.field(static=True)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, fft: bool = True
    ) -> "LeniaStepper":
        """The stepper of a configuration (v1 or v2 dict).

        **Arguments:**

        - `config`: the configuration.
        - `fft`: FFT or direct convolution.

        **Returns:**

        The stepper.
        """
        K, gf, w, _, update_fn, _, config = build_all(config, fft=fft)
        wp, rp = config["world_params"], config["render_params"]
        return cls(
            K=K,
            gf_params=gf,
            kernels_weight_per_channel=w,
            T=jnp.asarray(wp["T"], jnp.float32),
            update_fn=update_fn,
            state_shape=(int(wp["nb_channels"]), *map(int, rp["world_size"])),
        )

    def __call__(
        self, state: Float[Array, " C *world"], *, key: PRNGKeyArray | None = None
    ) -> Float[Array, " C *world"]:
        """One update of `state` `[C, *world]`; `key` feeds stochastic rules."""
        _check_state(state, self.state_shape, "LeniaStepper")
        return _step(
            self.update_fn,
            _key(key),
            state,
            self.K,
            self.gf_params,
            self.kernels_weight_per_channel,
            self.T,
        )


class LeniaRunner(rollax.AbstractRunner):
    """Runs a Lenia configuration on one world and returns its statistics.

    `run(state, num_steps)` returns `(final_state, stats)` with the 12 statistics
    `[num_steps / stats_every]` (`channel_mass` with a trailing channel axis) and
    `N`, the number of steps the stop heuristics held.

    **Arguments:**

    - `stepper`: the `LeniaStepper` holding the parameters.
    - `compute_stats_fn`: the (static) statistics function.
    - `stats_every`: statistics every k steps (0: none).
    """

    name: ClassVar[str] = "lenia-runner:LeniaRunner"
    stepper: LeniaStepper
    compute_stats_fn: StatsFn = eqx.field(static=True)
    stats_every: int = eqx.field(static=True, default=1)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], *, fft: bool = True, stats_every: int = 1
    ) -> "LeniaRunner":
        """The runner of a configuration.

        **Arguments:**

        - `config`: the configuration.
        - `fft`: FFT or direct convolution.
        - `stats_every`: statistics every k steps (0: none).

        **Returns:**

        The runner.
        """
        config = get_container(config)
        stats_fn = build_compute_stats_fn(
            config["world_params"], config["render_params"]
        )
        return cls(
            stepper=LeniaStepper.from_config(config, fft=fft),
            compute_stats_fn=stats_fn,
            stats_every=stats_every,
        )

    def run(
        self,
        state: Float[Array, " C *world"],
        num_steps: int,
        *,
        key: PRNGKeyArray | None = None,
    ) -> tuple[Float[Array, " C *world"], dict[str, Array]]:
        """Run `num_steps` updates from `state` `[C, *world]`.

        **Arguments:**

        - `state`: the initial world.
        - `num_steps`: number of updates (a multiple of `stats_every`).
        - `key`: a PRNG key for stochastic rules.

        **Returns:**

        `(final_state, stats)`.
        """
        s = self.stepper
        _check_state(state, s.state_shape, "LeniaRunner")
        k = self.stats_every
        if k > 1 and num_steps % k:
            raise ValueError(
                f"num_steps ({num_steps}) must be a multiple of stats_every ({k})"
            )
        final, _, stats = _run_scan_jit(
            s.update_fn,
            self.compute_stats_fn,
            int(num_steps),
            k,
            False,
            _key(key),
            state[None],
            s.K,
            s.gf_params,
            s.kernels_weight_per_channel,
            s.T,
        )
        stats = {n: v[:, 0] if n != "N" else v[0] for n, v in stats.items()}
        return final[0], stats


class LeniaStatistics(rollax.AbstractSummariser):
    """Summarises a Lenia run: the time means of the 11 scalar statistics and `N`.

    Takes the statistics dict of a `LeniaRunner` run (or of `run_scan` for one
    initial state) and returns a vector in the order of `report()['names']`.
    """

    name: ClassVar[str] = "lenia-runner:LeniaStatistics"

    def __call__(self, data: Mapping[str, Array]) -> Float[Array, " n_summaries"]:
        """Time means of the scalar statistics, then `N`."""
        if not isinstance(data, Mapping) or "mass" not in data:
            raise ValueError(
                "LeniaStatistics: expected the statistics dict of a run (keys "
                f"{', '.join(STAT_NAMES)}, N) with shape [T], got "
                f"{type(data).__name__}"
            )
        names = [n for n in STAT_NAMES if n != "channel_mass"]
        for n in names:
            if jnp.ndim(data[n]) != 1:
                raise ValueError(
                    f"LeniaStatistics: expected {n!r} of shape [T], got shape "
                    f"{jnp.shape(data[n])}; pass one run's statistics (vmap for more)"
                )
        means = [jnp.mean(data[n]) for n in names]
        if "N" not in data:
            raise ValueError("LeniaStatistics: expected an 'N' entry in the statistics")
        n_alive = jnp.asarray(data["N"], jnp.float32).reshape(())
        return jnp.stack([*means, n_alive]).astype(jnp.float32)

    def report(self) -> dict[str, Any]:
        """The names of the summaries, in order."""
        return {"names": [n for n in STAT_NAMES if n != "channel_mass"] + ["N"]}

"""`BaseScenario`: data, networks, training, testing and results of one PDE setup."""

import abc
import collections
import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any, cast

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float

from rollax import Checkpointing

from ._config import (
    config_error,
    expect_fields,
    split,
    to_int,
)
from ._corrected import CORRECTION_MODES, CorrectedStepper
from ._etdrk import AbstractETDRKStepper
from ._ic import (
    AbstractICGenerator,
    RandomMultiChannelICGenerator,
    build_ic_set,
    parse_ic_config,
)
from ._layers import ACTIVATIONS
from ._metrics import mean_metric, nRMSE, parse_metric
from ._networks import (
    FNO,
    MLP,
    ConvNet,
    DilatedResNet,
    ModernResNet,
    PureConv,
    ResNet,
    UNet,
)
from ._rng import KeyLike, split_key
from ._trainer import (
    Trainer,
    get_optimizer,
    make_loss,
    parse_train_config,
    seed_sharding,
    substack,
)

arch_extensions: dict[str, Callable[..., eqx.Module]] = {}
"""Custom architectures: `arch_extensions["name"] = fn(config, num_spatial_dims,
num_channels, num_points, key) -> module`; `name` is matched case-insensitively
against the first field of a `network_config`."""

_CACHE: collections.OrderedDict = collections.OrderedDict()
_CACHE_SIZE = 16


def clear_data_cache() -> None:
    """Forget all cached train/test data."""
    _CACHE.clear()


def _fourier_chainable(stepper) -> bool:
    return isinstance(stepper, AbstractETDRKStepper) and stepper.num_spatial_dims == 1


def _fourier_step(stepper):
    """One full call of a 1-D ETDRK stepper, in Fourier space.

    Equal to `rfft(stepper(irfft(u_hat)))`: the imaginary parts of the mean and
    Nyquist modes, which the round trip through real space drops, are dropped here
    too. Skipping the two transforms per step makes rollouts faster.
    """
    n = stepper.num_points
    keep = np.ones(n // 2 + 1)
    keep_imag = keep.copy()
    keep_imag[0] = 0.0
    if n % 2 == 0:
        keep_imag[-1] = 0.0

    def step(u_hat):
        for _ in range(stepper.num_substeps):
            u_hat = stepper.step_fourier(u_hat)
        return u_hat.real * keep + 1j * (u_hat.imag * keep_imag)

    return step


def rollout(stepper, num_steps: int, *, include_init: bool = False):
    """`u0 -> trajectory` of `num_steps` steps (`lax.scan`), optionally with `u0`.

    1-D ETDRK steppers are chained in Fourier space (one inverse transform per
    step instead of a forward and an inverse one).
    """

    def run(u0):
        if _fourier_chainable(stepper):
            stepper.check_state(u0)
            step = _fourier_step(stepper)

            def body_hat(u_hat, _):
                nxt = step(u_hat)
                return nxt, jnp.fft.irfft(nxt, n=stepper.num_points).astype(u0.dtype)

            _, trj = jax.lax.scan(body_hat, jnp.fft.rfft(u0), None, length=num_steps)
        else:

            def body(u, _):
                nxt = stepper(u)
                return nxt, nxt

            _, trj = jax.lax.scan(body, u0, None, length=num_steps)
        if include_init:
            trj = jnp.concatenate([u0[None], trj], axis=0)
        return trj

    return run


def repeat(stepper, num_steps: int):
    """`u0 -> u_{num_steps}` without storing the intermediate states."""

    def run(u0):
        if num_steps == 0:
            return u0
        if _fourier_chainable(stepper):
            stepper.check_state(u0)
            step = _fourier_step(stepper)
            u_hat = jax.lax.fori_loop(
                0, num_steps, lambda _, x: step(x), jnp.fft.rfft(u0)
            )
            return jnp.fft.irfft(u_hat, n=stepper.num_points).astype(u0.dtype)
        return jax.lax.fori_loop(0, num_steps, lambda _, u: stepper(u), u0)

    return run


def _produce(ic_gen, stepper, num_points, num_samples, num_warmup_steps, horizon, key):
    ics = build_ic_set(ic_gen, num_points=num_points, num_samples=num_samples, key=key)
    return _warm_and_roll(stepper, (ics,), num_warmup_steps, (horizon,))[0]


@eqx.filter_jit
def _warm_and_roll(stepper, ics_pair, num_warmup_steps, horizons):
    """Warm up and roll out train and test ICs in one compiled program."""
    out = []
    for ics, horizon in zip(ics_pair, horizons, strict=True):
        ics = jax.vmap(repeat(stepper, num_warmup_steps))(ics)
        out.append(jax.vmap(rollout(stepper, horizon, include_init=True))(ics))
    return tuple(out)


def _produce_pair(
    ic_gen, stepper, num_points, samples, num_warmup_steps, horizons, keys
):
    ics = tuple(
        build_ic_set(ic_gen, num_points=num_points, num_samples=n, key=k)
        for n, k in zip(samples, keys, strict=True)
    )
    return _warm_and_roll(stepper, ics, num_warmup_steps, horizons)


@eqx.filter_jit
def _rollout_many(stepper, ics, num_steps, include_init):
    return jax.vmap(rollout(stepper, num_steps, include_init=include_init))(ics)


def _tests_impl(model, ics, ref, configs, num_samples_returned=0):
    """One test rollout shared by all metrics (and by the sample trajectories)."""
    pred = jax.vmap(rollout(model, ref.shape[1]))(ics)
    metrics = {c: jax.vmap(parse_metric(c), in_axes=1)(pred, ref) for c in configs}
    if not num_samples_returned:
        return metrics
    n = num_samples_returned
    samples = jnp.concatenate([ics[:n, None], pred[:n]], axis=1)
    return metrics, samples


_tests_one = eqx.filter_jit(_tests_impl)
_tests_seeds = eqx.filter_jit(
    eqx.filter_vmap(_tests_impl, in_axes=(0, None, None, None, None))
)


class BaseScenario(eqx.Module):
    """Base class of all scenarios (a dataclass: every attribute is a keyword).

    Subclasses implement `get_ref_stepper`, `get_coarse_stepper` and
    `get_scenario_name`. Data are generated by one jitted function and cached per
    scenario configuration, so repeated `get_train_data()` calls are free.
    """

    num_spatial_dims: int = 1
    num_points: int = 160
    num_channels: int = 1

    ic_config: str = "fourier;5;true;true"
    num_warmup_steps: int = 0

    num_train_samples: int = 50
    train_temporal_horizon: int = 50
    train_seed: int = 0

    num_test_samples: int = 30
    test_temporal_horizon: int = 200
    test_seed: int = 773

    optim_config: str = "adam;10_000;warmup_cosine;0.0;1e-3;2_000"
    batch_size: int = 20

    num_trjs_returned: int = 1
    record_loss_every: int = 100
    vlim: tuple[float, float] = (-1.0, 1.0)

    report_metrics: str = "mean_nRMSE"
    callbacks: str = ""

    # -- abstract ---------------------------------------------------------------------

    @abc.abstractmethod
    def get_ref_stepper(self) -> Any:
        """Produces the reference stepper for the scenario."""

    @abc.abstractmethod
    def get_coarse_stepper(self) -> Any:
        """Produces the coarse stepper for the scenario."""

    @abc.abstractmethod
    def get_scenario_name(self) -> str:
        """Produces a unique identifier for this scenario."""

    # -- initial conditions and data --------------------------------------------------

    def get_ic_generator(self) -> AbstractICGenerator:
        """The IC distribution of `ic_config` (one generator per channel)."""
        single = parse_ic_config(self.ic_config, self.num_spatial_dims)
        return RandomMultiChannelICGenerator((single,) * self.num_channels)  # pyright: ignore[reportCallIssue]

    def _cache_key(self, what: str):
        values = tuple(
            (f.name, _hashable(getattr(self, f.name))) for f in dataclasses.fields(self)
        )
        return (type(self), values, what)

    def _cached(self, what: str, make: Callable[[], Any]):
        key = self._cache_key(what)
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        value = make()
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return value

    def produce_data(
        self,
        *,
        stepper,
        num_samples: int,
        num_warmup_steps: int,
        temporal_horizon: int,
        key: KeyLike,
    ) -> Float[Array, " num_samples temporal_horizon+1 num_channels *num_points"]:
        """Draw ICs, warm them up with `stepper`, and roll them out (ICs included).

        **Returns:**

        An array `(num_samples, temporal_horizon + 1, num_channels, *num_points)`.
        """
        return _produce(
            self.get_ic_generator(),
            stepper,
            self.num_points,
            num_samples,
            num_warmup_steps,
            temporal_horizon,
            key,
        )

    def _data(self, split_name: str, coarse: bool):
        suffix = "_coarse" if coarse else ""
        if self._cache_key(split_name + suffix) not in _CACHE:
            stepper = self.get_coarse_stepper() if coarse else self.get_ref_stepper()
            train, test = _produce_pair(
                self.get_ic_generator(),
                stepper,
                self.num_points,
                (self.num_train_samples, self.num_test_samples),
                self.num_warmup_steps,
                (self.train_temporal_horizon, self.test_temporal_horizon),
                (_seed_key(self.train_seed), _seed_key(self.test_seed)),
            )
            self._cached("train" + suffix, lambda: train)
            self._cached("test" + suffix, lambda: test)
        return self._cached(split_name + suffix, lambda: None)

    def get_train_data(self):
        """Reference training trajectories `(S, T+1, C, *N)` (cached)."""
        return self._data("train", False)

    def get_train_data_coarse(self):
        """Training trajectories of the coarse stepper (warmed up with it too)."""
        return self._data("train", True)

    def get_test_data(self):
        """Reference test trajectories `(S, T_test+1, C, *N)` (cached)."""
        return self._data("test", False)

    def get_test_data_coarse(self):
        """Test trajectories of the coarse stepper (warmed up with it too)."""
        return self._data("test", True)

    def get_train_ic_set(self):
        """The (warmed-up) training initial conditions `(S, C, *N)`."""
        return self.get_train_data()[:, 0]

    def get_train_ic_set_coarse(self):
        return self.get_train_data_coarse()[:, 0]

    def get_test_ic_set(self):
        """The (warmed-up) test initial conditions `(S, C, *N)`."""
        return self.get_test_data()[:, 0]

    def get_test_ic_set_coarse(self):
        return self.get_test_data_coarse()[:, 0]

    def get_ref_sample_data(self):
        """The first `num_trjs_returned` test trajectories."""
        return self.get_test_data()[: self.num_trjs_returned]

    # -- optimisation and training ----------------------------------------------------

    @property
    def num_training_steps(self) -> int:
        return get_optimizer(self.optim_config)[1]

    def get_optimizer(self):
        """The optax optimizer of `optim_config`."""
        return get_optimizer(self.optim_config)[0]

    def get_callback_fn(self) -> Callable | None:
        """Parse `callbacks` into `fn(update_step, model) -> dict` (or `None`)."""
        if not self.callbacks.strip():
            return None
        parsed = []
        for cfg in self.callbacks.split(","):
            parts = split(cfg, "callbacks")
            expect_fields(parts, (2,), "callbacks", cfg, "a callback")
            name = parts[0].lower()
            if name not in ("net", "weight_norm", "metrics", "sample_rollout"):
                raise config_error("callbacks", cfg, f"unknown callback {parts[0]!r}")
            parsed.append((name, to_int(parts[1], "callbacks", cfg, "EVERY")))

        def callback(i, model):
            out = {}
            for name, every in parsed:
                if i % every:
                    continue
                if name == "net":
                    out["net"] = model
                elif name == "weight_norm":
                    leaves = jax.tree.leaves(eqx.filter(model, eqx.is_inexact_array))
                    out["weight_norm"] = float(
                        jnp.sqrt(sum(jnp.vdot(x, x).real for x in leaves))
                    )
                elif name == "metrics":
                    out["metrics"] = {
                        k: np.asarray(v[0]).tolist()
                        for k, v in self.perform_tests(
                            model, remove_singleton_axis=True
                        ).items()
                    }
                else:
                    out["sample_rollout"] = np.asarray(self.sample_trjs(model))
            return out

        return callback

    def get_trainer(self, *, train_config: str) -> Trainer:
        """A trainer for `train_config` (`one`, `sup;N`, `div;N`, also `sup-N`)."""
        cfg = parse_train_config(train_config)
        data = self.get_train_data()
        if cfg.kind == "one":
            windows = substack(data, 2)
        elif cfg.kind == "sup":
            windows = substack(data, cfg.num_rollout_steps + 1)
        else:
            windows = substack(data, cfg.num_rollout_steps + 1)[:, :1]
        loss = make_loss(cfg, self.get_ref_stepper())
        return Trainer(
            windows,
            self.get_optimizer(),
            self.num_training_steps,
            self.batch_size,
            loss,
            callback_fn=self.get_callback_fn(),
        )

    def _description(self) -> dict[str, str]:
        """The scenario's configuration, field by field (for checkpoint fingerprints)."""
        return {
            "scenario": self.get_scenario_name(),
            **{f.name: repr(getattr(self, f.name)) for f in dataclasses.fields(self)},
        }

    # -- networks -------------------------------------------------------------------

    def get_activation(self, activation: str) -> Callable:
        """Parse an activation name (relu, sigmoid, tanh, swish, gelu, identity)."""
        name = activation.strip().lower()
        if name not in ACTIVATIONS:
            raise config_error(
                "network_config", activation, f"unknown activation {activation!r}"
            )
        return ACTIVATIONS[name]

    def get_network(self, network_config: str, key: KeyLike) -> eqx.Module:
        """Instantiate the architecture of `network_config` (see the docs' grammar)."""
        return build_network(
            network_config,
            num_spatial_dims=self.num_spatial_dims,
            num_channels=self.num_channels,
            num_points=self.num_points,
            key=key,
        )

    def get_neural_stepper(
        self, *, task_config: str, network_config: str, key: KeyLike
    ) -> eqx.Module:
        """The network (`predict`) or a `CorrectedStepper` (`correct;MODE`)."""
        parts = split(task_config, "task_config")
        if parts[0] == "predict" and len(parts) == 1:
            return self.get_network(network_config, key)
        if parts[0] == "correct" and len(parts) == 2 and parts[1] in CORRECTION_MODES:
            return CorrectedStepper(
                self.get_coarse_stepper(),
                self.get_network(network_config, key),
                parts[1],
            )
        raise config_error("task_config", task_config, "unknown task")

    def get_parameter_count(self, network_config: str) -> int:
        """Number of parameters of `network_config` for this scenario's shapes."""
        shapes = eqx.filter_eval_shape(
            self.get_network, network_config, jax.random.PRNGKey(0)
        )
        leaves = jax.tree.leaves(shapes)
        return int(
            sum(
                math.prod(x.shape)
                for x in leaves
                if hasattr(x, "shape") and jnp.issubdtype(x.dtype, jnp.inexact)
            )
        )

    def get_receptive_field(
        self, *, network_config: str, task_config: str
    ) -> tuple[tuple[float, float], ...]:
        """Receptive field `((left, right),) * D` of the learned component."""
        stepper = eqx.filter_eval_shape(
            lambda k: self.get_neural_stepper(
                task_config=task_config, network_config=network_config, key=k
            ),
            jax.random.PRNGKey(0),
        )
        return stepper.receptive_field  # type: ignore[attr-defined]

    def load_model(
        self,
        path,
        *,
        num_seeds: int,
        task_config: str,
        network_config: str,
        remove_singleton_axis: bool = True,
    ) -> eqx.Module:
        """Load weights saved with `eqx.tree_serialise_leaves` into a fresh model."""

        def make(i):
            return self.get_neural_stepper(
                task_config=task_config,
                network_config=network_config,
                key=jax.random.PRNGKey(i),
            )

        if num_seeds == 1 and remove_singleton_axis:
            skeleton = make(0)
        else:
            skeleton = stack_models([make(i) for i in range(num_seeds)])
        return eqx.tree_deserialise_leaves(path, skeleton)

    def full_loss(self, model: eqx.Module, *, train_config: str) -> float:
        """The training loss of `model` over the whole training set."""
        trainer = self.get_trainer(train_config=train_config)
        return float(eqx.filter_jit(trainer.loss_fn)(model, trainer.data))

    # -- testing --------------------------------------------------------------------

    def _neural_rollout(
        self, neural_stepper, include_init: bool, num: int | None = None
    ):
        ics = self.get_test_ic_set()
        if num is not None:
            ics = ics[:num]
        return _rollout_many(
            neural_stepper, ics, self.test_temporal_horizon, include_init
        )

    def perform_test_rollout(
        self,
        neural_stepper: eqx.Module,
        mean_error_fn: Callable = lambda pred, ref: mean_metric(nRMSE, pred, ref),
    ) -> Float[Array, " test_temporal_horizon"]:
        """Error of the neural rollout from the test ICs, per time step 1..T."""
        pred = self._neural_rollout(neural_stepper, False)
        ref = self.get_test_data()[:, 1:]
        return jax.vmap(mean_error_fn, in_axes=1)(pred, ref)

    def get_metric_fns(self) -> dict[str, Callable]:
        """`{metric_config: fn(pred, ref) -> float}` for `report_metrics`."""
        return {
            cfg.strip(): parse_metric(cfg.strip())
            for cfg in self.report_metrics.split(",")
        }

    def perform_tests(
        self, neural_stepper: eqx.Module, *, remove_singleton_axis: bool = False
    ) -> dict[str, Float[Array, " num_seeds test_temporal_horizon"]]:
        """All `report_metrics` from one shared test rollout per seed.

        `neural_stepper` carries a leading seed axis unless
        `remove_singleton_axis=True` (then results get a singleton seed axis).
        """
        ref = self.get_test_data()[:, 1:]
        ics = self.get_test_ic_set()
        configs = tuple(self.get_metric_fns())
        if remove_singleton_axis:
            out = cast(dict, _tests_one(neural_stepper, ics, ref, configs))
            return {k: out[k][None] for k in configs}
        out = cast(dict, _tests_seeds(neural_stepper, ics, ref, configs, 0))
        return {k: out[k] for k in configs}  # report_metrics order

    def perform_tests_on_rollout(
        self, neural_rollout, test_data_no_init=None
    ) -> dict[str, Float[Array, " num_seeds test_temporal_horizon"]]:
        """Metrics of an externally produced rollout (without the initial states).

        **Arguments:**

        - `neural_rollout`: `(num_samples, T, C, *N)` or with a leading seed axis.
        - `test_data_no_init`: the reference `(num_samples, T, C, *N)`; default:
            this scenario's test data without the initial condition.

        **Returns:**

        `{metric_config: (num_seeds, T)}` (a singleton seed axis if none was given).
        """
        if test_data_no_init is None:
            test_data_no_init = self.get_test_data()[:, 1:]
        ref = jnp.asarray(test_data_no_init)
        pred = jnp.asarray(neural_rollout)
        expected = ref.shape
        if pred.shape == expected:
            pred = pred[None]
        if pred.ndim != len(expected) + 1 or pred.shape[1:] != expected:
            raise ValueError(
                "perform_tests_on_rollout: expected a rollout of shape (num_samples, "
                f"test_temporal_horizon, num_channels, *num_points) = {tuple(expected)}"
                f" (optionally with a leading seed axis), got {tuple(pred.shape)}. "
                "Do not include the initial condition, and use channels-first "
                "arrays (move a channels-last axis with jnp.moveaxis(x, -1, 2))."
            )
        fns = self.get_metric_fns()

        @jax.jit
        def one(p):
            return {n: jax.vmap(f, in_axes=1)(p, ref) for n, f in fns.items()}

        out = jax.vmap(one)(pred)
        return {k: out[k] for k in fns}

    def sample_trjs(self, neural_stepper: eqx.Module):
        """Neural rollouts (ICs included) of the first `num_trjs_returned` test ICs."""
        return self._neural_rollout(neural_stepper, True, self.num_trjs_returned)

    # -- running ----------------------------------------------------------------------

    def run_raw(
        self,
        *,
        task_config: str = "predict",
        network_config: str = "Conv;26;10;relu",
        train_config: str = "one",
        start_seed: int = 0,
        num_seeds: int = 1,
        remove_singleton_axis: bool = False,
        shard_seeds: bool = False,
        checkpoint: "Checkpointing | str | os.PathLike | None" = None,
    ):
        """Train `num_seeds` networks in one vmapped run and test them.

        With `shard_seeds=True` (not in APEBench) the seed axis is split over the
        available devices with `jax.sharding` (as many as divide `num_seeds`).

        With `checkpoint=` (not in APEBench; a directory or `rollax.Checkpointing`)
        the training saves itself there and calling the same run again resumes it,
        bit-identically (see `Trainer`). A checkpoint of another configuration
        (scenario, network, training, optimiser, seeds, ...) is refused with a
        `rollax.CheckpointError` naming what differs.

        **Returns:**

        `(trained_neural_stepper_s, loss_history_s (S, steps // record_loss_every),
        aux_history_s, metric_trj_s {metric: (S, T_test)}, sample_rollout_s
        (S, num_trjs_returned, T_test+1, C, *N), seeds)`; `aux_history_s` is a list of
        `(update_step, [dict per seed])` for the steps where a callback ran.
        """
        trainer = self.get_trainer(train_config=train_config)
        trainer.description = {
            **self._description(),
            "task_config": task_config,
            "network_config": network_config,
            "train_config": train_config,
            "start_seed": str(start_seed),
            "num_seeds": str(num_seeds),
        }
        seeds = start_seed + jnp.arange(num_seeds)
        init_keys, shuffle_keys = [], []
        for seed in range(start_seed, start_seed + num_seeds):
            init_key, shuffle_key = split_key(_seed_key(seed))
            init_keys.append(init_key)
            shuffle_keys.append(shuffle_key)
        steppers = stack_models(
            [
                self.get_neural_stepper(
                    task_config=task_config, network_config=network_config, key=k
                )
                for k in init_keys
            ]
        )
        shuffle_keys = jnp.asarray(np.stack(shuffle_keys))
        sharding = seed_sharding(num_seeds) if shard_seeds else None
        trained, loss_history, aux_history = trainer(
            steppers,
            shuffle_keys,
            record_loss_every=self.record_loss_every,
            sharding=sharding,
            checkpoint=checkpoint,
        )
        metrics, samples = _tests_seeds(
            trained,
            self.get_test_ic_set(),
            self.get_test_data()[:, 1:],
            tuple(self.get_metric_fns()),
            self.num_trjs_returned,
        )
        results = (trained, loss_history, aux_history, metrics, samples, seeds)
        if num_seeds == 1 and remove_singleton_axis:
            results = (
                _unstack(trained, 0),
                loss_history[0],
                [(i, a[0]) for i, a in aux_history],
                {k: v[0] for k, v in metrics.items()},
                samples[0],
                seeds[0],
            )
        return results

    def __call__(
        self,
        *,
        task_config: str = "predict",
        network_config: str = "Conv;34;10;relu",
        train_config: str = "one",
        start_seed: int = 0,
        num_seeds: int = 1,
        remove_singleton_axis: bool = True,
        shard_seeds: bool = False,
        checkpoint: "Checkpointing | str | os.PathLike | None" = None,
    ) -> tuple[pd.DataFrame, eqx.Module]:
        """Train, test and tabulate: one DataFrame row per seed, and the model(s).

        `checkpoint=` makes the training resumable (see `run_raw`).

        Columns: `scenario, task, train, net, seed, scenario_kwargs`, then
        `{metric}_{t:04d}` (t = 1..T_test), `train_loss_{step:06d}`, `aux_{step:06d}`
        only for the steps where a callback produced something (none by default), and
        `sample_rollout_{i:03d}` (nested lists).
        """
        trained, loss_s, aux_s, metric_s, sample_s, seeds = self.run_raw(
            task_config=task_config,
            network_config=network_config,
            train_config=train_config,
            start_seed=start_seed,
            num_seeds=num_seeds,
            remove_singleton_axis=False,
            shard_seeds=shard_seeds,
            checkpoint=checkpoint,
        )
        columns: dict[str, Any] = {
            "scenario": self.get_scenario_name(),
            "task": task_config,
            "train": train_config,
            "net": network_config,
            "seed": np.asarray(seeds),
            "scenario_kwargs": "{}",
        }
        for name in self.get_metric_fns():
            trj = np.asarray(metric_s[name])
            for i in range(trj.shape[1]):
                columns[f"{name}_{i + 1:04d}"] = trj[:, i]
        loss_s = np.asarray(loss_s)
        for i in range(loss_s.shape[1]):
            columns[f"train_loss_{i * self.record_loss_every:06d}"] = loss_s[:, i]
        for step, per_seed in aux_s:
            columns[f"aux_{step:06d}"] = per_seed
        sample_s = np.asarray(sample_s)
        for i in range(sample_s.shape[1]):
            columns[f"sample_rollout_{i:03d}"] = sample_s[:, i].tolist()
        df = pd.DataFrame(columns)
        if num_seeds == 1 and remove_singleton_axis:
            trained = _unstack(trained, 0)
        return df, trained


def _seed_key(seed: int):
    """`jax.random.PRNGKey(seed)` as a host array (threefry seeding: hi, lo words)."""
    return np.array([(seed >> 32) & 0xFFFFFFFF, seed & 0xFFFFFFFF], dtype=np.uint32)


def stack_models(models):
    """Stack models (same structure) along a new leading seed axis."""
    return jax.tree.map(
        lambda *xs: (
            jnp.asarray(np.stack([np.asarray(x) for x in xs]))
            if eqx.is_array(xs[0])
            else xs[0]
        ),
        *models,
    )


def _unstack(tree, i):
    return jax.tree.map(lambda x: x[i] if eqx.is_array(x) else x, tree)


def _hashable(value):
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    return value


_NETWORK_FIELDS = {
    "conv": ("WIDTH", "DEPTH"),
    "res": ("WIDTH", "BLOCKS"),
    "unet": ("WIDTH", "LEVELS"),
    "dil": ("DIL_FACTOR", "WIDTH", "BLOCKS"),
    "fno": ("MODES", "WIDTH", "BLOCKS"),
    "mlp": ("WIDTH", "DEPTH"),
    "mores": ("WIDTH", "BLOCKS"),
    "mounet": ("WIDTH", "LEVELS"),
}


def build_network(
    network_config: str,
    *,
    num_spatial_dims: int,
    num_channels: int,
    num_points: int,
    key: KeyLike,
) -> eqx.Module:
    """Build the network of an APEBench `network_config` string.

    **Arguments:**

    - `network_config`: e.g. `"Conv;34;10;relu"`.
    - `num_spatial_dims`, `num_channels`, `num_points`: the scenario's shapes.
    - `key`: PRNG key of the initialisation.

    **Returns:**

    The network (`(C, *N) -> (C, *N)`).
    """
    parts = split(network_config, "network_config")
    name = parts[0].lower()
    if name in arch_extensions:
        return arch_extensions[name](
            network_config, num_spatial_dims, num_channels, num_points, key
        )
    d, c = num_spatial_dims, num_channels
    if name == "pure":
        expect_fields(parts, (2, 3), "network_config", network_config, "'Pure'")
        k = to_int(parts[1], "network_config", network_config, "KERNEL_SIZE")
        return PureConv(d, c, c, kernel_size=k, key=key)
    if name not in _NETWORK_FIELDS:
        raise config_error(
            "network_config", network_config, f"unknown network {parts[0]!r}"
        )
    fields = _NETWORK_FIELDS[name]
    expect_fields(
        parts, (len(fields) + 2,), "network_config", network_config, f"'{parts[0]}'"
    )
    vals = [
        to_int(v, "network_config", network_config, f)
        for v, f in zip(parts[1:-1], fields, strict=True)
    ]
    act = parts[-1].lower()
    if act not in ACTIVATIONS:
        raise config_error(
            "network_config", network_config, f"unknown activation {parts[-1]!r}"
        )
    if name == "conv":
        return ConvNet(
            d, c, c, hidden_channels=vals[0], depth=vals[1], activation=act, key=key
        )
    if name == "res":
        return ResNet(
            d,
            c,
            c,
            hidden_channels=vals[0],
            num_blocks=vals[1],
            activation=act,
            key=key,
        )
    if name in ("unet", "mounet"):
        levels = vals[1]
        if num_points % 2**levels or num_points // 2**levels < 2:
            raise config_error(
                "network_config",
                network_config,
                f"num_points={num_points} is too small or not divisible by "
                f"2^LEVELS={2**levels}; use fewer levels or another num_points",
            )
        return UNet(
            d,
            c,
            c,
            hidden_channels=vals[0],
            num_levels=levels,
            activation=act,
            modern=name == "mounet",
            key=key,
        )
    if name == "dil":
        return DilatedResNet(
            d,
            c,
            c,
            dilation_factor=vals[0],
            hidden_channels=vals[1],
            num_blocks=vals[2],
            activation=act,
            key=key,
        )
    if name == "fno":
        if vals[0] > num_points // 2 + 1:
            raise config_error(
                "network_config",
                network_config,
                f"MODES={vals[0]} exceeds the num_points // 2 + 1 = "
                f"{num_points // 2 + 1} Fourier modes of num_points={num_points}",
            )
        return FNO(
            d,
            c,
            c,
            modes=vals[0],
            hidden_channels=vals[1],
            num_blocks=vals[2],
            activation=act,
            key=key,
        )
    if name == "mlp":
        return MLP(
            d,
            c,
            c,
            num_points=num_points,
            width=vals[0],
            depth=vals[1],
            activation=act,
            key=key,
        )
    return ModernResNet(
        d, c, c, hidden_channels=vals[0], num_blocks=vals[1], activation=act, key=key
    )

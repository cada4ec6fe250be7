"""Training of neural steppers: windowing, shuffling, losses, the (multi-seed) loop."""

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from ._config import config_error, split, to_bool, to_int


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """A parsed `train_config`: `one`, `sup;N[;CUT_BPTT]` or `div;N[;CUT[;CUT_DIV]]`."""

    kind: str
    num_rollout_steps: int = 1
    cut_bptt: bool = False
    cut_div_chain: bool = False


def parse_train_config(train_config: str) -> TrainConfig:
    """Parse `one`, `sup;N[;CUT_BPTT]`, `div;N[;CUT_BPTT[;CUT_DIV_CHAIN]]`.

    The dashed spelling of APEBench's docstring (`sup-5`, `div-05`) is accepted too.
    """
    cfg = train_config
    if isinstance(cfg, str) and "-" in cfg and ";" not in cfg:
        cfg = cfg.replace("-", ";")
    parts = split(cfg, "train_config")
    kind = parts[0].lower()
    if kind == "one" and len(parts) == 1:
        return TrainConfig("one")
    if kind in ("sup", "div") and 2 <= len(parts) <= (3 if kind == "sup" else 4):
        n = to_int(parts[1], "train_config", train_config, "N")
        if n < 1:
            raise config_error("train_config", train_config, "N must be >= 1")
        cut = len(parts) > 2 and to_bool(
            parts[2], "train_config", train_config, "CUT_BPTT"
        )
        cut_div = len(parts) > 3 and to_bool(
            parts[3], "train_config", train_config, "CUT_DIV_CHAIN"
        )
        return TrainConfig(kind, n, cut, cut_div)
    raise config_error(
        "train_config",
        train_config,
        f"unknown training methodology {parts[0]!r}"
        if kind not in ("one", "sup", "div")
        else "wrong number of fields",
    )


def substack(trajectories, window_length: int):
    """All overlapping windows of `window_length` snapshots, samples x windows flat.

    `(S, T+1, ...)` -> `(S * (T + 2 - window_length), window_length, ...)`.
    """
    trj = np.asarray(trajectories)
    s, t1 = trj.shape[:2]
    n = t1 - window_length + 1
    if n < 1:
        raise ValueError(
            f"trajectories of {t1} snapshots are too short for windows of "
            f"{window_length}; use fewer rollout steps or a longer horizon"
        )
    idx = np.arange(n)[:, None] + np.arange(window_length)[None, :]
    windows = trj[:, idx]  # (S, n, W, ...)
    return jnp.asarray(windows.reshape((s * n, window_length, *trj.shape[2:])))


def make_loss(cfg: TrainConfig, ref_stepper=None) -> Callable:
    """`loss(model, batch)`; `batch` is `(B, W, C, *N)` (only `W=1` ICs for `div`)."""

    def mse(a, b):
        e = (a - b).reshape(-1)
        return jnp.dot(e, e) / e.size  # a dot, not a multiply-then-sum

    def loss(model, batch):
        step = jax.vmap(model)
        if cfg.kind == "one":
            return mse(step(batch[:, 0]), batch[:, 1])
        p = batch[:, 0]
        total = jnp.zeros(())
        for t in range(1, cfg.num_rollout_steps + 1):
            if cfg.kind == "sup":
                p = step(p)
                total = total + mse(p, batch[:, t])
            else:
                assert ref_stepper is not None
                r = jax.vmap(ref_stepper)(p)
                if cfg.cut_div_chain:
                    r = jax.lax.stop_gradient(r)
                p = step(p)
                total = total + mse(p, r)
            if cfg.cut_bptt:
                p = jax.lax.stop_gradient(p)
        return total

    return loss


def trainable(model) -> Any:
    """Filter spec: floating arrays, except those of frozen (coarse) steppers."""
    spec = jax.tree.map(eqx.is_inexact_array, model)
    frozen = getattr(model, "coarse_stepper", None)
    if frozen is not None:
        spec = eqx.tree_at(
            lambda m: m.coarse_stepper,
            spec,
            replace=jax.tree.map(lambda _: False, frozen),
        )
    return spec


def permutations(key, n: int, num_epochs: int):
    """`num_epochs` permutations of `range(n)` (the key advances by `split(k)[0]`)."""

    def body(k, _):
        return jax.random.split(k)[0], jax.random.permutation(k, n)

    _, perms = jax.lax.scan(body, key, None, length=num_epochs)
    return perms


def seed_sharding(num_seeds: int, devices=None):
    """A `NamedSharding` splitting a leading seed axis over as many devices as divide
    `num_seeds` (`None` when only one device would be used)."""
    devices = list(jax.devices() if devices is None else devices)
    count = max(d for d in range(1, len(devices) + 1) if num_seeds % d == 0)
    if count == 1:
        return None
    mesh = jax.sharding.Mesh(np.array(devices[:count]), ("seed",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("seed"))


def shard_leading_axis(tree, sharding):
    """Place every array leaf of `tree` with `sharding` (leading axis split)."""
    return jax.tree.map(
        lambda x: jax.device_put(x, sharding) if eqx.is_array(x) else x, tree
    )


@eqx.filter_jit
def _all_permutations(keys, n: int, num_epochs: int):
    return jax.vmap(lambda k: permutations(k, n, num_epochs))(keys)


class Trainer:
    """Minibatch training of (a stack of, one per seed) neural steppers.

    **Arguments:**

    - `data`: training windows `(num_windows, W, C, *N)`.
    - `optimizer`: an optax transformation.
    - `num_training_steps`: number of updates.
    - `batch_size`: windows per update (full batch if larger than the data).
    - `loss_fn`: `loss(model, batch) -> scalar`.
    - `callback_fn`: optional `callback(update_step, model) -> dict` (per seed).
    - `progress`: show a tqdm progress bar.
    """

    def __init__(
        self,
        data,
        optimizer,
        num_training_steps: int,
        batch_size: int,
        loss_fn: Callable,
        callback_fn: Callable | None = None,
        progress: bool | None = None,
    ):
        self.data = data
        self.optimizer = optimizer
        self.num_training_steps = num_training_steps
        self.batch_size = min(batch_size, data.shape[0])
        self.loss_fn = loss_fn
        self.callback_fn = callback_fn
        self.progress = progress
        self._step = self._make_step()

    def _make_step(self):
        opt, loss_fn = self.optimizer, self.loss_fn

        def one(model, opt_state, batch):
            params, static = eqx.partition(model, trainable(model))

            def f(p):
                return loss_fn(eqx.combine(p, static), batch)

            loss, grads = jax.value_and_grad(f)(params)
            updates, opt_state = opt.update(grads, opt_state, params)
            return eqx.apply_updates(model, updates), opt_state, loss

        @eqx.filter_jit
        def step(models, opt_states, data, idx):
            batches = data[idx]
            return eqx.filter_vmap(one)(models, opt_states, batches)

        return step

    def init_state(self, models):
        """Optimizer states, one per seed (leading axis)."""
        return eqx.filter_jit(
            eqx.filter_vmap(lambda m: self.optimizer.init(eqx.filter(m, trainable(m))))
        )(models)

    def __call__(
        self, models, shuffle_keys, record_loss_every: int = 100, *, sharding=None
    ):
        """Train a stack of models (leading seed axis) with one shuffle key per seed,
        or a single model with a single key (APEBench's `trainer(model, key)`).

        With a `jax.sharding.Sharding` of the seed axis (see `seed_sharding`), the
        seeds train on several devices at once (the data stay replicated).

        **Returns:**

        `(trained_models, loss_history (S, steps // record_loss_every),
        aux_history)`, with `aux_history` a list (one entry per update step that
        ran a callback) of `(update_step, [dict per seed])`.
        """
        keys = jnp.asarray(shuffle_keys)
        if jax.dtypes.issubdtype(keys.dtype, jax.dtypes.prng_key):
            keys = jax.random.key_data(keys)
        if keys.ndim == 1:  # one model and one key, as APEBench's trainer takes
            stacked = jax.tree.map(lambda x: x[None] if eqx.is_array(x) else x, models)
            model_s, loss_s, aux_s = self(
                stacked, keys[None], record_loss_every, sharding=sharding
            )
            single = jax.tree.map(lambda x: x[0] if eqx.is_array(x) else x, model_s)
            return single, loss_s[0], [(i, a[0]) for i, a in aux_s]
        shuffle_keys = keys
        n = self.data.shape[0]
        per_epoch = math.ceil(n / self.batch_size)
        epochs = max(1, math.ceil(self.num_training_steps / per_epoch))
        # jax.random, compiled once per shape: the same shuffles eagerly and under jit
        perms = _all_permutations(shuffle_keys, n, epochs)
        if sharding is not None:
            models = shard_leading_axis(models, sharding)
            perms = jax.device_put(perms, sharding)
        opt_states = self.init_state(models)
        losses, aux = [], []
        for i in tqdm(
            range(self.num_training_steps),
            desc="training",
            disable=not self.progress if self.progress is not None else None,
            leave=False,
        ):
            if self.callback_fn is not None:
                num_seeds = jax.tree.leaves(eqx.filter(models, eqx.is_array))[0].shape[
                    0
                ]
                outs = [
                    self.callback_fn(
                        i,
                        jax.tree.map(
                            lambda x, j=j: x[j] if eqx.is_array(x) else x, models
                        ),
                    )
                    for j in range(num_seeds)
                ]
                if any(outs):
                    aux.append((i, outs))
            epoch, b = divmod(i, per_epoch)
            start = b * self.batch_size
            stop = min(start + self.batch_size, n)
            idx = perms[:, epoch, start:stop]
            models, opt_states, loss = self._step(models, opt_states, self.data, idx)
            if i % record_loss_every == 0:
                losses.append(loss)
        history = (
            jnp.stack(losses, axis=1)
            if losses
            else jnp.zeros((jax.tree.leaves(shuffle_keys)[0].shape[0], 0))
        )
        return models, history, aux


def get_optimizer(optim_config: str):
    """`(optax.adam(schedule), num_steps)` from `adam;STEPS;SCHEDULE;ARGS...`."""
    parts = split(optim_config, "optim_config")
    if parts[0].lower() != "adam":
        raise config_error(
            "optim_config", optim_config, f"unknown optimizer {parts[0]!r} (only adam)"
        )
    if len(parts) < 4:
        raise config_error("optim_config", optim_config, "too few fields")
    steps = to_int(parts[1], "optim_config", optim_config, "NUM_STEPS")
    sched = parts[2].lower()
    from ._config import to_float

    def f(i, name):
        return to_float(parts[i], "optim_config", optim_config, name)

    if sched == "constant" and len(parts) == 4:
        schedule = optax.constant_schedule(f(3, "LR"))
    elif sched == "exp" and len(parts) == 7:
        schedule = optax.exponential_decay(
            init_value=f(3, "LR"),
            transition_steps=to_int(
                parts[4], "optim_config", optim_config, "TRANSITION_STEPS"
            ),
            decay_rate=f(5, "DECAY_RATE"),
            staircase=to_bool(parts[6], "optim_config", optim_config, "STAIRCASE"),
        )
    elif sched == "warmup_cosine" and len(parts) == 6:
        schedule = optax.warmup_cosine_decay_schedule(
            init_value=f(3, "INIT_LR"),
            peak_value=f(4, "PEAK_LR"),
            warmup_steps=to_int(parts[5], "optim_config", optim_config, "WARMUP_STEPS"),
            decay_steps=steps,
            end_value=0.0,
        )
    else:
        raise config_error(
            "optim_config",
            optim_config,
            f"unknown schedule {parts[2]!r} or wrong number of fields ({len(parts)})",
        )
    return optax.adam(schedule), steps, schedule

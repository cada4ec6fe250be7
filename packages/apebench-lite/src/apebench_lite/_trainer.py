"""Training of neural steppers: windowing, shuffling, losses, the (multi-seed) loop."""

import dataclasses
import functools
import hashlib
import math
import os
import re
import sys
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from rollax import Checkpointing, CheckpointStore, progress_bar, warn_user

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


CHUNK_SIZE = 256
"""The most update steps between two looks at the clock (progress bar, checkpoints)."""


@eqx.filter_jit
def _update(one, models, opt_states, data, perms, step, per_epoch, batch, size):
    """Update step `step` (traced: one program serves every step; a second one the short
    last batch of an epoch): `size` windows from position `step % per_epoch * batch` of
    the epoch's permutation.

    One update per compiled call, not a loop of them: XLA compiles a loop body
    differently and changes the last bit of some losses (measured on CPU), so a
    training gives the same numbers chunked, checkpointed, resumed or as before.
    """
    epoch, b = step // per_epoch, step % per_epoch
    order = jnp.take(perms, epoch, axis=1)  # (S, num_windows)
    idx = jax.lax.dynamic_slice_in_dim(order, b * batch, size, axis=1)
    return eqx.filter_vmap(one)(models, opt_states, data[idx])


class Trainer:
    """Minibatch training of (a stack of, one per seed) neural steppers.

    **Arguments:**

    - `data`: training windows `(num_windows, W, C, *N)`.
    - `optimizer`: an optax transformation.
    - `num_training_steps`: number of updates.
    - `batch_size`: windows per update (full batch if larger than the data).
    - `loss_fn`: `loss(model, batch) -> scalar`.
    - `callback_fn`: optional `callback(update_step, model) -> dict` (per seed).
    - `progress`: show a tqdm progress bar (`None`: only on a terminal).
    - `description`: names and values that identify the training beyond what the
        trainer sees (a scenario passes its configuration); a checkpoint written
        with other values is refused.
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
        *,
        description: dict[str, str] | None = None,
    ):
        self.data = data
        self.optimizer = optimizer
        self.num_training_steps = num_training_steps
        self.batch_size = min(batch_size, data.shape[0])
        self.loss_fn = loss_fn
        self.callback_fn = callback_fn
        self.progress = progress
        self.description = dict(description or {})
        self._one = self._make_update()

    def _make_update(self):
        opt, loss_fn = self.optimizer, self.loss_fn

        def one(model, opt_state, batch):
            params, static = eqx.partition(model, trainable(model))

            def f(p):
                return loss_fn(eqx.combine(p, static), batch)

            loss, grads = jax.value_and_grad(f)(params)
            updates, opt_state = opt.update(grads, opt_state, params)
            return eqx.apply_updates(model, updates), opt_state, loss

        return one

    def init_state(self, models):
        """Optimizer states, one per seed (leading axis)."""
        return eqx.filter_jit(
            eqx.filter_vmap(lambda m: self.optimizer.init(eqx.filter(m, trainable(m))))
        )(models)

    def __call__(
        self,
        models,
        shuffle_keys,
        record_loss_every: int = 100,
        *,
        sharding=None,
        checkpoint: "Checkpointing | str | os.PathLike | None" = None,
    ):
        """Train a stack of models (leading seed axis) with one shuffle key per seed,
        or a single model with a single key (APEBench's `trainer(model, key)`).

        With a `jax.sharding.Sharding` of the seed axis (see `seed_sharding`), the
        seeds train on several devices at once (the data stay replicated).

        With `checkpoint=` (a directory or `rollax.Checkpointing`) the training saves
        the weights, optimiser states, update step, shuffle keys and loss history
        between chunks of updates; calling it again with the same directory resumes
        and ends bit-identical to an uninterrupted training. A checkpoint of another
        training (network, weights, data, optimiser, loss, seeds, number of updates)
        is refused with a `rollax.CheckpointError` naming what differs. Callbacks are
        not saved: after a resume, `aux_history` covers the updates of this call.

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
                stacked,
                keys[None],
                record_loss_every,
                sharding=sharding,
                checkpoint=checkpoint,
            )
            single = jax.tree.map(lambda x: x[0] if eqx.is_array(x) else x, model_s)
            return single, loss_s[0], [(i, a[0]) for i, a in aux_s]
        total = self.num_training_steps
        n = self.data.shape[0]
        bs = self.batch_size
        per_epoch = math.ceil(n / bs)
        last = n - (per_epoch - 1) * bs  # windows in the last batch of an epoch
        epochs = max(1, math.ceil(total / per_epoch))
        num_seeds = keys.shape[0]
        store, step, recorded = None, 0, []
        if checkpoint is not None:
            run = self._fingerprint(models, keys, record_loss_every)
            store = CheckpointStore(checkpoint, run)
        try:
            opt_states = self.init_state(models)
            if store is not None:
                restored = self._restore(store, models, opt_states, keys)
                if restored is not None:
                    step, models, opt_states, history = restored
                    recorded = [history]
                    if self.callback_fn is not None and step > 0:
                        warn_user(
                            f"resuming the training at update {step} from "
                            f"{store.directory}: the callbacks' aux_history covers "
                            "only the updates from there on"
                        )
            # jax.random, compiled once per shape: the same shuffles eagerly and under jit
            perms = _all_permutations(keys, n, epochs)
            if sharding is not None:
                models = shard_leading_axis(models, sharding)
                opt_states = shard_leading_axis(opt_states, sharding)
                perms = jax.device_put(perms, sharding)
            aux = []
            enabled = self.progress if self.progress is not None else _on_terminal()
            with progress_bar(total, enabled=enabled, desc="training") as bar:
                bar.update(step)
                while step < total:
                    if self.callback_fn is not None:
                        outs = [
                            self.callback_fn(step, _unstack(models, j))
                            for j in range(num_seeds)
                        ]
                        if any(outs):
                            aux.append((step, outs))
                    count = self._segment(step, total, store)
                    chunk = []
                    for i in range(step, step + count):
                        size = last if i % per_epoch == per_epoch - 1 else bs
                        models, opt_states, loss = _update(
                            self._one,
                            models,
                            opt_states,
                            self.data,
                            perms,
                            jnp.int32(i),
                            per_epoch,
                            bs,
                            size,
                        )
                        if i % record_loss_every == 0:
                            chunk.append(loss)
                    if chunk:
                        recorded.append(np.asarray(jnp.stack(chunk, axis=1)))
                    step += count
                    bar.update(count)
                    if store is not None and (step == total or store.due(step)):
                        recorded = [_concatenate(recorded, num_seeds)]
                        self._save(store, step, models, opt_states, keys, recorded[0])
        finally:
            if store is not None:
                store.close()
        history = jnp.asarray(_concatenate(recorded, num_seeds))
        return models, history, aux

    def _segment(self, step, total, store) -> int:
        """How many updates the next chunk makes: up to `CHUNK_SIZE`, one at a time with
        callbacks, and none past a checkpoint due by step count."""
        count = 1 if self.callback_fn is not None else min(CHUNK_SIZE, total - step)
        if store is not None and store.config.every_steps is not None:
            period = int(store.config.every_steps)
            count = min(count, (step // period + 1) * period - step)
        return max(count, 1)

    def _fingerprint(self, models, keys, record_loss_every) -> dict[str, str]:
        """What identifies a training: a checkpoint resumes only the same training."""
        arrays, static = eqx.partition(models, eqx.is_array)
        run = {
            "network": _describe_tree(static),
            "initial weights": _digest(arrays),
            "data": f"{tuple(self.data.shape)} {self.data.dtype} {_digest(self.data)}",
            "optimizer": _describe(self.optimizer),
            "loss": _describe(self.loss_fn),
            "num_training_steps": str(self.num_training_steps),
            "batch_size": str(self.batch_size),
            "record_loss_every": str(record_loss_every),
            "shuffle keys": _digest(keys),
        }
        run.update({k: str(v) for k, v in self.description.items()})
        return run

    def _save(self, store, step, models, opt_states, keys, history) -> None:
        arrays = {
            "models": _numbered(eqx.filter(models, eqx.is_array)),
            "opt_states": _numbered(opt_states),
            "keys": keys,
        }
        if history.shape[1]:
            arrays["outputs"] = history.T  # records first, as the store expects
        store.save(step, arrays, history.shape[1])

    def _restore(self, store, models, opt_states, keys):
        num_seeds = keys.shape[0]
        model_arrays, static = eqx.partition(models, eqx.is_array)
        like = {
            "models": _numbered(model_arrays),
            "opt_states": _numbered(opt_states),
            "keys": keys,
            "outputs": jnp.zeros((num_seeds,), self.data.dtype),
        }
        restored = store.latest(like)
        if restored is None:
            return None
        step, arrays = restored
        model_arrays = _unnumbered(model_arrays, arrays["models"])
        opt_states = _unnumbered(opt_states, arrays["opt_states"])
        history = (
            np.asarray(arrays["outputs"]).T
            if "outputs" in arrays
            else np.zeros((num_seeds, 0), self.data.dtype)
        )
        return step, eqx.combine(model_arrays, static), opt_states, history


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _unstack(tree, j):
    return jax.tree.map(lambda x: x[j] if eqx.is_array(x) else x, tree)


def _concatenate(blocks, num_seeds: int):
    if not blocks:
        return np.zeros((num_seeds, 0), np.float32)
    return np.concatenate([np.asarray(b) for b in blocks], axis=1)


def _numbered(tree) -> dict[str, Any]:
    """The array leaves of `tree` by position (optax states are namedtuples, which a
    checkpoint need not restore as such)."""
    leaves = [x for x in jax.tree.leaves(tree) if eqx.is_array(x)]
    return {f"{i:05d}": x for i, x in enumerate(leaves)}


def _unnumbered(tree, arrays: dict[str, Any]):
    leaves, treedef = jax.tree.flatten(tree)
    it = iter(arrays[k] for k in sorted(arrays))
    new = [jnp.asarray(next(it)) if eqx.is_array(x) else x for x in leaves]
    return jax.tree.unflatten(treedef, new)


# ---------------------------------------------------------------------------------------
# Describing a training for its checkpoint fingerprint.

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _digest(tree) -> str:
    h = hashlib.sha256()
    for leaf in jax.tree.leaves(tree):
        if not eqx.is_array_like(leaf):
            continue
        if isinstance(leaf, jax.Array) and jax.dtypes.issubdtype(
            leaf.dtype, jax.dtypes.prng_key
        ):
            leaf = jax.random.key_data(leaf)
        array = np.asarray(leaf)
        h.update(f"{array.shape}{array.dtype}".encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def _describe_tree(tree) -> str:
    return _ADDRESS.sub("", str(jax.tree.structure(tree)))


def _describe(obj) -> str:
    """A stable digest of a function and what it closes over (optax transformations are
    closures: their learning rate and schedule live in closure cells)."""
    h = hashlib.sha256()
    _feed(h, obj, depth=0, seen=set())
    return h.hexdigest()[:16]


def _feed(h, obj, depth: int, seen: set) -> None:
    if depth > 12 or id(obj) in seen:
        h.update(b"...")
        return
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        h.update(repr(obj).encode())
        return
    seen = seen | {id(obj)}
    if eqx.is_array(obj) or isinstance(obj, np.ndarray):
        h.update(_digest(obj).encode())
    elif isinstance(obj, (tuple, list)):
        h.update(f"{type(obj).__qualname__}{len(obj)}".encode())
        for item in obj:
            _feed(h, item, depth + 1, seen)
    elif isinstance(obj, dict):
        for k in sorted(obj, key=repr):
            h.update(repr(k).encode())
            _feed(h, obj[k], depth + 1, seen)
    elif isinstance(obj, eqx.Module) or dataclasses.is_dataclass(obj):
        h.update(type(obj).__qualname__.encode())
        for name in sorted(vars(obj)):
            h.update(name.encode())
            _feed(h, getattr(obj, name), depth + 1, seen)
    elif isinstance(obj, functools.partial):
        _feed(h, (obj.func, obj.args, obj.keywords), depth + 1, seen)
    elif callable(obj) and hasattr(obj, "__code__"):
        h.update(f"{obj.__module__}.{obj.__qualname__}".encode())
        _feed(h, obj.__defaults__, depth + 1, seen)
        cells = [c.cell_contents for c in (obj.__closure__ or ()) if _filled(c)]
        _feed(h, cells, depth + 1, seen)
    else:
        h.update(_ADDRESS.sub("", f"{type(obj).__qualname__}").encode())


def _filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


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

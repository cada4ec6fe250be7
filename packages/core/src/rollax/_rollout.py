"""`rollax.rollout`: the family's time loop. Compiled once, chunked, monitored,
checkpointed and resumable."""

import inspect
import numbers
import os
import time
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, PRNGKeyArray, PyTree

from ._checkpoint import Checkpointing, CheckpointStore, as_checkpointing, fingerprint
from ._helpers import progress_bar

DEFAULT_CHUNK_SIZE = 16384
"""The most steps per compiled call when `chunk_size` is not given. The number of steps
in a call is data, so any `num_steps` and any checkpoint schedule reuse one program. Calls
start short and grow until each lasts about `_SEGMENT_SECONDS`; the chunk size bounds
them and the records buffer (see the core README for the measurement behind it)."""

_SEGMENT_SECONDS = 0.5
_FIRST_SEGMENT = 64

_MAX_RECORDS_BYTES = 64 * 2**20


def rollout(
    stepper: Callable[..., Any],
    state: PyTree[Array],
    num_steps: int,
    *,
    key: PRNGKeyArray | None = None,
    monitor: Callable[[PyTree[Array]], PyTree[Array]] | None = None,
    every: int = 1,
    progress: bool = False,
    checkpoint: "Checkpointing | str | os.PathLike | None" = None,
    chunk_size: int | None = None,
    sharding: Any = None,
) -> tuple[PyTree[Array], PyTree[Array] | None]:
    """Advance `state` by `num_steps` steps of `stepper`.

    **Arguments:**

    - `stepper`: a [`rollax.AbstractStepper`][] or any callable `state -> state` (with a
        `key` keyword argument when `key` is given).
    - `state`: the initial state, a pytree of arrays.
    - `num_steps`: how many steps to take, a non-negative integer. It is data: any
        value reuses the compiled program.
    - `key`: a PRNG key for stochastic steppers. Step `i` (counted from 0 over the
        whole run) gets `jax.random.fold_in(key, i)`, so the numbers do not depend on the
        chunking, on progress bars, or on resuming.
    - `monitor`: a function `state -> pytree of arrays`, recorded after every `every`-th
        step (after steps `every`, `2 every`, ...; the initial state is not recorded).
        Pass the same function object each time to reuse the compiled program.
    - `every`: the recording interval, in steps.
    - `progress`: show a tqdm bar, updated once per chunk. It never changes the numbers.
    - `checkpoint`: a directory or [`rollax.Checkpointing`][]. The run saves its state,
        step, key and records there; calling it again with the same arguments resumes
        from the latest checkpoint and returns bit-identical results. A checkpoint of a
        different run (stepper, parameters, initial state, key, `num_steps`, monitor) is
        refused with an error that says what differs. Checkpoints fall between chunks at
        multiples of `every` (`every_steps` is rounded up to one).
    - `chunk_size`: the most steps per compiled call (default `DEFAULT_CHUNK_SIZE`, fewer
        if the records of one chunk would exceed 64 MiB); rounded up to a multiple of
        `every`. Calls start at 64 steps and grow until each takes about half a second,
        which keeps the progress bar and checkpoints timely.
    - `sharding`: a `jax.sharding.Sharding` (or a pytree of them) for the state, e.g.
        a batch axis placed over the local devices. The result equals the unsharded one.

    **Returns:**

    `(final_state, outputs)`: the state after `num_steps` steps, and the monitor's
    records stacked along a new leading axis of length `num_steps // every` (`None`
    without a monitor).

    The loop runs under `jax.lax.fori_loop` and is not reverse-differentiable; take
    gradients through `jax.lax.scan` over the stepper instead.
    """
    num_steps = _check_count("num_steps", num_steps, minimum=0)
    every = _check_count("every", every, minimum=1)
    state = jax.tree.map(jnp.asarray, state)
    if sharding is not None:
        state = jax.device_put(state, sharding)
    _check_stepper(stepper, state, key)
    record_shape = _check_monitor(monitor, state)
    chunk = _chunk_size(chunk_size, every, record_shape)
    config = as_checkpointing(checkpoint)

    step, outputs = 0, []
    store = None
    if config is not None:
        run = fingerprint(stepper, state, num_steps, key, monitor, every)
        store = CheckpointStore(config, run)
        like = _arrays(state, key, [record_shape])
        restored = store.latest(like)
        if restored is not None:
            step, arrays = restored
            state = arrays["state"]
            if sharding is not None:
                state = jax.device_put(state, sharding)
            if "outputs" in arrays:
                outputs.append(arrays["outputs"])

    try:
        with progress_bar(num_steps, enabled=progress, desc="rollout") as bar:
            bar.update(step)
            target = _SEGMENT_SECONDS
            if store is not None and store.config.seconds is not None:
                target = min(target, store.config.seconds)
            length = _round(_FIRST_SEGMENT, every, chunk)
            while step < num_steps:
                n = min(length, num_steps - step)
                if store is not None:
                    n = _until_checkpoint(n, step, store.config, every)
                started = time.monotonic()
                state, records = _advance(
                    stepper,
                    state,
                    key,
                    jnp.uint32(step),
                    jnp.int32(n),
                    monitor,
                    every,
                    chunk,
                )
                if monitor is not None:  # records go to the host: no compile per count
                    count = n // every
                    outputs.append(
                        jax.tree.map(lambda r, c=count: np.asarray(r)[:c], records)
                    )
                jax.block_until_ready(state)
                step += n
                bar.update(n)
                # The next segment lasts about `target` seconds: progress and checkpoints
                # stay timely for slow steppers, dispatch overhead negligible for fast ones.
                rate = n / max(time.monotonic() - started, 1e-9)
                length = _round(min(rate * target, 4 * length), every, chunk)
                if store is not None and (step == num_steps or store.due(step)):
                    outputs = [_concatenate(outputs)] if monitor is not None else []
                    store.save(step, _arrays(state, key, outputs), step // every)
    finally:
        if store is not None:
            store.close()
    if monitor is None:
        return state, None
    records = _concatenate(outputs) if outputs else _empty(record_shape)
    return state, jax.device_put(records)


def _arrays(state, key, outputs) -> dict[str, Any]:
    if key is not None and jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return {"state": state, "key": key, "outputs": outputs[0] if outputs else None}


def _concatenate(blocks: list[PyTree[Array]]) -> PyTree[Array]:
    if len(blocks) == 1:
        return blocks[0]
    return jax.tree.map(lambda *xs: np.concatenate(xs), *blocks)


def _empty(record_shape: PyTree[jax.ShapeDtypeStruct]) -> PyTree[Array]:
    return jax.tree.map(lambda s: jnp.zeros((0, *s.shape), s.dtype), record_shape)


def _round(length: float, every: int, chunk: int) -> int:
    """A segment length: a multiple of `every` between `every` and `chunk`."""
    return min(max(int(length) // every * every, every), chunk)


def _until_checkpoint(n: int, step: int, config: Checkpointing, every: int) -> int:
    """Shorten a segment so that a checkpoint due by step count falls between segments
    (any length reuses the compiled program; segments start at multiples of `every`)."""
    if config.every_steps is not None:
        period = -(-config.every_steps // every) * every
        boundary = -(-(step + 1) // period) * period
        n = min(n, max(boundary - step, every))
    return n


@eqx.filter_jit
def _advance(stepper, state, key, start, n, monitor, every, chunk):
    """`n` steps from global step `start`. Both are traced: one program serves every
    chunk length and position; `monitor`, `every` and `chunk` are static."""

    def one(i, s):
        if key is None:
            return stepper(s)
        return stepper(s, key=jax.random.fold_in(key, start + i.astype(jnp.uint32)))

    if monitor is None:
        return jax.lax.fori_loop(jnp.int32(0), n, one, state), None

    count = n // every
    shapes = jax.eval_shape(monitor, state)
    buffer = jax.tree.map(
        lambda s: jnp.zeros((chunk // every, *s.shape), s.dtype), shapes
    )

    def record(j, carry):
        s, buf = carry
        s = jax.lax.fori_loop(j * every, (j + 1) * every, one, s)
        buf = jax.tree.map(lambda b, o: b.at[j].set(o), buf, monitor(s))
        return s, buf

    state, buffer = jax.lax.fori_loop(jnp.int32(0), count, record, (state, buffer))
    state = jax.lax.fori_loop(count * every, n, one, state)
    return state, buffer


def _check_count(name: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"rollout: {name} must be a whole number, got {value!r}")
    if not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            return _check_count(name, int(float(value)), minimum=minimum)
        raise TypeError(f"rollout: {name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"rollout: {name} must be >= {minimum}, got {value}")
    return int(value)


def _check_stepper(stepper, state, key) -> None:
    if not callable(stepper):
        raise TypeError(
            f"rollout: stepper must be a rollax.AbstractStepper or a callable "
            f"state -> state, got {type(stepper).__name__}"
        )
    if key is not None and not isinstance(stepper, eqx.Module):
        try:
            parameters = inspect.signature(stepper).parameters
        except (TypeError, ValueError):
            parameters = None
        if (
            parameters is not None
            and "key" not in parameters
            and not any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
            )
        ):
            raise TypeError(
                "rollout: a key was given but the stepper takes no `key` keyword; pass "
                "key=None for a deterministic stepper, or accept `key` in the stepper"
            )
    kwargs = {} if key is None else {"key": key}
    after = jax.eval_shape(lambda s: stepper(s, **kwargs), state)  # pyright: ignore[reportCallIssue]
    before = jax.eval_shape(lambda s: s, state)
    if jax.tree.structure(after) != jax.tree.structure(before):
        raise ValueError(
            "rollout: the stepper must return a state with the structure of its input; "
            f"got {jax.tree.structure(after)} from {jax.tree.structure(before)}"
        )
    paths = jax.tree_util.tree_flatten_with_path(before)[0]
    for (path, b), a in zip(paths, jax.tree.leaves(after), strict=True):
        if (a.shape, a.dtype) != (b.shape, b.dtype):
            raise ValueError(
                f"rollout: the stepper changes state leaf {jax.tree_util.keystr(path) or '<root>'} "
                f"from {b.shape} {b.dtype} to {a.shape} {a.dtype}; a step must keep "
                "every leaf's shape and dtype (cast inside the stepper)"
            )


def _check_monitor(monitor, state) -> PyTree[jax.ShapeDtypeStruct] | None:
    if monitor is None:
        return None
    if not callable(monitor):
        raise TypeError(
            f"rollout: monitor must be a function state -> arrays, got {type(monitor).__name__}"
        )
    try:
        shapes = jax.eval_shape(monitor, state)
    except TypeError as error:
        raise TypeError(
            f"rollout: the monitor must return an array or a pytree of arrays ({error}); "
            "return jnp arrays, not strings, lists of objects or None"
        ) from error
    leaves = jax.tree.leaves(shapes)
    if not leaves or not all(isinstance(x, jax.ShapeDtypeStruct) for x in leaves):
        raise TypeError(
            "rollout: the monitor must return an array or a pytree of arrays, got "
            f"{shapes!r}; return jnp arrays (for nothing to record, pass monitor=None)"
        )
    return shapes


def _chunk_size(chunk_size, every: int, record_shape) -> int:
    if chunk_size is None:
        chunk = DEFAULT_CHUNK_SIZE
        if record_shape is not None:
            per_record = sum(
                x.size * x.dtype.itemsize for x in jax.tree.leaves(record_shape)
            )
            chunk = min(chunk, max(1, _MAX_RECORDS_BYTES // max(per_record, 1)) * every)
    else:
        chunk = _check_count("chunk_size", chunk_size, minimum=1)
    return -(-max(chunk, every) // every) * every

"""Checkpoints of a rollout: orbax-checkpoint, atomic, keep-N, refused when they belong
to another run."""

import dataclasses
import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PyTree

from ._errors import CheckpointError


@dataclasses.dataclass(frozen=True)
class Checkpointing:
    """Where and how often a long run saves itself.

    Pass it (or just a directory) as `checkpoint=` to [`rollax.rollout`][] or to a
    package's runner. Calling the same run again with the same directory resumes from
    the latest checkpoint, and the result is bit-identical to an uninterrupted run, also
    after the process was killed at any moment, during a save included.

    **Arguments:**

    - `directory`: where checkpoints go; created if missing. One run per directory.
    - `every_steps`: save at least every this many steps.
    - `every_seconds`: save at least every this many seconds of wall time. Without
        either, a checkpoint is written every 60 seconds.
    - `keep`: how many of the latest checkpoints to keep (at least 1).

    A checkpoint is also written when the run finishes, so calling a finished run again
    returns its result from disk without computing.
    """

    directory: str | os.PathLike
    every_steps: int | None = None
    every_seconds: float | None = None
    keep: int = 2

    def __post_init__(self):
        for name in ("every_steps", "every_seconds"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(
                    f"Checkpointing: {name} must be positive, got {value!r}"
                )
        if self.every_steps is not None and int(self.every_steps) != self.every_steps:
            raise ValueError(
                f"Checkpointing: every_steps must be a whole number, got {self.every_steps!r}"
            )
        if not (isinstance(self.keep, int) and self.keep >= 1):
            raise ValueError(
                f"Checkpointing: keep must be an integer >= 1, got {self.keep!r}"
            )

    @property
    def seconds(self) -> float | None:
        if self.every_steps is None and self.every_seconds is None:
            return 60.0
        return self.every_seconds


def as_checkpointing(checkpoint: "Checkpointing | str | os.PathLike | None"):
    """`checkpoint=` as given by the user, as a `Checkpointing` (or `None`)."""
    if checkpoint is None or isinstance(checkpoint, Checkpointing):
        return checkpoint
    if isinstance(checkpoint, (str, os.PathLike)):
        return Checkpointing(checkpoint)
    raise TypeError(
        "checkpoint must be a directory or rollax.Checkpointing(directory, ...), got "
        f"{type(checkpoint).__name__}"
    )


# ---------------------------------------------------------------------------------------
# What makes two runs the same run.

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _digest(tree: PyTree[Any]) -> str:
    h = hashlib.sha256()
    for leaf in jax.tree.leaves(tree):
        array = np.asarray(jax.random.key_data(leaf) if _is_typed_key(leaf) else leaf)
        h.update(f"{array.shape}{array.dtype}".encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()[:16]


def _describe(obj: Any) -> str:
    """A stable description of non-array configuration (no memory addresses)."""
    if callable(obj) and not isinstance(obj, eqx.Module):
        name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return f"{getattr(obj, '__module__', '')}.{name}"
    return _ADDRESS.sub("", str(jax.tree.structure(obj)))


def _is_typed_key(x: Any) -> bool:
    return isinstance(x, jax.Array) and jnp.issubdtype(x.dtype, jax.dtypes.prng_key)


def _shapes(tree: PyTree[Any]) -> str:
    leaves = jax.tree.leaves(tree)
    return ", ".join(f"{jnp.shape(x)} {jnp.result_type(x)}" for x in leaves)


def fingerprint(
    stepper, state, num_steps: int, key, monitor, every: int
) -> dict[str, str]:
    """What identifies a run: a checkpoint resumes only a run with the same fingerprint."""
    params, static = eqx.partition(stepper, eqx.is_array)
    return {
        "stepper": _describe(static),
        "stepper parameters": _digest(params),
        "state shapes": _shapes(state),
        "initial state": _digest(state),
        "num_steps": str(num_steps),
        "key": "none" if key is None else _digest(key),
        "monitor": "none" if monitor is None else _describe(monitor),
        "every": str(every),
    }


# ---------------------------------------------------------------------------------------
# The store.


class CheckpointStore:
    """The checkpoints of one long run in one directory, for loops that are not a
    [`rollax.rollout`][] (a training, a search): orbax-checkpoint, atomic, keep-N.

    **Arguments:**

    - `config`: a directory or a [`rollax.Checkpointing`][].
    - `run`: what identifies the run, as strings (configuration, seeds, sizes). A
        checkpoint written with another `run` is refused by `latest` with a
        [`rollax.CheckpointError`][] that lists what differs.

    The directory is checked for writing at once, before any work starts. Use
    `latest(like)` to resume (`None` for a fresh directory), `due(step)` to ask whether
    a save is due, `save(step, arrays, records)` to save, and `close()` at the end.
    """

    def __init__(
        self, config: "Checkpointing | str | os.PathLike", run: dict[str, str]
    ):
        checkpointing = as_checkpointing(config)
        if checkpointing is None:
            raise TypeError("CheckpointStore needs a directory or rollax.Checkpointing")
        self.config = config = checkpointing
        self.run = run
        self.directory = Path(config.directory).expanduser().absolute()
        _check_writable(self.directory)
        import orbax.checkpoint as ocp  # imported on first use: it takes seconds

        self.ocp = ocp
        options = ocp.CheckpointManagerOptions(
            max_to_keep=config.keep, create=True, enable_async_checkpointing=False
        )
        self.manager = ocp.CheckpointManager(self.directory, options=options)
        self.last_save_time = time.monotonic()
        self.last_save_step = 0

    def latest(self, like: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """The latest checkpoint as `(step, arrays)`, or `None` for a fresh directory.

        `like` maps item names to templates (arrays or `ShapeDtypeStruct`s) for the
        arrays; `outputs` templates carry no leading axis, which comes from the record
        count saved beside them.
        """
        step = self.manager.latest_step()
        if step is None:
            return None
        meta = self.manager.restore(
            step, args=self.ocp.args.Composite(meta=self.ocp.args.JsonRestore())
        )["meta"]
        self._check_same_run(meta["run"])
        records = int(meta["records"])
        abstract = {
            name: jax.tree.map(
                lambda x, n=name: _abstract(x, records if n == "outputs" else None),
                tree,
            )
            for name, tree in like.items()
            if name in meta["items"]
        }
        arrays = self.manager.restore(
            step,
            args=self.ocp.args.Composite(
                arrays=self.ocp.args.StandardRestore(abstract)
            ),
        )["arrays"]
        self.last_save_step = step
        return step, dict(arrays)

    def save(self, step: int, arrays: dict[str, Any], records: int) -> None:
        """Write a checkpoint atomically (orbax writes aside and renames when complete)."""
        arrays = {k: v for k, v in arrays.items() if v is not None}
        meta = {"run": self.run, "records": records, "items": sorted(arrays)}
        try:
            self.manager.save(
                step,
                args=self.ocp.args.Composite(
                    arrays=self.ocp.args.StandardSave(arrays),
                    meta=self.ocp.args.JsonSave(meta),
                ),
                force=True,
            )
            self.manager.wait_until_finished()
        except OSError as error:
            raise CheckpointError(
                f"could not write the checkpoint of step {step} to {self.directory} "
                f"({error}); the previous checkpoint is intact. Free space or choose "
                "another directory, then call the same run again to resume."
            ) from error
        self.last_save_time = time.monotonic()
        self.last_save_step = step

    def due(self, step: int) -> bool:
        every_steps, seconds = self.config.every_steps, self.config.seconds
        if every_steps is not None and step - self.last_save_step >= every_steps:
            return True
        return seconds is not None and time.monotonic() - self.last_save_time >= seconds

    def close(self) -> None:
        self.manager.close()

    def _check_same_run(self, saved: dict[str, str]) -> None:
        differences = [
            f"{name}: {saved.get(name, '?')} in the checkpoint, {value} now"
            for name, value in self.run.items()
            if saved.get(name) != value
        ]
        if differences:
            raise CheckpointError(
                f"the checkpoint in {self.directory} was written by a different run ("
                + "; ".join(differences)
                + "). Nothing was overwritten: use another directory for this run, or "
                "delete that one to start over."
            )


def _abstract(x: Any, records: int | None) -> jax.ShapeDtypeStruct:
    shape = tuple(jnp.shape(x))
    if records is not None:
        shape = (records, *shape)
    sharding = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    return jax.ShapeDtypeStruct(shape, jnp.result_type(x), sharding=sharding)


def _check_writable(directory: Path) -> None:
    """Fail before the run starts, not when the first save comes hours later."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".rollax-write-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise CheckpointError(
            f"the checkpoint directory {directory} is not writable ({error}); choose a "
            "directory you can write to"
        ) from error

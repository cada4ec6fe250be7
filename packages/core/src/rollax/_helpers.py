"""Small helpers every package uses: concreteness checks, warnings at the user's line,
progress bars."""

import sys
import warnings
from typing import Any

import jax
from tqdm.auto import tqdm

# Frames of these packages sit between a library call and the user's line.
_INTERNAL = frozenset({"rollax", "jax", "jaxlib", "equinox", "optax", "orbax"})


def is_concrete(*values: Any) -> bool:
    """Whether every leaf of `values` is a concrete value, not a tracer under `jit`/`vmap`.

    Checks that need numbers (a negative time constant, an unsorted input) run only when
    this is true; under tracing they are skipped, not turned into wrong answers.
    """
    tracer = jax.core.Tracer  # pyright: ignore[reportAttributeAccessIssue]
    return not any(isinstance(leaf, tracer) for leaf in jax.tree.leaves(values))


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """`warnings.warn`, attributed to the user's line.

    The warning points at the first frame outside the calling package, rollax itself and
    JAX/equinox (which sit in between under `jit`), so that `-W error` and the printed
    location name the user's code, not the library's internals.

    **Arguments:**

    - `message`: what happened and what to do about it.
    - `category`: the warning class.
    """
    caller = sys._getframe(1)
    internal = _INTERNAL | {caller.f_globals.get("__name__", "").split(".")[0]}
    level, frame = 2, caller
    while frame.f_back is not None:
        package = frame.f_globals.get("__name__", "").split(".")[0]
        if package not in internal:
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def progress_bar(
    total: int, *, enabled: bool, desc: str | None = None, unit: str = "step"
):
    """The family's progress bar: tqdm, updated by the caller once per chunk of work.

    **Arguments:**

    - `total`: the amount of work (steps, epochs, experiments).
    - `enabled`: `False` gives a bar that draws nothing (same interface).
    - `desc`, `unit`: shown on the bar.

    **Returns:**

    A `tqdm` instance; use it as a context manager and call `update(n)`.
    """
    return tqdm(
        total=total, desc=desc, unit=unit, disable=not enabled, dynamic_ncols=True
    )

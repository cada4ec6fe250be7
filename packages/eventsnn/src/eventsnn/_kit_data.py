"""jaxsnn's toy datasets and batching (`jaxsnn.base.dataset`), as coordinates."""

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ._data import yinyang_points

Dataset = tuple[Float[Array, "n d"], Array, str]


def _finish(coords, mirror: bool, bias_spike: float | None):
    if mirror:
        coords = jnp.concatenate([coords, 1.0 - coords], axis=-1)
    if bias_spike is not None:
        bias = jnp.full((coords.shape[0], 1), bias_spike, coords.dtype)
        coords = jnp.concatenate([coords, bias], axis=-1)
    return coords


def _check_size(size) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"size must be a positive int (samples), got {size!r}")
    return size


def yinyang_dataset(
    rng: PRNGKeyArray,
    size: int,
    mirror: bool,
    bias_spike: float | None,
) -> Dataset:
    """The Yin-Yang set as coordinates in `[0, 1]^2`, classes balanced.

    **Arguments:**

    - `rng`: a JAX PRNG key.
    - `size`: number of samples.
    - `mirror`: append `1 - x, 1 - y` as two more columns.
    - `bias_spike`: append a constant column with this value (`None`: none).

    **Returns:**

    `(coords, classes, "yinyang")`: `coords` of shape `(size, 2 | 4 | 3 | 5)`,
    `classes` in `{0: yang, 1: yin, 2: dots}` of shape `(size,)`.
    """
    coords, classes = yinyang_points(rng, _check_size(size))
    return _finish(coords, mirror, bias_spike), classes, "yinyang"


def linear_dataset(
    rng: PRNGKeyArray,
    size: int,
    mirror: bool,
    bias_spike: float | None,
) -> Dataset:
    """Uniform points of the unit square, class 1 above the diagonal (`x < y`).

    **Arguments:**

    As for [`eventsnn.base.dataset.yinyang_dataset`][].

    **Returns:**

    `(coords, classes, "linear")` (jaxsnn names this set `"constant"`, a slip).
    """
    coords = jax.random.uniform(rng, (_check_size(size), 2))
    classes = (coords[:, 0] < coords[:, 1]).astype(jnp.int32)
    return _finish(coords, mirror, bias_spike), classes, "linear"


def circle_dataset(
    rng: PRNGKeyArray,
    size: int,
    mirror: bool = True,
    bias_spike: float | None = 0.0,
) -> Dataset:
    """Uniform points of the unit square, class 1 inside the centred circle of area
    1/2 (radius `sqrt(1 / (2 pi))`), so both classes are equally likely.

    **Arguments:**

    As for [`eventsnn.base.dataset.yinyang_dataset`][].

    **Returns:**

    `(coords, classes, "circle")`.
    """
    coords = jax.random.uniform(rng, (_check_size(size), 2))
    r2 = jnp.sum(jnp.square(coords - 0.5), axis=-1)
    classes = (r2 <= 0.5 / jnp.pi).astype(jnp.int32)
    return _finish(coords, mirror, bias_spike), classes, "circle"


def constant_dataset(t_max: float, size: int) -> Dataset:
    """The same sample `size` times: inputs at `(0.1, 0.2, 1) t_max`, targets at
    `(0.2, 0.3) t_max`.

    **Arguments:**

    - `t_max`: the time scale.
    - `size`: number of samples.

    **Returns:**

    `(inputs, targets, "constant")` of shapes `(size, 3)` and `(size, 2)`.
    """
    size = _check_size(size)
    inputs = jnp.tile(jnp.array([0.1, 0.2, 1.0]) * t_max, (size, 1))
    targets = jnp.tile(jnp.array([0.2, 0.3]) * t_max, (size, 1))
    return inputs, targets, "constant"


def data_loader(
    dataset: Sequence[Any],
    batch_size: int,
    num_batches: int | None = None,
    rng: PRNGKeyArray | None = None,
):
    """Split a dataset into batches, optionally shuffled.

    **Arguments:**

    - `dataset`: `(inputs, targets)` or `(inputs, targets, name)`; inputs and
        targets are arrays or pytrees of arrays with the samples on axis 0.
    - `batch_size`: samples per batch.
    - `num_batches`: how many batches (default: as many full batches as fit;
        leftover samples are dropped).
    - `rng`: shuffle with this key (default: keep the order); the batches are
        drawn from all samples (jaxsnn shuffles only the first
        `num_batches * batch_size`).

    **Returns:**

    `(inputs, targets)` with leaves of shape `(num_batches, batch_size, ...)`.
    """
    data = tuple(dataset[:2])
    sizes = {int(leaf.shape[0]) for leaf in jax.tree.leaves(data)}
    if len(sizes) != 1:
        raise ValueError(
            f"all inputs and targets must have the same number of samples on axis "
            f"0, got {sorted(sizes)}"
        )
    n = sizes.pop()
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if num_batches is None:
        num_batches = n // batch_size
    if num_batches * batch_size > n or num_batches < 1:
        raise ValueError(
            f"{num_batches} batches of {batch_size} need {num_batches * batch_size} "
            f"samples, the dataset has {n}"
        )
    m = num_batches * batch_size
    order = jnp.arange(m) if rng is None else jax.random.permutation(rng, n)[:m]
    return jax.tree.map(
        lambda x: jnp.take(x, order, axis=0).reshape(
            num_batches, batch_size, *x.shape[1:]
        ),
        data,
    )


__all__ = [
    "circle_dataset",
    "constant_dataset",
    "data_loader",
    "linear_dataset",
    "yinyang_dataset",
]

"""Reading per-device batches from user iterators (tf.data `as_numpy_iterator()`
or any Python iterator of numpy arrays), with shape and dtype checks."""

from collections.abc import Iterator
from typing import Any

import numpy as np


def _is_tf_error(e: BaseException) -> bool:
    return type(e).__module__.startswith("tensorflow")


def next_batch(iterator: Any, name: str, i: int, n_steps: int) -> Any:
    """`next(iterator)` with errors that say which iterator failed and why."""
    try:
        return next(iterator)
    except StopIteration:
        raise ValueError(
            f"`{name}` ran out of batches at batch {i + 1} of {n_steps} in this "
            "pass; expected an infinite iterator: build it with `.repeat()` (and "
            "exactly the seed's take/batch layout)"
        ) from None
    except Exception as e:
        if _is_tf_error(e):
            kind = type(e).__name__
            raise ValueError(
                f"reading `{name}` failed ({kind}): {e}. A TFRecord file it reads is "
                "probably truncated or corrupt; check the files with "
                "`TFRecords.check_files(files)`, which names the broken one"
            ) from e
        raise


def check_batch(value: Any, shape: tuple[int, ...], name: str, what: str) -> np.ndarray:
    """A numpy float batch of exactly `shape`."""
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if array.shape != shape:
        raise ValueError(
            f"`{name}` yielded {what} of shape {array.shape}; expected {shape} = "
            "(n_per_device, *input_shape"
            + (", n_params)" if what.startswith("a derivative") else ")")
            + ". Build the dataset with `.batch(n_per_device)` and check "
            "input_shape"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"`{name}` yielded {what} of dtype {array.dtype}; expected floating "
            "point (float32): map the dataset through a parser that decodes to "
            "tf.float32"
        )
    return array


def gather(
    iterators: list[Any],
    name: str,
    n_steps: int,
    shapes: tuple[tuple[int, ...], ...],
    whats: tuple[str, ...],
) -> Iterator[Any]:
    """Global batches: batch `i` of every device's iterator, concatenated."""
    first_shape, first_what = shapes[0], whats[0]
    paired = len(shapes) > 1
    for i in range(n_steps):
        parts = []
        for j, it in enumerate(iterators):
            label = f"{name}[{j}]"
            item = next_batch(it, label, i, n_steps)
            if paired:
                if not isinstance(item, tuple | list) or len(item) != len(shapes):
                    raise ValueError(
                        f"`{label}` must yield pairs (fiducial batch, derivative "
                        f"batch), got {type(item).__name__}; zip the two datasets"
                    )
                parts.append(
                    tuple(
                        check_batch(v, s, label, w)
                        for v, s, w in zip(item, shapes, whats, strict=True)
                    )
                )
            else:
                parts.append(check_batch(item, first_shape, label, first_what))
        if paired:
            yield tuple(
                np.concatenate([p[k] for p in parts]) for k in range(len(shapes))
            )
        else:
            yield np.concatenate(parts)

"""Argument validation with messages that say what was expected."""

from typing import Any

import jax
import numpy as np


def check_int(value: Any, name: str, *, minimum: int = 1) -> int:
    """`value` as an int at least `minimum`, else a clear TypeError/ValueError."""
    if value is None:
        raise ValueError(f"`{name}` is None; expected an int >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(
            f"`{name}` must be an int, got {type(value).__name__} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value}")
    return int(value)


def check_float(value: Any, name: str) -> float:
    """`value` as a Python float (ints accepted), else a clear error."""
    if value is None:
        raise ValueError(f"`{name}` is None; expected a float")
    if isinstance(value, bool) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise TypeError(
            f"`{name}` must be a float, got {type(value).__name__} {value!r}"
        )
    return float(value)


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"`{name}` must be a bool, got {type(value).__name__} {value!r}"
        )
    return bool(value)


def check_shape_tuple(value: Any, name: str) -> tuple[int, ...]:
    if value is None:
        raise ValueError(f"`{name}` is None; expected a tuple of ints")
    if not isinstance(value, tuple) or not all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) and v > 0
        for v in value
    ):
        raise TypeError(
            f"`{name}` must be a tuple of positive ints such as (10,), got "
            f"{type(value).__name__} {value!r}"
        )
    return tuple(int(v) for v in value)


def check_array(value: Any, shape: tuple[int, ...], name: str, hint: str = "") -> Any:
    """A numpy or JAX float array of exactly `shape`, else a clear error."""
    if value is None:
        raise ValueError(f"`{name}` is None; expected an array of shape {shape}")
    if not isinstance(value, np.ndarray | jax.Array):
        raise TypeError(
            f"`{name}` must be a numpy or JAX array of shape {shape}, got "
            f"{type(value).__name__}; convert it with jnp.asarray"
        )
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"`{name}` should have shape {tuple(shape)} but has {tuple(value.shape)}"
            + (f"; {hint}" if hint else "")
        )
    if not np.issubdtype(value.dtype, np.floating):
        raise TypeError(
            f"`{name}` must be a floating-point array, got dtype {value.dtype}; "
            "convert it with .astype(np.float32)"
        )
    return value


def check_device(value: Any, name: str) -> Any:
    if value is None:
        raise ValueError(
            f"`{name}` is None; expected a jax.Device such as jax.devices()[0]"
        )
    if not isinstance(value, jax.Device):
        raise TypeError(
            f"`{name}` must be a jax.Device (e.g. jax.devices('cpu')[0]), got "
            f"{type(value).__name__}"
        )
    return value


def check_devices(value: Any, name: str = "devices") -> list[Any]:
    if value is None:
        raise ValueError(f"`{name}` is None; expected a list of jax.Device")
    if not isinstance(value, list):
        raise TypeError(
            f"`{name}` must be a list of jax.Device (e.g. jax.devices()), got "
            f"{type(value).__name__}"
        )
    if not value:
        raise ValueError(f"`{name}` has no elements; expected at least one device")
    if not all(isinstance(d, jax.Device) for d in value):
        raise TypeError(f"all elements of `{name}` must be jax.Device objects")
    if len(set(value)) != len(value):
        raise ValueError(f"`{name}` lists a device more than once: {value}")
    return value


def check_list(value: Any, length: int, name: str) -> list:
    """A list of `length` iterators (one per device)."""
    if value is None:
        raise ValueError(
            f"`{name}` is None; expected a list of {length} iterators (one per device)"
        )
    if not isinstance(value, list):
        raise TypeError(
            f"`{name}` must be a list of {length} iterators (one per device), got "
            f"{type(value).__name__}"
        )
    if len(value) != length:
        raise ValueError(
            f"`{name}` must have one iterator per device: expected length {length} "
            f"(n_devices), got {len(value)}"
        )
    return value


def check_divisible(total: int, name: str, n_devices: int, n_per_device: int) -> int:
    """`total // (n_devices * n_per_device)`, requiring an exact split."""
    per = n_devices * n_per_device
    if total % per:
        raise ValueError(
            f"`{name}` of {total} will not split evenly between {n_devices} devices "
            f"when calculating {n_per_device} per device; expected a multiple of "
            f"n_devices * n_per_device = {per}"
        )
    return total // per

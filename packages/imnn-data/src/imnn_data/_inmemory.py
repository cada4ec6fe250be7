"""Helpers shared by the in-memory IMNN classes."""

from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ._checks import check_array


def check_validation_pair(a: Any, b: Any, names: tuple[str, str]) -> bool:
    """Validation is on when both are given; exactly one is an error."""
    if (a is None) != (b is None):
        given, missing = names if b is None else names[::-1]
        raise ValueError(
            f"`{given}` was given without `{missing}`; pass both to validate, or "
            "neither"
        )
    return a is not None


def place(
    value: Any, shape: tuple[int, ...], name: str, mesh: Mesh | None, hint: str = ""
) -> jax.Array:
    """Check `value` and put it on the device(s), sharded along the leading axis
    over the first axis of `mesh` where one is given."""
    value = check_array(value, shape, name, hint)
    array = jnp.asarray(value)
    if mesh is None:
        return array
    if not isinstance(mesh, Mesh):
        raise TypeError(
            f"`mesh` must be a jax.sharding.Mesh, got {type(mesh).__name__}"
        )
    axis = mesh.axis_names[0]
    size = mesh.shape[axis]
    if shape[0] % size:
        raise ValueError(
            f"`{name}` has {shape[0]} simulations, which do not split evenly over "
            f"the {size} devices of mesh axis {axis!r}; expected a multiple of {size}"
        )
    return jax.device_put(array, NamedSharding(mesh, PartitionSpec(axis)))

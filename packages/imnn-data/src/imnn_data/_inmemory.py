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


def check_arrays(
    fiducial: Any,
    derivative: Any,
    validation_fiducial: Any,
    validation_derivative: Any,
    shapes: tuple[tuple[int, ...], tuple[int, ...]],
    hint: str,
    put: Any,
) -> tuple[tuple[Any, Any], tuple[Any, Any] | None]:
    """Check the fitting arrays and the optional validation pair with `put(value,
    shape, name, hint)`; return `(fitting, validation or None)`."""
    fid_shape, der_shape = shapes
    train = (
        put(fiducial, fid_shape, "fiducial", ""),
        put(derivative, der_shape, "derivative", hint),
    )
    names = ("validation_fiducial", "validation_derivative")
    if not check_validation_pair(validation_fiducial, validation_derivative, names):
        return train, None
    return train, (
        put(validation_fiducial, fid_shape, names[0], ""),
        put(validation_derivative, der_shape, names[1], hint),
    )


class InMemoryData:
    """Fitting and validation arrays held on the device(s) (mixin)."""

    mesh: Mesh | None
    n_s: int
    input_shape: tuple[int, ...]

    def _set_arrays(
        self,
        fiducial,
        derivative,
        validation_fiducial,
        validation_derivative,
        der_shape,
        hint,
    ) -> None:
        train, val = check_arrays(
            fiducial,
            derivative,
            validation_fiducial,
            validation_derivative,
            ((self.n_s, *self.input_shape), der_shape),
            hint,
            lambda v, s, n, h: place(v, s, n, self._mesh_for(n), h),
        )
        self.fiducial, self.derivative = train
        self.validate = val is not None
        if val is not None:
            self.validation_fiducial, self.validation_derivative = val

    def _mesh_for(self, name: str) -> Mesh | None:
        """The mesh to shard an array over (a derivative of the mean, one array
        for every simulation, is replicated instead)."""
        if getattr(self, "derivative_of_mean", False) and name.endswith("derivative"):
            return None
        return self.mesh

    def _data(self, validate: bool):
        if validate:
            return self.validation_fiducial, self.validation_derivative
        return self.fiducial, self.derivative

"""`Variable`: a mutable, shape- and dtype-stable array container."""

from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._errors import MathError


def _is_weak(x: Any) -> bool:
    if isinstance(x, (bool, int, float, complex)):
        return True
    return bool(getattr(x, "weak_type", False))


class Variable:
    """A mutable array whose shape and dtype never change.

    Models keep their state in `Variable`s; a runner collects every `Variable` of a
    model tree, threads their values through a compiled loop, and writes the final
    values back. Assigning a value of another shape or dtype is an error (a Python
    scalar or weakly typed value is cast to the variable's dtype).

    **Arguments:**

    - `value_or_shape`: the initial value (array-like), or a shape (tuple of ints)
        for a zero-filled variable.
    - `dtype`: the dtype; default: that of the value (float32 for a shape).
    - `batch_axis`: the index of the batch axis, if the variable has one.
    """

    _value: Array

    def __init__(
        self,
        value_or_shape: Any,
        dtype: Any = None,
        batch_axis: int | None = None,
    ):
        if isinstance(value_or_shape, Variable):
            value_or_shape = value_or_shape.value
        if isinstance(value_or_shape, tuple) and all(
            isinstance(s, int) for s in value_or_shape
        ):
            value = jnp.zeros(value_or_shape, dtype=dtype or jnp.float32)
        else:
            value = jnp.asarray(value_or_shape, dtype=dtype)
        self._value = value
        self.batch_axis = batch_axis

    # -- value access -------------------------------------------------------------
    @property
    def value(self) -> Array:
        """The current value."""
        return self._value

    @value.setter
    def value(self, v: Any) -> None:
        self._value = self._check(v)

    def _check(self, v: Any) -> Array:
        if isinstance(v, Variable):
            v = v.value
        weak = _is_weak(v)
        v = jnp.asarray(v)
        old = self._value
        if v.shape != old.shape:
            if v.ndim == 0 and weak:
                v = jnp.broadcast_to(v, old.shape)
            else:
                raise MathError(
                    f"cannot assign a value of shape {v.shape} to a Variable of shape "
                    f"{old.shape}: expected the same shape (Variables keep their "
                    "shape; create a new Variable to change it)"
                )
        if v.dtype != old.dtype:
            if weak:
                v = v.astype(old.dtype)
            else:
                raise MathError(
                    f"cannot assign a value of dtype {v.dtype} to a Variable of dtype "
                    f"{old.dtype}: expected the same dtype (cast it first, e.g. "
                    f"x.astype({old.dtype.name!r}))"
                )
        return v

    def update(self, v: Any) -> None:
        """Assign a new value (same as `self.value = v`)."""
        self.value = v

    # -- array protocol -----------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._value.shape)

    @property
    def dtype(self) -> Any:
        return self._value.dtype

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    def __len__(self) -> int:
        return len(self._value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return np.asarray(self._value, dtype=dtype)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(value={self._value!r})"

    def __iter__(self):
        return iter(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __hash__(self) -> int:
        return id(self)

    def __getitem__(self, idx: Any) -> Array:
        return self._value[_unwrap(idx)]

    def __setitem__(self, idx: Any, v: Any) -> None:
        self.value = self._value.at[_unwrap(idx)].set(_unwrap(v))

    def astype(self, dtype: Any) -> Array:
        return self._value.astype(dtype)

    def sum(self, *args: Any, **kwargs: Any) -> Array:
        return self._value.sum(*args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Array:
        return self._value.mean(*args, **kwargs)

    def numpy(self) -> np.ndarray:
        return np.asarray(self._value)

    @property
    def T(self) -> Array:
        return self._value.T

    # in-place operators rebind the value and return the Variable itself
    def __iadd__(self, o: Any) -> "Variable":
        self.value = self._value + _unwrap(o)
        return self

    def __isub__(self, o: Any) -> "Variable":
        self.value = self._value - _unwrap(o)
        return self

    def __imul__(self, o: Any) -> "Variable":
        self.value = self._value * _unwrap(o)
        return self

    def __itruediv__(self, o: Any) -> "Variable":
        self.value = self._value / _unwrap(o)
        return self


def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def _binop(name: str):
    def method(self: Variable, other: Any) -> Any:
        return getattr(self._value, name)(_unwrap(other))

    method.__name__ = name
    return method


for _name in [
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__truediv__", "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__",
    "__rmod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__and__",
    "__rand__", "__or__", "__ror__", "__xor__", "__rxor__", "__lt__", "__le__",
    "__gt__", "__ge__", "__eq__", "__ne__",
]:  # fmt: skip
    setattr(Variable, _name, _binop(_name))

for _name in ["__neg__", "__pos__", "__abs__", "__invert__"]:
    setattr(
        Variable,
        _name,
        (lambda n: lambda self: getattr(self._value, n)())(_name),
    )


class TrainVar(Variable):
    """A trainable `Variable` (collected by `train_vars()`)."""


class Parameter(Variable):
    """A `Variable` holding a model parameter."""

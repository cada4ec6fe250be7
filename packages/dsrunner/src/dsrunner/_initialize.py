"""Initializers for parameters and state variables (`dsrunner.init`)."""

from typing import Any

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

_RNG = [np.random.default_rng(0)]


def seed(s: int) -> None:
    """Reseed the host random generator used by initializers without a `seed`."""
    _RNG[0] = np.random.default_rng(s)


def _rng(seed_: int | None) -> np.random.Generator:
    return _RNG[0] if seed_ is None else np.random.default_rng(seed_)


def _shape(shape: Any) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


class Initializer:
    """Base class: `init(shape, dtype=None)` returns an array of that shape."""

    def __call__(self, shape: Any, dtype: Any = None) -> Array:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Constant(Initializer):
    """Every element equals `value`."""

    def __init__(self, value: Any = 0.0):
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Array:
        return jnp.full(_shape(shape), self.value, dtype=dtype or jnp.float32)


class ZeroInit(Constant):
    """Zeros."""

    def __init__(self):
        super().__init__(0.0)


class OneInit(Constant):
    """Every element equals `value` (default 1)."""

    def __init__(self, value: Any = 1.0):
        super().__init__(value)


class Normal(Initializer):
    """Independent normal samples with the given `mean` and `scale`."""

    def __init__(self, mean: float = 0.0, scale: float = 1.0, seed: int | None = None):
        self.mean, self.scale, self.seed = mean, scale, seed

    def __call__(self, shape: Any, dtype: Any = None) -> Array:
        x = _rng(self.seed).normal(self.mean, self.scale, _shape(shape))
        return jnp.asarray(x, dtype=dtype or jnp.float32)


class Uniform(Initializer):
    """Independent uniform samples in `[min_val, max_val)`."""

    def __init__(
        self, min_val: float = 0.0, max_val: float = 1.0, seed: int | None = None
    ):
        self.min_val, self.max_val, self.seed = min_val, max_val, seed

    def __call__(self, shape: Any, dtype: Any = None) -> Array:
        x = _rng(self.seed).uniform(self.min_val, self.max_val, _shape(shape))
        return jnp.asarray(x, dtype=dtype or jnp.float32)


def parameter(param: Any, sizes: Any, allow_none: bool = True) -> Any:
    """Turn a parameter specification into a value of shape `sizes`.

    **Arguments:**

    - `param`: a scalar (kept as is), an array (checked to broadcast to `sizes`),
        an initializer or a callable `f(shape)`, or `None` (if `allow_none`).
    - `sizes`: the target shape.

    **Returns:**

    A scalar or an array broadcastable to `sizes`.
    """
    shape = _shape(sizes)
    if param is None:
        if allow_none:
            return None
        raise ValueError("expected a parameter value, got None")
    if isinstance(param, (int, float)) and not isinstance(param, bool):
        return float(param)
    if isinstance(param, Initializer) or (
        callable(param) and not hasattr(param, "shape")
    ):
        return jnp.asarray(param(shape))
    arr = jnp.asarray(param)
    try:
        np.broadcast_shapes(arr.shape, shape)
    except ValueError:
        raise ValueError(
            f"expected a parameter broadcastable to shape {shape}, got shape "
            f"{arr.shape}"
        ) from None
    return arr


def variable_(init: Any, sizes: Any, batch_size: int | None = None) -> Array:
    """Initial value of a state variable, with a leading batch axis if requested."""
    shape = _shape(sizes)
    full = shape if batch_size is None else (batch_size, *shape)
    if isinstance(init, Initializer) or (callable(init) and not hasattr(init, "shape")):
        return jnp.asarray(init(full))
    arr = jnp.asarray(init, dtype=jnp.result_type(init, jnp.float32))
    return jnp.broadcast_to(arr, full)

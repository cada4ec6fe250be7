"""Type aliases shared by the rollax protocols."""

from typing import Any, TypeAlias

from jaxtyping import Array, PRNGKeyArray, PyTree

State: TypeAlias = PyTree[Array]
"""The state a stepper advances: an array or a pytree of arrays (one sample)."""

Params: TypeAlias = PyTree[Any]
"""Parameters of a layer: any pytree."""

Shape: TypeAlias = tuple[int, ...]

KeyArg: TypeAlias = PRNGKeyArray | None

"""Type aliases shared by the modules."""

from collections.abc import Sequence
from typing import TypeAlias

from jaxtyping import ArrayLike

ParamsLike: TypeAlias = ArrayLike | Sequence[float]
"""Parameters of a kernel or growth function: an array or, as read from a config,
a list of numbers."""

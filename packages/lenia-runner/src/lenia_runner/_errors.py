"""Small helpers that turn bad input into clear errors."""

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from rollax import is_concrete as is_concrete


def check_positive(value: Any, field: str, *, hint: str = "") -> None:
    """Raise if a concrete `value` has a non-positive or non-finite entry."""
    if value is None or not is_concrete(value):
        return
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(
            f"{field} must be a positive finite number, got {np.asarray(value)!r}"
            + (f"; {hint}" if hint else "")
        )


def unknown_slug(kind: str, slug: Any, known: Iterable[str], how: str) -> ValueError:
    """The error for a slug missing from a registry."""
    known = ", ".join(sorted(known))
    return ValueError(f"unknown {kind} {slug!r}; expected one of: {known}. {how}")


def lookup(registry: Mapping[str, Any], kind: str, slug: Any, how: str) -> Any:
    """`registry[slug]`, or a clear error naming the known slugs."""
    try:
        return registry[slug]
    except (KeyError, TypeError):
        raise unknown_slug(kind, slug, registry, how) from None

"""Slug registries (kernels, kernel/growth functions, update rules, initialisers)."""

from collections.abc import Callable
from typing import Any, TypeVar

from ._errors import lookup

F = TypeVar("F", bound=Callable[..., Any])


def make_registry(
    kind: str, module: str, signature: str
) -> tuple[dict[str, Any], Callable[[str], Callable[[F], F]], Callable[[str], Any]]:
    """A registry dict with its `register(slug)` decorator and `get(slug)` lookup.

    **Arguments:**

    - `kind`: what is registered, for messages (e.g. `"growth function (gf_slug)"`).
    - `module`: the public module holding the registry (for the how-to in errors).
    - `signature`: the call signature registered functions must have.

    **Returns:**

    `(table, register, get)`.
    """
    table: dict[str, Any] = {}

    def register(slug: str) -> Callable[[F], F]:
        if not isinstance(slug, str) or not slug:
            raise TypeError(f"a {kind} slug must be a non-empty str, got {slug!r}")

        def decorator(fn: F) -> F:
            table[slug] = fn
            return fn

        return decorator

    def get(slug: str) -> Any:
        return lookup(
            table,
            kind,
            slug,
            f"Register new ones with @lenia_runner.{module}.register(slug).",
        )

    register.__doc__ = (
        f"Register a {kind} `{signature}` under `slug`.\n\n**Arguments:**\n\n- `slug`: "
        "its name in configurations.\n\n**Returns:**\n\nA decorator that records "
        "the function and returns it unchanged."
    )
    get.__doc__ = f"The {kind} registered as `slug` (a clear error if unknown)."
    return table, register, get

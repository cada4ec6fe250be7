from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PyTree


def stack(*trees: PyTree[Any]) -> PyTree[Any]:
    """Stack pytrees of arrays along a new leading (batch) axis."""
    return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def unstack(tree: PyTree[Any], i: int) -> PyTree[Any]:
    """Sample `i` of a batched pytree."""
    return jax.tree.map(lambda x: x[i], tree)


def add_trailing_axis(tree: PyTree[Any]) -> PyTree[Any]:
    """The same arrays with a spurious trailing axis of size 2: a wrong shape."""
    return jax.tree.map(lambda x: jnp.stack([x, x], axis=-1), tree)


def assert_same_structure(actual: PyTree[Any], expected: PyTree[Any]) -> None:
    """Same tree structure, and every leaf of the same shape and dtype."""
    actual_def = jax.tree.structure(actual)
    expected_def = jax.tree.structure(expected)
    assert actual_def == expected_def, (
        f"tree structure changed: expected {expected_def}, got {actual_def}"
    )
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        assert jnp.shape(a) == jnp.shape(e), (
            f"leaf shape changed: expected {jnp.shape(e)}, got {jnp.shape(a)}"
        )
        assert jnp.result_type(a) == jnp.result_type(e), (
            f"leaf dtype changed: expected {jnp.result_type(e)}, got "
            f"{jnp.result_type(a)}"
        )


def assert_trees_close(
    actual: PyTree[Any], expected: PyTree[Any], *, rtol: float, atol: float
) -> None:
    """Leaves equal up to tolerance (exactly, for non-float leaves)."""
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        a, e = np.asarray(a), np.asarray(e)
        if np.issubdtype(e.dtype, np.inexact):
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(a, e)


def assert_trees_equal(actual: PyTree[Any], expected: PyTree[Any]) -> None:
    """Leaves bit-for-bit equal."""
    assert jax.tree.structure(actual) == jax.tree.structure(expected)
    for a, e in zip(jax.tree.leaves(actual), jax.tree.leaves(expected), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


def assert_finite(tree: PyTree[Any], what: str) -> None:
    """No NaN or infinity in any float leaf."""
    for leaf in jax.tree.leaves(tree):
        leaf = np.asarray(leaf)
        if np.issubdtype(leaf.dtype, np.inexact):
            assert np.all(np.isfinite(leaf)), f"{what} contains NaN or infinity"


def assert_clear_error(excinfo: Any) -> None:
    """The error says what was expected, in our convention's words."""
    message = str(excinfo.value)
    lowered = message.lower()
    assert "expected" in lowered or "shape" in lowered, (
        "the error for a wrong input shape should say what shape was expected; "
        f"got {type(excinfo.value).__name__}: {message!r}"
    )


def assert_keys_follow_scheme(distribution: str) -> int:
    """Check that every class `distribution` registers is listed as
    `<distribution>:<ClassName>`; return how many it registers.

    **Arguments:**

    - `distribution`: the plugin's distribution name, as `rollax.plugins()` lists it.
    """
    from .. import _registry

    infos = [p for p in _registry.plugins() if p.name == distribution]
    assert infos, f"no installed plugin is named {distribution!r}"
    listings = {
        "runners": _registry.runners(),
        "steppers": _registry.steppers(),
        "layers": _registry.layers(),
        "summarisers": _registry.summarisers(),
    }
    count = 0
    for kind, listed in listings.items():
        for key in getattr(infos[0], kind):
            want = f"{distribution}:{listed[key].__name__}"
            assert key == want, f"{kind} key {key!r} should be {want!r}"
            count += 1
    return count

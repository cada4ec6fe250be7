"""Adapters: any equinox module or `(init_fn, apply_fn)` pair as the network, any
optax `GradientTransformation` (or a `jax.example_libraries` triple) as optimiser."""

import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import PyTree


class IMNNState(NamedTuple):
    """Everything needed to resume fitting: network weights and optimiser state.

    Pass an `IMNNState` (for example `imnn.state`) as `key_or_state` to continue
    from where a previous IMNN stopped.
    """

    w: PyTree[Any]
    opt_state: PyTree[Any]


def is_key(value: Any) -> bool:
    """A typed PRNG key or a legacy `uint32[2]` key."""
    if isinstance(value, jax.Array) and jax.dtypes.issubdtype(
        value.dtype, jax.dtypes.prng_key
    ):
        return value.shape == ()
    if isinstance(value, np.ndarray | jax.Array):
        return value.shape == (2,) and value.dtype == np.uint32
    return False


def prepare_model(
    model: Any, key: Any, input_shape: tuple[int, ...]
) -> tuple[PyTree[Any], Callable[[PyTree[Any], Any], Any]]:
    """Initial weights and `apply(w, d)` for one input `d` of `input_shape`.

    **Arguments:**

    - `model`: an `equinox.Module` (its float arrays are the weights) or a pair
        `(init_fn(key, input_shape) -> (output_shape, w), apply_fn(w, d))`.
    - `key`: PRNG key for `init_fn` (`None` when resuming from a state).
    - `input_shape`: shape of one simulation.
    """
    if isinstance(model, eqx.Module):
        w, static = eqx.partition(model, eqx.is_inexact_array)

        def apply_module(weights, d):
            return eqx.combine(weights, static)(d)

        return w, apply_module
    if isinstance(model, list):
        model = tuple(model)
    if not isinstance(model, tuple) or len(model) != 2:
        raise TypeError(
            "`model` must be an equinox.Module or a tuple of two functions "
            "(init_fn(key, input_shape) -> (output_shape, weights), "
            f"apply_fn(weights, inputs)); got {type(model).__name__}"
        )
    init_fn, apply_fn = model
    for fn, which, n in ((init_fn, "first", 2), (apply_fn, "second", 2)):
        if not callable(fn):
            raise TypeError(f"the {which} element of `model` must be callable")
        if not _accepts(fn, n):
            raise ValueError(
                f"the {which} element of `model` must take {n} positional arguments"
            )
    if key is None:
        return None, apply_fn
    key = _legacy_key(key)
    _, w = init_fn(key, input_shape)
    return w, apply_fn


def _accepts(fn: Callable, n: int) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    try:
        sig.bind(*range(n))
    except TypeError:
        return False
    return True


def _legacy_key(key: Any) -> Any:
    """stax-style init functions expect legacy `uint32[2]` keys."""
    if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(key)
    return jnp.asarray(key)


class _TripleState(NamedTuple):
    step: Any
    inner: Any


def prepare_optimiser(optimiser: Any) -> optax.GradientTransformation:
    """An optax transformation from optax itself or a `(init, update, get_params)`
    triple of `jax.example_libraries.optimizers` (plain tuples are accepted)."""
    if optimiser is None:
        raise ValueError(
            "`optimiser` is None; expected an optax.GradientTransformation such as "
            "optax.adam(1e-3)"
        )
    if isinstance(optimiser, optax.GradientTransformation):
        return optimiser
    if (
        hasattr(optimiser, "init")
        and hasattr(optimiser, "update")
        and not isinstance(optimiser, tuple)
    ):
        return optax.GradientTransformation(optimiser.init, optimiser.update)
    if (
        isinstance(optimiser, tuple)
        and len(optimiser) == 3
        and all(callable(f) for f in optimiser)
    ):
        return _from_triple(*optimiser)
    raise TypeError(
        "`optimiser` must be an optax.GradientTransformation (e.g. optax.adam(1e-3)) "
        "or a tuple (init_fn, update_fn, get_params) of jax.example_libraries "
        f"optimizers; got {type(optimiser).__name__}"
    )


def _from_triple(init_fn, update_fn, get_params) -> optax.GradientTransformation:
    def init(params):
        return _TripleState(jnp.zeros((), jnp.int32), init_fn(params))

    def update(updates, state, params=None):
        inner = update_fn(state.step, updates, state.inner)
        new = get_params(inner)
        old = get_params(state.inner)
        updates = jax.tree.map(lambda a, b: a - b, new, old)
        return updates, _TripleState(state.step + 1, inner)

    return optax.GradientTransformation(init, update)

"""Value-and-Jacobian transformations (the original's `imnn.utils` helpers), on
public JAX APIs: the value is computed once, alongside the Jacobian."""

from collections.abc import Callable, Sequence
from typing import Any

import jax
from jaxtyping import PyTree


def _split_aux(fun: Callable, has_aux: bool) -> Callable:
    """`fun` returning `(output, output-or-(output, aux))` for jax's `has_aux`."""

    def wrapped(*args, **kwargs):
        out = fun(*args, **kwargs)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(
                    "with has_aux=True the function must return a pair (output, aux), "
                    f"got {type(out).__name__}"
                )
            return out[0], out
        return out, out

    return wrapped


def value_and_jacfwd(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    holomorphic: bool = False,
    has_aux: bool = False,
) -> Callable[..., tuple[Any, PyTree[Any]]]:
    """`fun`'s value and its Jacobian by forward mode, in one pass.

    **Arguments:**

    - `fun`: the function to differentiate.
    - `argnums`: which positional argument(s) to differentiate with respect to.
    - `holomorphic`: whether `fun` is holomorphic (complex inputs).
    - `has_aux`: `fun` returns `(output, aux)`; only `output` is differentiated.

    **Returns:**

    A function with `fun`'s arguments returning `(value, jacobian)`, or
    `((value, aux), jacobian)` with `has_aux`; the Jacobian has the output's shape
    followed by the input's (a tuple of them for a sequence of `argnums`), as
    `jax.jacfwd`.
    """
    if not callable(fun):
        raise TypeError(f"`fun` must be callable, got {type(fun).__name__}")
    jac = jax.jacfwd(
        _split_aux(fun, has_aux), argnums, has_aux=True, holomorphic=holomorphic
    )

    def value_and_jacfwd_f(*args, **kwargs):
        jacobian, value = jac(*args, **kwargs)
        return value, jacobian

    return value_and_jacfwd_f


def value_and_jacrev(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    holomorphic: bool = False,
    allow_int: bool = False,
) -> Callable[..., tuple[Any, PyTree[Any]]]:
    """`fun`'s value and its Jacobian by reverse mode, in one pass.

    **Arguments:**

    - `fun`: the function to differentiate.
    - `argnums`: which positional argument(s) to differentiate with respect to.
    - `has_aux`: `fun` returns `(output, aux)`; only `output` is differentiated.
    - `holomorphic`: whether `fun` is holomorphic (complex inputs).
    - `allow_int`: allow integer inputs (their gradient has dtype float0).

    **Returns:**

    A function with `fun`'s arguments returning `(value, jacobian)`, or
    `((value, aux), jacobian)` with `has_aux`, the Jacobian as `jax.jacrev`'s.
    """
    if not callable(fun):
        raise TypeError(f"`fun` must be callable, got {type(fun).__name__}")
    jac = jax.jacrev(
        _split_aux(fun, has_aux),
        argnums,
        has_aux=True,
        holomorphic=holomorphic,
        allow_int=allow_int,
    )

    def value_and_jacrev_f(*args, **kwargs):
        jacobian, value = jac(*args, **kwargs)
        return value, jacobian

    return value_and_jacrev_f


def jacfwd(
    fun: Callable, argnums: int | Sequence[int] = 0, holomorphic: bool = False
) -> Callable:
    """`jax.jacfwd` (the original's spelling). See [`imnn_data.utils.value_and_jacfwd`][]."""
    return jax.jacfwd(fun, argnums, holomorphic=holomorphic)


def jacrev(
    fun: Callable,
    argnums: int | Sequence[int] = 0,
    holomorphic: bool = False,
    allow_int: bool = False,
) -> Callable:
    """`jax.jacrev` (the original's spelling). See [`imnn_data.utils.value_and_jacrev`][]."""
    return jax.jacrev(fun, argnums, holomorphic=holomorphic, allow_int=allow_int)


def add_nested_pytrees(*pytrees: PyTree[Any]) -> PyTree[Any]:
    """The leaf-wise sum of identically structured pytrees.

    **Arguments:**

    - `*pytrees`: one or more pytrees of the same structure and leaf shapes.

    **Returns:**

    A pytree of that structure holding the sums.
    """
    if not pytrees:
        raise ValueError("add_nested_pytrees needs at least one pytree")
    first = jax.tree.structure(pytrees[0])
    for i, tree in enumerate(pytrees[1:], 1):
        if jax.tree.structure(tree) != first:
            raise ValueError(
                f"pytree {i} has structure {jax.tree.structure(tree)}, expected "
                f"{first} (that of pytree 0)"
            )
        for a, b in zip(
            jax.tree.leaves(pytrees[0]), jax.tree.leaves(tree), strict=True
        ):
            if getattr(a, "shape", ()) != getattr(b, "shape", ()):
                raise ValueError(
                    f"pytree {i} has a leaf of shape {getattr(b, 'shape', ())} where "
                    f"pytree 0 has {getattr(a, 'shape', ())}"
                )
    return jax.tree.map(lambda *leaves: sum(leaves[1:], leaves[0]), *pytrees)


class container:
    """A plain record of samples (`all`, `accepted`, `rejected`, `size`,
    `n_accepted`, `ϵ`), as the likelihood-free inference classes return them."""

    def __init__(self, **values: Any):
        self.all: Any = None
        self.accepted: Any = None
        self.rejected: Any = None
        self.ϵ: Any = None
        self.size: Any = None
        self.n_accepted: Any = None
        self.weights: Any = None
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # attributes set by the samplers
        raise AttributeError(f"container has no attribute {name!r}")

    def __repr__(self) -> str:
        inner = ", ".join(
            f"{k}={getattr(v, 'shape', v)!r}" for k, v in vars(self).items()
        )
        return f"container({inner})"

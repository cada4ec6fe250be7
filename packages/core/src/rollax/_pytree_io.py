"""Strict pytree files: what is loaded has exactly the structure, shapes and dtypes
expected, or the error names the leaf that differs."""

import os
import tempfile
from pathlib import Path
from typing import Any

import jax
import numpy as np
from jaxtyping import PyTree


def _leaf_names(tree: PyTree[Any]) -> list[str]:
    paths, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [jax.tree_util.keystr(path) or "<root>" for path, _ in paths]


def save_pytree(path: str | os.PathLike, tree: PyTree[Any]) -> None:
    """Save the array leaves of `tree` to an `.npz` file, atomically.

    The file is written beside its destination and renamed into place, so a crash
    leaves either the old file or the new one, never half of one.

    **Arguments:**

    - `path`: the destination file.
    - `tree`: a pytree of arrays (JAX or NumPy) and scalars.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    leaves = [np.asarray(leaf) for leaf in jax.tree.leaves(tree)]
    arrays = {name: leaf for name, leaf in zip(_leaf_names(tree), leaves, strict=True)}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, allow_pickle=False, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_pytree(path: str | os.PathLike, like: PyTree[Any]) -> PyTree[Any]:
    """Load a file written by [`rollax.save_pytree`][] into the structure of `like`.

    **Arguments:**

    - `path`: the file.
    - `like`: a pytree with the expected structure; its leaves give the expected shapes
        and dtypes (arrays or `jax.ShapeDtypeStruct`s).

    **Returns:**

    A pytree like `like`, with the saved values as JAX arrays.

    **Raises:**

    `ValueError` naming the file and the first leaf that is missing, extra, or of
    another shape or dtype.
    """
    names = _leaf_names(like)
    expected = jax.tree.leaves(like)
    with np.load(path, allow_pickle=False) as data:
        stored = set(data.files)
        missing = [n for n in names if n not in stored]
        extra = sorted(stored - set(names))
        if missing or extra:
            raise ValueError(
                f"{path}: the saved pytree does not match the expected structure "
                f"(missing leaves {missing}, unexpected leaves {extra}); it was saved "
                "from a different model or configuration"
            )
        leaves = []
        for name, want in zip(names, expected, strict=True):
            got = data[name]
            want_shape = tuple(getattr(want, "shape", np.shape(want)))
            want_dtype = np.dtype(
                getattr(want, "dtype", None) or np.asarray(want).dtype
            )
            if got.shape != want_shape or got.dtype != want_dtype:
                raise ValueError(
                    f"{path}: leaf {name} has shape {got.shape} and dtype {got.dtype}, "
                    f"expected {want_shape} and {want_dtype}; it was saved from a "
                    "different model or configuration"
                )
            leaves.append(jax.numpy.asarray(got))
    return jax.tree.unflatten(jax.tree.structure(like), leaves)

"""Random numbers from JAX keys: always `jax.random`, so one key gives one answer.

Whether the key is concrete (an eager call) or traced (under `jit`/`vmap`), the
numbers come from the same `jax.random` kernels on the same keys, so initial
conditions and network weights do not depend on how they are called.

To keep eager draws fast (a threefry kernel takes a second or more to compile on a
busy CPU, once per shape), every draw is assembled from fixed-size blocks: block
`j` of a draw with key `k` is `jax.random.uniform(fold_in(k, j), (BLOCK,))` (or
`normal`), scaled in the same kernel. Eagerly, one compiled kernel serves every
shape; under `jit` the blocks are a `vmap` of the same kernel. `split_key` derives
keys with `fold_in(key, i)` for the same reason.
"""

import math
from typing import TypeAlias

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PRNGKeyArray, UInt32

from rollax import is_concrete

KeyLike: TypeAlias = PRNGKeyArray | UInt32[np.ndarray, "2"]
"""A JAX PRNG key (typed, or raw `uint32[2]`) or a raw `uint32[2]` NumPy key."""


def as_key(key: KeyLike):
    """`key` as a JAX key: raw `uint32[2]` NumPy keys become JAX arrays."""
    if isinstance(key, np.ndarray):
        if key.shape != (2,) or key.dtype != np.uint32:
            raise ValueError(
                f"expected a JAX PRNG key or a raw uint32[2] key, got a NumPy array "
                f"of dtype {key.dtype} and shape {key.shape}; use "
                "jax.random.PRNGKey(seed) or jax.random.key(seed)"
            )
        return jnp.asarray(key)
    return key


BLOCK = 8192
"""Values per random block."""


def _uniform_block(key, index, minval, maxval):
    k = jax.random.fold_in(key, index)
    return jax.random.uniform(k, (BLOCK,), minval=minval, maxval=maxval)


def _normal_block(key, index, minval, maxval):
    del minval, maxval
    return jax.random.normal(jax.random.fold_in(key, index), (BLOCK,))


_BLOCKS = {"uniform": _uniform_block, "normal": _normal_block}
_JIT_BLOCKS = {name: jax.jit(fn) for name, fn in _BLOCKS.items()}
_jit_fold_in = jax.jit(jax.random.fold_in)


def _draw(kind: str, key, shape, minval=0.0, maxval=1.0):
    shape = tuple(int(s) for s in shape)
    size = math.prod(shape)
    num_blocks = max(1, -(-size // BLOCK))
    key = as_key(key)
    dtype = jnp.result_type(float)
    lo, hi = jnp.asarray(minval, dtype), jnp.asarray(maxval, dtype)
    if not is_concrete(key, minval, maxval):
        index = jnp.arange(num_blocks, dtype=jnp.uint32)
        fn = _BLOCKS[kind]
        flat = jax.vmap(fn, in_axes=(None, 0, None, None))(key, index, lo, hi)
        return flat.reshape(-1)[:size].reshape(shape)
    fn = _JIT_BLOCKS[kind]
    index = np.arange(num_blocks, dtype=np.uint32)
    blocks = [np.asarray(fn(key, i, lo, hi)) for i in index]
    return jnp.asarray(np.concatenate(blocks)[:size].reshape(shape))


def split_key(key: KeyLike, num: int = 2) -> tuple:
    """`num` independent keys `fold_in(key, i)`, `i = 0 .. num - 1`."""
    key = as_key(key)
    fold = _jit_fold_in if is_concrete(key) else jax.random.fold_in
    return tuple(fold(key, np.uint32(i)) for i in range(num))


def uniform(key: KeyLike, shape, minval: float = 0.0, maxval: float = 1.0):
    """Uniform samples in `[minval, maxval)`, JAX's default float dtype."""
    return _draw("uniform", key, shape, minval, maxval)


def normal(key: KeyLike, shape):
    """Standard normal samples, JAX's default float dtype."""
    return _draw("normal", key, shape)


def as_float(x):
    """Cast to JAX's default float dtype (float32 unless x64 is on)."""
    return jnp.asarray(x, dtype=jnp.result_type(float))

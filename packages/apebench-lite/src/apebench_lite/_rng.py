"""Random numbers from JAX keys, drawn on the host when the key is concrete.

JAX's threefry kernels take seconds to compile on a busy CPU, far longer than
drawing a network initialisation or a set of initial conditions; so with a concrete
key we seed a NumPy generator from the key's bits (deterministic, no compile), and
fall back to `jax.random` when the key is traced (inside `jit`/`vmap`).
"""

from typing import TypeAlias

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import PRNGKeyArray, UInt32

_TRACER = jax.core.Tracer  # pyright: ignore[reportAttributeAccessIssue]

KeyLike: TypeAlias = PRNGKeyArray | UInt32[np.ndarray, "2"]
"""A JAX PRNG key (typed, or raw `uint32[2]`) or a raw `uint32[2]` NumPy key."""


def is_traced(x) -> bool:
    """Whether `x` (or any leaf of it) is a JAX tracer."""
    return any(isinstance(leaf, _TRACER) for leaf in jax.tree.leaves(x))


def host_rng(key) -> np.random.Generator:
    k = key
    if hasattr(k, "dtype") and jax.dtypes.issubdtype(k.dtype, jax.dtypes.prng_key):
        k = jax.random.key_data(k)
    return np.random.default_rng(np.asarray(k, dtype=np.uint32).ravel())


def split_key(key, num: int = 2):
    """`num` new keys (raw `uint32[2]` keys on the host for concrete keys)."""
    if is_traced(key):
        return jax.random.split(key, num)
    return host_rng(key).integers(0, 2**32, size=(num, 2), dtype=np.uint32)


def uniform(key, shape, minval=0.0, maxval=1.0):
    """Uniform samples: a NumPy array for a concrete key, a JAX array otherwise."""
    if is_traced(key):
        return jax.random.uniform(key, shape, minval=minval, maxval=maxval)
    return host_rng(key).uniform(minval, maxval, size=shape)


def normal(key, shape):
    """Standard normal samples: NumPy for a concrete key, JAX otherwise."""
    if is_traced(key):
        return jax.random.normal(key, shape)
    return host_rng(key).standard_normal(shape)


def xp_for(*xs):
    """`jax.numpy` if any argument is a JAX array or tracer, else `numpy`."""
    return jnp if any(isinstance(x, jax.Array | _TRACER) for x in xs) else np


def as_float(x):
    """Cast to JAX's default float dtype (float32 unless x64 is on)."""
    return jnp.asarray(x, dtype=jnp.result_type(float))

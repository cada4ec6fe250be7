"""`FixedProb` connectivity and event-driven propagation (`EventCSRLinear`)."""

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from ._dynsys import BrainPyObject
from ._modes import BatchingMode, Mode


class FixedProb:
    """Each pre-post pair is connected independently with probability `prob`.

    **Arguments:**

    - `prob`: connection probability in [0, 1].
    - `pre`, `post`: population sizes (or call the object as `conn(pre, post)`).
    - `seed`: random seed (host numpy generator).
    - `include_self`: allow `i -> i` connections when pre and post are the same size.
    - `allow_multi_conn`: only `False` (each pair at most once) is supported;
        `True` raises, as pairs are drawn independently here.
    """

    def __init__(
        self,
        prob: float,
        pre: int | None = None,
        post: int | None = None,
        seed: int | None = None,
        include_self: bool = True,
        allow_multi_conn: bool = False,
    ):
        if allow_multi_conn:
            raise ValueError(
                "FixedProb: allow_multi_conn=True is not supported; dsrunner draws "
                "each pre-post pair once, independently with probability prob (no "
                "duplicate connections). Use allow_multi_conn=False"
            )
        if not 0.0 <= float(prob) <= 1.0:
            raise ValueError(f"expected a probability in [0, 1], got {prob!r}")
        self.prob = float(prob)
        self.seed = seed
        self.include_self = include_self
        self.pre_num = self.post_num = None
        self._csr: tuple[np.ndarray, np.ndarray] | None = None
        if pre is not None:
            self(pre, post if post is not None else pre)

    def __call__(self, pre: Any, post: Any) -> "FixedProb":
        self.pre_num = int(np.prod(pre))
        self.post_num = int(np.prod(post))
        self._csr = None
        return self

    def _build(self) -> tuple[np.ndarray, np.ndarray]:
        if self.pre_num is None or self.post_num is None:
            raise ValueError(
                "FixedProb has no sizes; expected FixedProb(prob, pre=N, post=M) or "
                "conn(pre, post) before use"
            )
        if self._csr is None:
            rng = np.random.default_rng(self.seed)
            indices, indptr = [], [0]
            for i in range(self.pre_num):
                row = np.nonzero(rng.random(self.post_num) < self.prob)[0]
                if not self.include_self and self.pre_num == self.post_num:
                    row = row[row != i]
                indices.append(row)
                indptr.append(indptr[-1] + len(row))
            self._csr = (
                np.concatenate(indices).astype(np.int32)
                if indices
                else np.zeros(0, np.int32),
                np.asarray(indptr, np.int32),
            )
        return self._csr

    def require(self, *structures: str) -> Any:
        """The connectivity as `'csr'` (indices, indptr), `'conn_mat'` or `'ij'`."""
        out = []
        for s in structures:
            indices, indptr = self._build()
            if s == "csr":
                out.append((indices, indptr))
            elif s == "conn_mat":
                assert self.pre_num is not None and self.post_num is not None
                mat = np.zeros((self.pre_num, self.post_num), bool)
                rows = np.repeat(np.arange(self.pre_num), np.diff(indptr))
                mat[rows, indices] = True
                out.append(mat)
            elif s in ("ij", "pre_ids"):
                rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
                out.append((rows.astype(np.int32), indices) if s == "ij" else rows)
            else:
                raise ValueError(
                    f"unknown structure {s!r}; expected 'csr', 'conn_mat' or 'ij'"
                )
        return out[0] if len(out) == 1 else tuple(out)


_DENSE_LIMIT = 1 << 26


def event_csr_matvec(
    events: Bool[Array, " n_pre"] | Float[Array, " n_pre"],
    table: Array,
    weights: Array,
    n_post: int,
) -> Float[Array, " n_post"]:
    """Sum the outgoing weights of the active presynaptic units (event-driven).

    Only active units cost work: a loop runs once per event, each time taking the
    first remaining active unit and adding its row. `table` is either a dense
    `(n_pre, n_post)` connection matrix (bool, or float weights) or a padded
    target table `(n_pre, max_degree)` of int32 post indices (padding `n_post`).

    **Arguments:**

    - `events`: `(n_pre,)` spikes (bool) or event values (float: rows are scaled).
    - `table`: the dense matrix or the padded target table (see above).
    - `weights`: a scalar (homogeneous) or, for a target table, `(n_pre,
        max_degree)` per-connection weights.
    - `n_post`: the number of postsynaptic units.

    **Returns:**

    The `(n_post,)` summed input.
    """
    active = events != 0
    count = jnp.sum(active, dtype=jnp.int32)
    dense = not jnp.issubdtype(table.dtype, jnp.integer)
    homo = jnp.ndim(weights) == 0
    scaled = events.dtype != jnp.bool_
    out_dtype = jnp.result_type(weights, jnp.float32)
    if scaled:
        out_dtype = jnp.result_type(out_dtype, events.dtype)

    take = jax.lax.dynamic_index_in_dim

    def body(_, carry):
        act, acc = carry
        j = jnp.argmax(act)
        # dynamic slices rather than gathers/scatters: faster to compile and run
        scale = take(events, j, 0, False).astype(out_dtype) if scaled else 1.0
        row = take(table, j, 0, False)
        if dense:
            acc = acc + row.astype(out_dtype) * (weights * scale)
        else:
            w = weights if homo else take(weights, j, 0, False)
            w = jnp.broadcast_to(w * scale, table.shape[1:]).astype(out_dtype)
            acc = acc.at[row].add(w, mode="drop")
        return jax.lax.dynamic_update_index_in_dim(act, False, j, 0), acc

    init = (active, jnp.zeros((n_post,), out_dtype))
    return jax.lax.fori_loop(0, count, body, init)[1]


class EventCSRLinear(BrainPyObject):
    """A sparse linear map driven by spikes, computed event by event.

    **Arguments:**

    - `conn`: a `FixedProb` (or anything with `require('csr')`, `pre_num`,
        `post_num`).
    - `weight`: a scalar (homogeneous) or one weight per connection (CSR order).
    - `sharding`: only `None`: the event loop reads whole rows of one device's
        table; a sharded table is refused.
    - `mode`: `None` (events with or without leading batch axes), or a mode:
        in a `BatchingMode` the events must have a batch axis, otherwise not.
    - `name`: the object's name.
    - `transpose`: only `True` (events of the pre group give post inputs,
        `x @ W`); `False` raises.
    """

    def __init__(
        self,
        conn: Any,
        weight: Any,
        sharding: Any = None,
        mode: Mode | None = None,
        name: str | None = None,
        transpose: bool = True,
    ):
        super().__init__(name=name)
        if sharding is not None:
            raise ValueError(
                f"EventCSRLinear: sharding={sharding!r} is not supported; the "
                "event-driven loop needs the whole connection table on one device. "
                "Shard the neuron groups instead, or leave sharding=None"
            )
        if not transpose:
            raise ValueError(
                "EventCSRLinear: transpose=False (post-to-pre, W @ x) is not "
                "supported; build the connection the other way round and keep "
                "transpose=True"
            )
        if mode is not None and not isinstance(mode, Mode):
            raise TypeError(
                f"expected mode to be a dsrunner Mode or None, got {mode!r}"
            )
        self.mode = mode
        indices, indptr = conn.require("csr")
        self.pre_num, self.post_num = int(conn.pre_num), int(conn.post_num)
        deg = np.diff(indptr)
        rows = np.repeat(np.arange(self.pre_num), deg)
        w = np.asarray(weight, np.float32)
        if w.ndim != 0 and w.shape != (len(indices),):
            raise ValueError(
                f"expected a scalar weight or one per connection ({len(indices)}), "
                f"got shape {w.shape}"
            )
        if self.pre_num * self.post_num <= _DENSE_LIMIT:
            # event rows read from a dense matrix: fastest on CPU for moderate sizes
            if w.ndim == 0:
                mat = np.zeros((self.pre_num, self.post_num), bool)
                mat[rows, indices] = True
                self.weight = jnp.asarray(w)
            else:
                mat = np.zeros((self.pre_num, self.post_num), np.float32)
                mat[rows, indices] = w
                self.weight = jnp.asarray(np.float32(1.0))
            self.table = jnp.asarray(mat)
        else:
            max_deg = max(int(deg.max()) if len(deg) else 0, 1)
            table = np.full((self.pre_num, max_deg), self.post_num, np.int32)
            cols = np.arange(len(indices)) - np.repeat(indptr[:-1], deg)
            table[rows, cols] = indices
            self.table = jnp.asarray(table)
            if w.ndim == 0:
                self.weight = jnp.asarray(w)
            else:
                wt = np.zeros((self.pre_num, max_deg), np.float32)
                wt[rows, cols] = w
                self.weight = jnp.asarray(wt)

    def __call__(self, spk: Any) -> Array:
        spk = jnp.asarray(getattr(spk, "value", spk))
        if spk.shape[-1] != self.pre_num:
            raise ValueError(
                f"expected presynaptic events of shape ({self.pre_num},), got "
                f"{spk.shape}"
            )
        if self.mode is not None:
            batched = isinstance(self.mode, BatchingMode)
            if batched != (spk.ndim > 1):
                raise ValueError(
                    f"{self.name} is in {self.mode!r} and expected events of shape "
                    f"{'(batch, ' if batched else '('}{self.pre_num},), got "
                    f"{spk.shape}"
                )
        if spk.ndim > 1:
            flat = spk.reshape(-1, self.pre_num)
            out = jax.vmap(
                lambda s: event_csr_matvec(s, self.table, self.weight, self.post_num)
            )(flat)
            return out.reshape(*spk.shape[:-1], self.post_num)
        return event_csr_matvec(spk, self.table, self.weight, self.post_num)

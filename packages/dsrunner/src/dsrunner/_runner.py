"""`DSRunner`: runs a `DynamicalSystem` with inputs and monitors, compiled once."""

import dataclasses
import functools
import inspect
import itertools
import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from tqdm.auto import tqdm

from ._dynsys import MODEL_CLOCK, BrainPyObject, DynamicalSystem
from ._environ import get_dt, share
from ._errors import MathError, MonitorError, RunningError, warn_user
from ._modes import BatchingMode
from ._monitor import DotDict, Monitor, SpikeTrain
from ._variable import Variable

_OPS = ("=", "+", "-", "*", "/")
_TYPES = ("fix", "iter", "func")
_CATEGORIES = ("fix", "array", "func", "iterator")
# Steps per compiled chunk, chosen by measurement (README, "Chunk length"): the
# loop writes each step's monitors and outputs into the chunk's buffers, which
# cost more per step once they leave the cache (COBA-4000: 8192 steps of packed
# spikes, 3.3 MB, run ~2x slower than 1024 steps), while every chunk also costs a
# dispatch and a host round trip (a single LIF neuron runs ~10x slower in 256-step
# chunks than in 8192, and its per-step cost at 10^6 steps halves again at 65536).
# So a chunk's buffers get a byte budget, and the step count is capped. It never
# depends on the run's length or the progress bar: any duration reuses the one
# program, the remainder running it with fewer valid steps.
_MAX_CHUNK = 65536
_MIN_CHUNK = 64
_DEFAULT_CHUNK_BYTES = 512 << 10
_EFFICIENT_CHUNK_BYTES = 128 << 10
_CONST_MIN_SIZE = 1024


class UnknownTargetError(RunningError, AttributeError):
    """An input target name does not name a Variable of the model."""


class UnknownMonitorError(MonitorError, AttributeError):
    """A monitor name does not name a Variable of the model."""


@dataclasses.dataclass
class _Input:
    key: str
    var: Variable
    kind: str
    op: str
    value: Any
    shared: bool = False


@dataclasses.dataclass
class _Mon:
    key: str
    var: Variable | None
    func: Callable[..., Any] | None
    index: Any
    every: int = 1
    spikes: bool = False
    dtype: Any = None
    shared: bool = False


def _wants_shared(fn: Callable[..., Any]) -> bool:
    """True if `fn` takes exactly one required positional argument (old style)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    required = [
        p
        for p in params
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(required) == 1


def _pow2_floor(n: int) -> int:
    return 1 if n <= 1 else 1 << (n.bit_length() - 1)


def _leaf_sig(x: Any) -> tuple[Any, ...]:
    # A jax.Array's dtype is already canonical; jnp.result_type costs ~0.1 ms,
    # which adds up over the leaves of every chunk of a long run.
    dt = x.dtype if isinstance(x, jax.Array) else jnp.result_type(x)
    return (
        tuple(np.shape(x)),
        str(dt),
        bool(getattr(x, "weak_type", False)),
        getattr(x, "sharding", None),
    )


def _num_steps(duration: Any, dt: float) -> int:
    if isinstance(duration, bool) or not isinstance(duration, (int, float, np.number)):
        raise RunningError(
            f"expected duration to be a positive number, got {duration!r}"
        )
    duration = float(duration)
    if not math.isfinite(duration) or duration <= 0:
        raise RunningError(
            f"expected a positive, finite duration, got {duration}; give the "
            "simulated time to run, in the same unit as dt"
        )
    ratio = duration / dt
    n = round(ratio)
    if n < 1 or (abs(ratio - n) > 1e-6 * max(1.0, ratio) and int(ratio) < 1):
        raise RunningError(
            f"duration {duration} is shorter than one step (dt={dt}); expected a "
            "duration of at least dt"
        )
    if abs(ratio - n) > 1e-6 * max(1.0, ratio):
        n = int(ratio)
        warn_user(
            f"duration {duration} is not a whole number of steps of dt={dt} "
            f"({ratio:.6g} steps); running {n} steps ({n * dt:.6g})",
            UserWarning,
        )
    return n


class DSRunner(BrainPyObject):
    """Run a `DynamicalSystem` over time, with inputs and monitors.

    Drop-in for `brainpy.DSRunner`: same arguments, defaults, time semantics (at
    step `i`, `share['t'] = t0 + i*dt` is the time at the start of the step; the
    monitors are read after the update; `mon['ts']` labels each record with that
    start-of-step time; time continues across `run()` calls). Unlike BrainPy, the
    loop is compiled once per shape signature and run in fixed-size chunks, so a
    second `run()` (or another duration) does not recompile; monitors stream to
    the host chunk by chunk; `run()` returns only when the results are ready.

    **Arguments:**

    - `target`: the model to run.
    - `inputs`: `(target, value[, type[, op]])` tuples (a single one or a list);
        `target` a Variable or a dotted path (`'E.input'`), `type` one of
        `'fix'` (constant), `'iter'` (an array or iterable with one entry per step,
        indexed from the start of each run), `'func'` (a callable with no
        arguments, called every step); `op` one of `'+'` (default), `'-'`, `'*'`,
        `'/'`, `'='`. Or a callable called every step (before the update).
    - `monitors`: a list of names or `(name, index)` tuples, or a dict of
        `key -> Variable | (Variable, index) | name | (name, index) | callable |
        Monitor`.
    - `numpy_mon_after_run`: convert the monitors to numpy after each run.
    - `jit`: `True`/`False`, or a dict with a `'predict'` key. `False` runs the
        step eagerly in Python (slow, but `print` works).
    - `dyn_vars`: extra Variables (one, a sequence or a dict) that `update`
        changes besides the model's own, e.g. a Variable kept outside the model;
        they are carried through the compiled loop like the model's (which are
        found automatically).
    - `memory_efficient`: use small chunks so device memory stays small.
    - `dt`: the time step; default `dsrunner.get_dt()`. Never changes the global.
    - `t0`: the start time.
    - `progress_bar`: show a tqdm bar (updated between chunks).
    - `data_first_axis`: `'T'` or `'B'` (batching mode only): whether run inputs,
        outputs and monitors have time or batch first. Default `'B'` in batching
        mode, else `'T'`.
    - `fun_inputs`, `fun_monitors`: deprecated forms of callable inputs/monitors.
    - `chunk_size`: steps per compiled chunk; default (chosen by measurement,
        see the README): as many as keep one chunk's monitor and output buffers
        within 512 KiB (128 KiB with `memory_efficient`), between 64 and 65536.
        Every run length and the progress bar use the same chunk, so nothing
        recompiles after the first run.
    - `name`: the runner's name.
    """

    def __init__(
        self,
        target: DynamicalSystem,
        inputs: Any = (),
        monitors: Any = None,
        numpy_mon_after_run: bool = True,
        jit: bool | dict[str, bool] = True,
        dyn_vars: Any = None,
        memory_efficient: bool = False,
        dt: float | None = None,
        t0: float = 0.0,
        progress_bar: bool = True,
        data_first_axis: str | None = None,
        fun_inputs: Callable[..., Any] | None = None,
        fun_monitors: dict[str, Callable[..., Any]] | None = None,
        *,
        chunk_size: int | None = None,
        name: str | None = None,
    ):
        super().__init__(name=name)
        if not isinstance(target, DynamicalSystem):
            raise RunningError(
                f"expected the target to be a dsrunner DynamicalSystem, got "
                f"{type(target).__name__}"
            )
        self.target = target
        # jit
        if isinstance(jit, bool):
            self.jit = {"predict": jit}
        elif isinstance(jit, dict):
            self.jit = dict(jit)
            self.jit.setdefault("predict", True)
        else:
            raise ValueError(
                f"expected jit to be a bool or a dict like {{'predict': True}}, got "
                f"{jit!r}"
            )
        if not isinstance(progress_bar, bool):
            raise ValueError(
                f"expected progress_bar to be a bool, got {progress_bar!r}"
            )
        self.progress_bar = progress_bar
        self.numpy_mon_after_run = bool(numpy_mon_after_run)
        if memory_efficient and not numpy_mon_after_run:
            raise ValueError(
                "memory_efficient=True needs numpy_mon_after_run=True (the monitors "
                "are moved to the host as they are recorded)"
            )
        self.memory_efficient = bool(memory_efficient)
        self.dyn_vars = _check_dyn_vars(dyn_vars)
        # time
        if dt is None:
            dt = get_dt()
        if isinstance(dt, bool) or not isinstance(dt, (int, float, np.floating)):
            raise RunningError(f"expected dt to be a positive float, got {dt!r}")
        if not math.isfinite(dt) or dt <= 0:
            raise RunningError(f"expected dt to be a positive, finite float, got {dt}")
        self.dt = float(dt)
        if isinstance(t0, bool) or not isinstance(t0, (int, float, np.number)):
            raise RunningError(f"expected t0 to be a float, got {t0!r}")
        self.t0 = float(t0)
        self.i0 = 0
        if data_first_axis is None:
            data_first_axis = "B" if isinstance(target.mode, BatchingMode) else "T"
        if data_first_axis not in ("B", "T"):
            raise ValueError(
                f"expected data_first_axis 'B' or 'T', got {data_first_axis!r}"
            )
        self.data_first_axis = data_first_axis
        if chunk_size is not None and (
            isinstance(chunk_size, bool)
            or not isinstance(chunk_size, int)
            or chunk_size < 1
        ):
            raise ValueError(
                f"expected chunk_size to be a positive int, got {chunk_size!r}"
            )
        self.chunk_size = chunk_size
        # inputs
        self._fun_inputs = None
        if fun_inputs is not None:
            warn_user(
                "fun_inputs is deprecated; pass the callable as inputs",
                DeprecationWarning,
            )
            if not callable(fun_inputs):
                raise ValueError(
                    f"expected fun_inputs to be callable, got {fun_inputs!r}"
                )
            self._fun_inputs = fun_inputs
        self._callable_inputs: Callable[..., Any] | None = None
        self._callable_wants_shared = False
        self._inputs: list[_Input] = []
        if callable(inputs):
            self._callable_inputs = inputs
            self._callable_wants_shared = _wants_shared(inputs)
            if self._callable_wants_shared:
                warn_user(
                    "an inputs callable that takes the shared arguments is "
                    "deprecated; take no arguments and read dsrunner.share instead",
                    DeprecationWarning,
                )
        else:
            self._inputs = self._parse_inputs(inputs)
        # monitors
        self._mons: dict[str, _Mon] = self._parse_monitors(monitors)
        if fun_monitors is not None:
            warn_user(
                "fun_monitors is deprecated; put the callables in monitors",
                DeprecationWarning,
            )
            for key, fn in dict(fun_monitors).items():
                self._add_mon(self._mons, self._mon_from_value(key, fn))
        self.mon = DotDict()
        self.mon_ts: dict[str, np.ndarray] = {}
        self._compiled: dict[Any, Any] = {}
        self._spike_sizes: dict[str, int] = {}
        self._step_bytes: dict[Any, float] = {}
        self.chunk_steps = 0
        """Steps per compiled chunk in the last run."""
        self.chunk_bytes = 0
        """Device bytes of one chunk's monitor and output buffers in the last run."""
        self.timing: dict[str, float] = {}

    # ---------------------------------------------------------------- resolution
    def _valid_names(self) -> list[str]:
        return sorted(self.target.vars(method="relative"))

    def _resolve(self, path: str, err: type[Exception], what: str) -> Variable:
        obj: Any = self.target
        parts = path.split(".")
        if not hasattr(obj, parts[0]):
            nodes = self.target.nodes()
            if parts[0] in nodes and len(parts) > 1:
                obj = nodes[parts[0]]
                parts = parts[1:]
        for p in parts:
            if not hasattr(obj, p):
                raise err(
                    f"unknown {what} {path!r}: the model has no attribute {p!r} "
                    f"there; expected one of {self._valid_names()}"
                )
            obj = getattr(obj, p)
        if not isinstance(obj, Variable):
            raise err(
                f"{what} {path!r} is a {type(obj).__name__}, expected a Variable; "
                f"the model's Variables are {self._valid_names()}"
            )
        return obj

    # ---------------------------------------------------------------- inputs
    def _parse_inputs(self, inputs: Any) -> list[_Input]:
        if inputs is None:
            return []
        if (
            isinstance(inputs, tuple)
            and inputs
            and isinstance(inputs[0], (str, Variable))
        ):
            inputs = [inputs]
        if not isinstance(inputs, (list, tuple)):
            raise RunningError(
                "expected inputs as (target, value[, type[, op]]) tuples, a list of "
                f"them, or a callable; got {type(inputs).__name__}"
            )
        parsed = []
        for item in inputs:
            if not isinstance(item, (tuple, list)) or not 2 <= len(item) <= 4:
                raise RunningError(
                    f"expected each input as (target, value[, type[, op]]), got "
                    f"{item!r}"
                )
            tgt, value = item[0], item[1]
            typ = item[2] if len(item) > 2 else "fix"
            op = item[3] if len(item) > 3 else "+"
            if typ not in _TYPES:
                raise RunningError(
                    f"input {tgt!r}: unknown type {typ!r}; expected one of {_TYPES}"
                )
            if op not in _OPS:
                raise RunningError(
                    f"input {tgt!r}: unknown operation {op!r}; expected one of {_OPS}"
                )
            if isinstance(tgt, str):
                key = tgt
                var = self._resolve(tgt, UnknownTargetError, "input target")
            elif isinstance(tgt, Variable):
                key, var = f"<Variable {var_shape(tgt)}>", tgt
            else:
                raise RunningError(
                    f"expected an input target that is a name or a Variable, got {tgt!r}"
                )
            parsed.append(self._make_input(key, var, value, typ, op))
        order = {
            (c, o): n for n, (c, o) in enumerate(itertools.product(_CATEGORIES, _OPS))
        }
        parsed.sort(key=lambda x: order[(x.kind, x.op)])
        return parsed

    def _make_input(
        self, key: str, var: Variable, value: Any, typ: str, op: str
    ) -> _Input:
        shape = var.shape
        if typ == "func":
            if not callable(value):
                raise ValueError(
                    f"input {key!r} has type 'func', expected a callable, got {value!r}"
                )
            return _Input(key, var, "func", op, value, _wants_shared(value))
        if typ == "fix":
            arr = jnp.asarray(_unwrap(value))
            self._check_broadcast(key, arr.shape, shape, "value")
            return _Input(key, var, "fix", op, arr.astype(var.dtype))
        # iter
        if isinstance(value, (np.ndarray, jax.Array, Variable)) or (
            isinstance(value, (list, tuple)) and not _is_iterator(value)
        ):
            arr = np.asarray(_unwrap(value))
            if arr.ndim == 0:
                raise ValueError(
                    f"input {key!r} has type 'iter', expected an array with a leading "
                    f"time axis, got a scalar"
                )
            self._check_broadcast(key, arr.shape[1:], shape, "per-step value")
            return _Input(key, var, "array", op, arr.astype(var.dtype))
        if isinstance(value, Iterator) or hasattr(value, "__iter__"):
            return _Input(key, var, "iterator", op, iter(value))
        raise ValueError(
            f"input {key!r} has type 'iter', expected an array or an iterable, got "
            f"{type(value).__name__}"
        )

    @staticmethod
    def _check_broadcast(
        key: str, got: tuple[int, ...], shape: tuple[int, ...], what: str
    ):
        try:
            ok = np.broadcast_shapes(got, shape) == tuple(shape)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"input {key!r}: {what} of shape {tuple(got)} does not fit the target "
                f"Variable of shape {tuple(shape)}; expected a shape that broadcasts "
                f"to {tuple(shape)}"
            )

    # ---------------------------------------------------------------- monitors
    def _parse_monitors(self, monitors: Any) -> dict[str, _Mon]:
        mons: dict[str, _Mon] = {}
        if monitors is None:
            return mons
        if isinstance(monitors, str):
            monitors = [monitors]
        if isinstance(monitors, dict):
            for key, val in monitors.items():
                if not isinstance(key, str):
                    raise MonitorError(f"expected str monitor keys, got {key!r}")
                self._add_mon(mons, self._mon_from_value(key, val))
        elif isinstance(monitors, (list, tuple)):
            for item in monitors:
                if isinstance(item, str):
                    self._add_mon(mons, self._mon_from_value(item, item))
                elif (
                    isinstance(item, (tuple, list))
                    and len(item) == 2
                    and isinstance(item[0], str)
                ):
                    self._add_mon(mons, self._mon_from_value(item[0], tuple(item)))
                else:
                    raise MonitorError(
                        f"expected monitors given as names or (name, index) pairs, "
                        f"got {item!r}"
                    )
        else:
            raise MonitorError(
                "expected monitors as a list of names / (name, index) pairs or a "
                f"dict, got {type(monitors).__name__}"
            )
        return mons

    def _add_mon(self, mons: dict[str, _Mon], m: _Mon) -> None:
        if m.key in mons or m.key == "ts":
            raise MonitorError(
                f"duplicate monitor key {m.key!r}"
                + (" ('ts' is reserved for the time labels)" if m.key == "ts" else "")
                + "; expected each key once (BrainPy silently kept the last one)"
            )
        mons[m.key] = m

    def _mon_from_value(self, key: str, val: Any) -> _Mon:
        every, spikes, dtype = 1, False, None
        if isinstance(val, Monitor):
            every, spikes, dtype = val.every, val.spikes, val.dtype
            val = val.target if val.index is None else (val.target, val.index)
        index = None
        if isinstance(val, tuple):
            if len(val) != 2:
                raise MonitorError(
                    f"monitor {key!r}: expected (target, index), got {val!r}"
                )
            val, index = val
        if isinstance(val, str):
            val = self._resolve(val, UnknownMonitorError, "monitor")
        if isinstance(val, Variable):
            idx = self._check_index(key, val, index)
            if spikes and val.dtype != jnp.bool_:
                raise MonitorError(
                    f"monitor {key!r}: spikes=True needs a boolean Variable, got "
                    f"dtype {val.dtype}"
                )
            return _Mon(key, val, None, idx, every, spikes, dtype)
        if callable(val):
            if index is not None:
                raise MonitorError(f"monitor {key!r}: a callable takes no index")
            return _Mon(key, None, val, None, every, spikes, dtype, _wants_shared(val))
        raise MonitorError(
            f"monitor {key!r}: expected a Variable, a name, (target, index), a "
            f"callable or a Monitor, got {type(val).__name__}"
        )

    @staticmethod
    def _check_index(key: str, var: Variable, index: Any) -> Any:
        if index is None:
            return None
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            idx = np.asarray([int(index)])
        else:
            idx = np.asarray(index)
            if idx.dtype == bool:
                idx = np.nonzero(idx)[0]
            if not np.issubdtype(idx.dtype, np.integer):
                raise MonitorError(
                    f"monitor {key!r}: expected an integer index, got {index!r}"
                )
        n = var.shape[1] if var.batch_axis is not None else var.shape[0]
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise MonitorError(
                f"monitor {key!r}: index {index!r} out of range for a Variable with "
                f"{n} units; expected indices in [0, {n})"
            )
        return idx

    # ---------------------------------------------------------------- the step
    def _read_mon(self, m: _Mon, shared: dict[str, Any]) -> Any:
        if m.func is not None:
            v = m.func(shared) if m.shared else m.func()
            v = jnp.asarray(_unwrap(v))
        else:
            assert m.var is not None
            v = m.var.value
            if m.index is not None:
                v = v[:, m.index] if m.var.batch_axis is not None else v[m.index]
        if m.dtype is not None:
            v = v.astype(m.dtype)
        if m.spikes:
            self._spike_sizes[m.key] = int(np.size(v))
            v = jnp.packbits(jnp.ravel(v).astype(jnp.bool_))
        return v

    def _apply_inputs(self, data: list[Any], shared: dict[str, Any]) -> None:
        if self._fun_inputs is not None:
            self._fun_inputs(shared)
        if self._callable_inputs is not None:
            if self._callable_wants_shared:
                self._callable_inputs(shared)
            else:
                self._callable_inputs()
            return
        j = 0
        for inp in self._inputs:
            if inp.kind == "fix":
                x = inp.value
            elif inp.kind == "func":
                x = inp.value(shared) if inp.shared else inp.value()
                x = _unwrap(x)
            else:
                x = data[j]
                j += 1
            var = inp.var
            cur = var.value
            if inp.op == "=":
                new = jnp.broadcast_to(jnp.asarray(x), cur.shape)
            elif inp.op == "+":
                new = cur + x
            elif inp.op == "-":
                new = cur - x
            elif inp.op == "*":
                new = cur * x
            else:
                new = cur / x
            if jnp.shape(new) != cur.shape:
                raise MathError(
                    f"input {inp.key!r} gives a value of shape {jnp.shape(new)}, "
                    f"expected the target's shape {cur.shape}"
                )
            var.value = jnp.asarray(new).astype(cur.dtype)

    def _step(
        self, i: Any, x: tuple[Any, ...], data: list[Any], shared: dict[str, Any]
    ):
        share.save(**shared)
        share.save(t=self.t0 + i * self.dt, i=i, dt=self.dt)
        sh = share.get_shargs()
        self._apply_inputs(data, sh)
        out = self.target(*x)
        mon = {k: self._read_mon(m, sh) for k, m in self._mons.items()}
        for node in self._dyn_nodes:
            node.clear_input()
        return out, mon

    def _functional(self, values, i, x, data, shared):
        """Run one step as a pure function of the Variables' values."""
        old = [v._value for v in self._vars]
        snap = share._snapshot()
        try:
            for v, val in zip(self._vars, values, strict=True):
                v._value = val
            out, mon = self._step(i, x, data, shared)
            new = tuple(v._value for v in self._vars)
        finally:
            for v, val in zip(self._vars, old, strict=True):
                v._value = val
            share._restore(snap)
        return new, _unwrap_tree(out), mon

    def _chunk_impl(
        self, values, i0, n_valid, xs, data, shared, consts, *, K, static_shared
    ):
        # Large array attributes of the model (connection matrices, ...) enter as
        # arguments, not as constants baked into the program: compiling is much
        # faster and new values reuse the executable.
        refs = self._const_refs
        old = [getattr(o, a) for o, a in refs]
        try:
            for (o, a), c in zip(refs, consts, strict=True):
                object.__setattr__(o, a, c)
            return self._chunk_loop(
                values, i0, n_valid, xs, data, shared, K=K, static_shared=static_shared
            )
        finally:
            for (o, a), c in zip(refs, old, strict=True):
                object.__setattr__(o, a, c)

    def _chunk_loop(self, values, i0, n_valid, xs, data, shared, *, K, static_shared):
        shared = {**shared, **dict(static_shared)}
        x0 = jax.tree.map(lambda a: a[0], xs)
        d0 = [a[0] for a in data]
        new_s, out_s, mon_s = jax.eval_shape(
            lambda v, i: self._functional(v, i, x0, d0, shared), values, i0
        )
        for name, a, b in zip(self._var_names, values, new_s, strict=True):
            if jnp.shape(a) != b.shape or jnp.result_type(a) != b.dtype:
                raise MathError(
                    f"the update changed Variable {name!r} from shape {jnp.shape(a)} "
                    f"dtype {jnp.result_type(a)} to shape {b.shape} dtype {b.dtype}; "
                    "expected Variables to keep their shape and dtype"
                )
        outbuf = jax.tree.map(lambda s: jnp.zeros((K, *s.shape), s.dtype), out_s)
        slots = {k: self._slots(K, m.every) for k, m in self._mons.items()}
        monbuf = {k: jnp.zeros((slots[k], *s.shape), s.dtype) for k, s in mon_s.items()}

        def body(k, carry):
            vals, ob, mb = carry
            i = i0 + k
            x = jax.tree.map(lambda a: a[k], xs)
            d = [a[k] for a in data]
            new, out, mon = self._functional(vals, i, x, d, shared)
            new = tuple(
                jax.lax.convert_element_type(n, jnp.result_type(v))
                for n, v in zip(new, vals, strict=True)
            )
            # The barrier keeps XLA from fusing the step into the buffer update,
            # which on CPU turns the in-place row write into a whole-buffer pass.
            out, mon = jax.lax.optimization_barrier((out, mon))
            put = jax.lax.dynamic_update_index_in_dim
            ob = jax.tree.map(lambda b, o: put(b, o, k, 0), ob, out)
            mb = dict(mb)
            for key, m in self._mons.items():
                e = m.every
                if e == 1:
                    mb[key] = put(mb[key], mon[key], k, 0)
                else:
                    first = ((i0 + e - 1) // e) * e
                    slot = jnp.clip((i - first) // e, 0, slots[key] - 1)
                    keep = (i % e) == 0
                    old = jax.lax.dynamic_index_in_dim(mb[key], slot, 0, False)
                    mb[key] = put(mb[key], jnp.where(keep, mon[key], old), slot, 0)
            return new, ob, mb

        return jax.lax.fori_loop(0, n_valid, body, (tuple(values), outbuf, monbuf))

    @staticmethod
    def _slots(K: int, every: int) -> int:
        return K if every == 1 else -(-K // every)

    # ---------------------------------------------------------------- running
    def reset_state(self) -> None:
        """Reset the runner's step counter to 0 (the model state is untouched)."""
        self.i0 = 0

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Same as `predict()`."""
        return self.predict(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.predict(*args, **kwargs)

    @property
    def num_compiles(self) -> int:
        """How many chunk functions this runner has compiled so far."""
        return len(self._compiled)

    def _prepare_run_inputs(self, duration: Any, inputs: Any):
        batching = isinstance(self.target.mode, BatchingMode)
        if inputs is None:
            if duration is None:
                raise ValueError(
                    "expected a duration or inputs with a time axis, got neither"
                )
            return _num_steps(duration, self.dt), (), None
        if duration is not None:
            warn_user(
                "both duration and inputs were given; the number of steps comes "
                "from the inputs' time axis and the duration is ignored",
                UserWarning,
            )
        xs = inputs if isinstance(inputs, tuple) else (inputs,)
        leaves = jax.tree.leaves(xs)
        if not leaves:
            raise ValueError("expected inputs with at least one array, got none")
        time_first = not (batching and self.data_first_axis == "B")
        ax = 0 if time_first else 1
        lens = set()
        for leaf in leaves:
            if np.ndim(leaf) <= ax:
                raise ValueError(
                    f"run inputs need a {'time' if ax == 0 else 'batch and time'} "
                    f"axis; got an array of shape {np.shape(leaf)}"
                )
            lens.add(np.shape(leaf)[ax])
        if len(lens) != 1:
            raise ValueError(
                f"run inputs disagree on the number of steps: time axes of lengths "
                f"{sorted(lens)}; expected one length"
            )
        n = lens.pop()
        if n < 1:
            raise ValueError("run inputs have a time axis of length 0")
        batch = None
        if not time_first:
            batch = np.shape(leaves[0])[0]
            xs = jax.tree.map(lambda a: np.moveaxis(np.asarray(a), 1, 0), xs)
        elif batching and np.ndim(leaves[0]) > 1:
            batch = np.shape(leaves[0])[1]
        return n, xs, batch

    def _iter_data(self, n: int) -> list[Any]:
        data = []
        for inp in self._inputs:
            if inp.kind == "array":
                if inp.value.shape[0] < n:
                    raise ValueError(
                        f"'iter' input {inp.key!r} has {inp.value.shape[0]} steps, "
                        f"expected at least {n} (the run's length); it is indexed "
                        "from the start of each run"
                    )
                data.append(np.asarray(inp.value)[:n])
            elif inp.kind == "iterator":
                vals = list(itertools.islice(inp.value, n))
                if len(vals) < n:
                    raise ValueError(
                        f"'iter' input {inp.key!r} ran out after {len(vals)} values, "
                        f"expected {n} (the run's length)"
                    )
                arr = np.asarray([np.asarray(_unwrap(v)) for v in vals])
                self._check_broadcast(inp.key, arr.shape[1:], inp.var.shape, "value")
                data.append(arr.astype(inp.var.dtype))
        return data

    def _chunk_len(self, per_step_bytes: float) -> int:
        """Steps per compiled chunk: fixed for a runner and monitor signature.

        It never depends on the run's length or on the progress bar, so any
        duration reuses one program (full chunks, then the same program with a
        traced number of valid steps for the remainder)."""
        if self.chunk_size is not None:
            return self.chunk_size
        budget = (
            _EFFICIENT_CHUNK_BYTES if self.memory_efficient else _DEFAULT_CHUNK_BYTES
        )
        kmax = _MAX_CHUNK if per_step_bytes <= 0 else int(budget // per_step_bytes)
        return max(_MIN_CHUNK, min(_MAX_CHUNK, _pow2_floor(max(kmax, 1))))

    def predict(
        self,
        duration: float | None = None,
        inputs: Any = None,
        reset_state: bool = False,
        eval_time: bool = False,
        shared_args: dict[str, Any] | None = None,
        inputs_are_batching: Any = None,
    ) -> Any:
        """Run the model for `duration` (or for the length of `inputs`).

        **Arguments:**

        - `duration`: simulated time; the number of steps is `duration / dt`
            (rounded when it is a whole number up to float error, else truncated
            with a warning).
        - `inputs`: a pytree of arrays with a time axis (after the batch axis for
            `data_first_axis='B'`); step `k` calls `target(*inputs[k])`.
        - `reset_state`: reset the model (`target.reset(batch_size)`) and the step
            counter first.
        - `eval_time`: also return the wall time of the run.
        - `shared_args`: extra values for `share`; floats and arrays are traced
            (new values reuse the compiled code), bools/ints/strings are static.
        - `inputs_are_batching`: no longer used (as in BrainPy): the target's mode
            says whether inputs have a batch axis; a value other than `None`
            warns.

        **Returns:**

        The stacked outputs of `update` (arrays with a time axis), or
        `(running_time, outputs)` with `eval_time=True`. Monitors are in
        `self.mon`, with the time labels in `self.mon['ts']`.
        """
        if inputs_are_batching is not None:
            warn_user(
                f"inputs_are_batching={inputs_are_batching!r} is not used: the "
                f"target's mode ({self.target.mode!r}) says whether run inputs have "
                "a batch axis; drop the argument",
                UserWarning,
            )
        shared_args = dict(shared_args or {})
        for k in ("t", "i", "dt"):
            if k in shared_args:
                raise RunningError(f"shared_args may not set {k!r}; the runner sets it")
        n, xs, batch = self._prepare_run_inputs(duration, inputs)
        if reset_state:
            self.target.reset(batch)
            self.reset_state()
        self._check_clock()
        data = self._iter_data(n)
        static_shared, traced_shared = self._prepare_state(shared_args)
        t_start = time.perf_counter()
        if self.jit["predict"]:
            outs, mons, counts, t_compile = self._run_compiled(
                n, xs, data, traced_shared, static_shared
            )
        else:
            outs, mons, counts = self._run_eager(
                n, xs, data, {**traced_shared, **dict(static_shared)}
            )
            t_compile = 0.0
        total = time.perf_counter() - t_start
        self.timing = {
            "compile": t_compile,
            "execute": total - t_compile,
            "total": total,
        }
        self._assemble(n, outs, mons, counts)
        outputs = self._outputs
        self.i0 += n
        MODEL_CLOCK[self.target] = self._t_now
        if eval_time:
            return total, outputs
        return outputs

    @property
    def _t_now(self) -> float:
        return self.t0 + self.i0 * self.dt

    def _check_clock(self) -> None:
        t_model = MODEL_CLOCK.get(self.target)
        if t_model is not None and abs(t_model - self._t_now) > self.dt / 2:
            warn_user(
                f"the model was last run up to t={t_model:g} ms but this runner "
                f"starts at t={self._t_now:g} ms (another runner advanced it, or "
                "reset_state() reset only this runner's clock), so state that "
                "depends on t, such as last spike times and refractory periods, is "
                "inconsistent; expected one runner per model, a new runner created "
                f"with t0={t_model:g}, or run(..., reset_state=True)",
                UserWarning,
            )

    def _prepare_state(self, shared_args: dict[str, Any]):
        """Collect the model's Variables and split `shared_args` into static
        (bool/int/str/None: part of the compile key) and traced values."""
        static_shared = tuple(
            sorted(
                (k, v)
                for k, v in shared_args.items()
                if v is None or isinstance(v, (bool, int, str))
            )
        )
        traced_shared = {
            k: jnp.asarray(v)
            for k, v in shared_args.items()
            if k not in dict(static_shared)
        }
        all_vars = self.target.vars()
        # Variables named by inputs or monitors but living outside the model are
        # threaded through the loop too (else a tracer would leak into them).
        known = {id(v) for v in all_vars.values()}
        extra = (
            list(self.dyn_vars)
            + [i.var for i in self._inputs]
            + [m.var for m in self._mons.values() if m.var is not None]
        )
        for j, v in enumerate(extra):
            if id(v) not in known:
                known.add(id(v))
                all_vars[f"<external {j}>"] = v
        self._var_names = list(all_vars)
        self._vars = list(all_vars.values())
        self._dyn_nodes = [
            nd for nd in self.target.nodes().values() if isinstance(nd, DynamicalSystem)
        ]
        self._const_refs = [
            (nd, k)
            for nd in self.target.nodes().values()
            for k, v in vars(nd).items()
            if isinstance(v, jax.Array) and v.size >= _CONST_MIN_SIZE
        ]
        return static_shared, traced_shared

    def _fingerprint(self) -> int:
        """A hash of the model's scalar and small-array parameters.

        They are baked into the compiled code, so a change (`lif.V_th = -40.`
        between runs) must select another executable, as BrainPy's per-run
        retracing would pick it up."""
        items: list[Any] = []
        for nd in self.target.nodes().values():
            for k, v in vars(nd).items():
                if v is None or isinstance(v, (bool, int, float, complex, str)):
                    items.append((id(nd), k, v))
                elif isinstance(v, (jax.Array, np.ndarray, np.generic)) and (
                    np.size(v) < _CONST_MIN_SIZE
                ):
                    arr = np.asarray(v)
                    items.append((id(nd), k, arr.dtype.str, arr.shape, arr.tobytes()))
        return hash(tuple(items))

    def _signature(self, K, values, xs, data, shared, static_shared):
        leaves, treedef = jax.tree.flatten((values, xs, data, shared))
        return (
            K,
            static_shared,
            tuple(self._var_names),
            treedef,
            tuple(_leaf_sig(x) for x in leaves),
        )

    def _run_compiled(self, n, xs, data, traced_shared, static_shared, sweep=None):
        """The chunked, compiled loop. With `sweep=(paths, pvals, values)` the chunk
        function is vmapped over parameter sets and nothing is committed."""
        values = tuple(v.value for v in self._vars) if sweep is None else sweep[2]
        # Inputs are cut into chunks on the host: slicing or padding a device array
        # compiles a program per length, so a new duration would compile again.
        xs = jax.tree.map(np.asarray, xs)
        data = [np.asarray(a) for a in data]
        # per-step bytes of the monitors and outputs, to choose the chunk length
        x0 = jax.tree.map(lambda a: a[0], xs)
        d0 = [a[0] for a in data]
        shared = {**traced_shared, **dict(static_shared)}
        members = 1 if sweep is None else int(np.shape(jax.tree.leaves(values)[0])[0])
        one = values if sweep is None else jax.tree.map(lambda a: a[0], values)
        shape_key = self._signature(0, one, x0, d0, traced_shared, static_shared)
        per_step = self._step_bytes.get(shape_key)
        if per_step is None:
            _, out_s, mon_s = jax.eval_shape(
                lambda v: self._functional(v, np.int32(self.i0), x0, d0, shared), one
            )
            per_step = sum(s.size * s.dtype.itemsize for s in jax.tree.leaves(out_s))
            per_step += sum(
                s.size * s.dtype.itemsize / self._mons[k].every
                for k, s in mon_s.items()
            )
            self._step_bytes[shape_key] = per_step
        K = self._chunk_len(per_step * members)
        consts = tuple(getattr(o, a) for o, a in self._const_refs)
        fingerprint = self._fingerprint()
        self.chunk_steps = K
        self.chunk_bytes = int(K * per_step * members)
        t_compile = 0.0
        bar = tqdm(total=n, desc=f"Running {n} steps", disable=not self.progress_bar)
        outs: list[Any] = []
        mons: dict[str, list[Any]] = {k: [] for k in self._mons}
        counts: dict[str, list[int]] = {k: [] for k in self._mons}
        pending = None
        try:
            for start in range(0, n, K):
                nc = min(K, n - start)
                xs_c = jax.tree.map(lambda a, s=start, c=nc: _pad(a[s : s + c], K), xs)
                data_c = [_pad(a[start : start + nc], K) for a in data]
                i0 = np.int32(self.i0 + start)
                args = (values, i0, np.int32(nc), xs_c, data_c, traced_shared, consts)
                key = self._signature(
                    K, values, xs_c, data_c, (traced_shared, consts), static_shared
                )
                key = (key, fingerprint)
                if sweep is not None:
                    args = (*args, sweep[1])
                    key = (key, "sweep", sweep[0], jax.tree.map(_leaf_sig, sweep[1]))
                compiled = self._compiled.get(key)
                if compiled is None:
                    tc = time.perf_counter()
                    impl = functools.partial(
                        self._chunk_impl, K=K, static_shared=static_shared
                    )
                    if sweep is not None:
                        impl = self._vmapped(impl, sweep[0])
                    fn = jax.jit(impl)
                    compiled = fn.lower(*args).compile()
                    self._compiled[key] = compiled
                    t_compile += time.perf_counter() - tc
                values, ob, mb = compiled(*args)
                for leaf in jax.tree.leaves((ob, mb)):
                    leaf.copy_to_host_async()
                if pending is not None:
                    self._collect(pending, outs, mons, counts)
                    bar.update(pending[3])
                pending = (ob, mb, int(i0), nc, sweep is not None)
            if pending is not None:
                self._collect(pending, outs, mons, counts)
                bar.update(pending[3])
            jax.block_until_ready(values)
        finally:
            bar.close()
        if sweep is not None:
            return outs, mons, values, t_compile
        # commit the final state only after the whole run succeeded
        for v, val in zip(self._vars, values, strict=True):
            v._value = val
        return outs, mons, counts, t_compile

    def _collect(self, pending, outs, mons, counts) -> None:
        ob, mb, i0, nc, swept = pending
        ax = 1 if swept else 0

        def head(a: Any, c: int) -> Any:
            # a full chunk needs no slice (each slice is a dispatch)
            if np.shape(a)[ax] == c:
                return a
            return a[:, :c] if swept else a[:c]

        # host copies (started asynchronously): a device slice or concatenation
        # would compile a program for every new run length
        outs.append(jax.tree.map(lambda a: head(np.asarray(a), nc), ob))
        for key, m in self._mons.items():
            c = nc if m.every == 1 else _count_multiples(i0, nc, m.every)
            arr = head(np.asarray(mb[key]), c)
            if m.spikes and swept:
                arr = [self._spike_events(m, a, i0, c) for a in arr]
            elif m.spikes:
                arr = self._spike_events(m, arr, i0, c)
            mons[key].append(arr)
            counts[key].append(c)

    def _spike_events(self, m: _Mon, packed: np.ndarray, i0: int, c: int):
        num = self._spike_num(m)
        bits = np.unpackbits(packed, axis=-1, count=num).astype(bool)
        rows, cols = np.nonzero(bits)
        e = m.every
        first = -(-i0 // e) * e
        return (first + rows * e, cols)

    def _spike_train(self, m: _Mon, parts: list[Any]) -> SpikeTrain:
        """One `SpikeTrain` from the `(steps, units)` events of each chunk."""
        steps = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, int)
        cols = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, int)
        return SpikeTrain(steps * self.dt + self.t0, cols, steps, self._spike_num(m))

    def _spike_num(self, m: _Mon) -> int:
        return self._spike_sizes.get(m.key, 0)

    def _run_eager(self, n, xs, data, shared):
        values = tuple(v.value for v in self._vars)
        outs_l: list[Any] = []
        mons: dict[str, list[Any]] = {k: [] for k in self._mons}
        counts: dict[str, list[int]] = {k: [] for k in self._mons}
        bar = tqdm(total=n, desc=f"Running {n} steps", disable=not self.progress_bar)
        try:
            with jax.disable_jit():
                values = self._eager_loop(
                    n, xs, data, shared, values, outs_l, mons, bar
                )
        finally:
            bar.close()
        for v, val in zip(self._vars, values, strict=True):
            v._value = val
        if all(o is None for o in jax.tree.leaves(outs_l, is_leaf=lambda z: z is None)):
            stacked = [None]
        else:
            stacked = [jax.tree.map(lambda *a: jnp.stack(a), *outs_l)]
        return stacked, mons, counts

    def _eager_loop(self, n, xs, data, shared, values, outs_l, mons, bar):
        """Step by step in Python (no compilation): `print` works in `update`."""
        for k in range(n):
            i = self.i0 + k
            x = jax.tree.map(lambda a, k=k: a[k], xs)
            d = [a[k] for a in data]
            values, out, mon = self._functional(values, jnp.int32(i), x, d, shared)
            outs_l.append(out)
            for key, m in self._mons.items():
                if i % m.every == 0:
                    v = np.asarray(mon[key])[None]
                    mons[key].append(self._spike_events(m, v, i, 1) if m.spikes else v)
            bar.update(1)
        return values

    def _assemble(
        self, n: int, outs: list[Any], mons: dict[str, list[Any]], counts
    ) -> None:
        B_first = (
            isinstance(self.target.mode, BatchingMode) and self.data_first_axis == "B"
        )

        def to_b(a: Any) -> Any:
            a = np.asarray(a)
            return np.moveaxis(a, 0, 1) if B_first and a.ndim >= 2 else a

        # Assembled on the host and put back on the device: jnp.concatenate or a
        # device slice would compile a new program for every run length.
        if not outs or outs[0] is None:
            self._outputs = None
        else:
            self._outputs = jax.tree.map(
                lambda *a: jax.device_put(to_b(np.concatenate(a))), *outs
            )
            jax.block_until_ready(self._outputs)
        # in place: for long runs the temporaries cost more than the arithmetic
        ts = np.arange(self.i0, self.i0 + n, dtype=np.float64)
        ts *= self.dt
        ts += self.t0
        self.mon = DotDict()
        self.mon_ts = {}
        for key, m in self._mons.items():
            parts = mons[key]
            if m.spikes:
                self.mon[key] = self._spike_train(m, parts)
            else:
                arr = to_b(np.concatenate(parts) if len(parts) > 1 else parts[0])
                self.mon[key] = arr if self.numpy_mon_after_run else jax.device_put(arr)
            if m.every == 1:
                self.mon_ts[key] = ts
            else:
                first = -(-self.i0 // m.every) * m.every
                steps = np.arange(first, self.i0 + n, m.every)
                self.mon_ts[key] = steps * self.dt + self.t0
        self.mon["ts"] = ts if self.numpy_mon_after_run else jnp.asarray(ts)

    # ---------------------------------------------------------------- sweeps
    def _vmapped(self, impl: Callable[..., Any], paths: tuple[str, ...]):
        def one(values, i0, nc, xs, data, shared, consts, pv):
            objs = [self._attr_owner(p) for p in paths]
            old = [getattr(o, a) for o, a in objs]
            try:
                for (o, a), v in zip(objs, pv, strict=True):
                    object.__setattr__(o, a, v)
                return impl(values, i0, nc, xs, data, shared, consts)
            finally:
                for (o, a), v in zip(objs, old, strict=True):
                    object.__setattr__(o, a, v)

        return jax.vmap(one, in_axes=(0, None, None, None, None, None, None, 0))

    def _attr_owner(self, path: str) -> tuple[Any, str]:
        *head, attr = path.split(".")
        obj: Any = self.target
        for p in head:
            obj = getattr(obj, p, None)
            if obj is None:
                break
        if obj is None or not hasattr(obj, attr):
            raise RunningError(
                f"unknown sweep parameter {path!r}; expected an attribute path of the "
                f"model such as 'tau' or 'E.V_th', or a Variable among "
                f"{self._valid_names()}"
            )
        return obj, attr

    def sweep(
        self,
        duration: float,
        params: dict[str, Any],
        *,
        shard: bool = False,
        shared_args: dict[str, Any] | None = None,
    ) -> DotDict:
        """Run the model for many parameter sets at once, with one compile.

        Every member starts from the model's current state at the runner's current
        step; the model and the step counter are left unchanged.

        **Arguments:**

        - `duration`: simulated time, as in `run`.
        - `params`: `{path: values}` with a leading axis of length `P` (the same
            for every entry). A path naming a Variable (`'V'`, `'p.rng'`) sets its
            initial value per member (shape `(P, *var.shape)`), which is how to
            sweep over random seeds; any other attribute path (`'tau'`,
            `'E.V_th'`) replaces that parameter inside the update.
        - `shard`: split the `P` members over all devices with `jax.sharding`
            (`P` must be a multiple of the device count).
        - `shared_args`: as in `run`.

        **Returns:**

        The monitors, each with a leading member axis `(P, T, ...)` (spike
        monitors: a list of `P` `SpikeTrain`s), plus `'ts'`
        `(T,)` and `'final'`: a dict of the final Variable values `(P, ...)` keyed
        by relative path.
        """
        if not self.jit["predict"]:
            raise RunningError("sweep needs jit=True")
        if not isinstance(params, dict) or not params:
            raise ValueError("expected params as a non-empty {path: values} dict")
        n = _num_steps(duration, self.dt)
        static_shared, traced_shared = self._prepare_state(dict(shared_args or {}))
        rel = self.target.vars(method="relative")
        lens = {np.shape(v)[0] if np.ndim(v) else None for v in params.values()}
        if len(lens) != 1 or None in lens:
            raise ValueError(
                "expected every sweep value to have the same leading member axis, got "
                f"lengths {sorted(map(str, lens))}"
            )
        P = lens.pop()
        init = {}
        attr_paths, attr_vals = [], []
        for path, val in params.items():
            if path in rel:
                var = rel[path]
                arr = jnp.asarray(val, dtype=var.dtype)
                if arr.shape != (P, *var.shape):
                    raise ValueError(
                        f"sweep values for Variable {path!r} have shape {arr.shape}, "
                        f"expected {(P, *var.shape)}"
                    )
                init[id(var)] = arr
            else:
                self._attr_owner(path)
                attr_paths.append(path)
                attr_vals.append(jnp.asarray(val))
        values = tuple(
            init.get(id(v), jnp.broadcast_to(v.value, (P, *v.shape)))
            for v in self._vars
        )
        pvals = tuple(attr_vals)
        assert P is not None
        if shard:
            devs = jax.devices()
            if P % len(devs):
                raise ValueError(
                    f"cannot shard {P} sweep members over {len(devs)} devices; "
                    f"expected a multiple of {len(devs)}"
                )
            mesh = jax.sharding.Mesh(np.asarray(devs), ("p",))
            spec = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("p"))
            values = jax.device_put(values, spec)
            pvals = jax.device_put(pvals, spec)
        data = self._iter_data(n)
        t_start = time.perf_counter()
        _, mons, final, t_compile = self._run_compiled(
            n, (), data, traced_shared, static_shared,
            sweep=(tuple(attr_paths), pvals, values),
        )  # fmt: skip
        total = time.perf_counter() - t_start
        self.timing = {
            "compile": t_compile,
            "execute": total - t_compile,
            "total": total,
        }
        result = DotDict()
        for key, parts in mons.items():
            if self._mons[key].spikes:  # one SpikeTrain per member
                per_member = zip(*parts, strict=True) if parts else [()] * P
                result[key] = [
                    self._spike_train(self._mons[key], list(p)) for p in per_member
                ]
            else:
                result[key] = np.concatenate([np.asarray(p) for p in parts], axis=1)
        result["ts"] = np.arange(self.i0, self.i0 + n) * self.dt + self.t0
        names = {id(v): k for k, v in rel.items()}
        result["final"] = {
            names.get(id(v), n): np.asarray(x)
            for n, v, x in zip(self._var_names, self._vars, final, strict=True)
        }
        return result

    # ---------------------------------------------------------------- checkpoints
    def save_checkpoint(self, filename: str | Path) -> None:
        """Save the model state, the step counter and the time settings to `.npz`.

        Random keys are ordinary Variables of the model, so they are included.
        """
        data = {
            k: np.asarray(v.value)
            for k, v in self.target.vars(method="relative").items()
        }
        data["__i0__"] = np.asarray(self.i0)
        data["__dt__"] = np.asarray(self.dt)
        data["__t0__"] = np.asarray(self.t0)
        np.savez(Path(filename), allow_pickle=False, **data)

    def load_checkpoint(self, filename: str | Path) -> None:
        """Restore a checkpoint written by `save_checkpoint` (strict on keys)."""
        path = Path(filename)
        with np.load(path) as f:
            data = {k: f[k] for k in f.files}
        meta = {k: data.pop(k) for k in ("__i0__", "__dt__", "__t0__") if k in data}
        if len(meta) != 3:
            raise ValueError(f"{path} is not a DSRunner checkpoint (no step counter)")
        if float(meta["__dt__"]) != self.dt:
            raise RunningError(
                f"{path} was saved with dt={float(meta['__dt__'])}, this runner has "
                f"dt={self.dt}; expected the same dt"
            )
        tmp = path.with_name(path.stem + ".__state__.npz")
        np.savez(tmp, **data)
        try:
            self.target.load_states(tmp)
        finally:
            tmp.unlink()
        self.i0 = int(meta["__i0__"])
        MODEL_CLOCK[self.target] = self._t_now

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(target={self.target!r}, jit={self.jit}, "
            f"dt={self.dt}, data_first_axis={self.data_first_axis!r})"
        )


def _check_dyn_vars(dyn_vars: Any) -> tuple[Variable, ...]:
    """`dyn_vars` as a tuple of Variables (a Variable, sequence or dict of them)."""
    if dyn_vars is None:
        return ()
    if isinstance(dyn_vars, Variable):
        items: list[Any] = [dyn_vars]
    elif isinstance(dyn_vars, dict):
        items = list(dyn_vars.values())
    elif isinstance(dyn_vars, (list, tuple)):
        items = list(dyn_vars)
    else:
        items = [dyn_vars]
    for v in items:
        if not isinstance(v, Variable):
            raise RunningError(
                f"expected dyn_vars to hold dsrunner Variables, got {type(v).__name__}"
                f" ({v!r}); pass the Variable objects that update changes"
            )
    return tuple(items)


def var_shape(v: Variable) -> tuple[int, ...]:
    return v.shape


def _is_iterator(x: Any) -> bool:
    return isinstance(x, Iterator)


def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def _unwrap_tree(tree: Any) -> Any:
    return jax.tree.map(_unwrap, tree, is_leaf=lambda z: isinstance(z, Variable))


def _pad(a: Any, K: int) -> Any:
    n = np.shape(a)[0]
    if n == K:
        return a
    widths = [(0, K - n)] + [(0, 0)] * (np.ndim(a) - 1)
    if isinstance(a, np.ndarray):
        return np.pad(a, widths)
    return jnp.pad(a, widths)


def _count_multiples(i0: int, n: int, e: int) -> int:
    first = -(-i0 // e) * e
    return 0 if first >= i0 + n else (i0 + n - 1 - first) // e + 1


def _runner_unflatten(aux: Any, children: Any) -> DSRunner:
    obj = DSRunner.tree_unflatten(aux, children)
    assert isinstance(obj, DSRunner)
    return obj


jax.tree_util.register_pytree_node(
    DSRunner, lambda r: r.tree_flatten(), _runner_unflatten
)

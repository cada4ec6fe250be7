"""`DynamicalSystem`, the base of every model, and the `Network` container."""

import collections
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ._environ import share
from ._errors import MathError, warn_user
from ._modes import BatchingMode, Mode, NonBatchingMode
from ._variable import TrainVar, Variable

_NAME_COUNTS: collections.Counter[str] = collections.Counter()
_USED_NAMES: set[str] = set()

MODEL_CLOCK: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()
"""The time (ms) up to which each model was last run by a `DSRunner`, cleared when
its state is reset or loaded. A second runner on the model, or a runner whose clock
was reset, starts at another time and would see last-spike times from its future:
the runner warns."""


def _unique_name(cls_name: str) -> str:
    while True:
        name = f"{cls_name}{_NAME_COUNTS[cls_name]}"
        _NAME_COUNTS[cls_name] += 1
        if name not in _USED_NAMES:
            return name


class StateLoadResult(NamedTuple):
    """Keys that were missing from, or unexpected in, a loaded state dict."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class BrainPyObject:
    """Base class with a unique name, child discovery, state I/O and devices.

    **Arguments:**

    - `name`: a unique name; default: the class name plus a counter (`LifRef0`).
    """

    _name: str
    implicit_vars: dict[str, Variable]
    """Variables registered with `register_implicit_vars` (set by its first call)."""
    implicit_nodes: dict[str, "BrainPyObject"]
    """Objects registered with `register_implicit_nodes` (set by its first call)."""

    def __init__(self, name: str | None = None):
        if name is None:
            name = _unique_name(type(self).__name__)
        elif not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"expected a name that is a valid identifier, got {name!r}"
            )
        object.__setattr__(self, "_name", name)
        _USED_NAMES.add(name)

    @property
    def name(self) -> str:
        """The unique name of this object."""
        return self._name

    def unique_name(self, name: str | None = None, type_: str | None = None) -> str:
        """A fresh unique name, or `name` itself if given."""
        return name or _unique_name(type_ or type(self).__name__)

    def __setattr__(self, key: str, value: Any) -> None:
        old = self.__dict__.get(key)
        if isinstance(old, Variable) and not isinstance(value, Variable):
            old.value = value
            return
        object.__setattr__(self, key, value)

    def _register_implicit(
        self, store: str, base: type, given: tuple[Any, ...], named: dict[str, Any]
    ) -> None:
        reg = self.__dict__.setdefault(store, {})
        items: list[tuple[str, Any]] = list(named.items())
        for x in given:
            if isinstance(x, dict):
                items.extend(x.items())
            elif isinstance(x, (list, tuple)):
                items.extend((getattr(y, "name", f"{store}{len(reg) + len(items) + j}"), y)
                             for j, y in enumerate(x))  # fmt: skip
            else:
                items.append((getattr(x, "name", f"{store}{len(reg) + len(items)}"), x))
        for key, x in items:
            if not isinstance(x, base):
                raise TypeError(
                    f"expected a {base.__name__} for {key!r}, got {type(x).__name__}"
                )
            reg[str(key)] = x

    def register_implicit_vars(
        self, *variables: Any, var_cls: type | None = None, **named_variables: Any
    ) -> None:
        """Register Variables that are not attributes (e.g. held in a list).

        **Arguments:**

        - `*variables`: Variables, or dicts/lists of them.
        - `var_cls`: if given, each must be an instance of this class.
        - `**named_variables`: Variables under explicit names.
        """
        self._register_implicit(
            "implicit_vars", var_cls or Variable, variables, named_variables
        )

    def register_implicit_nodes(
        self, *nodes: Any, node_cls: type | None = None, **named_nodes: Any
    ) -> None:
        """Register child objects that are not attributes (e.g. held in a list).

        **Arguments:**

        - `*nodes`: objects, or dicts/lists of them.
        - `node_cls`: if given, each must be an instance of this class.
        - `**named_nodes`: objects under explicit names.
        """
        self._register_implicit(
            "implicit_nodes", node_cls or BrainPyObject, nodes, named_nodes
        )

    # -- discovery ----------------------------------------------------------------
    def _children(self) -> Iterator[tuple[str, Any]]:
        for key, val in list(self.__dict__.items()):
            if key.startswith("_") and key != "_children_dict":
                continue
            if isinstance(val, (BrainPyObject, Variable)):
                yield key, val
            elif isinstance(val, (list, tuple)):
                for j, v in enumerate(val):
                    if isinstance(v, (BrainPyObject, Variable)):
                        yield f"{key}-{j}", v
            elif isinstance(val, dict):
                for k, v in val.items():
                    if isinstance(v, (BrainPyObject, Variable)):
                        plain = key in (
                            "_children_dict",
                            "implicit_vars",
                            "implicit_nodes",
                        )
                        yield str(k) if plain else f"{key}-{k}", v

    def nodes(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> dict[str, "BrainPyObject"]:
        """Collect this object and its descendant objects.

        **Arguments:**

        - `method`: `'absolute'` keys nodes by their unique names; `'relative'` by
            their attribute path from this object (`''` for itself).
        - `level`: how deep to go (`-1`: everything, `1`: direct children).
        - `include_self`: include this object.

        **Returns:**

        A dict mapping keys to objects, each object once.
        """
        if method not in ("absolute", "relative"):
            raise ValueError(
                f"expected method 'absolute' or 'relative', got {method!r}"
            )
        out: dict[str, BrainPyObject] = {}
        seen: set[int] = set()

        def visit(node: BrainPyObject, path: str, depth: int) -> None:
            if id(node) in seen:
                return
            seen.add(id(node))
            if node is not self or include_self:
                out[node.name if method == "absolute" else path] = node
            if level != -1 and depth >= level:
                return
            for key, child in node._children():
                if isinstance(child, BrainPyObject):
                    visit(child, f"{path}.{key}" if path else key, depth + 1)

        visit(self, "", 0)
        return out

    def vars(
        self,
        method: str = "absolute",
        level: int = -1,
        include_self: bool = True,
        exclude_types: tuple[type, ...] = (),
    ) -> dict[str, Variable]:
        """Collect the `Variable`s of this object and its descendants.

        **Arguments:**

        - `method`: `'absolute'` keys are `'<node name>.<attribute>'`; `'relative'`
            keys are attribute paths from this object (`'E.V'`).
        - `level`, `include_self`: as in `nodes()`.
        - `exclude_types`: Variable subclasses to leave out.

        **Returns:**

        A dict mapping keys to Variables, each Variable once.
        """
        out: dict[str, Variable] = {}
        seen: set[int] = set()
        for path, node in self.nodes("relative", level, include_self=True).items():
            if node is self and not include_self:
                continue
            for key, v in node._children():
                if not isinstance(v, Variable) or id(v) in seen:
                    continue
                if exclude_types and isinstance(v, exclude_types):
                    continue
                seen.add(id(v))
                if method == "absolute":
                    out[f"{node.name}.{key}"] = v
                else:
                    out[f"{path}.{key}" if path else key] = v
        return out

    def train_vars(
        self, method: str = "absolute", level: int = -1, include_self: bool = True
    ) -> dict[str, Variable]:
        """The trainable subset (`TrainVar`) of `vars()`."""
        return {
            k: v
            for k, v in self.vars(method, level, include_self).items()
            if isinstance(v, TrainVar)
        }

    # -- state I/O ----------------------------------------------------------------
    def save_state(self, **kwargs: Any) -> dict[str, Variable]:
        """This object's own Variables, keyed by attribute name."""
        return {k: v for k, v in self._children() if isinstance(v, Variable)}

    def load_state(
        self, state_dict: dict[str, Any], **kwargs: Any
    ) -> tuple[list[str], list[str]]:
        """Assign this object's Variables from `state_dict` (shape/dtype strict).

        **Returns:**

        `(missing_keys, unexpected_keys)`.
        """
        own = self.save_state()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        for k, var in own.items():
            if k in state_dict:
                var.value = jnp.asarray(_unwrap(state_dict[k]))
        return missing, unexpected

    def state_dict(self, **kwargs: Any) -> dict[str, dict[str, Any]]:
        """`{node name: node.save_state()}` for every node, values as arrays."""
        return {
            name: {k: v.value for k, v in node.save_state().items()}
            for name, node in self.nodes().items()
        }

    def load_state_dict(
        self, state_dict: dict[str, Any], warn: bool = True, compatible: str = "v2"
    ) -> StateLoadResult:
        """Load a state dict produced by `state_dict()`.

        **Arguments:**

        - `state_dict`: `{node name: {attribute: value}}` (`compatible='v2'`), or a
            flat `{'<node>.<attr>': value}` dict (`'v1'`).
        - `warn`: warn when keys are missing or unexpected.
        - `compatible`: `'v2'` or `'v1'`.

        **Returns:**

        A `StateLoadResult(missing_keys, unexpected_keys)`.
        """
        if compatible == "v1":
            nested: dict[str, dict[str, Any]] = {}
            for key, val in state_dict.items():
                node, _, attr = key.partition(".")
                nested.setdefault(node, {})[attr] = val
            state_dict = nested
        elif compatible != "v2":
            raise ValueError(f"expected compatible='v1' or 'v2', got {compatible!r}")
        nodes = self.nodes()
        for node in nodes.values():
            MODEL_CLOCK.pop(node, None)
        missing: list[str] = []
        unexpected = [k for k in state_dict if k not in nodes]
        for name, node in nodes.items():
            if name not in state_dict:
                missing.extend(f"{name}.{k}" for k in node.save_state())
                continue
            m, u = node.load_state(state_dict[name])
            missing.extend(f"{name}.{k}" for k in m)
            unexpected.extend(f"{name}.{k}" for k in u)
        if warn and (missing or unexpected):
            warn_user(
                f"state dict mismatch: missing {missing}, unexpected {unexpected}",
                UserWarning,
            )
        return StateLoadResult(missing, unexpected)

    def save_states(self, filename: str | Path, variables: Any = None) -> None:
        """Save every Variable of the tree to an `.npz` file.

        **Arguments:**

        - `filename`: the path to write (`.npz` is appended if missing).
        - `variables`: the Variables to save (a dict); default:
            `self.vars(method='relative')` (attribute paths, stable across instances
            of the same model, unlike generated unique names).
        """
        vs = self.vars(method="relative") if variables is None else dict(variables)
        data = {k: np.asarray(_unwrap(v)) for k, v in vs.items()}
        np.savez(Path(filename), allow_pickle=False, **data)

    def load_states(self, filename: str | Path, verbose: bool = False) -> None:
        """Load Variables saved by `save_states`, strictly.

        Every Variable of the tree must be in the file and every array in the file
        must match a Variable of the same shape and dtype; otherwise nothing is
        loaded and a `ValueError` lists the differences.
        """
        path = Path(filename)
        if not path.exists() and path.with_suffix(".npz").exists():
            path = path.with_suffix(".npz")
        with np.load(path) as f:
            data = {k: f[k] for k in f.files}
        own = self.vars(method="relative")
        missing = sorted(set(own) - set(data))
        extra = sorted(set(data) - set(own))
        if missing or extra:
            raise ValueError(
                f"{path} does not match this model: missing keys {missing}, "
                f"unexpected keys {extra}; expected exactly {sorted(own)}"
            )
        new = {}
        for k, var in own.items():
            arr = data[k]
            if arr.shape != var.shape or arr.dtype != var.dtype:
                raise MathError(
                    f"{path}: {k!r} has shape {arr.shape} and dtype {arr.dtype}, "
                    f"expected shape {var.shape} and dtype {var.dtype}"
                )
            new[k] = jnp.asarray(arr)
        for k, var in own.items():
            var.value = new[k]
            if verbose:
                print(f"loaded {k}: shape {var.shape}")
        for node in self.nodes().values():
            MODEL_CLOCK.pop(node, None)

    # -- devices ------------------------------------------------------------------
    def to(self, device: Any) -> "BrainPyObject":
        """Move every Variable of the tree onto `device` (`jax.Device`)."""
        for v in self.vars().values():
            v._value = jax.device_put(v.value, device)
        return self

    def cpu(self) -> "BrainPyObject":
        """Move every Variable onto the first CPU device."""
        return self.to(jax.devices("cpu")[0])

    def cuda(self) -> "BrainPyObject":
        """Move every Variable onto the first GPU (error if there is none)."""
        return self.to(_device("gpu"))

    def tpu(self) -> "BrainPyObject":
        """Move every Variable onto the first TPU (error if there is none)."""
        return self.to(_device("tpu"))

    # -- pytree -------------------------------------------------------------------
    def tree_flatten(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """Variables and child objects are children; the rest is static aux data."""
        dyn, static = [], []
        for k, v in self.__dict__.items():
            if isinstance(v, (Variable, BrainPyObject)):
                dyn.append((k, v.value if isinstance(v, Variable) else v))
            else:
                static.append((k, v))
        var_keys = tuple(k for k, v in self.__dict__.items() if isinstance(v, Variable))
        return tuple(v for _, v in dyn), (
            type(self),
            tuple(k for k, _ in dyn),
            var_keys,
            tuple(static),
        )

    @classmethod
    def tree_unflatten(cls, aux: Any, dynamic_values: Any) -> "BrainPyObject":
        """Rebuild an object from `tree_flatten`'s output."""
        klass, dyn_keys, var_keys, static = aux
        obj = object.__new__(klass)
        for k, v in static:
            object.__setattr__(obj, k, v)
        for k, v in zip(dyn_keys, dynamic_values, strict=True):
            object.__setattr__(obj, k, Variable(v) if k in var_keys else v)
        return obj


def _unwrap(x: Any) -> Any:
    return x.value if isinstance(x, Variable) else x


def _device(kind: str) -> Any:
    try:
        return jax.devices(kind)[0]
    except RuntimeError as e:
        raise RuntimeError(
            f"no {kind.upper()} device is available (devices: {jax.devices()}); "
            "use cpu() or to(device)"
        ) from e


class DynamicalSystem(BrainPyObject):
    """Base class of every model: a system updated once per time step.

    Subclasses implement `update(*args)`, which reads the time from `share['t']`,
    `share['dt']` and `share['i']` and writes new values into its `Variable`s, and
    `reset_state(batch_size=None)`. Calling the system runs the registered
    before-updates, then `update`, then the after-updates.

    **Arguments:**

    - `name`: a unique name.
    - `mode`: `NonBatchingMode()` (default) or `BatchingMode(batch_size)`.
    """

    def __init__(self, name: str | None = None, mode: Mode | None = None):
        super().__init__(name=name)
        if mode is None:
            mode = NonBatchingMode()
        if not isinstance(mode, Mode):
            raise TypeError(f"expected a dsrunner Mode, got {mode!r}")
        self.mode = mode
        self.before_updates: dict[str, Any] = {}
        self.after_updates: dict[str, Any] = {}
        self.cur_inputs: dict[str, Any] = {}
        self.delta_inputs: dict[str, Any] = {}

    def _children(self) -> Iterator[tuple[str, Any]]:
        yield from super()._children()

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """One time step. Subclasses override this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update(self, *args)"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        for fn in tuple(self.before_updates.values()):
            fn()
        out = self.update(*args, **kwargs)
        for fn in tuple(self.after_updates.values()):
            fn()
        return out

    def reset_state(self, *args: Any, **kwargs: Any) -> None:
        """Reset this node's own state (children are reset by `reset`)."""

    def reset(self, batch_size: int | None = None) -> None:
        """Reset the state of every node of the tree."""
        for node in self.nodes().values():
            MODEL_CLOCK.pop(node, None)
            if isinstance(node, DynamicalSystem):
                if batch_size is None:
                    node.reset_state()
                else:
                    node.reset_state(batch_size)

    def clear_input(self, *args: Any, **kwargs: Any) -> None:
        """Zero the input accumulators of this node (called after every step)."""

    def step_run(self, i: Any, *args: Any) -> Any:
        """Set `i` and `t = i * dt` in `share` and run one step."""
        share.save(i=i, t=i * share["dt"])
        return self(*args)

    # -- hooks used by projections -----------------------------------------------
    def add_bef_update(self, key: str, fn: Callable[[], Any]) -> None:
        """Register `fn()` to run before `update`."""
        self.before_updates[key] = fn

    def add_aft_update(self, key: str, fn: Callable[[], Any]) -> None:
        """Register `fn()` to run after `update`."""
        self.after_updates[key] = fn

    def get_bef_update(self, key: str) -> Any:
        return self.before_updates[key]

    def has_bef_update(self, key: str) -> bool:
        return key in self.before_updates

    def add_inp_fun(
        self,
        key: str,
        fun: Callable[..., Any],
        label: str | None = None,
        category: str = "current",
    ) -> None:
        """Register an input function summed by `sum_current_inputs`/`sum_delta_inputs`.

        With a `label`, the key is stored as `'<label> // <key>'`, and
        `sum_current_inputs(label=...)` can pick the inputs of one label.
        """
        if not callable(fun):
            raise TypeError(f"expected a callable input function, got {fun!r}")
        key = key if label is None else f"{label} // {key}"
        if category == "current":
            self.cur_inputs[key] = fun
        elif category == "delta":
            self.delta_inputs[key] = fun
        else:
            raise ValueError(
                f"expected category 'current' or 'delta', got {category!r}"
            )

    def sum_current_inputs(
        self, *args: Any, init: Any = 0.0, label: str | None = None, **kwargs: Any
    ) -> Any:
        """`init` plus the registered current inputs evaluated at `*args`: all of
        them, or with `label` only those registered with that label."""
        prefix = None if label is None else f"{label} // "
        for key, fn in self.cur_inputs.items():
            if prefix is None or key.startswith(prefix):
                init = init + fn(*args, **kwargs)
        return init

    def sum_delta_inputs(
        self, *args: Any, init: Any = 0.0, label: str | None = None, **kwargs: Any
    ) -> Any:
        """`init` plus the registered delta inputs (of `label` only, if given)."""
        prefix = None if label is None else f"{label} // "
        for key, fn in self.delta_inputs.items():
            if prefix is None or key.startswith(prefix):
                init = init + fn(*args, **kwargs)
        return init

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, mode={self.mode!r})"


class Projection(DynamicalSystem):
    """Base of projections (updated before the dynamics in a `Network`)."""


class Dynamic(DynamicalSystem):
    """A group of `size` units with state (base of neuron and synapse groups).

    **Arguments:**

    - `size`: the number of units (int) or the group's shape (tuple).
    - `keep_size`: keep the given shape rather than flattening.
    - `name`, `mode`: as in `DynamicalSystem`.
    - `sharding`: a `jax.sharding.Sharding` with which every state Variable is
        placed on the devices (the runner's compiled steps keep the placement),
        or `None`. BrainPy's form, a sequence of mesh axis names, needs BrainPy's
        global mesh and is refused with an error saying so.
    """

    def __init__(
        self,
        size: Any,
        keep_size: bool = False,
        name: str | None = None,
        mode: Mode | None = None,
        sharding: Any = None,
    ):
        if isinstance(size, int):
            size = (size,)
        if not isinstance(size, (tuple, list)) or not all(
            isinstance(s, int) and s > 0 for s in size
        ):
            raise ValueError(
                f"expected size to be a positive int or tuple, got {size!r}"
            )
        self.size = tuple(size)
        self.sharding = _check_sharding(sharding, type(self).__name__)
        self.keep_size = keep_size
        self.num = int(np.prod(self.size))
        super().__init__(name=name, mode=mode)

    @property
    def varshape(self) -> tuple[int, ...]:
        """The shape of one state variable (without the batch axis)."""
        return self.size if self.keep_size else (self.num,)

    def init_param(self, param: Any, shape: Any = None) -> Any:
        """Initialise a parameter to broadcast against `varshape`."""
        from ._initialize import parameter

        return parameter(param, self.varshape if shape is None else shape)

    def _batch_size(self, batch_or_mode: Any = None) -> int | None:
        if isinstance(batch_or_mode, int) and not isinstance(batch_or_mode, bool):
            return batch_or_mode
        mode = batch_or_mode if isinstance(batch_or_mode, Mode) else self.mode
        if isinstance(mode, BatchingMode):
            return mode.batch_size
        return None

    def init_variable(self, init: Any, batch_or_mode: Any = None, dtype: Any = None):
        """A fresh `Variable` of `varshape` (plus a batch axis in batching mode)."""
        from ._initialize import variable_

        b = self._batch_size(batch_or_mode)
        value = variable_(init, self.varshape, b)
        if dtype is not None:
            value = value.astype(dtype)
        if self.sharding is not None:
            value = jax.device_put(value, self.sharding)
        return Variable(value, batch_axis=None if b is None else 0)

    def _set_var(
        self, attr: str, init: Any, batch_or_mode: Any = None, dtype: Any = None
    ) -> None:
        """(Re)initialise the Variable `attr`, keeping the object if shapes agree."""
        new = self.init_variable(init, batch_or_mode, dtype=dtype)
        old = self.__dict__.get(attr)
        if isinstance(old, Variable):
            # keep the object (monitors and inputs hold it); a reset may change
            # the batch size, which is the one shape change allowed
            value = new.value.astype(old.dtype)
            if self.sharding is not None:
                value = jax.device_put(value, self.sharding)
            old._value = value
            old.batch_axis = new.batch_axis
        else:
            object.__setattr__(self, attr, new)

    def reinit_variable(self, var: Variable, init: Any, batch_or_mode: Any = None):
        """A reset value for `var`: the same Variable if the batch size is unchanged."""
        new = self.init_variable(init, batch_or_mode, dtype=var.dtype)
        if new.shape == var.shape:
            var.value = new.value
            return var
        return new


NeuDyn = Dynamic


class DynSysGroup(DynamicalSystem):
    """A container of systems; its `update` steps every child once.

    Children given as arguments or assigned as attributes are collected; `update`
    calls projections first, then groups with state, then everything else, each in
    the order it was added.

    **Arguments:**

    - `*children_as_tuple`: systems (or lists of systems).
    - `name`, `mode`: as in `DynamicalSystem`.
    - `**children_as_dict`: named systems.
    """

    def __init__(
        self,
        *children_as_tuple: Any,
        name: str | None = None,
        mode: Mode | None = None,
        **children_as_dict: Any,
    ):
        super().__init__(name=name, mode=mode)
        flat: list[Any] = []
        for c in children_as_tuple:
            flat.extend(c if isinstance(c, (list, tuple)) else [c])
        d: dict[str, Any] = {}
        for c in flat:
            if not isinstance(c, DynamicalSystem):
                raise TypeError(f"expected DynamicalSystem children, got {c!r}")
            d[c.name] = c
        for k, c in children_as_dict.items():
            if not isinstance(c, DynamicalSystem):
                raise TypeError(f"expected DynamicalSystem children, got {k}={c!r}")
            d[k] = c
            object.__setattr__(self, k, c)
        self._children_dict = d

    def update(self, *args: Any, **kwargs: Any) -> Any:
        children = [
            n
            for n in self.nodes(level=1, include_self=False).values()
            if isinstance(n, DynamicalSystem)
        ]
        for group in (
            [c for c in children if isinstance(c, Projection)],
            [c for c in children if isinstance(c, Dynamic)],
            [c for c in children if not isinstance(c, (Projection, Dynamic))],
        ):
            for c in group:
                c()


Network = DynSysGroup


def _check_sharding(sharding: Any, who: str) -> Any:
    """`None` or a `jax.sharding.Sharding`; anything else is refused."""
    if sharding is None or isinstance(sharding, jax.sharding.Sharding):
        return sharding
    raise TypeError(
        f"{who}: sharding={sharding!r} is not supported; expected None or a "
        "jax.sharding.Sharding (e.g. NamedSharding(mesh, PartitionSpec('x'))). "
        "BrainPy's sequence of axis names refers to its global mesh, which "
        "dsrunner does not have"
    )

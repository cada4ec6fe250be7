"""Synapses (`Expon`, `Alpha`), outputs (`COBA`, `CUBA`), projection, Poisson input."""

from typing import Any

import jax
import jax.numpy as jnp

from ._dynsys import (
    BrainPyObject,
    Dynamic,
    DynamicalSystem,
    Projection,
    _check_sharding,
)
from ._environ import get_dt, share
from ._initialize import ZeroInit
from ._integrators import JointEq, odeint
from ._modes import Mode, TrainingMode
from ._variable import Variable


class _Desc:
    """A deferred constructor `cls(*args, **kwargs)`, returned by `cls.desc(...)`."""

    def __init__(self, cls: type, *args: Any, **kwargs: Any):
        self.cls, self.args, self.kwargs = cls, args, kwargs

    @property
    def identifier(self) -> str:
        return f"{self.cls.__name__}{self.args}{sorted(self.kwargs.items())}"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.cls(*self.args, *args, **{**self.kwargs, **kwargs})


class _Describable:
    @classmethod
    def desc(cls, *args: Any, **kwargs: Any) -> _Desc:
        """A deferred constructor, for projections that share equal synapses."""
        return _Desc(cls, *args, **kwargs)


def _decay(g, t, tau):
    return -g / tau


class Expon(Dynamic, _Describable):
    """Exponential synapse: `dg/dt = -g / tau`; incoming events add to `g`.

    **Arguments:**

    - `size`: number of postsynaptic units.
    - `sharding`: a `jax.sharding.Sharding` for `g`, or `None` (see `Dynamic`).
    - `tau`: decay time constant (ms), default 8.
    - `method`: integration method (default `'exp_auto'`).
    """

    g: Variable

    def __init__(
        self,
        size: Any,
        keep_size: bool = False,
        sharding: Any = None,
        method: str = "exp_auto",
        name: str | None = None,
        mode: Mode | None = None,
        tau: Any = 8.0,
    ):
        super().__init__(
            size, keep_size=keep_size, name=name, mode=mode, sharding=sharding
        )
        self.tau = self.init_param(tau)
        self.integral = odeint(_decay, method=method)
        self.reset_state(self.mode)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        self._set_var("g", ZeroInit(), batch_or_mode)

    def add_current(self, x: Any) -> None:
        """Add incoming events `x` to the conductance."""
        self.g.value = self.g.value + x

    def update(self, x: Any = None) -> Any:
        self.g.value = self.integral(self.g.value, share["t"], self.tau, dt=share["dt"])
        if x is not None:
            self.add_current(x)
        return self.g.value


def _alpha_g(g, t, h, tau):
    return -g / tau + h / tau


def _alpha_h(h, t, tau):
    return -h / tau


class Alpha(Dynamic, _Describable):
    """Alpha synapse: `dg/dt = -g/tau + h/tau`, `dh/dt = -h/tau`; events add to `h`.

    **Arguments:**

    - `size`: number of postsynaptic units.
    - `sharding`: a `jax.sharding.Sharding` for `g` and `h`, or `None`.
    - `tau_decay`: time constant (ms), default 10.
    - `method`: integration method (default `'exp_auto'`).
    """

    g: Variable
    h: Variable

    def __init__(
        self,
        size: Any,
        keep_size: bool = False,
        sharding: Any = None,
        method: str = "exp_auto",
        name: str | None = None,
        mode: Mode | None = None,
        tau_decay: Any = 10.0,
    ):
        super().__init__(
            size, keep_size=keep_size, name=name, mode=mode, sharding=sharding
        )
        self.tau_decay = self.init_param(tau_decay)
        self.integral = odeint(JointEq(_alpha_g, _alpha_h), method=method)
        self.reset_state(self.mode)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        self._set_var("g", ZeroInit(), batch_or_mode)
        self._set_var("h", ZeroInit(), batch_or_mode)

    def add_current(self, x: Any) -> None:
        """Add incoming events `x` to the rise variable `h`."""
        self.h.value = self.h.value + x

    def update(self, x: Any = None) -> Any:
        g, h = self.integral(
            self.g.value, self.h.value, share["t"], self.tau_decay, dt=share["dt"]
        )
        self.g.value, self.h.value = g, h
        if x is not None:
            self.add_current(x)
        return self.g.value


class COBA(BrainPyObject, _Describable):
    """Conductance-based output: current `g * (E - V)`.

    **Arguments:**

    - `E`: reversal potential (mV), default 0.
    - `sharding`: a `jax.sharding.Sharding` with which an array `E` is placed,
        or `None`.
    """

    def __init__(self, E: Any = 0.0, sharding: Any = None, name: str | None = None):
        super().__init__(name=name)
        self.sharding = _check_sharding(sharding, "COBA")
        self.E = E if sharding is None else jax.device_put(jnp.asarray(E), sharding)

    def __call__(self, conductance: Any, potential: Any) -> Any:
        return conductance * (self.E - potential)


class CUBA(BrainPyObject, _Describable):
    """Current-based output: current `scale * g`.

    **Arguments:**

    - `scale`: a factor, default 1.
    - `sharding`: a `jax.sharding.Sharding` with which an array `scale` is
        placed, or `None`.
    """

    def __init__(self, scale: Any = 1.0, sharding: Any = None, name: str | None = None):
        super().__init__(name=name)
        self.sharding = _check_sharding(sharding, "CUBA")
        self.scale = (
            scale if sharding is None else jax.device_put(jnp.asarray(scale), sharding)
        )

    def __call__(self, conductance: Any, potential: Any = None) -> Any:
        return self.scale * conductance


class _OutFn(BrainPyObject):
    """Binds an output to a synapse: `V -> out(syn.g, V)`."""

    def __init__(self, out: Any, syn: Any):
        super().__init__()
        self.out, self.syn = out, syn

    def __call__(self, V: Any) -> Any:
        return self.out(self.syn.g.value, V)


class ProjAlignPostMg2(Projection):
    """Projection `pre -> comm -> syn -> out -> post`, synapse aligned with post.

    Each step: the presynaptic spikes go through `comm` (e.g. `EventCSRLinear`)
    and are added to the synapse; the synapse decays before the post group's
    update, which reads the output current through `sum_current_inputs`.
    Projections with equal synapse descriptions onto the same post group share
    one synapse (merging).

    **Arguments:**

    - `pre`: the presynaptic group (with a `spike` Variable).
    - `delay`: the transmission delay in ms (`None` or `0`: none), a whole number
        of steps of the `dt` in force when the projection is built
        (`dsrunner.math.get_dt()`, as in BrainPy); the runner's `dt` must be the
        same. The spikes wait in a ring buffer (a `Variable`, so checkpoints keep
        it).
    - `comm`: the connection, called on the spikes.
    - `syn`: a synapse description (`Expon.desc(size, tau=5.)`) or instance.
    - `out`: an output description or instance (`COBA.desc(E=0.)`).
    - `post`: the postsynaptic group.
    - `out_label`: a label for the output current: it is registered on `post`
        under `'<out_label> // <name>'`, so `post.sum_current_inputs(V,
        label=out_label)` sums only the currents of that label (the plain sum
        still includes it). Projections merge only with equal labels.

    Merging (as BrainPy): projections onto the same post group whose synapse
    and output descriptions (and labels) are equal share one synapse and one
    output current; each adds its events to the shared synapse.
    """

    def __init__(
        self,
        pre: DynamicalSystem,
        delay: Any,
        comm: Any,
        syn: Any,
        out: Any,
        post: DynamicalSystem,
        out_label: str | None = None,
        name: str | None = None,
        mode: Mode | None = None,
    ):
        super().__init__(name=name, mode=mode)
        if not hasattr(pre, "spike"):
            raise ValueError(
                f"expected a pre group with a 'spike' Variable, got {pre!r}"
            )
        self.pre: Any = pre
        self.delay_dt = get_dt()
        self.delay_steps = _delay_steps(delay, self.delay_dt)
        self.reset_state()
        self.post, self.comm = post, comm
        if out_label is not None and not isinstance(out_label, str):
            raise TypeError(
                f"expected out_label to be a str or None, got {out_label!r}"
            )
        self.out_label = out_label
        if isinstance(syn, _Desc) and isinstance(out, _Desc):
            key = f"{out_label} // {syn.identifier} // {out.identifier}"
            if key in post.before_updates:
                # merged: the synapse and its output current exist already
                syn = post.before_updates[key]
                out_obj = post.__dict__["_merged_outs"][key]
            else:
                syn, out_obj = syn(), out()
                post.add_bef_update(key, syn)
                post.__dict__.setdefault("_merged_outs", {})[key] = out_obj
                post.add_inp_fun(
                    f"{self.name}.out", _OutFn(out_obj, syn), label=out_label
                )
        else:
            syn = syn() if isinstance(syn, _Desc) else syn
            out_obj = out() if isinstance(out, _Desc) else out
            post.add_bef_update(syn.name, syn)
            post.add_inp_fun(f"{self.name}.out", _OutFn(out_obj, syn), label=out_label)
        self.syn = syn
        self.out = out_obj

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        if self.delay_steps:
            # the pre group's spike after this reset (it may be reset after us)
            spike = self.pre.init_variable(
                ZeroInit(), batch_or_mode, dtype=self.pre.spike.dtype
            )
            buffer = jnp.zeros((self.delay_steps, *spike.shape), spike.dtype)
            old = self.__dict__.get("delay_buffer")
            if isinstance(old, Variable):
                old._value = buffer
            else:
                self.delay_buffer = Variable(buffer)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        spike = self.pre.spike.value
        if self.delay_steps:
            if share["dt"] != self.delay_dt:
                raise ValueError(
                    f"{self.name} was built with dt={self.delay_dt} ms (its delay is "
                    f"{self.delay_steps} steps) but runs with dt={share['dt']} ms; "
                    "expected the same dt: build the model after "
                    f"dsrunner.math.set_dt({share['dt']})"
                )
            # slot i % n was written n steps ago: read it, then store this step's
            slot = share["i"] % self.delay_steps
            buffer = self.delay_buffer.value
            self.delay_buffer.value = buffer.at[slot].set(spike)
            spike = buffer[slot]
        current = self.comm(spike)
        self.syn.add_current(current)
        return current


def _delay_steps(delay: Any, dt: float) -> int:
    """The number of whole `dt` steps of a delay in ms (`None`: 0)."""
    if delay is None:
        return 0
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError(
            f"expected delay to be None or a non-negative number of ms, got {delay!r}"
        )
    steps = round(delay / dt)
    if abs(steps * dt - delay) > 1e-6 * max(dt, abs(delay)):
        raise ValueError(
            f"delay={delay} ms is not a whole number of steps of dt={dt} ms; "
            f"expected a multiple of dt, e.g. {steps * dt:g}"
        )
    return steps


class PoissonGroup(Dynamic):
    """Independent Poisson spike trains with rates `freqs` (Hz).

    A spike in a step of `dt` ms has probability `freqs * dt / 1000`. The random
    key is a Variable (`rng`), so runs are reproducible and checkpoints include it.

    **Arguments:**

    - `size`: number of units.
    - `freqs`: rate(s) in Hz (scalar or array).
    - `sharding`: a `jax.sharding.Sharding` for `spike`, or `None`.
    - `spk_type`: the spike dtype; default bool, float32 in `TrainingMode`.
    - `seed`: the seed of the key (default 0).
    """

    spike: Variable
    rng: Variable

    def __init__(
        self,
        size: Any,
        freqs: Any,
        keep_size: bool = False,
        sharding: Any = None,
        spk_type: Any = None,
        name: str | None = None,
        mode: Mode | None = None,
        seed: int | None = None,
    ):
        super().__init__(
            size, keep_size=keep_size, name=name, mode=mode, sharding=sharding
        )
        if spk_type is None:
            spk_type = jnp.float32 if isinstance(self.mode, TrainingMode) else jnp.bool_
        self.spk_type = jnp.dtype(spk_type)
        self.freqs = self.init_param(freqs)
        self.seed = 0 if seed is None else int(seed)
        self.reset_state(self.mode)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        self._set_var("spike", ZeroInit(), batch_or_mode, dtype=self.spk_type)
        key = jax.random.PRNGKey(self.seed)
        old = self.__dict__.get("rng")
        if isinstance(old, Variable):
            old.value = key
        else:
            self.rng = Variable(key)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        key, sub = jax.random.split(self.rng.value)
        self.rng.value = key
        p = self.freqs * share["dt"] / 1000.0
        spike = jax.random.uniform(sub, self.spike.shape) < p
        self.spike.value = spike.astype(self.spk_type)
        return self.spike.value

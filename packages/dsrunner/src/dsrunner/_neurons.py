# ruff: noqa: E741  (I is the conventional name of the input current)
"""Built-in neuron models: `LIF`, `LifRef`, `HH`, `Izhikevich`.

The equations live in pure module-level functions shared by the stateful models and
by the pure rollax steppers in `_steppers.py`.
"""

import functools
import zlib
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ._dynsys import Dynamic
from ._environ import share
from ._errors import DiffEqError
from ._initialize import OneInit, Uniform, ZeroInit
from ._integrators import _SDE_NAMES, JointEq, exprel, odeint, sdeint
from ._modes import Mode, TrainingMode
from ._scaling import Scaling
from ._surrogate import InvSquareGrad
from ._variable import Variable

_ZERO = ZeroInit()
_UNIFORM_V = Uniform(-70.0, -60.0)
_IZH_V = OneInit(-70.0)

# -- pure equations ---------------------------------------------------------------


def lif_rhs(V, t, I, V_rest, R, tau):
    """dV/dt of the leaky integrate-and-fire neuron."""
    return (-V + V_rest + R * I) / tau


def lif_integral(method: str):
    return odeint(lif_rhs, method=method)


def lifref_step(integral, V, t_last_spike, t, I, dt, p):
    """One LIF step with refractoriness; `p` holds the parameters.

    **Returns:**

    `(V, spike, t_last_spike, refractory)` after the step.
    """
    V_new = integral(V, t, I, p["V_rest"], p["R"], p["tau"], dt=dt)
    refractory = (t - t_last_spike) <= p["tau_ref"]
    V_new = jnp.where(refractory, V, V_new)
    spike = V_new >= p["V_th"]
    V_new = jnp.where(spike, p["V_reset"], V_new)
    t_last = jnp.where(spike, t, t_last_spike)
    return V_new, spike, t_last, jnp.logical_or(refractory, spike)


def _hh_dV(V, t, m, h, n, I, ENa, gNa, EK, gK, EL, gL, C):
    i_na = gNa * m**3 * h * (V - ENa)
    return (-i_na - gK * n**4 * (V - EK) - gL * (V - EL) + I) / C


def _hh_dm(m, t, V):
    a = 1.0 / exprel(-(V + 40.0) / 10.0)
    return a * (1 - m) - 4.0 * jnp.exp(-(V + 65.0) / 18.0) * m


def _hh_dh(h, t, V):
    a = 0.07 * jnp.exp(-(V + 65.0) / 20.0)
    return a * (1 - h) - h / (1.0 + jnp.exp(-(V + 35.0) / 10.0))


def _hh_dn(n, t, V):
    a = 0.1 / exprel(-(V + 55.0) / 10.0)
    return a * (1 - n) - 0.125 * jnp.exp(-(V + 65.0) / 80.0) * n


def hh_gate_steady(V):
    """Steady-state `(m, h, n)` at membrane potential `V`."""
    ma, mb = 1.0 / exprel(-(V + 40.0) / 10.0), 4.0 * jnp.exp(-(V + 65.0) / 18.0)
    ha = 0.07 * jnp.exp(-(V + 65.0) / 20.0)
    hb = 1.0 / (1.0 + jnp.exp(-(V + 35.0) / 10.0))
    na, nb = 0.1 / exprel(-(V + 55.0) / 10.0), 0.125 * jnp.exp(-(V + 65.0) / 80.0)
    return ma / (ma + mb), ha / (ha + hb), na / (na + nb)


def hh_integral(method: str):
    return odeint(JointEq(_hh_dV, _hh_dm, _hh_dh, _hh_dn), method=method)


def hh_step(integral, V, m, h, n, t, I, dt, p):
    """One HH step. **Returns:** `(V, m, h, n, spike)`; spike = upward crossing."""
    V2, m2, h2, n2 = integral(
        V, m, h, n, t, I, p["ENa"], p["gNa"], p["EK"], p["gK"], p["EL"], p["gL"],
        p["C"], dt=dt,
    )  # fmt: skip
    spike = jnp.logical_and(V < p["V_th"], V2 >= p["V_th"])
    return V2, m2, h2, n2, spike


def _izh_dV(V, t, u, I, p1, p2, p3):
    return p1 * V * V + p2 * V + p3 - u + I


def _izh_du(u, t, V, a, b):
    return a * (b * V - u)


def izh_integral(method: str):
    return odeint(JointEq(_izh_dV, _izh_du), method=method)


def izh_step(integral, V, u, t, I, dt, p):
    """One Izhikevich step. **Returns:** `(V, u, spike)`."""
    V2, u2 = integral(V, u, t, I, p["p1"], p["p2"], p["p3"], p["a"], p["b"], dt=dt)
    spike = V2 >= p["V_th"]
    V2 = jnp.where(spike, p["c"], V2)
    u2 = jnp.where(spike, u2 + p["d"], u2)
    return V2, u2, spike


# -- stateful models --------------------------------------------------------------

_SPK_RESETS = ("soft", "hard")


class _Neuron(Dynamic):
    """Shared plumbing: an `input` Variable summed into the drive, cleared per step;
    optional SDE noise on the membrane potential."""

    input: Variable
    V: Variable
    spike: Variable
    integral: Any

    def __init__(self, size, keep_size, name, mode, method, sharding=None):
        super().__init__(
            size, keep_size=keep_size, name=name, mode=mode, sharding=sharding
        )
        self.method = method

    def _drive(self, x: Any, V: Any) -> Any:
        x = 0.0 if x is None else x
        shape = jnp.shape(x)
        try:
            ok = np.broadcast_shapes(shape, jnp.shape(V)) == jnp.shape(V)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{self.name}: input of shape {shape} does not fit the group's "
                f"state of shape {jnp.shape(V)}; expected a scalar or an array that "
                f"broadcasts to {jnp.shape(V)}"
            )
        x = x + self.input.value
        return self.sum_current_inputs(V, init=x)

    def clear_input(self, *args: Any, **kwargs: Any) -> None:
        self.input.value = jnp.zeros_like(self.input.value)

    def _make_integral(self, f: Any, noise: Any, seed: Any, num_vars: int) -> Any:
        """`odeint(f)`, or with `noise` the Itô SDE `dV = f dt + noise dW`
        (BrainPy's meaning: the noise acts on V, the first variable)."""
        self.noise = noise
        if noise is None:
            return odeint(f, method=self.method)
        if self.method not in _SDE_NAMES:
            raise DiffEqError(
                f"{self.name}: noise={noise!r} makes the model an SDE, which "
                f"method={self.method!r} cannot integrate; expected one of "
                f"{list(_SDE_NAMES)}"
            )
        g: Any
        if callable(noise):
            user = noise

            def g_fn(*args: Any) -> Any:
                # the state variables, t and the input, as in the model's equations
                r = user(*args[: num_vars + 2])
                if isinstance(r, (list, tuple)):
                    return r
                return (r, *([None] * (num_vars - 1))) if num_vars > 1 else r

            g = g_fn
        else:
            arr = jnp.asarray(self.init_param(noise))
            if not jnp.issubdtype(arr.dtype, jnp.floating):
                arr = arr.astype(jnp.float32)
            if jnp.ndim(arr) and jnp.shape(arr) != self.varshape:
                arr = jnp.broadcast_to(arr, self.varshape)
            g = arr if num_vars == 1 else (arr, *([None] * (num_vars - 1)))
        if seed is None:
            seed = zlib.crc32(self.name.encode())
        self.seed = seed
        self.noise_key = jax.random.PRNGKey(seed)
        return sdeint(f, g, method=self.method)

    def _step_integral(self) -> Any:
        """The integral for this step: with noise, bound to this step's key."""
        if self.noise is None:
            return self.integral
        i = share.load("i", None)
        if i is None:
            raise DiffEqError(
                f"{self.name} has noise and needs the step index share['i'] for "
                "its random numbers; run it in a DSRunner or call step_run(i, ...)"
            )
        return functools.partial(
            self.integral, key=jax.random.fold_in(self.noise_key, i)
        )


class LIF(_Neuron):
    """Leaky integrate-and-fire neuron without refractory period.

    `tau dV/dt = -(V - V_rest) + R I`; a spike when `V >= V_th`, then `V = V_reset`.
    The drive `I` is the `update(x)` argument plus the `input` Variable (cleared
    after every step) plus the registered current inputs (synapses).

    **Arguments:**

    - `size`: number of neurons (or shape).
    - `sharding`: a `jax.sharding.Sharding` for the state Variables (placed on
        the devices with it), or `None`.
    - `spk_fun`: in `TrainingMode`, the spike function of `V - V_th` (a
        `dsrunner.math.surrogate` function: a step forward, a surrogate gradient
        backward). Default `InvSquareGrad()`.
    - `spk_dtype`: the spike Variable's dtype; default bool, float in
        `TrainingMode`.
    - `spk_reset`: in `TrainingMode`, `'soft'` (`V -= (V_th - V_reset) spike`) or
        `'hard'` (`V += (V_reset - V) spike`). Outside it the reset is `V_reset`.
    - `detach_spk`: in `TrainingMode`, stop the gradient through the reset.
    - `method`: integration method (default `'exp_auto'`).
    - `init_var`: create the state Variables now.
    - `scaling`: a `dsrunner.math.Scaling`; `V_rest`, `V_reset`, `V_th` and the
        initial `V` are stored as `(x + bias) / scale`. Default: none.
    - `V_rest`, `V_reset`, `V_th`, `R`, `tau`: parameters (mV, MOhm, ms), scalars
        or arrays broadcastable to the group.
    - `V_initializer`: initial membrane potential (initializer or array).
    - `noise`: the diffusion of V (BrainPy's meaning): `dV = f dt + noise dW`,
        integrated by Euler-Maruyama (`V += f dt + noise sqrt(dt) N(0, 1)`, the
        drift by `method`). A scalar, an array, or a function `noise(V, t, I)`.
    - `seed`: the seed of the noise; step `i` draws from `fold_in(key, i)`, so
        runs are reproducible in any chunking. Default: from the group's name.
    - `keep_size`, `mode`, `name`: as in `Dynamic`.
    """

    def __init__(
        self,
        size: Any,
        sharding: Any = None,
        keep_size: bool = False,
        mode: Mode | None = None,
        name: str | None = None,
        spk_fun: Any = None,
        spk_dtype: Any = None,
        spk_reset: str = "soft",
        detach_spk: bool = False,
        method: str = "exp_auto",
        init_var: bool = True,
        scaling: Any = None,
        V_rest: Any = 0.0,
        V_reset: Any = -5.0,
        V_th: Any = 20.0,
        R: Any = 1.0,
        tau: Any = 10.0,
        V_initializer: Any = _ZERO,
        noise: Any = None,
        seed: int | None = None,
    ):
        super().__init__(size, keep_size, name, mode, method, sharding)
        spk_fun = InvSquareGrad() if spk_fun is None else spk_fun
        if not callable(spk_fun):
            raise TypeError(
                f"expected spk_fun to be a callable spike function (e.g. "
                f"dsrunner.math.surrogate.Sigmoid()), got {spk_fun!r}"
            )
        if spk_reset not in _SPK_RESETS:
            raise ValueError(f"expected spk_reset 'soft' or 'hard', got {spk_reset!r}")
        if scaling is not None and not isinstance(scaling, Scaling):
            raise TypeError(
                f"expected scaling to be a dsrunner.math.Scaling or None, got "
                f"{scaling!r}"
            )
        self.spk_fun = spk_fun
        self.spk_reset = spk_reset
        self.detach_spk = bool(detach_spk)
        self._spk_dtype = None if spk_dtype is None else jnp.dtype(spk_dtype)
        self.scaling = scaling
        self.V_rest = self._offset(self.init_param(V_rest))
        self.V_reset = self._offset(self.init_param(V_reset))
        self.V_th = self._offset(self.init_param(V_th))
        self.R = self.init_param(R)
        self.tau = self.init_param(tau)
        self._V_initializer = V_initializer
        self.integral = self._make_integral(lif_rhs, noise, seed, 1)
        if init_var:
            self.reset_state(self.mode)

    def _offset(self, x: Any) -> Any:
        return x if self.scaling is None else self.scaling.offset_scaling(x)

    @property
    def spk_dtype(self) -> Any:
        """The spike dtype: as given, else float32 in `TrainingMode`, else bool."""
        if self._spk_dtype is not None:
            return self._spk_dtype
        return jnp.float32 if isinstance(self.mode, TrainingMode) else jnp.bool_

    def derivative(self, V, t, I):
        return lif_rhs(V, t, I, self.V_rest, self.R, self.tau)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        self._set_var("V", self._V_initializer, batch_or_mode)
        if self.scaling is not None:
            self.V._value = self._offset(self.V.value).astype(self.V.dtype)
        self._set_var("spike", ZeroInit(), batch_or_mode, dtype=self.spk_dtype)
        self._set_var("input", ZeroInit(), batch_or_mode)

    def _fire(self, V: Any) -> tuple[Any, Any]:
        """`(spike, V after the reset)`: BrainPy's rule for the mode."""
        if isinstance(self.mode, TrainingMode):
            spike = self.spk_fun(V - self.V_th)
            s = jax.lax.stop_gradient(spike) if self.detach_spk else spike
            if self.spk_reset == "soft":
                V = V - (self.V_th - self.V_reset) * s
            else:
                V = V + (self.V_reset - V) * s
            return spike, V
        spike = V >= self.V_th
        return spike, jnp.where(spike, self.V_reset, V)

    def update(self, x: Any = None) -> Any:
        t, dt = share["t"], share["dt"]
        I = self._drive(x, self.V.value)
        integral = self._step_integral()
        V = integral(self.V.value, t, I, self.V_rest, self.R, self.tau, dt=dt)
        V = V + self.sum_delta_inputs()
        spike, V = self._fire(V)
        self.V.value = V
        self.spike.value = spike.astype(self.spike.dtype)
        return self.spike.value


class LifRef(LIF):
    """Leaky integrate-and-fire neuron with an absolute refractory period.

    As `LIF`, and for `tau_ref` ms after a spike (while `t - t_last_spike <=
    tau_ref`, `t` being the start-of-step time) the membrane potential is held.

    **Arguments:**

    - `tau_ref`: refractory period (ms), default 0.
    - `ref_var`: also keep a boolean `refractory` Variable.
    - the rest as in `LIF`.
    """

    t_last_spike: Variable
    refractory: Variable

    def __init__(
        self, size: Any, *args: Any, tau_ref: Any = 0.0, ref_var: bool = False,
        **kwargs: Any,
    ):  # fmt: skip
        self.ref_var = ref_var
        self.tau_ref = tau_ref
        super().__init__(size, *args, **kwargs)
        self.tau_ref = self.init_param(tau_ref)

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        super().reset_state(batch_or_mode)
        self._set_var("t_last_spike", OneInit(-1e7), batch_or_mode)
        if self.ref_var:
            self._set_var("refractory", ZeroInit(), batch_or_mode, dtype=jnp.bool_)

    def _params(self) -> dict[str, Any]:
        return {
            "V_rest": self.V_rest, "R": self.R, "tau": self.tau,
            "tau_ref": self.tau_ref, "V_th": self.V_th, "V_reset": self.V_reset,
        }  # fmt: skip

    def update(self, x: Any = None) -> Any:
        t, dt = share["t"], share["dt"]
        I = self._drive(x, self.V.value)
        integral = self._step_integral()
        if isinstance(self.mode, TrainingMode):
            return self._update_training(integral, t, I, dt)
        V, spike, t_last, refr = lifref_step(
            integral, self.V.value, self.t_last_spike.value, t, I, dt, self._params()
        )
        delta = self.sum_delta_inputs()
        if self.delta_inputs:
            V = jnp.where(refr, V, V + delta)
        self.V.value = V
        self.spike.value = spike.astype(self.spike.dtype)
        self.t_last_spike.value = t_last
        if self.ref_var:
            self.refractory.value = refr
        return self.spike.value

    def _update_training(self, integral: Any, t: Any, I: Any, dt: Any) -> Any:
        # BrainPy's TrainingMode: the delta inputs join before the refractory
        # hold, and the spike is the surrogate function of V - V_th
        V0 = self.V.value
        V = integral(V0, t, I, self.V_rest, self.R, self.tau, dt=dt)
        V = V + self.sum_delta_inputs()
        refractory = jax.lax.stop_gradient(
            (t - self.t_last_spike.value) <= self.tau_ref
        )
        V = jnp.where(refractory, V0, V)
        spike, V = self._fire(V)
        fired = jax.lax.stop_gradient(spike) > 0
        self.V.value = V
        self.spike.value = spike.astype(self.spike.dtype)
        self.t_last_spike.value = jnp.where(fired, t, self.t_last_spike.value)
        if self.ref_var:
            self.refractory.value = jnp.logical_or(refractory, fired)
        return self.spike.value


class HH(_Neuron):
    """Hodgkin-Huxley neuron (squid axon parameters, 1952).

    A spike is an upward crossing of `V_th` during the step.

    **Arguments:**

    - `size`: number of neurons.
    - `sharding`: a `jax.sharding.Sharding` for the state Variables, or `None`.
    - `ENa`, `gNa`, `EK`, `gK`, `EL`, `gL`, `C`, `V_th`: parameters.
    - `V_initializer`: default `Uniform(-70, -60)`.
    - `m_initializer`, `h_initializer`, `n_initializer`: default: the steady state
        at the initial V.
    - `method`: integration method (default `'exp_auto'`).
    - `noise`: the diffusion of V (an SDE, as in `LIF`): a scalar, an array, or a
        function `noise(V, m, h, n, t, I)` returning V's diffusion (or a tuple,
        one per variable, `None` for none).
    - `seed`: the seed of the noise (as in `LIF`).
    """

    m: Variable
    h: Variable
    n: Variable

    def __init__(
        self,
        size: Any,
        sharding: Any = None,
        keep_size: bool = False,
        mode: Mode | None = None,
        name: str | None = None,
        method: str = "exp_auto",
        init_var: bool = True,
        ENa: Any = 50.0,
        gNa: Any = 120.0,
        EK: Any = -77.0,
        gK: Any = 36.0,
        EL: Any = -54.387,
        gL: Any = 0.03,
        V_th: Any = 20.0,
        C: Any = 1.0,
        V_initializer: Any = _UNIFORM_V,
        m_initializer: Any = None,
        h_initializer: Any = None,
        n_initializer: Any = None,
        noise: Any = None,
        seed: int | None = None,
    ):
        super().__init__(size, keep_size, name, mode, method, sharding)
        self.ENa, self.gNa = self.init_param(ENa), self.init_param(gNa)
        self.EK, self.gK = self.init_param(EK), self.init_param(gK)
        self.EL, self.gL = self.init_param(EL), self.init_param(gL)
        self.C, self.V_th = self.init_param(C), self.init_param(V_th)
        self._inits = (V_initializer, m_initializer, h_initializer, n_initializer)
        eq = JointEq(_hh_dV, _hh_dm, _hh_dh, _hh_dn)
        self.integral = self._make_integral(eq, noise, seed, 4)
        if init_var:
            self.reset_state(self.mode)

    def _params(self) -> dict[str, Any]:
        return {
            "ENa": self.ENa, "gNa": self.gNa, "EK": self.EK, "gK": self.gK,
            "EL": self.EL, "gL": self.gL, "C": self.C, "V_th": self.V_th,
        }  # fmt: skip

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        vi, mi, hi, ni = self._inits
        self._set_var("V", vi, batch_or_mode)
        m0, h0, n0 = hh_gate_steady(self.V.value)
        self._set_var("m", m0 if mi is None else mi, batch_or_mode)
        self._set_var("h", h0 if hi is None else hi, batch_or_mode)
        self._set_var("n", n0 if ni is None else ni, batch_or_mode)
        self._set_var("spike", ZeroInit(), batch_or_mode, dtype=jnp.bool_)
        self._set_var("input", ZeroInit(), batch_or_mode)

    def update(self, x: Any = None) -> Any:
        t, dt = share["t"], share["dt"]
        I = self._drive(x, self.V.value)
        V, m, h, n, spike = hh_step(
            self._step_integral(), self.V.value, self.m.value, self.h.value,
            self.n.value, t, I, dt, self._params(),
        )  # fmt: skip
        self.V.value = V + self.sum_delta_inputs()
        self.m.value, self.h.value, self.n.value = m, h, n
        self.spike.value = spike
        return spike


class Izhikevich(_Neuron):
    """Izhikevich (2003) neuron: `dV = p1 V^2 + p2 V + p3 - u + I`, `du = a(bV - u)`.

    **Arguments:**

    - `size`: number of neurons.
    - `sharding`: a `jax.sharding.Sharding` for the state Variables, or `None`.
    - `a`, `b`, `c`, `d`, `V_th`, `p1`, `p2`, `p3`: parameters (defaults: regular
        spiking, `0.04, 5, 140`).
    - `tau`, `R`: in BrainPy's signature, but its Izhikevich equations never use
        them; only the defaults (10, 1) are accepted, any other value raises
        rather than being silently ignored.
    - `V_initializer`, `u_initializer`: initial values (default -70 and `b * V`).
    - `method`: integration method (default `'exp_auto'`).
    - `noise`: the diffusion of V (an SDE, as in `LIF`): a scalar, an array, or a
        function `noise(V, u, t, I)`.
    - `seed`: the seed of the noise (as in `LIF`).
    """

    u: Variable

    def __init__(
        self,
        size: Any,
        sharding: Any = None,
        keep_size: bool = False,
        mode: Mode | None = None,
        name: str | None = None,
        method: str = "exp_auto",
        init_var: bool = True,
        a: Any = 0.02,
        b: Any = 0.20,
        c: Any = -65.0,
        d: Any = 8.0,
        V_th: Any = 30.0,
        p1: Any = 0.04,
        p2: Any = 5.0,
        p3: Any = 140.0,
        tau: Any = 10.0,
        R: Any = 1.0,
        V_initializer: Any = _IZH_V,
        u_initializer: Any = None,
        noise: Any = None,
        seed: int | None = None,
    ):
        for arg, value, default in (("tau", tau, 10.0), ("R", R, 1.0)):
            if not (isinstance(value, (int, float)) and value == default):
                raise ValueError(
                    f"Izhikevich: {arg}={value!r} is not supported. BrainPy accepts "
                    f"{arg} but its Izhikevich equations (dV = p1 V^2 + p2 V + p3 - "
                    f"u + I) never use it, so it would change nothing; leave {arg} "
                    f"at its default ({default}) and scale the input or p1..p3 "
                    "instead"
                )
        super().__init__(size, keep_size, name, mode, method, sharding)
        self.a, self.b = self.init_param(a), self.init_param(b)
        self.c, self.d = self.init_param(c), self.init_param(d)
        self.V_th = self.init_param(V_th)
        self.p1, self.p2 = self.init_param(p1), self.init_param(p2)
        self.p3 = self.init_param(p3)
        self._inits = (V_initializer, u_initializer)
        eq = JointEq(_izh_dV, _izh_du)
        self.integral = self._make_integral(eq, noise, seed, 2)
        if init_var:
            self.reset_state(self.mode)

    def _params(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "c": self.c, "d": self.d, "V_th": self.V_th,
            "p1": self.p1, "p2": self.p2, "p3": self.p3,
        }  # fmt: skip

    def reset_state(self, batch_or_mode: Any = None, **kwargs: Any) -> None:
        self._set_var("V", self._inits[0], batch_or_mode)
        u0 = self.b * self.V.value if self._inits[1] is None else self._inits[1]
        self._set_var("u", u0, batch_or_mode)
        self._set_var("spike", ZeroInit(), batch_or_mode, dtype=jnp.bool_)
        self._set_var("input", ZeroInit(), batch_or_mode)

    def update(self, x: Any = None) -> Any:
        t, dt = share["t"], share["dt"]
        I = self._drive(x, self.V.value)
        V, u, spike = izh_step(
            self._step_integral(), self.V.value, self.u.value, t, I, dt,
            self._params(),
        )  # fmt: skip
        self.V.value = V + self.sum_delta_inputs()
        self.u.value = u
        self.spike.value = spike
        return spike

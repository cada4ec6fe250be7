# ruff: noqa: E741  (I is the conventional name of the input current)
"""Pure rollax steppers for the built-in neurons, and a scan runner over them."""

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PyTree

import rollax

from ._neurons import (
    hh_gate_steady,
    hh_integral,
    hh_step,
    izh_integral,
    izh_step,
    lif_integral,
    lifref_step,
)


def _f(x: Any) -> Array:
    return jnp.asarray(x, jnp.float32)


def _check_state(state: Any, spec: dict[str, tuple[tuple[int, ...], Any]], who: str):
    if not isinstance(state, dict) or set(state) != set(spec):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"{who}: expected a state dict with keys {sorted(spec)}, got {got}; "
            "build one with init_state()"
        )
    for k, (shape, dtype) in spec.items():
        s = jnp.shape(state[k])
        if s != shape:
            raise ValueError(
                f"{who}: expected state[{k!r}] of shape {shape}, got shape {s}"
            )
        if jnp.result_type(state[k]) != dtype:
            raise ValueError(
                f"{who}: expected state[{k!r}] of dtype {jnp.dtype(dtype)}, got "
                f"{jnp.result_type(state[k])}"
            )


class LIFStepper(rollax.AbstractStepper):
    """One step of `size` LIF neurons with refractoriness (the `LifRef` equations).

    The state is a dict: `V` (float32), `spike` (bool), `t_last_spike` (float32),
    all of shape `(size,)`, and the step counter `i` (int32 scalar, so that
    `t = i * dt` exactly as in `DSRunner`). Parameters are array fields: new values
    do not recompile.

    **Arguments:**

    - `size`: number of neurons.
    - `V_rest`, `V_reset`, `V_th`, `R`, `tau`, `tau_ref`: as in `LifRef`.
    - `I`: constant input current.
    - `dt`: time step (ms).
    - `method`: integration method.
    """

    name: ClassVar[str] = "dsrunner:LIFStepper"
    size: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    method: str = eqx.field(static=True)
    V_rest: Float[Array, ""]
    V_reset: Float[Array, ""]
    V_th: Float[Array, ""]
    R: Float[Array, ""]
    tau: Float[Array, ""]
    tau_ref: Float[Array, ""]
    I: Float[Array, ""]

    def __init__(
        self, size: int = 1, *, V_rest: Any = 0.0, V_reset: Any = -5.0,
        V_th: Any = 20.0, R: Any = 1.0, tau: Any = 10.0, tau_ref: Any = 0.0,
        I: Any = 0.0, dt: float = 0.1, method: str = "exp_auto",
    ):  # fmt: skip
        self.size, self.dt, self.method = int(size), float(dt), method
        self.V_rest, self.V_reset, self.V_th = _f(V_rest), _f(V_reset), _f(V_th)
        self.R, self.tau, self.tau_ref, self.I = _f(R), _f(tau), _f(tau_ref), _f(I)

    def __check_init__(self):
        if self.dt <= 0:
            raise ValueError(f"expected a positive dt, got {self.dt}")

    def init_state(self, V: Any = None) -> dict[str, Array]:
        """The initial state: `V = V_rest` unless given, no spikes, step 0."""
        V0 = jnp.broadcast_to(self.V_rest if V is None else _f(V), (self.size,))
        return {
            "V": V0.astype(jnp.float32),
            "spike": jnp.zeros((self.size,), bool),
            "t_last_spike": jnp.full((self.size,), -1e7, jnp.float32),
            "i": jnp.zeros((), jnp.int32),
        }

    def __call__(self, state: Any, *, key: Any = None) -> dict[str, Array]:
        n = (self.size,)
        _check_state(
            state,
            {"V": (n, jnp.float32), "spike": (n, jnp.bool_),
             "t_last_spike": (n, jnp.float32), "i": ((), jnp.int32)},
            "LIFStepper",
        )  # fmt: skip
        i = state["i"]
        t = i * self.dt
        p = {
            "V_rest": self.V_rest, "R": self.R, "tau": self.tau,
            "tau_ref": self.tau_ref, "V_th": self.V_th, "V_reset": self.V_reset,
        }  # fmt: skip
        V, spike, t_last, _ = lifref_step(
            lif_integral(self.method), state["V"], state["t_last_spike"], t, self.I,
            self.dt, p,
        )  # fmt: skip
        return {"V": V, "spike": spike, "t_last_spike": t_last, "i": i + 1}


class HHStepper(rollax.AbstractStepper):
    """One step of `size` Hodgkin-Huxley neurons (the `HH` equations).

    The state is a dict of `(size,)` arrays: `V`, `m`, `h`, `n` (float32) and
    `spike` (bool).

    **Arguments:**

    - `size`: number of neurons.
    - `I`: constant input current.
    - `ENa`, `gNa`, `EK`, `gK`, `EL`, `gL`, `C`, `V_th`: as in `HH`.
    - `dt`, `method`: time step and integration method.
    """

    name: ClassVar[str] = "dsrunner:HHStepper"
    size: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    method: str = eqx.field(static=True)
    params: dict[str, Float[Array, ""]]
    I: Float[Array, ""]

    def __init__(
        self, size: int = 1, *, I: Any = 0.0, ENa: Any = 50.0, gNa: Any = 120.0,
        EK: Any = -77.0, gK: Any = 36.0, EL: Any = -54.387, gL: Any = 0.03,
        C: Any = 1.0, V_th: Any = 20.0, dt: float = 0.1, method: str = "exp_auto",
    ):  # fmt: skip
        self.size, self.dt, self.method = int(size), float(dt), method
        self.I = _f(I)
        self.params = {
            "ENa": _f(ENa), "gNa": _f(gNa), "EK": _f(EK), "gK": _f(gK),
            "EL": _f(EL), "gL": _f(gL), "C": _f(C), "V_th": _f(V_th),
        }  # fmt: skip

    def init_state(self, V: Any = -65.0) -> dict[str, Array]:
        """Resting state at `V` with the gates at their steady state."""
        V0 = jnp.broadcast_to(_f(V), (self.size,)).astype(jnp.float32)
        m, h, n = hh_gate_steady(V0)
        return {"V": V0, "m": m, "h": h, "n": n, "spike": jnp.zeros_like(V0, bool)}

    def __call__(self, state: Any, *, key: Any = None) -> dict[str, Array]:
        s = (self.size,)
        spec = {k: (s, jnp.float32) for k in ("V", "m", "h", "n")}
        _check_state(state, {**spec, "spike": (s, jnp.bool_)}, "HHStepper")
        V, m, h, n, spike = hh_step(
            hh_integral(self.method), state["V"], state["m"], state["h"], state["n"],
            0.0, self.I, self.dt, self.params,
        )  # fmt: skip
        return {"V": V, "m": m, "h": h, "n": n, "spike": spike}


class IzhikevichStepper(rollax.AbstractStepper):
    """One step of `size` Izhikevich neurons (the `Izhikevich` equations).

    The state is a dict of `(size,)` arrays: `V`, `u` (float32), `spike` (bool).

    **Arguments:**

    - `size`: number of neurons.
    - `a`, `b`, `c`, `d`, `V_th`: as in `Izhikevich`.
    - `I`: constant input current.
    - `dt`, `method`: time step and integration method.
    """

    name: ClassVar[str] = "dsrunner:IzhikevichStepper"
    size: int = eqx.field(static=True)
    dt: float = eqx.field(static=True)
    method: str = eqx.field(static=True)
    params: dict[str, Float[Array, ""]]
    I: Float[Array, ""]

    def __init__(
        self, size: int = 1, *, a: Any = 0.02, b: Any = 0.2, c: Any = -65.0,
        d: Any = 8.0, V_th: Any = 30.0, I: Any = 0.0, dt: float = 0.1,
        method: str = "exp_auto",
    ):  # fmt: skip
        self.size, self.dt, self.method = int(size), float(dt), method
        self.I = _f(I)
        self.params = {
            "a": _f(a), "b": _f(b), "c": _f(c), "d": _f(d), "V_th": _f(V_th),
            "p1": _f(0.04), "p2": _f(5.0), "p3": _f(140.0),
        }  # fmt: skip

    def init_state(self, V: Any = -70.0, u: Any = None) -> dict[str, Array]:
        """The initial state (`V=-70`, `u=b*V`, no spikes)."""
        s = (self.size,)
        V0 = jnp.broadcast_to(_f(V), s).astype(jnp.float32)
        u0 = self.params["b"] * V0 if u is None else _f(u)
        return {
            "V": V0,
            "u": jnp.broadcast_to(u0, s).astype(jnp.float32),
            "spike": jnp.zeros(s, bool),
        }

    def __call__(self, state: Any, *, key: Any = None) -> dict[str, Array]:
        s = (self.size,)
        _check_state(
            state,
            {"V": (s, jnp.float32), "u": (s, jnp.float32), "spike": (s, jnp.bool_)},
            "IzhikevichStepper",
        )
        V, u, spike = izh_step(
            izh_integral(self.method), state["V"], state["u"], 0.0, self.I, self.dt,
            self.params,
        )  # fmt: skip
        return {"V": V, "u": u, "spike": spike}


class ScanRunner(rollax.AbstractRunner):
    """A pure, jittable runner: `lax.scan` of a stepper, recording every state.

    **Arguments:**

    - `stepper`: any `rollax.AbstractStepper`.

    `run(state, num_steps, key=None)` returns `(final_state, trajectory)` where the
    trajectory stacks the state after each step on a leading time axis.
    """

    name: ClassVar[str] = "dsrunner:ScanRunner"
    stepper: rollax.AbstractStepper

    def run(
        self, state: PyTree[Array], num_steps: int, *, key: Any = None
    ) -> tuple[PyTree[Array], PyTree[Array]]:
        if (
            isinstance(num_steps, bool)
            or not isinstance(num_steps, int)
            or num_steps < 1
        ):
            raise ValueError(
                f"expected num_steps to be a positive int, got {num_steps!r}"
            )
        keys = jax.random.split(key, num_steps) if key is not None else None

        def body(s, k):
            s = self.stepper(s, key=k)
            return s, s

        return jax.lax.scan(body, state, keys, length=num_steps)

"""Closed-form propagation and next-spike-time solvers of the current-based LIF.

Between events a neuron obeys `tau_mem du/dt = -u + I`, `tau_syn dI/dt = -I` with
`u = V - v_leak`, whose solution over a time `dt` is

    u(dt) = exp(-dt/tau_mem) u0 + k(dt) I0,      I(dt) = exp(-dt/tau_syn) I0,
    k(dt) = tau_syn / (tau_mem - tau_syn) (exp(-dt/tau_mem) - exp(-dt/tau_syn)),

with the limit `k(dt) = dt/tau exp(-dt/tau)` for `tau_mem = tau_syn = tau`. The next
spike is the first `dt >= 0` with `u(dt) = v_th - v_leak`; every solver returns `inf`
where the neuron does not reach its threshold. All functions act elementwise on
per-neuron arrays and are safe to differentiate (no NaN in unused branches).
"""

from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

Kind = Literal["double", "equal", "general"]

_RTOL = 1e-6
_EPS = 1e-12
_BISECTIONS = 30


def classify_ratio(tau_mem, tau_syn) -> tuple[Kind, np.ndarray]:
    """Which solver a (possibly heterogeneous) layer needs.

    **Arguments:**

    - `tau_mem`, `tau_syn`: concrete time constants (scalars or per-neuron arrays).

    **Returns:**

    `(kind, equal_mask)`: `"double"` if `tau_mem = 2 tau_syn` for every neuron,
    `"equal"` if `tau_mem = tau_syn` for every neuron, else `"general"`; and a boolean
    array marking the neurons with equal time constants.
    """
    tm = np.atleast_1d(np.asarray(tau_mem, dtype=np.float64))
    ts = np.atleast_1d(np.asarray(tau_syn, dtype=np.float64))
    tm, ts = np.broadcast_arrays(tm, ts)
    equal = np.isclose(tm, ts, rtol=_RTOL, atol=0.0)
    double = np.isclose(tm, 2.0 * ts, rtol=_RTOL, atol=0.0)
    if np.all(double):
        return "double", equal
    if np.all(equal):
        return "equal", equal
    return "general", equal


def propagator_coefficients(
    dt: Float[Array, "*n"],
    tau_mem: Float[Array, "*n"],
    tau_syn: Float[Array, "*n"],
    kind: Kind,
    equal: Bool[Array, "*n"] | np.ndarray | None = None,
) -> tuple[Array, Array, Array]:
    """The closed-form propagator `[[a_mem, k], [0, a_syn]]` over a time `dt`.

    **Arguments:**

    - `dt`: the elapsed time (broadcast against the time constants).
    - `tau_mem`, `tau_syn`: time constants.
    - `kind`: the solver kind from [`eventsnn.classify_ratio`][].
    - `equal`: for `"general"`, the mask of neurons with `tau_mem == tau_syn`.

    **Returns:**

    `(a_mem, k, a_syn)` such that `u(dt) = a_mem u0 + k I0` and `I(dt) = a_syn I0`.
    """
    a_mem = jnp.exp(-dt / tau_mem)
    if kind == "double":
        a_syn = a_mem * a_mem
        return a_mem, a_mem - a_syn, a_syn
    if kind == "equal":
        return a_mem, dt / tau_mem * a_mem, a_mem
    a_syn = jnp.exp(-dt / tau_syn)
    # k = tau_syn / d (exp(-dt/tau_mem) - exp(-dt/tau_syn)) with d = tau_mem - tau_syn,
    # written with expm1 so that it stays accurate as d -> 0 (limit dt/tau exp(-dt/tau))
    del equal
    d = tau_mem - tau_syn
    zero = d == 0
    safe_d = jnp.where(zero, 1.0, d)
    x = dt * d / (tau_mem * tau_syn)
    k = a_syn * jnp.where(zero, dt / tau_mem, tau_syn * jnp.expm1(x) / safe_d)
    return a_mem, k, a_syn


def _double_solver(u0, i0, theta, tau_mem):
    # u = a2 x - a1 x^2 with x = exp(-dt/tau_mem): the root with the largest x < 1.
    a1 = i0
    a2 = u0 + i0
    disc = a2 * a2 - 4.0 * a1 * theta
    has_disc = disc > 0.0
    sq = jnp.sqrt(jnp.where(has_disc, disc, 1.0))
    # two algebraically equal forms of the same root; pick the well-conditioned one
    pos = a2 >= 0.0
    num = jnp.where(pos, a2 + sq, 2.0 * theta)
    den = jnp.where(pos, 2.0 * a1, a2 - sq)
    den = jnp.where(jnp.abs(den) > _EPS, den, _EPS)
    x = num / den
    valid = has_disc & (x > 0.0) & (x < 1.0)
    x_safe = jnp.where(valid, x, 0.5)
    dt = jnp.where(valid, -tau_mem * jnp.log(x_safe), jnp.inf)
    return jnp.where(u0 >= theta, 0.0, dt)


@jax.custom_jvp
def lambert_w0(z: Float[Array, "*n"]) -> Float[Array, "*n"]:
    """The principal branch `W0` of the Lambert W function, for `z >= -1/e`.

    Halley iterations from a branch-point series (near `-1/e`) or a log-based
    guess; differentiable through a custom JVP `W'(z) = 1 / (z + exp(W))`.

    **Arguments:**

    - `z`: the argument, elementwise.

    **Returns:**

    `w` with `w exp(w) = z` and `w >= -1`.
    """
    z = jnp.maximum(z, -jnp.exp(-1.0))
    p = jnp.sqrt(jnp.maximum(2.0 * (jnp.e * z + 1.0), 0.0))
    near_branch = -1.0 + p - p * p / 3.0 + 11.0 / 72.0 * p**3
    log_guess = jnp.log1p(jnp.maximum(z, 0.0))
    w = jnp.where(z < -0.2, near_branch, jnp.where(z < 1.0, z * (1 - z), log_guess))
    for _ in range(6):
        ew = jnp.exp(w)
        f = w * ew - z
        wp1 = w + 1.0
        denom = ew * wp1 - (w + 2.0) * f / (2.0 * jnp.where(wp1 == 0, 1e-12, wp1))
        step = f / jnp.where(denom == 0, 1e-30, denom)
        w = jnp.where(jnp.abs(wp1) < 1e-7, w, w - step)
    return w


@lambert_w0.defjvp
def _lambert_w0_jvp(primals, tangents):
    (z,), (z_dot,) = primals, tangents
    w = lambert_w0(z)
    den = z + jnp.exp(w)
    den = jnp.where(jnp.abs(den) > 1e-12, den, 1e-12)
    return w, z_dot / den


def _equal_solver(u0, i0, theta, tau):
    # (u0 + i0 s) e^{-s} = theta with s = dt/tau: s = -u0/i0 - W0(-theta/i0 e^{-u0/i0})
    pos = i0 > 0.0
    i_safe = jnp.where(pos, i0, 1.0)
    ratio = u0 / i_safe
    # evaluate the argument in log space to avoid overflow of e^{-u0/i0}
    log_abs = jnp.log(jnp.where(theta > 0, theta, 1.0) / i_safe) - ratio
    z = -jnp.exp(jnp.minimum(log_abs, 50.0))
    z = jnp.where(theta > 0, z, jnp.minimum(-theta / i_safe * jnp.exp(-ratio), 0.0))
    ok = pos & (z >= -jnp.exp(-1.0)) & (theta > 0)
    z_safe = jnp.where(ok, z, -0.1)
    s = -ratio - lambert_w0(z_safe)
    valid = ok & (s >= 0.0)
    dt = jnp.where(valid, tau * s, jnp.inf)
    return jnp.where(u0 >= theta, 0.0, dt)


def _u_of_t(t, u0, i0, tau_mem, tau_syn, equal):
    a_mem, k, _ = propagator_coefficients(t, tau_mem, tau_syn, "general", equal)
    return a_mem * u0 + k * i0


@jax.custom_jvp
def _general_root(u0, i0, theta, tau_mem, tau_syn, horizon):
    # u(t) has at most one extremum t* > 0; bracket the first crossing on the
    # monotone rising part and bisect. Every expression is finite as tau_mem ->
    # tau_syn (no 1 / (tau_mem - tau_syn)).
    d = tau_mem - tau_syn
    slope0 = (i0 - u0) / tau_mem
    den = u0 * d + i0 * tau_syn
    safe_den = jnp.where(den == 0, _EPS, den)
    q = d * (i0 - u0) / safe_den
    log_ratio = jnp.where(
        jnp.abs(q) < 1e-6, 1.0 - 0.5 * q, jnp.log1p(jnp.maximum(q, -1 + 1e-7)) / q
    )
    t_star = log_ratio * (i0 - u0) / safe_den * tau_mem * tau_syn
    interior = (q > -1.0) & (den != 0) & (t_star > 0) & jnp.isfinite(t_star)
    rising = slope0 > 0
    lo = jnp.where(rising, 0.0, jnp.where(interior, t_star, horizon))
    hi = jnp.where(rising & interior, jnp.minimum(t_star, horizon), horizon)
    lo = jnp.minimum(lo, horizon)

    def u(t):
        return _u_of_t(t, u0, i0, tau_mem, tau_syn, None)

    has = (u(hi) >= theta) & (lo < hi)

    def body(_, bounds):
        a, b = bounds
        mid = 0.5 * (a + b)
        above = u(mid) >= theta
        return jnp.where(above, a, mid), jnp.where(above, mid, b)

    lo, hi = jax.lax.fori_loop(0, _BISECTIONS, body, (lo, hi))
    dt = jnp.where(has, hi, jnp.inf)
    return jnp.where(u0 >= theta, 0.0, dt)


@_general_root.defjvp
def _general_root_jvp(primals, tangents):
    u0, i0, _theta, tau_mem, tau_syn, _horizon = primals
    dt = _general_root(*primals)
    found = jnp.isfinite(dt) & (dt > 0)
    t = jnp.where(found, dt, 0.0)

    def g(u0_, i0_, theta_, tm_, ts_):
        return _u_of_t(t, u0_, i0_, tm_, ts_, None) - theta_

    _, g_dot = jax.jvp(g, primals[:5], tangents[:5])
    # du/dt at the crossing
    u_at = _u_of_t(t, u0, i0, tau_mem, tau_syn, None)
    i_at = i0 * jnp.exp(-t / tau_syn)
    slope = (-u_at + i_at) / tau_mem
    slope = jnp.where(jnp.abs(slope) > _EPS, slope, _EPS)
    return dt, jnp.where(found, -g_dot / slope, 0.0)


def next_spike_dt(
    u0: Float[Array, " n"],
    i0: Float[Array, " n"],
    theta: Float[Array, " n"],
    tau_mem: Float[Array, " n"],
    tau_syn: Float[Array, " n"],
    horizon: Float[Array, ""],
    kind: Kind,
    equal: np.ndarray | None = None,
) -> Float[Array, " n"]:
    """Time until each neuron next reaches its threshold (`inf` if it does not).

    **Arguments:**

    - `u0`: membrane potential relative to `v_leak`, per neuron.
    - `i0`: synaptic current, per neuron.
    - `theta`: threshold relative to `v_leak` (`v_th - v_leak`), per neuron.
    - `tau_mem`, `tau_syn`: time constants, per neuron.
    - `horizon`: the longest time of interest (the general solver searches
        `[0, horizon]`; the closed forms are exact for any time).
    - `kind`: `"double"` (`tau_mem = 2 tau_syn`, closed form), `"equal"`
        (`tau_mem = tau_syn`, Lambert W) or `"general"` (bracketed bisection with an
        implicit-function derivative; exact for any ratio).
    - `equal`: for `"general"`, a mask of neurons with `tau_mem == tau_syn`.

    **Returns:**

    The time to the next threshold crossing, `0` for a neuron already at or above
    threshold, `inf` where there is none.
    """
    if kind == "double":
        return _double_solver(u0, i0, theta, tau_mem)
    if kind == "equal":
        return _equal_solver(u0, i0, theta, tau_mem)
    h = jnp.broadcast_to(horizon, jnp.shape(u0))
    general = _general_root(u0, i0, theta, tau_mem, tau_syn, h)
    if equal is not None and np.any(equal):
        return jnp.where(equal, _equal_solver(u0, i0, theta, tau_mem), general)
    return general

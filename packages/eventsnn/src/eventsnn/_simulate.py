"""Exact event-driven simulation of one LIF layer, and its EventProp adjoint.

A layer consumes a time-sorted queue of presynaptic events and, with a fixed budget
of `n_spikes` steps, emits one event per step: its own next spike, the next input
event (passed through), or a "no event" padding entry `(t_max, -1)`. The state is
advanced in closed form between events, and spike times come from the solvers in
`_solver`, so the simulation is exact up to float rounding.

`simulate` is plain JAX and can be differentiated by autodiff (the `LIF` layer).
`simulate_eventprop` gives the same forward pass with the EventProp adjoint as a
custom VJP: a reverse scan over the recorded events that needs only O(n_spikes)
residuals per sample and does not depend on how much of the budget was padding.
"""

import dataclasses
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from ._params import LIFParameters
from ._solver import Kind, classify_ratio, next_spike_dt, propagator_coefficients

NONE, OWN, INPUT = 0, 1, 2
_DENOM_EPS = 1e-6
_SIMULTANEOUS_RTOL = 1e-6


class Neurons(NamedTuple):
    """Per-neuron float32 parameters of a layer, shape `(size,)` each."""

    tau_syn: Array
    tau_mem: Array
    v_th: Array
    v_leak: Array
    v_reset: Array


@dataclasses.dataclass(frozen=True, eq=False)
class LayerSpec:
    """Static description of one layer's simulation (hashable by identity)."""

    size: int
    n_spikes: int
    t_max: float
    params: Neurons
    kind: Kind
    equal: np.ndarray
    recurrent: bool
    external: bool
    u_init: Array  # initial membrane potential relative to v_leak, shape (size,)

    @classmethod
    def make(
        cls,
        size: int,
        n_spikes: int,
        t_max: float,
        params: LIFParameters,
        *,
        recurrent: bool = False,
        external: bool = False,
        solver: str = "auto",
        v_init: "float | str | ArrayLike" = 0.0,
    ) -> "LayerSpec":
        if not isinstance(size, int | np.integer) or size < 1:
            raise ValueError(f"size must be a positive int, got {size!r}")
        if not isinstance(n_spikes, int | np.integer) or n_spikes < 1:
            raise ValueError(
                f"n_spikes (the event budget of the layer) must be a positive int, "
                f"got {n_spikes!r}"
            )
        if not np.isfinite(t_max) or t_max <= 0:
            raise ValueError(f"t_max must be a positive time in seconds, got {t_max}")
        if not isinstance(params, LIFParameters):
            raise TypeError(
                f"params must be an eventsnn.LIFParameters, got {type(params).__name__}"
            )
        kind, equal = classify_ratio(params.tau_mem, params.tau_syn)
        if solver == "closed_form" and kind == "general":
            ratio = np.asarray(params.tau_mem) / np.asarray(params.tau_syn)
            raise ValueError(
                "the closed-form spike-time solver needs tau_mem == 2 * tau_syn or "
                f"tau_mem == tau_syn for every neuron, got tau_mem / tau_syn = "
                f"{ratio}; use solver='auto' (or 'general') for the exact root "
                "solver that handles any ratio"
            )
        if solver == "general":
            kind = "general"
        elif solver not in ("auto", "closed_form"):
            raise ValueError(
                f"solver must be 'auto', 'closed_form' or 'general', got {solver!r}"
            )
        equal = np.broadcast_to(equal, (size,)) if equal.size == 1 else equal
        if equal.shape != (size,):
            raise ValueError(
                f"LIFParameters have {equal.shape[0]} values per field; expected a "
                f"scalar or one per neuron ({size})"
            )
        neurons = _neurons(params.broadcast(int(size)))
        return cls(
            size=int(size),
            n_spikes=int(n_spikes),
            t_max=float(t_max),
            params=neurons,
            kind=kind,
            equal=np.asarray(equal),
            recurrent=recurrent,
            external=external,
            u_init=_u_init(v_init, neurons, int(size)),
        )


def _u_init(v_init, neurons: "Neurons", size: int) -> Array:
    """The initial `V - v_leak` of each neuron from the layer's `v_init`."""
    if isinstance(v_init, str):
        if v_init != "v_leak":
            raise ValueError(
                f"v_init must be a number, one number per neuron, or 'v_leak', got "
                f"{v_init!r}"
            )
        return jnp.zeros(size, jnp.float32)
    v = np.asarray(v_init, dtype=np.float32)
    if v.ndim > 1 or (v.ndim == 1 and v.shape[0] not in (1, size)):
        raise ValueError(
            f"v_init has shape {v.shape}; expected a scalar, one value per neuron "
            f"({size},), or 'v_leak'"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError(f"v_init must be finite, got {v_init!r}")
    return jnp.broadcast_to(jnp.asarray(v), (size,)) - neurons.v_leak


def _neurons(p: LIFParameters) -> Neurons:
    return Neurons(
        *(
            jnp.asarray(getattr(p, f), jnp.float32)
            for f in ("tau_syn", "tau_mem", "v_th", "v_leak", "v_reset")
        )
    )


class Queue(NamedTuple):
    """A layer's time-sorted input events (padding: time inf, local idx -1)."""

    time: Float[Array, " q"]
    current: Float[Array, " q"]
    local: Int[Array, " q"]
    gidx: Int[Array, " q"]


class Events(NamedTuple):
    time: Float[Array, " k"]
    idx: Int[Array, " k"]
    current: Float[Array, " k"]
    overflow: Bool[Array, ""]


class Residuals(NamedTuple):
    time: Float[Array, " k"]
    kind: Int[Array, " k"]
    who: Int[Array, " k"]  # own: local neuron; input: local presynaptic index
    pos: Int[Array, " k"]  # input: position in the queue
    current: Float[Array, " k"]  # own: current of the neuron before the spike


def _simultaneous_tol(spec: LayerSpec) -> Array:
    # spikes predicted within this time of the emitted one are simultaneous: they
    # are emitted at their own predicted times in the following steps, because
    # after the state is advanced to the first of them, float rounding can leave
    # the others a hair below threshold, where no solver finds the crossing
    return _SIMULTANEOUS_RTOL * spec.params.tau_mem


def _step(spec: LayerSpec, w_in, w_rec, queue: Queue, ext, layer_start, carry, _):
    p = spec.params
    u, cur, time, head, ext_head, pend, t_pend = carry
    theta = p.v_th - p.v_leak
    u_reset = p.v_reset - p.v_leak
    n_q = queue.time.shape[0]
    t_max = jnp.asarray(spec.t_max, dtype=u.dtype)
    neuron = jnp.arange(spec.size)

    if spec.external:
        ext_time, ext_local = ext
        n_e = ext_time.shape[0]
        e_ok = ext_head < n_e
        e_pos = jnp.minimum(ext_head, n_e - 1)
        t_int = jnp.where(e_ok, ext_time[e_pos], jnp.inf)
        n_star = jnp.clip(ext_local[e_pos], 0, spec.size - 1)
        t_int = jnp.where(e_ok & (ext_local[e_pos] >= 0), t_int, jnp.inf)
        t_spk = None
    else:
        dt = next_spike_dt(
            u, cur, theta, p.tau_mem, p.tau_syn, t_max - time, spec.kind, spec.equal
        )
        # neurons still owed a simultaneous spike keep their predicted time
        t_spk = jnp.where(pend, t_pend, time + dt)
        n_star = jnp.argmin(t_spk)
        t_int = t_spk[n_star]

    q_ok = head < n_q
    pos = jnp.minimum(head, n_q - 1)
    t_in = jnp.where(q_ok, queue.time[pos], jnp.inf)

    own = (t_int < t_max) & (t_int < t_in)
    inp = (~own) & (t_in < t_max)
    t_next = jnp.where(own, t_int, jnp.where(inp, t_in, t_max))
    # not jnp.maximum: at a tie (a simultaneous spike) it would split the gradient
    # between this event's time and the previous one's
    t_next = jnp.where(t_next >= time, t_next, time)

    a_mem, k, a_syn = propagator_coefficients(
        t_next - time, p.tau_mem, p.tau_syn, spec.kind, spec.equal
    )
    u = a_mem * u + k * cur
    cur = a_syn * cur

    i_star = cur[n_star]
    fired = own & (neuron == n_star)
    u = jnp.where(fired, u_reset, u)
    if t_spk is not None:
        also = own & (t_spk <= t_int + _simultaneous_tol(spec)) & (t_spk < t_max)
        pend = (pend | also) & ~fired
        t_pend = jnp.where(pend, t_spk, t_pend)
    if spec.recurrent:
        cur = cur + jnp.where(own, w_rec[n_star], 0.0)
    pre = queue.local[pos]
    pre_ok = inp & (pre >= 0)
    cur = cur + jnp.where(pre_ok, w_in[jnp.maximum(pre, 0)], 0.0)

    event_kind = jnp.where(own, OWN, jnp.where(inp, INPUT, NONE))
    ev_time = t_next
    ev_idx = jnp.where(own, n_star + layer_start, jnp.where(inp, queue.gidx[pos], -1))
    # passed-through input events carry no current (as in jaxsnn)
    ev_cur = jnp.where(own, i_star, 0.0)
    res = (
        ev_time,
        event_kind,
        jnp.where(own, n_star, jnp.where(inp, pre, -1)),
        pos,
        i_star,
    )
    head = head + inp.astype(head.dtype)
    ext_head = ext_head + own.astype(ext_head.dtype)
    return (u, cur, t_next, head, ext_head, pend, t_pend), (
        ev_time,
        ev_idx,
        ev_cur,
        res,
    )


def _overflow(spec: LayerSpec, carry, queue: Queue, ext) -> Array:
    p = spec.params
    u, cur, time, head, ext_head, pend, _ = carry
    n_q = queue.time.shape[0]
    pending_in = (head < n_q) & (queue.time[jnp.minimum(head, n_q - 1)] < spec.t_max)
    if spec.external:
        ext_time, ext_local = ext
        n_e = ext_time.shape[0]
        e_pos = jnp.minimum(ext_head, n_e - 1)
        pending_own = (
            (ext_head < n_e) & (ext_time[e_pos] < spec.t_max) & (ext_local[e_pos] >= 0)
        )
    else:
        dt = next_spike_dt(
            u,
            cur,
            p.v_th - p.v_leak,
            p.tau_mem,
            p.tau_syn,
            spec.t_max - time,
            spec.kind,
            spec.equal,
        )
        pending_own = (jnp.min(time + dt) < spec.t_max) | jnp.any(pend)
    return jax.lax.stop_gradient(pending_in | pending_own)


def _initial_carry(spec: LayerSpec, dtype):
    zeros = jnp.zeros(spec.size, dtype)
    return (
        spec.u_init.astype(dtype),
        zeros,
        jnp.zeros((), dtype),
        jnp.zeros((), jnp.int32),
        jnp.zeros((), jnp.int32),
        jnp.zeros(spec.size, bool),
        jnp.full(spec.size, spec.t_max, dtype),
    )


def _run(spec: LayerSpec, w_in, w_rec, queue: Queue, ext, layer_start):
    dtype = jnp.result_type(w_in.dtype, jnp.float32)
    carry = _initial_carry(spec, dtype)
    step = partial(_step, spec, w_in, w_rec, queue, ext, layer_start)
    carry, (t, idx, c, res) = jax.lax.scan(step, carry, None, length=spec.n_spikes)
    overflow = _overflow(spec, carry, queue, ext)
    return Events(t, idx, c, overflow), Residuals(*res)


def simulate(spec: LayerSpec, w_in, w_rec, queue: Queue, ext, layer_start) -> Events:
    """The layer's events, differentiable by autodiff through the solvers."""
    return _run(spec, w_in, w_rec, queue, ext, layer_start)[0]


# ---------------------------------------------------------------------------------
# EventProp


def _adjoint(spec: LayerSpec, w_in, w_rec, res: Residuals, g_time, g_cur, n_q: int):
    p = spec.params
    theta = p.v_th - p.v_leak
    u_reset = p.v_reset - p.v_leak
    dtype = g_time.dtype
    zeros = jnp.zeros(spec.size, dtype)

    def back(carry, xs):
        a_u, a_i, t_later, dw_in, dw_rec, dq_time, dq_cur = carry
        t_k, kind, who, pos, i_s, g, gc = xs
        a_mem, k, a_syn = propagator_coefficients(
            t_later - t_k, p.tau_mem, p.tau_syn, spec.kind, spec.equal
        )
        a_i = k * a_u + a_syn * a_i
        a_u = a_mem * a_u
        own = kind == OWN
        inp = kind == INPUT
        w_k = jnp.maximum(who, 0)
        # sensitivity of the loss to the time of a current jump of w: sum_j w_j *
        # (a_i_j / tau_syn_j - a_u_j / tau_mem_j), evaluated just after the event
        rate = a_i / p.tau_syn - a_u / p.tau_mem

        # own spike of neuron n = who
        g_own = g - gc * i_s / p.tau_syn[w_k]
        if spec.recurrent:
            g_own = g_own + jnp.dot(w_rec[w_k], rate)
            dw_rec = dw_rec.at[w_k].add(jnp.where(own, a_i, 0.0))
        denom = i_s - theta[w_k]
        denom = jnp.where(jnp.abs(denom) > _DENOM_EPS, denom, _DENOM_EPS)
        new_au = (a_u[w_k] * (i_s - u_reset[w_k]) - p.tau_mem[w_k] * g_own) / denom
        a_u = a_u.at[w_k].set(jnp.where(own, new_au, a_u[w_k]))
        a_i = a_i.at[w_k].add(jnp.where(own, gc, 0.0))

        # input event from presynaptic `who`, queue position `pos`
        dw_in = dw_in.at[w_k].add(jnp.where(inp, a_i, 0.0))
        g_in = g + jnp.dot(w_in[w_k], rate)
        dq_time = dq_time.at[pos].add(jnp.where(inp, g_in, 0.0))

        t_later = jnp.where(kind == NONE, t_later, t_k)
        return (a_u, a_i, t_later, dw_in, dw_rec, dq_time, dq_cur), None

    init = (
        zeros,
        zeros,
        jnp.asarray(spec.t_max, dtype),
        jnp.zeros_like(w_in),
        jnp.zeros_like(w_rec),
        jnp.zeros(n_q, dtype),
        jnp.zeros(n_q, dtype),
    )
    xs = (res.time, res.kind, res.who, res.pos, res.current, g_time, g_cur)
    carry, _ = jax.lax.scan(back, init, xs, reverse=True)
    _, _, _, dw_in, dw_rec, dq_time, dq_cur = carry
    return dw_in, dw_rec, dq_time, dq_cur


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _eventprop(
    spec, w_in, w_rec, q_time, q_cur, ext_time, q_local, q_gidx, ext_local, ls
):
    queue = Queue(q_time, q_cur, q_local, q_gidx)
    return _run(spec, w_in, w_rec, queue, (ext_time, ext_local), ls)[0]


def _eventprop_fwd(
    spec, w_in, w_rec, q_time, q_cur, ext_time, q_local, q_gidx, ext_local, ls
):
    queue = Queue(q_time, q_cur, q_local, q_gidx)
    events, res = _run(spec, w_in, w_rec, queue, (ext_time, ext_local), ls)
    return events, (w_in, w_rec, res, q_time.shape[0], ext_time)


def _eventprop_bwd(spec, saved, ct: Events):
    w_in, w_rec, res, n_q, ext_time = saved
    g_time = jnp.asarray(ct.time, w_in.dtype)
    g_cur = jnp.asarray(ct.current, w_in.dtype)
    dw_in, dw_rec, dq_time, dq_cur = _adjoint(
        spec, w_in, w_rec, res, g_time, g_cur, n_q
    )
    return (
        dw_in,
        dw_rec,
        dq_time,
        dq_cur,
        jnp.zeros_like(ext_time),
        None,
        None,
        None,
        None,
    )


_eventprop.defvjp(_eventprop_fwd, _eventprop_bwd)


def simulate_eventprop(
    spec: LayerSpec, w_in, w_rec, queue: Queue, ext, layer_start
) -> Events:
    """The same events as `simulate`, with the EventProp adjoint as custom VJP."""
    ext_time, ext_local = ext
    return _eventprop(
        spec,
        w_in,
        w_rec,
        queue.time,
        queue.current,
        ext_time,
        queue.local,
        queue.gidx,
        ext_local,
        layer_start,
    )


# ---------------------------------------------------------------------------------
# EventProp with the custom VJP on each step (jaxsnn's `wrap_only_step=True`)


@partial(jax.custom_vjp, nondiff_argnums=(0,))
def _wrapped_step(
    spec,
    u,
    cur,
    time,
    head,
    ext_head,
    pend,
    t_pend,
    w_in,
    w_rec,
    q_time,
    q_cur,
    ext_time,
    aux,
):
    q_local, q_gidx, ext_local, ls = aux
    queue = Queue(q_time, q_cur, q_local, q_gidx)
    carry = (u, cur, time, head, ext_head, pend, t_pend)
    carry, (t, idx, c, _) = _step(
        spec, w_in, w_rec, queue, (ext_time, ext_local), ls, carry, None
    )
    return (*carry, t, idx, c)


def _wrapped_step_fwd(
    spec,
    u,
    cur,
    time,
    head,
    ext_head,
    pend,
    t_pend,
    w_in,
    w_rec,
    q_time,
    q_cur,
    ext_time,
    aux,
):
    q_local, q_gidx, ext_local, ls = aux
    queue = Queue(q_time, q_cur, q_local, q_gidx)
    carry = (u, cur, time, head, ext_head, pend, t_pend)
    carry, (t, idx, c, res) = _step(
        spec, w_in, w_rec, queue, (ext_time, ext_local), ls, carry, None
    )
    saved = (u, cur, time, t_pend, res, w_in, w_rec, q_time, ext_time)
    return (*carry, t, idx, c), saved


def _wrapped_step_bwd(spec, saved, cts):
    """The chain rule of one step in closed form (state, time and event).

    An own spike's time is the implicit function of this step's state given by
    `u_n(t_k) = theta_n`, also for a simultaneous spike emitted at the time
    predicted in an earlier step (`t_pend`), so no cotangent flows to `t_pend`.
    """
    p = spec.params
    u, cur, time, t_pend, res, w_in, w_rec, q_time, ext_time = saved
    a_u2, a_i2, c_t2, _, _, _, _, g, _, gc = cts
    t_k, kind, who, pos, _ = res
    theta = p.v_th - p.v_leak
    dt = t_k - time
    a_mem, k, a_syn = propagator_coefficients(
        dt, p.tau_mem, p.tau_syn, spec.kind, spec.equal
    )
    u_m = a_mem * u + k * cur
    i_m = a_syn * cur
    own = kind == OWN
    inp = kind == INPUT
    w_k = jnp.maximum(who, 0)
    hit = own & (jnp.arange(spec.size) == w_k)
    # cotangent of the state just before the event's jump/reset
    b_u = jnp.where(hit, 0.0, a_u2)
    b_i = a_i2 + jnp.where(hit, gc, 0.0)
    g_dt = jnp.dot(b_u, (i_m - u_m) / p.tau_mem) - jnp.dot(b_i, i_m / p.tau_syn)
    a_u = a_mem * b_u
    a_i = k * b_u + a_syn * b_i
    # own spike: dt is fixed by u_n(dt) = theta_n
    total = c_t2 + g + g_dt
    slope = (i_m[w_k] - theta[w_k]) / p.tau_mem[w_k]
    slope = jnp.where(jnp.abs(slope) > _DENOM_EPS, slope, _DENOM_EPS)
    a_u = a_u - jnp.where(hit, total * a_mem / slope, 0.0)
    a_i = a_i - jnp.where(hit, total * k / slope, 0.0)
    c_time = jnp.where(own, c_t2 + g, -g_dt)
    dw_in = jnp.zeros_like(w_in).at[w_k].add(jnp.where(inp, a_i2, 0.0))
    dw_rec = jnp.zeros_like(w_rec)
    if spec.recurrent:
        dw_rec = dw_rec.at[w_k].add(jnp.where(own, a_i2, 0.0))
    dq_time = jnp.zeros_like(q_time).at[pos].add(jnp.where(inp, c_t2 + g + g_dt, 0.0))
    return (
        a_u,
        a_i,
        c_time,
        None,
        None,
        None,
        jnp.zeros_like(t_pend),
        dw_in,
        dw_rec,
        dq_time,
        jnp.zeros_like(q_time),  # passed-through events carry no current
        jnp.zeros_like(ext_time),
        None,
    )


_wrapped_step.defvjp(_wrapped_step_fwd, _wrapped_step_bwd)


def simulate_stepwise(
    spec: LayerSpec, w_in, w_rec, queue: Queue, ext, layer_start
) -> Events:
    """The events of `simulate`, with the adjoint as a custom VJP of each step."""
    ext_time, ext_local = ext
    aux = (queue.local, queue.gidx, ext_local, layer_start)
    dtype = jnp.result_type(w_in.dtype, jnp.float32)
    init = _initial_carry(spec, dtype)

    def body(carry, _):
        out: tuple = _wrapped_step(  # pyright: ignore[reportAssignmentType]
            spec, *carry, w_in, w_rec, queue.time, queue.current, ext_time, aux
        )
        return out[:7], out[7:]

    carry, (t, idx, c) = jax.lax.scan(body, init, None, length=spec.n_spikes)
    return Events(t, idx, c, _overflow(spec, carry, queue, ext))

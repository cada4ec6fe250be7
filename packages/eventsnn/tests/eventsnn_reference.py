"""An independent plain-numpy event-driven LIF simulation, for the tests."""

import numpy as np


def u_of_t(t, u0, i0, tm, ts):
    if abs(tm - ts) < 1e-15:
        return (u0 + i0 * t / tm) * np.exp(-t / tm)
    c = ts / (tm - ts)
    return np.exp(-t / tm) * u0 + c * (np.exp(-t / tm) - np.exp(-t / ts)) * i0


def first_crossing(u0, i0, theta, tm, ts, horizon, n=20001):
    """First time in [0, horizon] with u >= theta, by a dense grid + bisection."""
    t = np.linspace(0.0, horizon, n)
    u = u_of_t(t, u0, i0, tm, ts)
    above = np.nonzero(u >= theta)[0]
    if above.size == 0:
        return np.inf
    k = above[0]
    if k == 0:
        return 0.0
    lo, hi = t[k - 1], t[k]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if u_of_t(mid, u0, i0, tm, ts) >= theta:
            hi = mid
        else:
            lo = mid
    return hi


def simulate_layer(
    in_times,
    in_idx,
    w,
    *,
    tau_mem,
    tau_syn,
    v_th,
    v_leak,
    v_reset,
    t_max,
    v_init: float | str = 0.0,
):
    """Own spikes (time, local neuron) of one feed-forward layer, all of them.

    The membrane starts at `v_init` (a number, or `"v_leak"` for rest)."""
    w = np.asarray(w, np.float64)
    n = w.shape[1]
    order = np.argsort(in_times, kind="stable")
    events = [(float(in_times[k]), int(in_idx[k])) for k in order if in_idx[k] >= 0]
    events = [e for e in events if e[0] < t_max]
    u = np.zeros(n) if v_init == "v_leak" else np.full(n, v_init - v_leak)
    cur = np.zeros(n)
    time = 0.0
    theta = v_th - v_leak
    ur = v_reset - v_leak
    spikes = []
    q = 0
    while True:
        t_in = events[q][0] if q < len(events) else np.inf
        horizon = min(t_in, t_max) - time
        dts = np.array(
            [
                first_crossing(u[j], cur[j], theta, tau_mem, tau_syn, horizon)
                for j in range(n)
            ]
        )
        j = int(np.argmin(dts))
        if np.isfinite(dts[j]) and time + dts[j] < min(t_in, t_max):
            dt = dts[j]
            kind = "own"
        elif t_in < t_max:
            dt = t_in - time
            kind = "in"
        else:
            break
        new_u = u_of_t(dt, u, cur, tau_mem, tau_syn)
        cur = cur * np.exp(-dt / tau_syn)
        u = new_u
        time += dt
        if kind == "own":
            spikes.append((time, j))
            u[j] = ur
        else:
            cur = cur + w[events[q][1]]
            q += 1
    return spikes

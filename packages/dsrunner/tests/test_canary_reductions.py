"""Canary: the package's hot reductions, jitted, against float64 numpy.

jax/jaxlib 0.10.2 miscompile a broadcast-multiply-then-sum under `jit` on CPU
(jax-ml/jax#39103, #39257). dsrunner's per-step work is the synaptic projection
(`spikes @ W`, event by event over dense rows or a padded CSR table), the sum of
the COBA/CUBA output currents into each neuron, and the monitors (bit-packed
spikes, decimated records). These run compiled on the shapes real networks use
and are compared with a plain float64 numpy computation, with tolerances set by
float32 rounding, so that a JAX release that computes them wrongly fails here.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp
from dsrunner._connect import event_csr_matvec


def _csr_dense(conn, weight, dtype=np.float64):
    """The `(pre, post)` weight matrix of a `FixedProb` (numpy)."""
    indices, indptr = conn.require("csr")
    rows = np.repeat(np.arange(conn.pre_num), np.diff(indptr))
    W = np.zeros((conn.pre_num, conn.post_num), dtype)
    W[rows, indices] = weight
    return W


def _table(conn):
    """The padded target table `(pre, max_degree)` (padding = post_num)."""
    indices, indptr = conn.require("csr")
    deg = np.diff(indptr)
    table = np.full((conn.pre_num, max(int(deg.max()), 1)), conn.post_num, np.int32)
    rows = np.repeat(np.arange(conn.pre_num), deg)
    cols = np.arange(len(indices)) - np.repeat(indptr[:-1], deg)
    table[rows, cols] = indices
    return table, rows, cols


# (pre, post, prob, spike probability): the COBA/CUBA benchmark's projections,
# a denser small network, and a high-activity burst
PROJECTIONS = [
    (3200, 4000, 0.02, 0.02),
    (800, 4000, 0.02, 0.05),
    (4000, 4000, 0.02, 0.01),
    (1000, 500, 0.1, 0.3),
    (100, 100, 0.5, 1.0),
]


@pytest.mark.parametrize(("pre", "post", "prob", "rate"), PROJECTIONS)
def test_event_projection_jitted(pre, post, prob, rate):
    rng = np.random.default_rng(pre + post)
    conn = bp.FixedProb(prob, pre=pre, post=post, seed=pre)
    spikes = rng.uniform(size=pre) < rate
    values = rng.uniform(0.5, 2.0, pre).astype(np.float32) * spikes
    n_syn = len(conn.require("csr")[0])
    w_het = rng.uniform(0.1, 1.0, n_syn).astype(np.float32)
    for weight in (0.6, w_het):
        comm = bp.EventCSRLinear(conn, weight)
        W = _csr_dense(conn, np.asarray(weight, np.float64))
        out = np.asarray(jax.jit(comm.__call__)(jnp.asarray(spikes)))
        np.testing.assert_allclose(out, spikes @ W, rtol=1e-5, atol=1e-4)
        # graded events scale the rows
        out = np.asarray(jax.jit(comm.__call__)(jnp.asarray(values)))
        np.testing.assert_allclose(
            out, values.astype(np.float64) @ W, rtol=1e-5, atol=1e-4
        )
        # the padded-table form (used above 2^26 connections), same numbers
        table, rows, cols = _table(conn)
        wt = np.zeros(table.shape, np.float32)
        wt[rows, cols] = weight
        if np.ndim(weight) == 0:
            wt = np.float32(weight)  # the homogeneous (scalar) form
        fn = jax.jit(event_csr_matvec, static_argnums=3)
        out = np.asarray(
            fn(jnp.asarray(values), jnp.asarray(table), jnp.asarray(wt), post)
        )
        np.testing.assert_allclose(
            out, values.astype(np.float64) @ W, rtol=1e-5, atol=1e-4
        )


@pytest.mark.parametrize("batch", [2, 8])
def test_batched_event_projection_jitted(batch):
    rng = np.random.default_rng(batch)
    conn = bp.FixedProb(0.05, pre=800, post=1000, seed=1)
    comm = bp.EventCSRLinear(conn, 0.6)
    spikes = rng.uniform(size=(batch, 800)) < 0.05
    out = np.asarray(jax.jit(comm.__call__)(jnp.asarray(spikes)))
    np.testing.assert_allclose(
        out, spikes @ _csr_dense(conn, 0.6), rtol=1e-5, atol=1e-4
    )


def _einet_state(net):
    syn = {k: np.asarray(getattr(net, k).syn.g.value, np.float64)
           for k in ("E2E", "E2I", "I2E", "I2I")}  # fmt: skip
    return {
        "EV": np.asarray(net.E.V.value, np.float64),
        "IV": np.asarray(net.I.V.value, np.float64),
        "Et": np.asarray(net.E.t_last_spike.value, np.float64),
        "It": np.asarray(net.I.t_last_spike.value, np.float64),
        "Es": np.asarray(net.E.spike.value),
        "Is": np.asarray(net.I.spike.value),
        **syn,
    }


def _np_einet_step(s, W, t, coba, inp=20.0, dt=0.1):
    """One EINet step in float64: projections add events, the synapses decay
    (exact for dg/dt = -g/tau), each group sums its output currents and takes an
    exact LIF step (exponential Euler is exact for a constant drive)."""
    g = {
        "E2E": s["E2E"] + s["Es"] @ W["E2E"], "E2I": s["E2I"] + s["Es"] @ W["E2I"],
        "I2E": s["I2E"] + s["Is"] @ W["I2E"], "I2I": s["I2I"] + s["Is"] @ W["I2I"],
    }  # fmt: skip
    tau = {"E2E": 5.0, "E2I": 5.0, "I2E": 10.0, "I2I": 10.0}
    g = {k: v * np.exp(-dt / tau[k]) for k, v in g.items()}
    out = {}
    for grp, ge, gi in (("E", "E2E", "I2E"), ("I", "E2I", "I2I")):
        V = s[grp + "V"]
        cur = g[ge] * (0.0 - V) + g[gi] * (-80.0 - V) if coba else g[ge] + g[gi]
        V_inf = -60.0 + (inp + cur)
        V_new = V_inf + (V - V_inf) * np.exp(-dt / 20.0)
        refractory = (t - s[grp + "t"]) <= 5.0
        V_new = np.where(refractory, V, V_new)
        out[grp + "pre"] = V_new
        # float32 t against float64: the end of the refractory period is a tie
        out[grp + "tie"] = np.abs((t - s[grp + "t"]) - 5.0) < 1e-3
        spike = V_new >= -50.0
        out[grp + "V"] = np.where(spike, -60.0, V_new)
        out[grp + "s"] = spike
    return out, g


@pytest.mark.parametrize(
    ("ne", "ni", "coba"), [(3200, 800, True), (3200, 800, False), (400, 100, True)]
)
def test_einet_step_against_float64_numpy(ne, ni, coba):
    """Each compiled step of the COBA/CUBA network, started from the runner's own
    state, against the same step in float64 (teacher forcing: chaos cannot make
    the two drift apart)."""
    net = bp.EINet(ne, ni, coba=coba, we=0.6 if coba else 0.6 * 0.27,
                   wi=6.7 if coba else -6.7 * 0.27)  # fmt: skip
    W = {
        k: _csr_dense(p.comm_conn, p.comm_weight)
        for k, p in ((k, _Proj(net, k)) for k in ("E2E", "E2I", "I2E", "I2I"))
    }
    runner = bp.DSRunner(net, progress_bar=False)
    runner.run(30.0)  # into the active regime
    checked = spikes = 0
    for _ in range(20):
        s = _einet_state(net)
        t = runner.i0 * 0.1
        want, g = _np_einet_step(s, W, t, coba)
        runner.run(0.1)
        got = _einet_state(net)
        for k in g:
            np.testing.assert_allclose(got[k], g[k], rtol=2e-5, atol=1e-5, err_msg=k)
        for grp in ("E", "I"):
            # not at the threshold, nor at the end of the refractory period
            clear = (np.abs(want[grp + "pre"] + 50.0) > 1e-3) & ~want[grp + "tie"]
            np.testing.assert_array_equal(got[grp + "s"][clear], want[grp + "s"][clear])
            np.testing.assert_allclose(
                got[grp + "V"][clear], want[grp + "V"][clear], rtol=0, atol=2e-4
            )
            checked += clear.sum()
            spikes += want[grp + "s"].sum()
    assert checked > 0.99 * 20 * (ne + ni) and spikes > 0


class _Proj:
    """The connection and weight of one EINet projection, rebuilt as EINet does."""

    def __init__(self, net, key):
        seeds = {"E2E": 10, "E2I": 11, "I2E": 12, "I2I": 13}
        pre = net.E if key[0] == "E" else net.I
        post = net.E if key[2] == "E" else net.I
        self.comm_conn = bp.FixedProb(0.02, pre=pre.num, post=post.num,
                                      seed=42 + seeds[key])  # fmt: skip
        self.comm_weight = float(np.asarray(getattr(net, key).comm.weight))


@pytest.mark.parametrize(("steps", "units"), [(1024, 4000), (333, 800), (5, 1)])
def test_spike_and_decimated_monitors(steps, units):
    """Bit-packed spike monitors and `every`-decimated records equal the dense
    record, and the jitted packbits equals numpy's."""
    rng = np.random.default_rng(units)
    raster = rng.uniform(size=(steps, units)) < 0.05
    packed = jax.jit(jax.vmap(jnp.packbits))(jnp.asarray(raster))
    np.testing.assert_array_equal(np.asarray(packed), np.packbits(raster, axis=-1))

    group = bp.PoissonGroup(units, freqs=500.0, seed=3)
    runner = bp.DSRunner(
        group,
        monitors={
            "dense": "spike",
            "events": bp.Monitor("spike", spikes=True),
            "every": bp.Monitor("spike", every=7),
            "rate": lambda: jnp.mean(group.spike.value.astype(jnp.float32)),
        },
        progress_bar=False,
    )
    runner.run(steps * 0.1)
    dense = runner.mon.dense
    np.testing.assert_array_equal(runner.mon.events.to_raster(runner.mon.ts), dense)
    np.testing.assert_array_equal(runner.mon.every, dense[::7])
    np.testing.assert_allclose(
        runner.mon.rate, dense.astype(np.float64).mean(axis=1), rtol=1e-6, atol=1e-7
    )
    assert dense.sum() > 0

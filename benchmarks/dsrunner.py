"""Benchmark of dsrunner (and BrainPy's DSRunner, when importable here).

Run with `hatch run bench:dsrunner` (or `python benchmarks/dsrunner.py [--quick]`).
Figures are wall-clock seconds on whatever machine runs this; on a shared CPU they
are noisy, so compare ratios measured in the same run.
"""

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# This file is named like the package: keep its folder off the import path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import dsrunner as ds  # noqa: E402

LIF_PARS: dict[str, Any] = dict(
    V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0
)


def _best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# --------------------------------------------------------------------- dsrunner
def coba_dsrunner(ne, ni, duration):
    net = ds.EINet(ne, ni)
    runner = ds.DSRunner(
        net, monitors={"E.spike": ds.Monitor(net.E.spike, spikes=True)},
        progress_bar=False,
    )  # fmt: skip
    t = time.perf_counter()
    runner.run(duration)
    first = time.perf_counter() - t
    first_compile = runner.timing["compile"]
    t = time.perf_counter()
    runner.run(duration)
    second = time.perf_counter() - t
    rate = len(runner.mon["E.spike"].times) / ne / (duration / 1000)

    # the same runner with and without the bar (a second runner on the network
    # would start at its own t=0 while the neurons' last spike times are later)
    def run_with(bar):
        runner.progress_bar = bar
        return _best(lambda: runner.run(duration), 1)

    run_with(True)  # compile the bar's chunk length
    with_bar, no_bar = float("inf"), float("inf")
    for _ in range(3):  # best of interleaved repeats
        with_bar = min(with_bar, run_with(True))
        no_bar = min(no_bar, run_with(False))
    return {
        "first_run_s": first,
        "first_compile_s": first_compile,
        "first_exec_s": first - first_compile,
        "second_run_s": second,
        "second_compile_s": runner.timing["compile"],
        "per_step_us": second / (duration / 0.1) * 1e6,
        "second_run_with_progress_bar_s": with_bar,
        "repeat_run_without_progress_bar_s": no_bar,
        "rate_exc_hz": rate,
    }


class _Wrap(ds.DynamicalSystem):
    def __init__(self, method):
        super().__init__()
        self.n = ds.LifRef(1, V_initializer=ds.init.Constant(-60.0), method=method,
                           **LIF_PARS)  # fmt: skip

    def update(self):
        return self.n(12.0)


def lif_dsrunner(steps):
    runner = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False)
    runner.run(steps * 0.1)
    run = _best(lambda: runner.run(steps * 0.1))
    tiny = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False)
    tiny.run(0.1)
    overhead = _best(lambda: tiny.run(0.1), 5)
    return {
        "run_s": run,
        "per_step_ns": run / steps * 1e9,
        "second_run_overhead_s": overhead,
    }


def lif_hand_scan(steps):
    dt, tau, tau_ref = 0.1, 20.0, 5.0
    decay = np.float32(np.exp(-dt / tau))

    def body(c, i):
        V, t_last = c
        t = i * dt
        Vn = -48.0 + (V + 48.0) * decay
        Vn = jnp.where((t - t_last) <= tau_ref, V, Vn)
        spk = Vn >= -50.0
        return (jnp.where(spk, -60.0, Vn), jnp.where(spk, t, t_last)), spk

    f = jax.jit(lambda c: jax.lax.scan(body, c, jnp.arange(steps, dtype=jnp.int32)))
    c0 = (jnp.full(1, -60.0), jnp.full(1, -1e7))
    jax.block_until_ready(f(c0))
    run = _best(lambda: jax.block_until_ready(f(c0)))
    return {"run_s": run, "per_step_ns": run / steps * 1e9}


def streaming(steps):
    """Many small chunks streamed to the host vs one chunk kept in memory."""
    out = {}
    for label, kw in (("in_memory", {"chunk_size": steps}),
                      ("streaming", {"memory_efficient": True, "chunk_size": 1024})):  # fmt: skip
        lif = ds.LifRef(100, V_initializer=ds.init.Uniform(-60.0, -50.0, seed=0),
                        **LIF_PARS)  # fmt: skip
        runner = ds.DSRunner(lif, monitors=["V", "spike"], inputs=("input", 12.0),
                             progress_bar=False, **kw)  # fmt: skip
        runner.run(steps * 0.1)
        out[label + "_s"] = _best(lambda r=runner: r.run(steps * 0.1))
    out["ratio"] = out["streaming_s"] / out["in_memory_s"]
    return out


def chunk_table(ne, ni, duration, steps, sizes=(64, 256, 1024, 2048, 4096, 8192, None)):
    """The default chunk's measurement: COBA's second run and a single LIF at
    several chunk lengths (None: the default), plus the default with the bar."""
    rows = {}
    for K in sizes:
        net = ds.EINet(ne, ni)
        runner = ds.DSRunner(
            net, monitors={"E.spike": ds.Monitor(net.E.spike, spikes=True)},
            progress_bar=False, chunk_size=K,
        )  # fmt: skip
        runner.run(duration)
        row = {"coba_second_s": _best(lambda r=runner: r.run(duration))}
        row["coba_chunk"] = runner.chunk_steps
        if K is None:
            runner.progress_bar = True
            row["coba_with_bar_s"] = _best(lambda r=runner: r.run(duration))
            row["coba_with_bar_chunk"] = runner.chunk_steps
        lif = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False, chunk_size=K)
        lif.run(steps * 0.1)
        row["lif_s"] = _best(lambda r=lif: r.run(steps * 0.1), 5)
        row["lif_chunk"] = lif.chunk_steps
        rows["default" if K is None else str(K)] = row
        print(f"  chunk {K or 'default'}: {row}")
    return rows


# --------------------------------------------------------------------- BrainPy
def brainpy_cases(ne, ni, duration, steps):
    import brainpy as bp  # pyright: ignore[reportMissingImports]
    import brainpy.math as bm  # pyright: ignore[reportMissingImports]

    bm.set_platform("cpu")

    class EICOBA(bp.DynSysGroup):
        def __init__(self):
            super().__init__()
            pars = dict(LIF_PARS, V_initializer=bp.init.Normal(-55.0, 2.0))
            self.E = bp.dyn.LifRef(ne, **pars)
            self.I = bp.dyn.LifRef(ni, **pars)

            def proj(pre, post, w, tau, E):
                return bp.dyn.ProjAlignPostMg2(
                    pre=pre, delay=None,
                    comm=bp.dnn.EventCSRLinear(
                        bp.conn.FixedProb(0.02, pre=pre.num, post=post.num), w),
                    syn=bp.dyn.Expon.desc(post.num, tau=tau),
                    out=bp.dyn.COBA.desc(E=E), post=post,
                )  # fmt: skip

            self.E2E = proj(self.E, self.E, 0.6, 5.0, 0.0)
            self.E2I = proj(self.E, self.I, 0.6, 5.0, 0.0)
            self.I2E = proj(self.I, self.E, 6.7, 10.0, -80.0)
            self.I2I = proj(self.I, self.I, 6.7, 10.0, -80.0)

        def update(self):
            self.E2E()
            self.E2I()
            self.I2E()
            self.I2I()
            self.E(20.0)
            self.I(20.0)

    net = EICOBA()
    runner = bp.DSRunner(net, monitors={"E.spike": net.E.spike}, progress_bar=False)
    t = time.perf_counter()
    runner.run(duration)
    first = time.perf_counter() - t
    t = time.perf_counter()
    runner.run(duration)
    second = time.perf_counter() - t
    rate = runner.mon["E.spike"].sum() / ne / (duration / 1000)

    class Wrap(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.n = bp.dyn.LifRef(1, V_initializer=bp.init.Constant(-60.0), **LIF_PARS)

        def update(self):
            return self.n(12.0)

    lif_runner = bp.DSRunner(Wrap(), progress_bar=False)
    lif_runner.run(steps * 0.1)
    lif = _best(lambda: jax.block_until_ready(lif_runner.run(steps * 0.1)))
    tiny = bp.DSRunner(Wrap(), progress_bar=False)
    tiny.run(0.1)
    overhead = _best(lambda: jax.block_until_ready(tiny.run(0.1)), 3)
    return {
        "coba_first_run_s": first,
        "coba_second_run_s": second,
        "coba_rate_exc_hz": float(rate),
        "lif_run_s": lif,
        "lif_second_run_overhead_s": overhead,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--chunks", action="store_true",
        help="only the chunk-length table (COBA 2nd run, single LIF, 64..8192)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    ne, ni, duration = (320, 80, 100.0) if args.quick else (3200, 800, 1000.0)
    steps = 100_000 if args.quick else 1_000_000
    res: dict[str, Any] = {
        "machine": f"{os.cpu_count()} CPU cores, jax {jax.__version__}"
    }
    print(f"dsrunner benchmark ({'quick' if args.quick else 'full'}); {res['machine']}")
    if args.chunks:
        res["chunks"] = chunk_table(ne, ni, duration, steps // 10)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f, indent=2)
        return res
    res["coba"] = coba_dsrunner(ne, ni, duration)
    c = res["coba"]
    print(f"COBA {ne + ni} neurons, {duration:g} ms ({duration / 0.1:.0f} steps):")
    print(f"  1st run {c['first_run_s']:.3f} s = compile {c['first_compile_s']:.3f} s"
          f" + exec {c['first_exec_s']:.3f} s")  # fmt: skip
    print(f"  2nd run {c['second_run_s']:.3f} s (compile {c['second_compile_s']:.3f} s)"
          f", {c['per_step_us']:.1f} us/step, E rate {c['rate_exc_hz']:.1f} Hz")  # fmt: skip
    pb = c["second_run_with_progress_bar_s"] / c["repeat_run_without_progress_bar_s"]
    print(f"  with progress bar {c['second_run_with_progress_bar_s']:.3f} s vs "
          f"{c['repeat_run_without_progress_bar_s']:.3f} s without (x{pb:.3f}, "
          "best of 3 interleaved)")  # fmt: skip
    res["lif"] = lif_dsrunner(steps)
    res["lif_hand_scan"] = lif_hand_scan(steps)
    lr = res["lif"]["run_s"] / res["lif_hand_scan"]["run_s"]
    print(f"single LIF, {steps} steps: dsrunner {res['lif']['run_s']:.4f} s "
          f"({res['lif']['per_step_ns']:.1f} ns/step), hand-written lax.scan "
          f"{res['lif_hand_scan']['run_s']:.4f} s; ratio x{lr:.2f}")  # fmt: skip
    print(f"  second run() overhead (1 step): "
          f"{res['lif']['second_run_overhead_s'] * 1e3:.2f} ms")  # fmt: skip
    res["streaming"] = streaming(steps // 10)
    s = res["streaming"]
    print(f"monitors, 100 LIF x {steps // 10} steps: in-memory {s['in_memory_s']:.3f} s"
          f", streamed in 1024-step chunks {s['streaming_s']:.3f} s (x{s['ratio']:.2f})")  # fmt: skip
    try:
        import brainpy  # pyright: ignore[reportMissingImports]
    except ImportError:
        print("BrainPy not importable here: skipping the comparison "
              "(pip install brainpy==2.8.2 'brainevent[cpu]' to compare)")  # fmt: skip
        brainpy_loaded = False
    else:
        brainpy_loaded = True
        b = res["brainpy"] = brainpy_cases(ne, ni, duration, steps)
        print(f"BrainPy {brainpy.__version__}: COBA 1st {b['coba_first_run_s']:.3f} s, "
              f"2nd {b['coba_second_run_s']:.3f} s (E rate "
              f"{b['coba_rate_exc_hz']:.1f} Hz); LIF {b['lif_run_s']:.4f} s; "
              f"2nd run() overhead {b['lif_second_run_overhead_s'] * 1e3:.1f} ms")  # fmt: skip
        ratios = {
            "coba_second_run": c["second_run_s"] / b["coba_second_run_s"],
            "coba_two_runs_total": (c["first_run_s"] + c["second_run_s"])
            / (b["coba_first_run_s"] + b["coba_second_run_s"]),
            "lif_run": res["lif"]["run_s"] / b["lif_run_s"],
            "second_run_overhead": res["lif"]["second_run_overhead_s"]
            / b["lif_second_run_overhead_s"],
        }
        res["ratios_vs_brainpy"] = ratios
        print("ratios dsrunner / BrainPy (lower is better): "
              + ", ".join(f"{k} x{v:.2f}" for k, v in ratios.items()))  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    sys.stdout.flush()
    if brainpy_loaded:
        os._exit(0)  # BrainPy's CPU kernels can hang at interpreter exit
    return res


if __name__ == "__main__":
    main()

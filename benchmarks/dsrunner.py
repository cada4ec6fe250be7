"""Benchmark of dsrunner, beside BrainPy 2.8.2's DSRunner when it is installed here.

Cases (each timed on both sides through the shared harness, `_harness.py`: warmed up,
interleaved, best of N, ratio dsrunner / BrainPy, lower is better):

- the COBA E/I network (3,200 + 800 LIF neurons, 2 % connectivity with the same seeds,
  `E.spike` monitored densely on both sides), 1 s at dt 0.1 ms: a whole `run()`, and
  the cost per step as (t(2T) - t(T)) / T from the best times of each, which removes
  what a `run()` costs besides stepping (BrainPy re-traces the model on every call);
- a single LIF, 10^6 steps: a whole `run()` and the differenced per-step cost;
- the overhead of a second `run()` of one step;
- the first run (compile included), timed once.

Then, within dsrunner: the single LIF against a hand-written `lax.scan` and streamed
against in-memory monitors; `--chunks` prints the chunk-length table of the README.

Run: `hatch run bench:dsrunner` (ours only), `hatch run bench-originals:dsrunner`
(beside BrainPy), or `python benchmarks/dsrunner.py [--quick] [--chunks]`.
"""

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("JAX_PLATFORMS", "cpu")
import _harness

_harness.keep_script_folder_off_path()  # this file is named like the package

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
def dsrunner_work(ne, ni, duration, steps):
    """Our side of every case, as zero-argument calls."""

    def coba_runner():
        net = ds.EINet(ne, ni, seed=42)
        return ds.DSRunner(net, monitors={"E.spike": net.E.spike}, progress_bar=False)

    coba = coba_runner()
    lif = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False)
    tiny = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False)
    return {
        "coba_first": lambda: coba_runner().run(duration),
        "coba_run": lambda: coba.run(duration),
        "coba_2x": lambda: coba.run(2 * duration),
        "lif_run": lambda: lif.run(steps * 0.1),
        "lif_2x": lambda: lif.run(2 * steps * 0.1),
        "overhead": lambda: tiny.run(0.1),
    }


class _Wrap(ds.DynamicalSystem):
    def __init__(self, method):
        super().__init__()
        self.n = ds.LifRef(1, V_initializer=ds.init.Constant(-60.0), method=method,
                           **LIF_PARS)  # fmt: skip

    def update(self):
        return self.n(12.0)


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
    return lambda: f(c0)


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


def chunk_table(
    ne, ni, duration, steps, sizes=(64, 256, 1024, 2048, 4096, 8192, 65536, None)
):
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
def brainpy_work(ne, ni, duration, steps):  # pragma: no cover - needs BrainPy
    """BrainPy 2.8.2's side: the same networks, seeds and monitors."""
    import brainpy as bp  # pyright: ignore[reportMissingImports]
    import brainpy.math as bm  # pyright: ignore[reportMissingImports]

    bm.set_platform("cpu")

    class EICOBA(bp.DynSysGroup):
        def __init__(self, seed=42):
            super().__init__()
            self.E = bp.dyn.LifRef(
                ne, V_initializer=bp.init.Normal(-55.0, 2.0, seed=seed), **LIF_PARS
            )
            self.I = bp.dyn.LifRef(
                ni, V_initializer=bp.init.Normal(-55.0, 2.0, seed=seed + 1), **LIF_PARS
            )

            def proj(pre, post, w, tau, E, s):
                conn = bp.conn.FixedProb(
                    0.02, pre=pre.num, post=post.num, seed=seed + s
                )
                return bp.dyn.ProjAlignPostMg2(
                    pre=pre, delay=None, comm=bp.dnn.EventCSRLinear(conn, w),
                    syn=bp.dyn.Expon.desc(post.num, tau=tau),
                    out=bp.dyn.COBA.desc(E=E), post=post,
                )  # fmt: skip

            self.E2E = proj(self.E, self.E, 0.6, 5.0, 0.0, 10)
            self.E2I = proj(self.E, self.I, 0.6, 5.0, 0.0, 11)
            self.I2E = proj(self.I, self.E, 6.7, 10.0, -80.0, 12)
            self.I2I = proj(self.I, self.I, 6.7, 10.0, -80.0, 13)

        def update(self):
            self.E2E()
            self.E2I()
            self.I2E()
            self.I2I()
            self.E(20.0)
            self.I(20.0)

    class Wrap(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.n = bp.dyn.LifRef(1, V_initializer=bp.init.Constant(-60.0), **LIF_PARS)

        def update(self):
            return self.n(12.0)

    def coba_runner():
        net = EICOBA()
        return bp.DSRunner(net, monitors={"E.spike": net.E.spike}, progress_bar=False)

    coba = coba_runner()
    lif = bp.DSRunner(Wrap(), progress_bar=False)
    tiny = bp.DSRunner(Wrap(), progress_bar=False)
    return {
        "coba_first": lambda: coba_runner().run(duration),
        "coba_run": lambda: coba.run(duration),
        "coba_2x": lambda: coba.run(2 * duration),
        "lif_run": lambda: lif.run(steps * 0.1),
        "lif_2x": lambda: lif.run(2 * steps * 0.1),
        "overhead": lambda: tiny.run(0.1),
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
    repeats = 2 if args.quick else 5
    n_steps = duration / 0.1
    names = {
        "coba_first": (f"COBA {ne + ni}, 1st run (compile incl.)", None),
        "coba_run": (f"COBA {ne + ni}, run({duration:g} ms)", (n_steps, "step")),
        "coba_2x": (f"COBA {ne + ni}, run({2 * duration:g} ms)", (2 * n_steps, "step")),
        "lif_run": (f"single LIF, run of {steps} steps", (steps, "step")),
        "lif_2x": (f"single LIF, run of {2 * steps} steps", (2 * steps, "step")),
        "overhead": ("2nd run() of one step", None),
    }
    ours = dsrunner_work(ne, ni, duration, steps)
    try:
        import brainpy  # pyright: ignore[reportMissingImports]

        theirs = brainpy_work(ne, ni, duration, steps)
        note = f"BrainPy {brainpy.__version__}, same run, same seeds and monitors"
    except ImportError:
        theirs, brainpy = {}, None
        note = (
            "BrainPy not installed here: ours only (hatch run bench-originals:dsrunner)"
        )
    cases = [
        _harness.Case(label, ours[k], theirs.get(k), per=per, once=k == "coba_first")
        for k, (label, per) in names.items()
    ]
    rows = {
        k: row for k, row in zip(names, _harness.measure(cases, repeats), strict=True)
    }
    for what, label, count in (("coba", "COBA", n_steps), ("lif", "single LIF", steps)):
        rows[f"{what}_step"] = _harness.difference(
            f"{label}, per step: t(2T) - t(T)",
            rows[f"{what}_2x"],
            rows[f"{what}_run"],
            per=(count, "step"),
        )
    res["brainpy"] = list(rows.values())
    _harness.report(
        "dsrunner against BrainPy", "dsrunner", "BrainPy", res["brainpy"], note
    )

    lif = ds.DSRunner(_Wrap("exp_auto"), progress_bar=False)
    hand = lif_hand_scan(steps)
    internal = [
        _harness.Case(
            f"single LIF, {steps} steps",
            lambda: lif.run(steps * 0.1),
            hand,
            per=(steps, "step"),
        ),
    ]
    res["internal"] = _harness.measure(internal, repeats)
    _harness.report(
        "dsrunner against a hand-written lax.scan",
        "dsrunner",
        "lax.scan",
        res["internal"],
    )
    res["streaming"] = streaming(steps // 10)
    s = res["streaming"]
    print(f"\nmonitors, 100 LIF x {steps // 10} steps: in-memory {s['in_memory_s']:.3f} s"
          f", streamed in 1024-step chunks {s['streaming_s']:.3f} s (x{s['ratio']:.2f})")  # fmt: skip
    brainpy_loaded = brainpy is not None
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=2)
    sys.stdout.flush()
    if brainpy_loaded:
        os._exit(0)  # BrainPy's CPU kernels can hang at interpreter exit
    return res


if __name__ == "__main__":
    main()

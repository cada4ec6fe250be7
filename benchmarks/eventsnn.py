"""Benchmark of eventsnn: a 5-100-3 EventProp network, budgets 50/53, batch 64.

Prints compile time, forward time, EventProp forward+backward time and the time of
one Yin-Yang training epoch (4992 samples, Adam). If jaxsnn 0.3 (PyPI) is importable
in the same environment, the same network is measured through it and the ratio is
printed; otherwise the figures recorded for jaxsnn 0.2.1 on a 2-core CPU (in the
research notes) are shown for orientation, which is not a same-run comparison.

Run: `hatch run bench:eventsnn` or `python benchmarks/eventsnn.py [--quick]`.
"""

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

import jax
import optax

# this script is itself called eventsnn.py: keep its folder off the import path
_HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
es = importlib.import_module("eventsnn")

# jaxsnn 0.2.1, 5-100-3, budgets 50/53, batch 64, 2-core CPU, noisy (research notes)
JAXSNN_RECORDED = {
    "compile_s": 4.8,
    "forward_ms": 9.0,
    "fwd_bwd_ms": 12.2,
    "epoch_s": 0.97,
}


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_eventsnn(batch, repeats, n_batches):
    params = es.LIFParameters(v_th=1.0, v_reset=-1000.0)
    t_max = 4 * 5e-3
    init, apply = es.serial(
        es.EventPropLIF(100, 50, t_max, params, mean=2.0, std=1.5),
        es.EventPropLIF(3, 53, t_max, params, mean=1.0, std=1.0),
    )
    _, weights = init(jax.random.PRNGKey(0), 5)
    x, y = es.yinyang_dataset(jax.random.PRNGKey(1), batch * n_batches)
    xb = jax.tree.map(lambda a: a[:batch], x)
    yb = y[:batch]

    def loss(w, x, y):
        out = apply(w, x)[2]
        first = es.first_spike(out, 105, 3, t_max)
        return es.ttfs_cross_entropy(first, y, 5e-3)

    fwd = jax.jit(lambda w, x: apply(w, x)[2].time)
    grad = jax.jit(jax.value_and_grad(loss))
    t0 = time.perf_counter()
    jax.block_until_ready(fwd(weights, xb))
    compile_fwd = time.perf_counter() - t0
    t0 = time.perf_counter()
    jax.block_until_ready(grad(weights, xb, yb))
    compile_grad = time.perf_counter() - t0
    forward = _median_time(lambda: fwd(weights, xb), repeats)
    fwd_bwd = _median_time(lambda: grad(weights, xb, yb), repeats)

    opt = optax.adam(1e-3)
    state = opt.init(weights)

    @jax.jit
    def update(w, s, x, y):
        _, g = jax.value_and_grad(loss)(w, x, y)
        u, s = opt.update(g, s, w)
        return optax.apply_updates(w, u), s

    jax.block_until_ready(update(weights, state, xb, yb))  # compile
    batches = [
        (
            jax.tree.map(lambda a, i=i: a[i * batch : (i + 1) * batch], x),
            y[i * batch : (i + 1) * batch],
        )
        for i in range(n_batches)
    ]
    t0 = time.perf_counter()
    w, s = weights, state
    for xi, yi in batches:
        w, s = update(w, s, xi, yi)
    jax.block_until_ready(w)
    epoch = time.perf_counter() - t0
    return {
        "compile_s": compile_fwd + compile_grad,
        "forward_ms": forward * 1e3,
        "fwd_bwd_ms": fwd_bwd * 1e3,
        "epoch_s": epoch * 78 / n_batches,
    }


def bench_jaxsnn(batch, repeats, n_batches):  # pragma: no cover - needs jaxsnn 0.3
    """The same network through jaxsnn 0.3's Topology API (forward, gradient, and
    a training epoch with the same loss, optimiser and batches as ours)."""
    from jaxsnn.event.modules import (  # pyright: ignore[reportMissingImports]
        LIF,
        Linear,
        Source,
    )
    from jaxsnn.event.modules.lif.lif import (  # pyright: ignore[reportMissingImports]
        LIFParameters,
    )
    from jaxsnn.event.topology import Topology  # pyright: ignore[reportMissingImports]
    from jaxsnn.event.types import Spike  # pyright: ignore[reportMissingImports]

    params = LIFParameters(v_th=1.0, v_reset=-1000.0)
    t_max = 4 * 5e-3
    builder = Topology(t_max=t_max, backprop_method="eventprop")
    builder.add(
        {
            "inp": Source(5),
            "syn1": Linear(mean=2.0, std=1.5, min_delay=0.0),
            "lif1": LIF(100, 50, params),
            "syn2": Linear(mean=1.0, std=1.0, min_delay=0.0),
            "lif2": LIF(3, 53, params),
        }
    )
    builder.connect(
        [("inp", "syn1"), ("syn1", "lif1"), ("lif1", "syn2"), ("syn2", "lif2")]
    )
    init, apply = builder.done()
    weights = init(jax.random.PRNGKey(0))
    x_all, y_all = es.yinyang_dataset(jax.random.PRNGKey(1), batch * n_batches)

    def to_inputs(x):
        return {
            "inp": Spike(
                time=x.time,
                idx=x.idx,
                current=x.current,
                layer_idx=jax.numpy.zeros_like(x.idx),
                internal=jax.numpy.ones(x.idx.shape, bool),
            )
        }

    batches = [
        (
            to_inputs(
                jax.tree.map(lambda a, i=i: a[i * batch : (i + 1) * batch], x_all)
            ),
            y_all[i * batch : (i + 1) * batch],
        )
        for i in range(n_batches)
    ]
    inputs = batches[0][0]

    def out_times(w, inp):
        return apply(inp, w)["lif2"].time

    def loss(w, inp):
        return jax.numpy.sum(jax.numpy.minimum(out_times(w, inp), t_max) ** 2)

    fwd = jax.jit(out_times)
    grad = jax.jit(jax.value_and_grad(loss))
    t0 = time.perf_counter()
    jax.block_until_ready(fwd(weights, inputs))
    jax.block_until_ready(grad(weights, inputs))
    compile_s = time.perf_counter() - t0

    def ce(w, inp, y):  # our loss on their output layer's events
        first = es.first_spike(apply(inp, w)["lif2"], 0, 3, t_max)
        return es.ttfs_cross_entropy(first, y, 5e-3)

    opt = optax.adam(1e-3)

    @jax.jit
    def update(w, s, inp, y):
        _, g = jax.value_and_grad(ce)(w, inp, y)
        u, s = opt.update(g, s, w)
        return optax.apply_updates(w, u), s

    state = opt.init(weights)
    jax.block_until_ready(update(weights, state, *batches[0]))  # compile
    t0 = time.perf_counter()
    w = weights
    for inp, y in batches:
        w, state = update(w, state, inp, y)
    jax.block_until_ready(w)
    epoch = time.perf_counter() - t0
    return {
        "compile_s": compile_s,
        "forward_ms": _median_time(lambda: fwd(weights, inputs), repeats) * 1e3,
        "fwd_bwd_ms": _median_time(lambda: grad(weights, inputs), repeats) * 1e3,
        "epoch_s": epoch * 78 / n_batches,
    }


def main():
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeats = 5 if args.quick else 30
    n_batches = 8 if args.quick else 78
    print(f"eventsnn benchmark on {jax.devices()[0].platform} (noisy shared machine)")
    ours = bench_eventsnn(64, repeats, n_batches)
    try:
        theirs = bench_jaxsnn(64, repeats, n_batches)
        label = "jaxsnn 0.3 (same run)"
    except Exception as e:
        print(
            f"jaxsnn not measured ({type(e).__name__}: {e}); showing recorded figures"
        )
        theirs = JAXSNN_RECORDED
        label = "jaxsnn 0.2.1 (recorded)"
    print(f"{'metric':<14}{'eventsnn':>12}{label:>26}{'ratio':>8}")
    for key, value in ours.items():
        ref = theirs.get(key)
        ratio = f"{value / ref:.2f}" if ref else "-"
        ref_s = f"{ref:.2f}" if ref else "-"
        print(f"{key:<14}{value:>12.2f}{ref_s:>26}{ratio:>8}")


if __name__ == "__main__":
    main()

"""Benchmark of eventsnn: a 5-100-3 EventProp network, budgets 50/53, batch 64.

Times the compile, the forward pass, EventProp forward+backward and one Yin-Yang
training epoch (4992 samples, Adam), and the same work through jaxsnn 0.3 (its Topology
API, same loss, optimiser and batches) when it is installed here, through the shared
harness (`_harness.py`: interleaved, best of N, ratio eventsnn / jaxsnn). Without
jaxsnn the figures recorded for jaxsnn 0.2.1 in the research notes are shown, labelled
"recorded".

Run: `hatch run bench:eventsnn` (ours only), `hatch run bench-originals:eventsnn`
(beside jaxsnn 0.3), or `python benchmarks/eventsnn.py [--quick]`.
"""

import argparse
import importlib

import _harness
import jax
import optax

_harness.keep_script_folder_off_path()  # this script is itself called eventsnn.py
es = importlib.import_module("eventsnn")

# jaxsnn 0.2.1, 5-100-3, budgets 50/53, batch 64, 2-core CPU, noisy (research notes)
JAXSNN_RECORDED = {"compile": 4.8, "forward": 9.0e-3, "fwd_bwd": 12.2e-3, "epoch": 0.97}


def eventsnn_work(batch, n_batches):
    """Our side: compile, forward, forward+backward and epoch, as zero-argument calls."""
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

    def compile_both():
        fresh_fwd = jax.jit(lambda w, x: apply(w, x)[2].time)
        fresh_grad = jax.jit(jax.value_and_grad(loss))
        return fresh_fwd(weights, xb), fresh_grad(weights, xb, yb)

    opt = optax.adam(1e-3)
    state = opt.init(weights)

    @jax.jit
    def update(w, s, x, y):
        _, g = jax.value_and_grad(loss)(w, x, y)
        u, s = opt.update(g, s, w)
        return optax.apply_updates(w, u), s

    batches = [
        (
            jax.tree.map(lambda a, i=i: a[i * batch : (i + 1) * batch], x),
            y[i * batch : (i + 1) * batch],
        )
        for i in range(n_batches)
    ]

    def epoch():
        w, s = weights, state
        for xi, yi in batches:
            w, s = update(w, s, xi, yi)
        return w

    return {
        "compile": compile_both,
        "forward": lambda: fwd(weights, xb),
        "fwd_bwd": lambda: grad(weights, xb, yb),
        "epoch": epoch,
    }


def jaxsnn_work(batch, n_batches):  # pragma: no cover - needs jaxsnn 0.3
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

    def compile_both():
        fresh_fwd = jax.jit(out_times)
        fresh_grad = jax.jit(jax.value_and_grad(loss))
        return fresh_fwd(weights, inputs), fresh_grad(weights, inputs)

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

    def epoch():
        w, s = weights, state
        for inp, y in batches:
            w, s = update(w, s, inp, y)
        return w

    return {
        "compile": compile_both,
        "forward": lambda: fwd(weights, inputs),
        "fwd_bwd": lambda: grad(weights, inputs),
        "epoch": epoch,
    }


NAMES = {
    "compile": "compile (forward + gradient)",
    "forward": "forward, batch 64",
    "fwd_bwd": "forward + backward, batch 64",
    "epoch": "training epoch",
}


def main():
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args()
    repeats = 5 if args.quick else 30
    n_batches = 8 if args.quick else 78
    print(
        f"eventsnn {es.__version__}, jax {jax.__version__} on {jax.devices()[0].platform}"
    )
    ours = eventsnn_work(64, n_batches)
    try:
        theirs, label, note = (
            jaxsnn_work(64, n_batches),
            "jaxsnn",
            "jaxsnn 0.3, same run",
        )
    except Exception as e:
        theirs, label = {}, "jaxsnn"
        note = f"jaxsnn not runnable here ({type(e).__name__}: {e}); recorded 0.2.1 figures"
    recorded = JAXSNN_RECORDED if not theirs else {}
    cases = [
        _harness.Case(
            NAMES[name] + (f" ({n_batches} batches)" if name == "epoch" else ""),
            ours[name],
            theirs.get(name),
            recorded=recorded.get(name) if name != "epoch" else None,
            once=name == "compile",
        )
        for name in NAMES
    ]
    rows = _harness.measure(cases, repeats)
    _harness.report("eventsnn against jaxsnn", "eventsnn", label, rows, note)
    _harness.write_json(args.json, {"eventsnn": rows})


if __name__ == "__main__":
    main()

"""Throughput of apebench-lite (and of APEBench/exponax when importable).

Measures, in one run:

- reference solvers: sample-steps per second of a jitted `vmap(rollout)` (each
  library's own `rollout`, trajectory kept) for 1-D
  advection, Burgers, KdV and KS (N=160, 50 samples x 200 steps) and 2-D Burgers at
  128^2 (10 samples x 50 steps), compile excluded (median of repeats);
- `get_train_data()` of the default 1-D `diff_adv` scenario: cold (first call,
  compile included) and cached (second call);
- 500 training updates of `Conv;34;10;relu` with `one` (batch 20), compile included.

When `apebench` is importable in the same environment the same work is timed
through it and the ratios (ours / APEBench) are printed. On a shared machine the
absolute numbers are noisy; the ratios measured in one run less so.

Usage: `python benchmarks/apebench.py [--quick] [--json PATH]` (or
`hatch run bench:apebench`).
"""

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax
import jax.numpy as jnp
import numpy as np

import apebench_lite as ab

# This script is itself named apebench.py: keep its folder off the import path so
# that `import apebench` finds the original library, not this file.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

try:  # the original, for the comparison
    import apebench
    import apebench.scenarios  # pyright: ignore[reportMissingImports]
    import exponax  # pyright: ignore[reportMissingImports]

    HAVE_ORIGINAL = True
except ImportError:  # pragma: no cover - depends on the environment
    apebench = exponax = None
    HAVE_ORIGINAL = False

SOLVER_CASES = [
    ("1d advection", "diff_adv", {}, 50, 200),
    ("1d Burgers", "diff_burgers", {}, 50, 200),
    ("1d KdV", "diff_kdv", {}, 50, 200),
    ("1d KS", "diff_ks", {}, 50, 200),
    (
        "2d Burgers 128^2",
        "diff_burgers",
        {"num_spatial_dims": 2, "num_points": 128},
        10,
        50,
    ),
]


def _interleaved_medians(fns, arg, repeats):
    """Median seconds of each function, the runs interleaved (fairer under load)."""
    for f in fns.values():
        jax.block_until_ready(f(arg))
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, f in fns.items():
            start = time.perf_counter()
            jax.block_until_ready(f(arg))
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def _rollout_fn(rollout, stepper, steps):
    """A jitted batch rollout through the library's own `rollout` (trajectory kept)."""
    return jax.jit(jax.vmap(rollout(stepper, steps)))


def bench_solvers(quick, repeats):
    rows = []
    for label, key, kwargs, samples, steps in SOLVER_CASES:
        if quick:
            samples, steps = max(2, samples // 5), max(10, steps // 5)
        ours = ab.scenario_dict[key](**kwargs)
        ics = ab.ic.build_ic_set(
            ours.get_ic_generator(),
            num_points=ours.num_points,
            num_samples=samples,
            key=np.array([0, 7], np.uint32),
        )
        row = {"case": label, "sample_steps": samples * steps}
        fns = {"ours_s": _rollout_fn(ab.rollout, ours.get_ref_stepper(), steps)}
        if HAVE_ORIGINAL:
            assert apebench is not None and exponax is not None
            theirs = apebench.scenarios.scenario_dict[key](**kwargs)
            fns["apebench_s"] = _rollout_fn(
                exponax.rollout, theirs.get_ref_stepper(), steps
            )
        row.update(_interleaved_medians(fns, ics, repeats))
        rows.append(row)
    return rows


def bench_data(quick):
    kwargs = {"test_temporal_horizon": 40} if quick else {}
    out = {}
    ab.clear_data_cache()
    s = ab.scenario_dict["diff_adv"](**kwargs)
    start = time.perf_counter()
    jax.block_until_ready(s.get_train_data())
    out["ours_cold_s"] = time.perf_counter() - start
    start = time.perf_counter()
    jax.block_until_ready(s.get_train_data())
    out["ours_cached_s"] = time.perf_counter() - start
    if HAVE_ORIGINAL:
        assert apebench is not None
        t = apebench.scenarios.scenario_dict["diff_adv"](**kwargs)
        start = time.perf_counter()
        jax.block_until_ready(t.get_train_data())
        out["apebench_cold_s"] = time.perf_counter() - start
        start = time.perf_counter()
        jax.block_until_ready(t.get_train_data())
        out["apebench_second_s"] = time.perf_counter() - start
    return out


def bench_training(quick):
    updates = 50 if quick else 500
    net = "Conv;34;10;relu"
    optim = f"adam;{updates};constant;1e-4"
    out = {"updates": updates, "network": net}
    s = ab.scenario_dict["diff_adv"](optim_config=optim)
    trainer = s.get_trainer(train_config="one")
    model = ab._base_scenario.stack_models([s.get_network(net, jax.random.PRNGKey(0))])
    trainer.progress = False
    start = time.perf_counter()
    _, loss, _ = trainer(model, jnp.asarray([[0, 1]], jnp.uint32), 100)
    jax.block_until_ready(loss)
    out["ours_s"] = time.perf_counter() - start
    if HAVE_ORIGINAL:
        assert apebench is not None
        t = apebench.scenarios.scenario_dict["diff_adv"](optim_config=optim)
        their_trainer = t.get_trainer(train_config="one")
        their_net = t.get_neural_stepper(
            task_config="predict", network_config=net, key=jax.random.PRNGKey(0)
        )
        start = time.perf_counter()
        result = their_trainer(their_net, jax.random.PRNGKey(1), record_loss_every=100)
        jax.block_until_ready(result[1])
        out["apebench_s"] = time.perf_counter() - start
    return out


def _ratio(a, b):
    return f"{a / b:6.2f}x" if a and b else "   -   "


def main(argv=None):
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budget smoke run")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 7
    print(
        f"apebench-lite {ab.__version__}, jax {jax.__version__} on "
        f"{jax.devices()[0].platform}; APEBench "
        f"{'importable' if HAVE_ORIGINAL else 'not importable (ours only)'}"
    )

    solvers = bench_solvers(args.quick, repeats)
    print("\nreference solvers (sample-steps/s, compile excluded)")
    print(f"{'case':<20} {'ours':>12} {'APEBench':>12} {'speed-up':>9}")
    for r in solvers:
        ours = r["sample_steps"] / r["ours_s"]
        theirs = r["sample_steps"] / r["apebench_s"] if "apebench_s" in r else None
        print(
            f"{r['case']:<20} {ours:12.4g} "
            f"{(f'{theirs:12.4g}' if theirs else '-'.rjust(12))} "
            f"{_ratio(ours, theirs):>9}"
        )

    data = bench_data(args.quick)
    print("\nget_train_data() of default 1-D diff_adv (s)")
    print(f"  ours: cold {data['ours_cold_s']:.3f}, cached {data['ours_cached_s']:.4f}")
    if HAVE_ORIGINAL:
        print(
            f"  APEBench: first {data['apebench_cold_s']:.3f}, second "
            f"{data['apebench_second_s']:.3f} (it regenerates every call)"
        )

    train = bench_training(args.quick)
    print(
        f"\n{train['updates']} updates of {train['network']} with 'one' (s, compile incl.)"
    )
    ours_ups = train["updates"] / train["ours_s"]
    print(f"  ours: {train['ours_s']:.2f} s ({ours_ups:.1f} updates/s)")
    if HAVE_ORIGINAL:
        their_ups = train["updates"] / train["apebench_s"]
        print(
            f"  APEBench: {train['apebench_s']:.2f} s ({their_ups:.1f} updates/s); "
            f"ratio {_ratio(ours_ups, their_ups).strip()}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {"solvers": solvers, "data": data, "training": train}, f, indent=2
            )


if __name__ == "__main__":
    main()

"""Throughput of apebench-lite (and of APEBench/exponax when importable).

Measures, in one run:

- reference solvers: a jitted `vmap(rollout)` (each library's own `rollout`,
  trajectory kept) for 1-D advection, Burgers, KdV and KS (N=160, 50 samples x 200
  steps) and 2-D Burgers at 128^2 (10 samples x 50 steps), compile excluded; ours
  twice: default coefficients and `exponax_compat=True` (like for like with exponax);
- `get_train_data()` of the default 1-D `diff_adv` scenario: a repeated call (ours is
  cached, APEBench regenerates) and a cold one (compile included);
- 500 training updates of `Conv;34;10;relu` with `one` (batch 20), compile included.

When `apebench` is importable in the same environment the same work is timed through
it, interleaved, through the shared harness (`_harness.py`); the ratio is ours /
APEBench, lower is better.

Usage: `hatch run bench:apebench` (ours only), `hatch run bench-originals:apebench`
(beside APEBench 0.1.1), or `python benchmarks/apebench.py [--quick] [--json PATH]`.
"""

import argparse
import dataclasses
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import _harness
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


def _rollout_fn(rollout, stepper, steps):
    """A jitted batch rollout through the library's own `rollout` (trajectory kept)."""
    return jax.jit(jax.vmap(rollout(stepper, steps)))


def solver_cases(quick):
    """Each nonlinear solver twice: our default ETDRK coefficients, and
    `exponax_compat=True` (exponax 0.1's real-part coefficients: like for like). Linear
    ones are exact exponentials in both libraries and have no such mode."""
    cases = []
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
        theirs = None
        if HAVE_ORIGINAL:
            assert apebench is not None and exponax is not None
            their_stepper = apebench.scenarios.scenario_dict[key](
                **kwargs
            ).get_ref_stepper()
            theirs = _rollout_fn(exponax.rollout, their_stepper, steps)
        has_compat = any(f.name == "exponax_compat" for f in dataclasses.fields(ours))
        for compat in (False, True) if has_compat else (False,):
            scenario = ab.scenario_dict[key](
                **kwargs, **({"exponax_compat": True} if compat else {})
            )
            fn = _rollout_fn(ab.rollout, scenario.get_ref_stepper(), steps)
            cases.append(
                _harness.Case(
                    f"{label}{' (exponax_compat)' if compat else ''}",
                    lambda fn=fn, ics=ics: fn(ics),
                    (lambda f=theirs, ics=ics: f(ics)) if theirs is not None else None,
                    per=(samples * steps, "sample-step"),
                )
            )
    return cases


def data_cases(quick):
    kwargs = {"test_temporal_horizon": 40} if quick else {}

    def ours_cold():
        ab.clear_data_cache()
        return ab.scenario_dict["diff_adv"](**kwargs).get_train_data()

    cached = ab.scenario_dict["diff_adv"](**kwargs)
    theirs = None
    if HAVE_ORIGINAL:
        assert apebench is not None
        theirs = apebench.scenarios.scenario_dict["diff_adv"](**kwargs)
    original = (lambda: theirs.get_train_data()) if theirs is not None else None
    return [
        _harness.Case(
            "get_train_data(), repeated call", cached.get_train_data, original
        ),
        _harness.Case(
            "get_train_data(), cold (compile incl.)", ours_cold, original, once=True
        ),
    ]


def training_case(quick):
    updates = 50 if quick else 500
    net = "Conv;34;10;relu"
    optim = f"adam;{updates};constant;1e-4"

    def ours():
        s = ab.scenario_dict["diff_adv"](optim_config=optim)
        trainer = s.get_trainer(train_config="one")
        model = ab._base_scenario.stack_models(
            [s.get_network(net, jax.random.PRNGKey(0))]
        )
        trainer.progress = False
        return trainer(model, jnp.asarray([[0, 1]], jnp.uint32), 100)[1]

    def theirs():  # pragma: no cover - needs APEBench
        assert apebench is not None
        t = apebench.scenarios.scenario_dict["diff_adv"](optim_config=optim)
        their_trainer = t.get_trainer(train_config="one")
        their_net = t.get_neural_stepper(
            task_config="predict", network_config=net, key=jax.random.PRNGKey(0)
        )
        return their_trainer(their_net, jax.random.PRNGKey(1), record_loss_every=100)[1]

    return _harness.Case(
        f"{updates} updates of {net}, 'one' (compile incl.)",
        ours,
        theirs if HAVE_ORIGINAL else None,
        per=(updates, "update"),
        once=True,
    )


def main(argv=None):
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small budget smoke run")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 7
    print(
        f"apebench-lite {ab.__version__}, jax {jax.__version__} on {jax.devices()[0].platform}"
    )
    note = (
        "APEBench 0.1.1 / exponax 0.1, same run"
        if HAVE_ORIGINAL
        else "APEBench not installed here: ours only (hatch run bench-originals:apebench)"
    )
    results = {}
    for title, cases in (
        (
            "reference solvers, vmap(rollout), compile excluded",
            solver_cases(args.quick),
        ),
        ("training data", data_cases(args.quick)),
        ("training", [training_case(args.quick)]),
    ):
        rows = _harness.measure(cases, repeats)
        _harness.report(title, "apebench-lite", "APEBench", rows, note)
        results[title] = rows
    _harness.write_json(args.json, results)


if __name__ == "__main__":
    main()

"""Benchmark of imnn-data: ms per `fit` iteration on the seed's Gaussian problem.

Problem (as in the reference study): 10 iid N(μ, Σ) draws, θ_fid = (0, 1),
n_s = 1000 (+1000 validation), n_d = 100 exact derivatives, MLP 10→128→128→128→2
LeakyReLU, Adam 1e-3, λ = 10, ϵ = 0.1, early stopping off.

ms/iteration = (best t(N1) - best t(N0)) / (N1 - N0) on an already compiled IMNN,
for GradientIMNN (in memory), AggregatedGradientIMNN (1 device, n_per_device 100),
DatasetGradientIMNN from tf.data (arrays) and from TFRecords; then likelihood-free
inference: one rejection-ABC call and one PMC call on the Gaussian problem with a fixed
small network as compressor. Also prints the memory XLA plans for the per-batch
kernels of the aggregated path at n_s and 10 n_s (it does not grow with n_s).

IMNN 0.3.2 does not import on current JAX. With `--imnn-python PATH` (or
`IMNN_PYTHON`), the Python of an environment with IMNN 0.3.2 on JAX 0.4.13, the same
problem runs there (`originals/imnn_cases.py`, with the compatibility aliases of the
reference notes), interleaved with ours by the shared harness (`_harness.py`): its
GradientIMNN, AggregatedGradientIMNN, ABC and PMC. Its dataset paths are not scripted
on its side: their column shows the figures recorded on this machine, labelled
"recorded". The ratio is imnn-data / IMNN, lower is better.

Run: `hatch run bench:imnn [--quick] [--lfi] [--imnn-python PATH]` or
`python benchmarks/imnn.py ...`.
"""

import argparse
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import _harness
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from imnn_data import (
    AggregatedGradientIMNN,
    DatasetGradientIMNN,
    GradientIMNN,
    TFRecords,
    gradient_datasets,
)
from imnn_data._gaussian import gaussian_data

ORIGINAL_MS = {  # IMNN 0.3.2 (jax 0.4.13) ms/iteration recorded on this machine (notes):
    # shown, labelled "recorded", for the dataset paths not scripted on its side
    "gradient": 4.8,
    "aggregated": 393.0,
    "dataset": 353.0,
    "tfrecords": 400.0,
}
N_S, N_D, N_PER_DEVICE = 1000, 100, 100
INPUT_SHAPE = (10,)
θ = jnp.array([0.0, 1.0])


def model():
    return eqx.nn.MLP(
        10, 2, 128, 3, activation=jax.nn.leaky_relu, key=jax.random.key(1)
    )


def common():
    return (
        N_S,
        N_D,
        2,
        2,
        INPUT_SHAPE,
        θ,
        model(),
        optax.adam(1e-3),
        jax.random.key(2),
    )


def tf_data_iterators(fid, der, vfid, vder):
    import tensorflow as tf

    def main(f, d):
        return [
            tf.data.Dataset.from_tensor_slices((f[:N_D], d))
            .batch(N_PER_DEVICE)
            .repeat()
            .prefetch(tf.data.AUTOTUNE)
            .as_numpy_iterator()
        ]

    def rest(f):
        return [
            tf.data.Dataset.from_tensor_slices(f[N_D:])
            .batch(N_PER_DEVICE)
            .repeat()
            .prefetch(tf.data.AUTOTUNE)
            .as_numpy_iterator()
        ]

    return main(fid, der), rest(fid), main(vfid, vder), rest(vfid)


def tfrecord_iterators(directory, fid, der, vfid, vder):
    writer = TFRecords(record_size=0.05)
    for name, a in (
        ("fiducial", fid),
        ("derivative", der),
        ("validation_fiducial", vfid),
        ("validation_derivative", vder),
    ):
        writer.write_record(
            len(a), lambda s, a=a: a[s], directory=directory, filename=name
        )
    main, rest = gradient_datasets(
        f"{directory}/fiducial_*.tfrecords",
        f"{directory}/derivative_*.tfrecords",
        N_S,
        N_D,
        2,
        1,
        N_PER_DEVICE,
        writer=writer,
    )
    vmain, vrest = gradient_datasets(
        f"{directory}/validation_fiducial_*.tfrecords",
        f"{directory}/validation_derivative_*.tfrecords",
        N_S,
        N_D,
        2,
        1,
        N_PER_DEVICE,
        writer=writer,
    )
    return main, rest, vmain, vrest


def kernel_memory(n_s):
    """Bytes XLA plans (arguments + temporaries) for the aggregated per-batch
    kernels and for the in-memory fit loop, at `n_s` simulations."""
    fid, der = (np.zeros((n_s, 10), np.float32), np.zeros((N_D, 10, 2), np.float32))
    dev = jax.devices()[0]
    args = (
        n_s,
        N_D,
        2,
        2,
        INPUT_SHAPE,
        θ,
        model(),
        optax.adam(1e-3),
        jax.random.key(2),
    )
    agg = AggregatedGradientIMNN(*args, fid, der, dev, [dev], N_PER_DEVICE)
    w = agg._replicate(agg.w)
    batch = next(agg._batches("remaining", False, None))
    fwd = agg._kernel("fwd", "remaining").lower(w, batch).compile()
    ct = jnp.zeros((N_PER_DEVICE, 2))
    bwd = agg._kernel("bwd", "remaining").lower(w, w, batch, ct).compile()
    mem = GradientIMNN(*args, fid, der)
    loop = (
        jax.jit(mem._make_loop(128, False))
        .lower(
            mem.w,
            mem.state.opt_state,
            mem.w,
            jnp.float32(0),
            mem._data(False),
            None,
            jax.random.key(0),
            1.0,
            1.0,
            1,
            1,
            1,
            1,
            jnp.float32(np.inf),  # r_tol: no early stop on r
        )
        .compile()
    )

    def total(c):
        m = c.memory_analysis()
        return m.argument_size_in_bytes + m.temp_size_in_bytes + m.output_size_in_bytes

    return max(total(fwd), total(bwd)), total(loop)


def lfi_simulator(key, θ):
    """The Gaussian problem for any leading shape of θ (the original's PMC
    simulates one parameter vector at a time)."""
    return θ[..., 0:1] + jax.random.normal(key, (*θ.shape[:-1], 10)) * jnp.sqrt(
        θ[..., 1:2]
    )


_W1 = jax.random.normal(jax.random.PRNGKey(1), (20, 32)) / 4
_W2 = jax.random.normal(jax.random.PRNGKey(2), (32, 2)) / 4


def lfi_compressor(d):
    """A fixed small network standing in for a fitted IMNN."""
    return jnp.tanh(jnp.concatenate([d, d**2], -1) @ _W1) @ _W2


def lfi_work(n_abc: int, n_points: int, n_init: int) -> dict:
    """One ABC call and one PMC call on the Gaussian problem, as zero-argument calls."""
    from imnn_data.lfi import (
        ApproximateBayesianComputation,
        PopulationMonteCarlo,
        Uniform,
    )

    prior = Uniform([-1.5, 0.2], [1.5, 3.0])
    target = lfi_simulator(jax.random.PRNGKey(9), jnp.array([[0.3, 1.5]]))
    F = jnp.eye(2) * 10.0
    abc = ApproximateBayesianComputation(
        target, prior, lfi_simulator, lfi_compressor, F=F
    )
    pmc = PopulationMonteCarlo(target, prior, lfi_simulator, lfi_compressor, F=F)

    def run_abc():
        abc(ϵ=0.1, rng=jax.random.PRNGKey(1), n_samples=n_abc, replace=True)
        return abc.parameters.all

    def run_pmc():
        pmc(
            jax.random.PRNGKey(3),
            n_points,
            n_initial_points=n_init,
            percentile=75,
            max_iteration=5,
            acceptance_ratio=0.0,
            replace=True,
        )
        return pmc.parameters.all

    return {"abc": run_abc, "pmc": run_pmc}


def fit_work(n0: int, n1: int, tmp: str) -> dict:
    """`fit` of exactly n0 and n1 iterations for each class, as zero-argument calls."""
    fid, der = (np.asarray(a) for a in gaussian_data(jax.random.key(0), N_S, N_D))
    vfid, vder = (np.asarray(a) for a in gaussian_data(jax.random.key(1), N_S, N_D))
    for name, array in {"fid": fid, "der": der, "vfid": vfid, "vder": vder}.items():
        np.save(os.path.join(tmp, f"{name}.npy"), array)  # the original's data
    dev = jax.devices()[0]
    m, r, vm, vr = tf_data_iterators(fid, der, vfid, vder)
    tm, tr, tvm, tvr = tfrecord_iterators(tmp, fid, der, vfid, vder)
    imnns = {
        "gradient": GradientIMNN(*common(), fid, der, vfid, vder),
        "aggregated": AggregatedGradientIMNN(
            *common(), fid, der, dev, [dev], N_PER_DEVICE, vfid, vder
        ),
        "dataset": DatasetGradientIMNN(
            *common(), m, r, dev, [dev], N_PER_DEVICE, vm, vr
        ),
        "tfrecords": DatasetGradientIMNN(
            *common(), tm, tr, dev, [dev], N_PER_DEVICE, tvm, tvr
        ),
    }

    def fit(imnn, n):
        def call():
            imnn.fit(10.0, 0.1, patience=n, min_iterations=n, max_iterations=n)
            return imnn.w

        return call

    return {f"fit_{k}_{n}": fit(imnn, n) for k, imnn in imnns.items() for n in (n0, n1)}


CLASSES = {
    "gradient": "GradientIMNN (in memory)",
    "aggregated": "AggregatedGradientIMNN",
    "dataset": "DatasetGradientIMNN (tf.data)",
    "tfrecords": "DatasetGradientIMNN (TFRecords)",
}


def main(argv=None):
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations")
    parser.add_argument(
        "--lfi", action="store_true", help="only the likelihood-free inference part"
    )
    parser.add_argument(
        "--imnn-python",
        default=os.environ.get("IMNN_PYTHON"),
        help="the Python of an environment with IMNN 0.3.2 (default: $IMNN_PYTHON)",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    n0, n1 = (5, 15) if args.quick else (20, 120)
    sizes = (20_000, 200, 1000) if args.quick else (100_000, 500, 2500)
    repeats = 2 if args.quick else 3
    print(
        f"imnn-data benchmark (jax {jax.__version__}, {jax.devices()[0].platform}, "
        f"{os.cpu_count()} CPUs)"
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        ours = {} if args.lfi else fit_work(n0, n1, tmp)
        ours.update(lfi_work(*sizes))
        original = None
        if args.imnn_python:
            try:
                original = _harness.Worker(
                    args.imnn_python,
                    _harness.HERE / "originals" / "imnn_cases.py",
                    tmp,
                    *(str(x) for x in (n0, n1, *sizes)),
                )
            except RuntimeError as error:
                print(f"IMNN 0.3.2 could not start: {error}")
        note = (
            "IMNN 0.3.2 in its own environment (JAX 0.4.13), same run"
            if original
            else "IMNN not measured: pass --imnn-python (or IMNN_PYTHON), see benchmarks/README.md"
        )
        if not args.lfi:
            names = [f"fit_{k}_{n}" for k in CLASSES for n in (n0, n1)]
            cases = [
                _harness.Case(
                    name,
                    ours[name],
                    original.case(name)
                    if original and name.split("_")[1] in ("gradient", "aggregated")
                    else None,
                )
                for name in names
            ]
            rows = dict(zip(names, _harness.measure(cases, repeats), strict=True))
            fit_rows = []
            for key, label in CLASSES.items():
                row = _harness.difference(
                    f"{label}, fit, t({n1} it) - t({n0} it)",
                    rows[f"fit_{key}_{n1}"],
                    rows[f"fit_{key}_{n0}"],
                    per=(n1 - n0, "iteration"),
                )
                if row["original_s"] is None:  # the original's dataset paths: recorded
                    row["original_s"] = ORIGINAL_MS[key] * 1e-3 * (n1 - n0)
                    row["source"] = "recorded"
                    row["ratio"] = row["ours_s"] / row["original_s"]
                fit_rows.append(row)
            _harness.report(
                "fit, ms per iteration", "imnn-data", "IMNN", fit_rows, note
            )
            results["fit"] = fit_rows
        lfi = [
            _harness.Case(
                f"ABC, {sizes[0]} samples",
                ours["abc"],
                original.case("abc") if original else None,
            ),
            _harness.Case(
                f"PMC, {sizes[1]} points, 5 iterations (IMNN compiles every call)",
                ours["pmc"],
                original.case("pmc") if original else None,
            ),
        ]
        results["lfi"] = _harness.measure(lfi, repeats)
        _harness.report(
            "likelihood-free inference", "imnn-data", "IMNN", results["lfi"], note
        )
        if original:
            original.close()
    if not args.lfi:
        small, small_loop = kernel_memory(N_S)
        big, big_loop = kernel_memory(10 * N_S)
        print(
            f"\nplanned memory, aggregated per-batch kernel: n_s={N_S}: "
            f"{small / 1e6:.2f} MB, n_s={10 * N_S}: {big / 1e6:.2f} MB "
            f"(in-memory fit loop: {small_loop / 1e6:.2f} MB -> "
            f"{big_loop / 1e6:.2f} MB)"
        )
    _harness.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

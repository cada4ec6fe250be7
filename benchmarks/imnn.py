"""Benchmark of imnn-data: ms per `fit` iteration on the seed's Gaussian problem.

Problem (as in the reference study): 10 iid N(μ, Σ) draws, θ_fid = (0, 1),
n_s = 1000 (+1000 validation), n_d = 100 exact derivatives, MLP 10→128→128→128→2
LeakyReLU, Adam 1e-3, λ = 10, ϵ = 0.1, early stopping off.

ms/iteration = (t(N) - t(N0)) / (N - N0) on an already compiled IMNN, for
GradientIMNN (in memory), AggregatedGradientIMNN (1 device, n_per_device 100),
DatasetGradientIMNN from tf.data (arrays) and from TFRecords. Also prints the
memory XLA plans for the per-batch kernels of the aggregated path at n_s and 10 n_s
(it does not grow with n_s) against the in-memory fit loop (which does).

The original IMNN 0.3.2 does not import on current JAX; when it does (patched, in
the same environment) its GradientIMNN and AggregatedGradientIMNN are timed too,
otherwise the figures measured for it on this 2-core machine are printed for
reference.

Run: `hatch run bench:imnn [--quick]` or `python benchmarks/imnn.py [--quick]`.
"""

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

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

ORIGINAL_MS = {  # measured for IMNN 0.3.2 (jax 0.4.13) on this machine, see notes
    "GradientIMNN": 4.8,
    "AggregatedGradientIMNN": 393.0,
    "DatasetGradientIMNN (tf.data)": 353.0,
    "DatasetGradientIMNN (TFRecords)": 400.0,
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


def ms_per_iteration(imnn, n0, n1):
    def run(n):
        start = time.perf_counter()
        imnn.fit(10.0, 0.1, patience=n, min_iterations=n, max_iterations=n)
        return time.perf_counter() - start

    run(2)  # compile
    t0, t1 = run(n0), run(n1)
    return 1e3 * (t1 - t0) / (n1 - n0)


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
        )
        .compile()
    )

    def total(c):
        m = c.memory_analysis()
        return m.argument_size_in_bytes + m.temp_size_in_bytes + m.output_size_in_bytes

    return max(total(fwd), total(bwd)), total(loop)


def original_available():
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    saved, sys.path[:] = list(sys.path), path
    try:
        import imnn

        return hasattr(imnn, "DatasetGradientIMNN")
    except Exception:
        return False
    finally:
        sys.path[:] = saved


def main(argv=None):
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations")
    args = parser.parse_args(argv)
    n0, n1 = (5, 15) if args.quick else (20, 120)
    mem_n1 = 100 if args.quick else 1000
    print(
        f"imnn-data benchmark (jax {jax.__version__}, {jax.devices()[0].platform}, "
        f"{os.cpu_count()} CPUs; timings on a shared machine are noisy)"
    )
    fid, der = (np.asarray(a) for a in gaussian_data(jax.random.key(0), N_S, N_D))
    vfid, vder = (np.asarray(a) for a in gaussian_data(jax.random.key(1), N_S, N_D))
    dev = jax.devices()[0]
    results = {}
    results["GradientIMNN"] = ms_per_iteration(
        GradientIMNN(*common(), fid, der, vfid, vder), 10 * n0, mem_n1
    )
    results["AggregatedGradientIMNN"] = ms_per_iteration(
        AggregatedGradientIMNN(
            *common(), fid, der, dev, [dev], N_PER_DEVICE, vfid, vder
        ),
        n0,
        n1,
    )
    m, r, vm, vr = tf_data_iterators(fid, der, vfid, vder)
    results["DatasetGradientIMNN (tf.data)"] = ms_per_iteration(
        DatasetGradientIMNN(*common(), m, r, dev, [dev], N_PER_DEVICE, vm, vr), n0, n1
    )
    with tempfile.TemporaryDirectory() as tmp:
        m, r, vm, vr = tfrecord_iterators(tmp, fid, der, vfid, vder)
        results["DatasetGradientIMNN (TFRecords)"] = ms_per_iteration(
            DatasetGradientIMNN(*common(), m, r, dev, [dev], N_PER_DEVICE, vm, vr),
            n0,
            n1,
        )
    base = results["GradientIMNN"]
    print(
        f"\n{'class':34s} {'ms/it':>8s} {'vs in-memory':>13s} {'original ms/it':>15s}"
        f" {'speed-up':>9s}"
    )
    for name, ms in results.items():
        orig = ORIGINAL_MS[name]
        print(f"{name:34s} {ms:8.2f} {ms / base:12.2f}x {orig:15.1f} {orig / ms:8.1f}x")
    if original_available():
        print(
            "\n(the original `imnn` is importable here: compare it with the same "
            "problem by hand; its aggregated classes need jax.ops.index_update)"
        )
    else:
        print(
            "\noriginal IMNN 0.3.2 not importable with this JAX: its column is "
            "the figure measured on this machine (jax 0.4.13), not this run"
        )
    small, small_loop = kernel_memory(N_S)
    big, big_loop = kernel_memory(10 * N_S)
    print(
        f"\nplanned memory, aggregated per-batch kernel: n_s={N_S}: "
        f"{small / 1e6:.2f} MB, n_s={10 * N_S}: {big / 1e6:.2f} MB "
        f"(in-memory fit loop: {small_loop / 1e6:.2f} MB -> "
        f"{big_loop / 1e6:.2f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

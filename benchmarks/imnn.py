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

With `--lfi`: likelihood-free inference throughput, rejection-ABC samples per second
and PMC simulations per second, on the Gaussian problem with a fixed small network as
compressor (the same simulator and compressor on both sides). `--original-python
PATH` runs the same problem with IMNN 0.3.2's `imnn.lfi` in that interpreter's
environment (with the compatibility shims of the reference notes) and prints both.

Run: `hatch run bench:imnn [--quick] [--lfi [--original-python PATH]]` or
`python benchmarks/imnn.py ...`.
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


ORIGINAL_LFI = 'import sys, time, types, json\nimport jax, jax.numpy as jnp, numpy as np\n# --- compatibility shims for IMNN 0.3.2 on jax 0.4.x (see the reference notes) ---\njac = types.ModuleType("imnn.utils.jac")\ndef _vj(f, argnums=0, **kw):\n    g = jax.jacfwd(lambda *a: (f(*a), f(*a)), argnums, has_aux=True)\n    return lambda *a: tuple(reversed(g(*a)))\ndef _vr(f, argnums=0, **kw):\n    g = jax.jacrev(lambda *a: (f(*a), f(*a)), argnums, has_aux=True)\n    return lambda *a: tuple(reversed(g(*a)))\njac.jacfwd, jac.jacrev, jac.value_and_jacfwd, jac.value_and_jacrev = jax.jacfwd, jax.jacrev, _vj, _vr\nsys.modules["imnn.utils.jac"] = jac\nfrom jax.interpreters import xla\nxla.device_array = jax.Array\nimport jax.example_libraries.optimizers as _opt\njax.experimental.optimizers = _opt\nclass _Index:\n    def __getitem__(self, i): return i\njax.ops.index = _Index()\njax.ops.index_update = lambda x, i, y: jnp.asarray(x).at[i].set(y)\nfor _m in ("matplotlib", "matplotlib.pyplot"):  # plotting is not timed\n    sys.modules.setdefault(_m, types.ModuleType(_m))\n# ---\n# IMNN\'s PMC uses TFP only for MultivariateNormalTriL(...).prob; the installable TFP\n# releases do not import with jax 0.4.13 + TF 2.15, so provide that one density\nclass _MVNTriL:\n    def __init__(self, loc, scale_tril):\n        self.loc, self.scale_tril = loc, scale_tril\n    def prob(self, x):\n        cov = self.scale_tril @ jnp.swapaxes(self.scale_tril, -1, -2)\n        batch = jnp.broadcast_shapes(cov.shape[:-2], self.loc.shape[:-1], x.shape[:-1])\n        p = x.shape[-1]\n        cov = jnp.broadcast_to(cov, batch + (p, p)).reshape(-1, p, p)\n        loc = jnp.broadcast_to(self.loc, batch + (p,)).reshape(-1, p)\n        x = jnp.broadcast_to(x, batch + (p,)).reshape(-1, p)\n        logp = jax.vmap(jax.scipy.stats.multivariate_normal.logpdf)(x, loc, cov)\n        return jnp.exp(logp).reshape(batch)\n_tfp = types.ModuleType("tensorflow_probability")\n_tfp.substrates = types.SimpleNamespace(jax=types.SimpleNamespace(\n    distributions=types.SimpleNamespace(MultivariateNormalTriL=_MVNTriL)))\nsys.modules["tensorflow_probability"] = _tfp\nclass Uniform:  # the prior, with the attributes IMNN\'s lfi reads\n    def __init__(self, low, high):\n        self.low, self.high = jnp.asarray(low), jnp.asarray(high)\n        self.event_shape = (len(low),)\n    def sample(self, n, seed):\n        shape = (n,) if isinstance(n, int) else tuple(n)\n        return jax.random.uniform(seed, shape + self.event_shape, minval=self.low, maxval=self.high)\n    def prob(self, x):\n        inside = jnp.all((x >= self.low) & (x <= self.high), -1)\n        return jnp.where(inside, 1 / jnp.prod(self.high - self.low), 0.0)\nfrom imnn.lfi import ApproximateBayesianComputation, PopulationMonteCarlo\nn_ABC, n_points, n_init = [int(a) for a in sys.argv[1:4]]\nprior = Uniform([-1.5, 0.2], [1.5, 3.0])\nW1 = jax.random.normal(jax.random.PRNGKey(1), (20, 32)) / 4\nW2 = jax.random.normal(jax.random.PRNGKey(2), (32, 2)) / 4\ndef simulator(key, θ):\n    return θ[..., 0:1] + jax.random.normal(key, θ.shape[:-1] + (10,)) * jnp.sqrt(θ[..., 1:2])\ndef compressor(d):\n    return jnp.tanh(jnp.concatenate([d, d**2], -1) @ W1) @ W2\ntarget = simulator(jax.random.PRNGKey(9), jnp.array([[0.3, 1.5]]))\nF = jnp.eye(2) * 10.\nout = {"jax": jax.__version__}\nabc = ApproximateBayesianComputation(target, prior, simulator, compressor, F=F)\nabc(ϵ=0.1, rng=jax.random.PRNGKey(0), n_samples=n_ABC)\nt = time.perf_counter(); abc(ϵ=0.1, rng=jax.random.PRNGKey(1), n_samples=n_ABC, replace=True); jax.block_until_ready(abc.parameters.all)\nout["abc_samples_per_s"] = n_ABC / (time.perf_counter() - t)\nfor rep in range(2):\n    pmc = PopulationMonteCarlo(target, prior, simulator, compressor, F=F)\n    t = time.perf_counter()\n    pmc(jax.random.PRNGKey(3 + rep), n_points, n_initial_points=n_init, percentile=75, max_iteration=5, acceptance_ratio=0.0, n_parallel_simulations=None)\n    jax.block_until_ready(pmc.parameters.all)\n    dt = time.perf_counter() - t\n    out[f"pmc_draws_per_s_call{rep+1}"] = float(np.sum(pmc.total_draws)) / dt\n    out[f"pmc_seconds_call{rep+1}"] = dt\n    out[f"pmc_draws_call{rep+1}"] = int(np.sum(pmc.total_draws))\nprint(json.dumps(out))\n'


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


def lfi_benchmark(n_abc: int, n_points: int, n_init: int) -> dict[str, float]:
    """ABC samples/s (second call) and PMC simulations/s (first and second call)."""
    from imnn_data.lfi import (
        ApproximateBayesianComputation,
        PopulationMonteCarlo,
        Uniform,
    )

    prior = Uniform([-1.5, 0.2], [1.5, 3.0])
    target = lfi_simulator(jax.random.PRNGKey(9), jnp.array([[0.3, 1.5]]))
    F = jnp.eye(2) * 10.0
    out = {}
    abc = ApproximateBayesianComputation(
        target, prior, lfi_simulator, lfi_compressor, F=F
    )
    abc(ϵ=0.1, rng=jax.random.PRNGKey(0), n_samples=n_abc)
    t = time.perf_counter()
    abc(ϵ=0.1, rng=jax.random.PRNGKey(1), n_samples=n_abc, replace=True)
    jax.block_until_ready(abc.parameters.all)
    out["abc_samples_per_s"] = n_abc / (time.perf_counter() - t)
    pmc = PopulationMonteCarlo(target, prior, lfi_simulator, lfi_compressor, F=F)
    for call in (1, 2):
        before = int(np.sum(pmc.total_draws))
        t = time.perf_counter()
        pmc(
            jax.random.PRNGKey(3 + call),
            n_points,
            n_initial_points=n_init,
            percentile=75,
            max_iteration=5,
            acceptance_ratio=0.0,
            replace=True,
        )
        jax.block_until_ready(pmc.parameters.all)
        dt = time.perf_counter() - t
        draws = int(np.sum(pmc.total_draws)) - before
        out[f"pmc_draws_call{call}"] = draws
        out[f"pmc_seconds_call{call}"] = dt
        out[f"pmc_draws_per_s_call{call}"] = draws / dt
    return out


def print_lfi(ours: dict[str, float], original: dict[str, float] | None) -> None:
    print("\nlikelihood-free inference (Gaussian problem, fixed network compressor)")
    print(f"{'':36s} {'imnn-data':>12s} {'IMNN 0.3.2':>12s} {'ratio':>8s}")
    rows = [
        ("ABC samples/s", "abc_samples_per_s"),
        ("PMC simulations/s, first call", "pmc_draws_per_s_call1"),
        ("PMC simulations/s, second call", "pmc_draws_per_s_call2"),
        ("PMC seconds, second call", "pmc_seconds_call2"),
        ("PMC simulations, second call", "pmc_draws_call2"),
    ]
    for label, key in rows:
        mine = ours[key]
        theirs = None if original is None else original.get(key)
        ratio = "" if theirs is None or not theirs else f"{mine / theirs:8.1f}"
        other = "-" if theirs is None else f"{theirs:12.1f}"
        print(f"{label:36s} {mine:12.1f} {other:>12s} {ratio:>8s}")


def run_original_lfi(python: str, n_abc: int, n_points: int, n_init: int):
    import json
    import subprocess

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(ORIGINAL_LFI)
    env = dict(os.environ, JAX_PLATFORMS="cpu", TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [python, f.name, str(n_abc), str(n_points), str(n_init)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    os.unlink(f.name)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("{")]
    if result.returncode or not lines:
        print(f"the original could not be run: {result.stderr[-800:]}")
        return None
    return json.loads(lines[-1])


def main(argv=None):
    assert __doc__ is not None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few iterations")
    parser.add_argument(
        "--lfi", action="store_true", help="only the likelihood-free inference part"
    )
    parser.add_argument(
        "--original-python",
        help="interpreter of an environment with IMNN 0.3.2 (for --lfi)",
    )
    args = parser.parse_args(argv)
    if args.lfi:
        sizes = (20_000, 200, 1000) if args.quick else (100_000, 500, 2500)
        print(f"imnn-data lfi benchmark (jax {jax.__version__}, {os.cpu_count()} CPUs)")
        ours = lfi_benchmark(*sizes)
        original = (
            run_original_lfi(args.original_python, *sizes)
            if args.original_python
            else None
        )
        print_lfi(ours, original)
        return 0
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

"""The imnn-data demo: the Gaussian problem written to TFRecords and fitted with
DatasetGradientIMNN."""

import json
import time
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import rollax

from ._datasets import gradient_datasets
from ._gaussian import (
    EXPECTED_DET_F,
    INPUT_SHAPE,
    DeepSet,
    fresh_det_F,
    gaussian_data,
    gaussian_simulator,
    θ_FID,
)
from ._gradient_family import DatasetGradientIMNN
from ._tfrecords import TFRecords


def numpy_iterators(fiducial, derivative, n_d, n_per_device):
    """One-device `(main, remaining)` iterators of numpy batches (no TensorFlow)."""

    def repeat(arrays: list[Any]):
        n = len(arrays[0]) // n_per_device
        while True:
            for i in range(n):
                part = [
                    np.asarray(a[i * n_per_device : (i + 1) * n_per_device])
                    for a in arrays
                ]
                yield tuple(part) if len(part) > 1 else part[0]

    return [repeat([fiducial[:n_d], derivative])], [repeat([fiducial[n_d:]])]


def _record_iterators(writer, records, arrays, n_s, n_d, n_per_device):
    """Write the sets to TFRecords and read them back as tf.data iterators."""
    fiducial, derivative, val_fiducial, val_derivative = arrays
    for name, array in (
        ("fiducial", fiducial),
        ("derivative", derivative),
        ("validation_fiducial", val_fiducial),
        ("validation_derivative", val_derivative),
    ):
        host = np.asarray(array)
        writer.write_record(
            len(host), lambda seed, a=host: a[seed], directory=records, filename=name
        )
    main, remaining = gradient_datasets(
        records / "fiducial_*.tfrecords",
        records / "derivative_*.tfrecords",
        n_s,
        n_d,
        2,
        1,
        n_per_device,
        writer=writer,
    )
    val_main, val_remaining = gradient_datasets(
        records / "validation_fiducial_*.tfrecords",
        records / "validation_derivative_*.tfrecords",
        n_s,
        n_d,
        2,
        1,
        n_per_device,
        writer=writer,
    )
    return main, remaining, val_main, val_remaining


def run(outdir: Path, *, quick: bool = False) -> str:
    """Write the Gaussian problem to TFRecords, fit, plot, estimate.

    **Arguments:**

    - `outdir`: directory for the records, plot and results.
    - `quick`: a tiny budget (for tests).

    **Returns:**

    A one-line summary.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir = Path(outdir)
    start = time.perf_counter()
    n_s, n_d, n_per_device = (100, 50, 50) if quick else (1000, 100, 100)
    iterations = 10 if quick else 500
    θ = jnp.asarray(θ_FID)
    fiducial, derivative = gaussian_data(jax.random.key(0), n_s, n_d)
    val_fiducial, val_derivative = gaussian_data(jax.random.key(1), n_s, n_d)
    records = outdir / "records"
    try:
        writer = TFRecords(record_size=0.05)
    except ImportError:  # TensorFlow is an optional extra: feed numpy batches
        writer = None
    if writer is None:
        main, remaining = numpy_iterators(fiducial, derivative, n_d, n_per_device)
        val_main, val_remaining = numpy_iterators(
            val_fiducial, val_derivative, n_d, n_per_device
        )
    else:
        main, remaining, val_main, val_remaining = _record_iterators(
            writer,
            records,
            (fiducial, derivative, val_fiducial, val_derivative),
            n_s,
            n_d,
            n_per_device,
        )
    device = jax.devices()[0]
    imnn = DatasetGradientIMNN(
        n_s,
        n_d,
        2,
        2,
        INPUT_SHAPE,
        θ,
        eqx.filter_jit(DeepSet)(jax.random.key(3)),
        optax.adam(1e-2),
        jax.random.key(2),
        main,
        remaining,
        device,
        [device],
        n_per_device,
        validation_main=val_main,
        validation_remaining=val_remaining,
    )
    n_fresh = 2000 if quick else 20000
    det_initial = fresh_det_F(imnn.model, imnn.w, jax.random.key(4), n=n_fresh)
    imnn.fit(
        10.0,
        0.1,
        patience=iterations,
        min_iterations=iterations,
        max_iterations=iterations,
        best=False,
    )
    det_fresh = fresh_det_F(imnn.model, imnn.w, jax.random.key(4), n=n_fresh)
    ax = imnn.plot(expected_detF=EXPECTED_DET_F)
    ax[0].figure.savefig(outdir / "history.png", dpi=80)
    plt.close(ax[0].figure)

    truths = np.array([[0.0, 1.0], [0.5, 1.0], [-0.5, 1.5], [0.0, 0.6]])
    keys = jax.random.split(jax.random.key(5), 200)
    rows = []
    simulate = jax.jit(jax.vmap(gaussian_simulator, in_axes=(0, None)))
    for truth in truths:
        sims = simulate(keys, jnp.asarray(truth))
        est = np.asarray(imnn.get_estimate(sims))
        rows.append(
            {
                "mean_true": truth[0],
                "variance_true": truth[1],
                "mean_estimate": float(est[:, 0].mean()),
                "variance_estimate": float(est[:, 1].mean()),
                "mean_std": float(est[:, 0].std()),
                "variance_std": float(est[:, 1].std()),
            }
        )
    with open(outdir / "estimates.csv", "w") as f:
        f.write(",".join(rows[0]) + "\n")
        for row in rows:
            f.write(",".join(f"{v:.6g}" for v in row.values()) + "\n")
    results = {
        "n_s": n_s,
        "n_d": n_d,
        "iterations": len(imnn.history["detF"]),
        "F": np.asarray(imnn.F).tolist(),
        "detF_validation": float(np.linalg.det(np.asarray(imnn.F))),
        "detF_fresh_simulations": det_fresh,
        "detF_fresh_simulations_before_fit": det_initial,
        "expected_detF": EXPECTED_DET_F,
        "seconds": round(time.perf_counter() - start, 2),
        "record_files": len(list(records.glob("*.tfrecords"))),
        "source": "numpy batches" if writer is None else "TFRecords",
    }
    (outdir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    return (
        f"DatasetGradientIMNN from {results['source']}, {results['iterations']} "
        "iterations: "
        f"det F = {det_fresh:.1f} on fresh simulations (before fitting "
        f"{det_initial:.1f}; analytic {EXPECTED_DET_F:g})"
    )


DEMO = rollax.Demo(
    name="imnn-data",
    description="Gaussian mean/variance IMNN fitted from TFRecords with "
    "DatasetGradientIMNN; det F against the analytic 50",
    run=run,
)

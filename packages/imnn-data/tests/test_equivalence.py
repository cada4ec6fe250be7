"""Every class gives the same F, C and loss for the same weights and data, and the
aggregated gradient is exactly jax.grad of the loss on the whole set."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import Mesh

from imnn_data import (
    AggregatedGradientIMNN,
    AggregatedNumericalGradientIMNN,
    AggregatedSimulatorIMNN,
    DatasetGradientIMNN,
    DatasetNumericalGradientIMNN,
    GradientIMNN,
    NumericalGradientIMNN,
    SimulatorIMNN,
    TFRecords,
    gradient_datasets,
)
from imnn_data._aggregated import host_layout
from imnn_data._maths import loss_and_statistics

λ, α = 10.0, 0.9531017980432489
SHAPE = (3, 4)
θ_FID = jnp.array([0.0, 1.0])


def common(p):
    return (
        p["n_s"],
        p["n_d"],
        2,
        2,
        SHAPE,
        θ_FID,
        p["model"],
        optax.adam(1e-3),
        jax.random.key(0),
    )


def loss_grad_from_summaries(imnn, w, key=None):
    """Loss, F and weight gradient through the class's public two-pass API."""
    x, dx = imnn.get_summaries(w, key=key)
    (loss, _), ct = _summary_grad(x, dx)
    return loss, x, dx, imnn.get_gradient(ct, w, key=key)


@jax.jit
def _summary_grad(x, dx):
    return jax.value_and_grad(
        lambda x, dx: loss_and_statistics(x, dx, λ, α), argnums=(0, 1), has_aux=True
    )(x, dx)


def full_grad(imnn, w, key=None):
    """jax.grad of an in-memory class's loss on the whole set (jitted)."""
    return jax.jit(
        jax.value_and_grad(lambda w: imnn._value(w, imnn._data(False), key, λ, α)[0])
    )(w)


def tf_main_remaining(fid, der, n_d, n_devices, n_per_device):
    """The seed's in-memory recipe: from_tensor_slices per device."""
    import tensorflow as tf

    main = [
        tf.data.Dataset.from_tensor_slices((f, d)).repeat().as_numpy_iterator()
        for f, d in zip(
            host_layout(fid[:n_d], 1, len(fid[:n_d]) // n_devices).reshape(
                (n_devices, -1, n_per_device, *SHAPE)
            ),
            host_layout(der, 1, len(der) // n_devices).reshape(
                (n_devices, -1, n_per_device, *SHAPE, 2)
            ),
            strict=True,
        )
    ]
    rest = fid[n_d:].reshape((n_devices, -1, n_per_device, *SHAPE))
    remaining = [
        tf.data.Dataset.from_tensor_slices(r).repeat().as_numpy_iterator() for r in rest
    ]
    return main, remaining


@pytest.fixture(scope="module")
def exact(problem, h):
    imnn = GradientIMNN(*common(problem), problem["fid"], problem["der"])
    imnn.set_F_statistics()
    w = imnn.w
    (loss, F), grad = jax.jit(
        jax.value_and_grad(h.reference_loss, argnums=1, has_aux=True),
        static_argnums=0,
    )(imnn.model, w, jnp.asarray(problem["fid"]), jnp.asarray(problem["der"]), λ, α)
    return {"imnn": imnn, "w": w, "loss": loss, "F": F, "grad": grad}


def test_gradient_imnn_rank2_inputs_and_gradient(exact, problem, h):
    # the original's GradientIMNN transposes rank-2 inputs (wrong F)
    imnn = exact["imnn"]
    imnn.set_F_statistics()
    assert imnn.F is not None
    np.testing.assert_allclose(imnn.F, exact["F"], rtol=1e-4, atol=1e-6)
    grad = full_grad(imnn, exact["w"])[1]
    assert h.rel_err(grad, exact["grad"]) < 1e-4


@pytest.mark.parametrize(("n_devices", "n_per_device"), [(1, 10), (4, 5)])
def test_aggregated_gradient_is_exact(exact, problem, h, n_devices, n_per_device):
    # n_s > n_d with several devices: the original's gradient is ~48% wrong
    devices = jax.devices()[:n_devices]
    imnn = AggregatedGradientIMNN(
        *common(problem),
        problem["fid"],
        problem["der"],
        devices[0],
        devices,
        n_per_device,
    )
    loss, _, _, grad = loss_grad_from_summaries(imnn, exact["w"])
    assert float(loss) == pytest.approx(float(exact["loss"]), rel=1e-5)
    assert h.rel_err(grad, exact["grad"]) < 1e-4
    imnn.set_F_statistics()
    assert imnn.F is not None
    np.testing.assert_allclose(imnn.F, exact["F"], rtol=1e-4, atol=1e-6)


def test_dataset_classes_and_sharded_path_agree(exact, problem, h, tmp_path):
    fid, der, n_d = problem["fid"], problem["der"], problem["n_d"]
    devices = jax.devices()
    results = {}
    main, remaining = tf_main_remaining(fid, der, n_d, 2, 5)
    imnn = DatasetGradientIMNN(
        *common(problem), main, remaining, devices[0], devices[:2], 5
    )
    results["tf.data"] = imnn
    writer = TFRecords(record_size=0.001)
    writer.write_record(
        len(fid), lambda s: fid[s], directory=tmp_path, filename="fiducial"
    )
    writer.write_record(
        len(der), lambda s: der[s], directory=tmp_path, filename="derivative"
    )
    main, remaining = gradient_datasets(
        tmp_path / "fiducial_*.tfrecords",
        tmp_path / "derivative_*.tfrecords",
        problem["n_s"],
        n_d,
        2,
        2,
        5,
    )
    results["tfrecords"] = DatasetGradientIMNN(
        *common(problem), main, remaining, devices[0], devices[:2], 5
    )
    mesh = Mesh(np.array(devices[:4]), ("batch",))
    results["sharded"] = GradientIMNN(*common(problem), fid, der, mesh=mesh)
    for name, imnn in results.items():
        if name == "sharded":
            loss, grad = full_grad(imnn, exact["w"])
        else:
            loss, _, _, grad = loss_grad_from_summaries(imnn, exact["w"])
        assert float(loss) == pytest.approx(float(exact["loss"]), rel=1e-5), name
        assert h.rel_err(grad, exact["grad"]) < 1e-4, name
        imnn.set_F_statistics()
        np.testing.assert_allclose(
            imnn.F, exact["F"], rtol=1e-4, atol=1e-6, err_msg=name
        )
        np.testing.assert_allclose(
            imnn.C, exact["imnn"].C, rtol=1e-4, atol=1e-6, err_msg=name
        )


def test_numerical_classes_agree_and_approach_exact(exact, problem, h):
    δθ = jnp.array([0.01, 0.01])
    fid, nder = h.make_numerical(jax.random.key(0), problem["n_s"], problem["n_d"], δθ)
    np.testing.assert_allclose(fid, problem["fid"], rtol=1e-6)  # same seeds
    num = NumericalGradientIMNN(*common(problem), fid, nder, δθ)
    num.set_F_statistics()
    assert num.F is not None
    # finite differences of seed-matched simulations -> exact derivative
    np.testing.assert_allclose(num.F, exact["F"], rtol=2e-2, atol=1e-4)
    w = exact["w"]
    ref = full_grad(num, w)
    devices = jax.devices()
    agg = AggregatedNumericalGradientIMNN(
        *common(problem), fid, nder, δθ, devices[0], devices[:2], 10
    )
    layout = {
        "fiducial": fid.reshape((2, -1, 10, *SHAPE)),
        "derivative": nder.reshape((-1, *SHAPE)).reshape((2, -1, 10, *SHAPE)),
    }
    import tensorflow as tf

    its = {
        k: [
            tf.data.Dataset.from_tensor_slices(b).repeat().as_numpy_iterator()
            for b in v
        ]
        for k, v in layout.items()
    }
    ds = DatasetNumericalGradientIMNN(
        *common(problem),
        its["fiducial"],
        its["derivative"],
        δθ,
        devices[0],
        devices[:2],
        10,
    )
    for imnn in (agg, ds):
        loss, _, _, grad = loss_grad_from_summaries(imnn, w)
        assert float(loss) == pytest.approx(float(ref[0]), rel=1e-5)
        assert h.rel_err(grad, ref[1]) < 1e-4
        imnn.set_F_statistics()
        assert imnn.F is not None
        np.testing.assert_allclose(imnn.F, num.F, rtol=1e-4, atol=1e-6)


def test_simulator_classes_agree(problem, h):
    devices = jax.devices()
    sim = SimulatorIMNN(*common(problem), h.simulator)
    agg = AggregatedSimulatorIMNN(
        *common(problem), h.simulator, devices[0], devices[:2], 5
    )
    key = jax.random.key(7)
    w = sim.w
    ref = full_grad(sim, w, key)
    loss, _, _, grad = loss_grad_from_summaries(agg, w, key=key)
    assert float(loss) == pytest.approx(float(ref[0]), rel=1e-5)
    assert h.rel_err(grad, ref[1]) < 1e-4
    sim.set_F_statistics(key=key)
    agg.set_F_statistics(key=key)
    assert agg.F is not None and sim.F is not None
    np.testing.assert_allclose(agg.F, sim.F, rtol=1e-4, atol=1e-6)

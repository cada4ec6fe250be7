"""Bad input raises a clear TypeError/ValueError naming the argument."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from imnn_data import (
    IMNN,
    AggregatedGradientIMNN,
    DatasetGradientIMNN,
    GradientIMNN,
    SimulatorIMNN,
)

SHAPE = (3, 4)


@pytest.fixture(scope="module")
def base(problem):
    return {
        "n_s": 40,
        "n_d": 20,
        "n_params": 2,
        "n_summaries": 2,
        "input_shape": SHAPE,
        "θ_fid": jnp.array([0.0, 1.0]),
        "model": problem["model"],
        "optimiser": optax.adam(1e-3),
        "key_or_state": jax.random.key(0),
        "fiducial": problem["fid"],
        "derivative": problem["der"],
    }


def _call(base, **changes):
    kw = base | changes
    args = _positional(kw)
    return GradientIMNN(*args, **kw)


COMMON = (
    "n_s",
    "n_d",
    "n_params",
    "n_summaries",
    "input_shape",
    "θ_fid",
    "model",
    "optimiser",
    "key_or_state",
)


def _positional(kw, extra=()):
    """Pop the common positional arguments (and `extra` ones) from `kw`."""
    return [kw.pop(k) for k in (*COMMON, *extra)]


CASES = [
    ({"n_s": 40.0}, TypeError, "`n_s` must be an int"),
    ({"n_s": None}, ValueError, "`n_s` is None"),
    ({"n_d": 50}, ValueError, "`n_d` .* must not exceed `n_s`"),
    ({"input_shape": [3, 4]}, TypeError, "`input_shape` must be a tuple"),
    ({"θ_fid": [0.0, 1.0]}, TypeError, "`θ_fid` must be a numpy or JAX array"),
    ({"θ_fid": jnp.zeros(3)}, ValueError, r"`θ_fid` should have shape \(2,\)"),
    (
        {"fiducial": np.zeros((40, 4, 3), np.float32)},
        ValueError,
        r"`fiducial` should have shape \(40, 3, 4\) but has \(40, 4, 3\)",
    ),
    (
        {"derivative": np.zeros((20, 2, 2, 3, 4), np.float32)},
        ValueError,
        r"`derivative` should have shape \(20, 3, 4, 2\)",
    ),
    ({"fiducial": np.zeros((40, 3, 4), np.int32)}, TypeError, "floating-point"),
    ({"model": [1, 2, 3]}, TypeError, "`model` must be an equinox.Module"),
    ({"n_summaries": 3}, ValueError, r"`model` outputs should have shape \(3,\)"),
    ({"optimiser": None}, ValueError, "`optimiser` is None"),
    ({"optimiser": "adam"}, TypeError, "optax.GradientTransformation"),
    ({"key_or_state": None}, ValueError, "`key_or_state` is None"),
    ({"key_or_state": 3}, TypeError, "`key_or_state` must be a PRNG key"),
    (
        {"validation_fiducial": np.zeros((40, 3, 4), np.float32)},
        ValueError,
        "`validation_fiducial` was given without `validation_derivative`",
    ),
]


@pytest.mark.parametrize(("change", "error", "match"), CASES)
def test_constructor_errors(base, change, error, match):
    with pytest.raises(error, match=match):
        _call(base, **change)


def _agg(base, host, devices, n_per_device):
    args = _positional(dict(base), ("fiducial", "derivative"))
    return AggregatedGradientIMNN(
        *args, host=host, devices=devices, n_per_device=n_per_device
    )


def test_aggregation_errors(base):
    dev = jax.devices()
    with pytest.raises(TypeError, match=r"`host` must be a jax\.Device"):
        _agg(base, "cpu", dev[:1], 10)
    with pytest.raises(TypeError, match="`devices` must be a list"):
        _agg(base, dev[0], tuple(dev[:1]), 10)
    with pytest.raises(ValueError, match="`devices` has no elements"):
        _agg(base, dev[0], [], 10)
    with pytest.raises(
        ValueError,
        match=r"`n_d` of 20 will not split evenly between "
        r"2 devices .* multiple of n_devices \* n_per_device = 16",
    ):
        _agg(base, dev[0], dev[:2], 8)


def _dataset(base, main, remaining, n_devices=1, n_per_device=10):
    kw = dict(base)
    args = _positional(kw)
    dev = jax.devices()
    return DatasetGradientIMNN(
        *args,
        main=main,
        remaining=remaining,
        host=dev[0],
        devices=dev[:n_devices],
        n_per_device=n_per_device,
    )


def _repeat(*items):
    while True:
        yield from items


def test_dataset_errors(base, problem):
    fid, der = problem["fid"], problem["der"]
    good_main = _repeat((fid[:10], der[:10]), (fid[10:20], der[10:20]))
    good_rest = _repeat(fid[20:30], fid[30:40])
    with pytest.raises(TypeError, match="`main` must be a list"):
        _dataset(base, (good_main,), [good_rest])
    with pytest.raises(
        ValueError,
        match=r"`remaining` must have one iterator per "
        r"device: expected length 1 \(n_devices\), got 2",
    ):
        _dataset(base, [good_main], [good_rest, good_rest])
    wrong_shape = _dataset(base, [_repeat((fid[:10, :2], der[:10, :2]))], [good_rest])
    with pytest.raises(
        ValueError,
        match=r"`main\[0\]` yielded a fiducial batch of "
        r"shape \(10, 2, 4\); expected \(10, 3, 4\)",
    ):
        wrong_shape.fit(10.0, 0.1, max_iterations=1)
    wrong_dtype = _dataset(
        base, [_repeat((fid[:10].astype(np.int32), der[:10]))], [good_rest]
    )
    with pytest.raises(
        TypeError,
        match="`main\\[0\\]` yielded a fiducial batch of "
        "dtype int32; expected floating point",
    ):
        wrong_dtype.get_summaries()
    finite = _dataset(base, [iter([(fid[:10], der[:10])])], [good_rest])
    with pytest.raises(ValueError, match=r"`main\[0\]` ran out .* `.repeat\(\)`"):
        finite.get_summaries()
    unpaired = _dataset(base, [_repeat(fid[:10])], [good_rest])
    with pytest.raises(ValueError, match="must yield pairs"):
        unpaired.get_summaries()


def test_fit_and_estimate_errors(base, h):
    imnn = _call(base)
    with pytest.raises(ValueError, match="Fisher information has not yet been"):
        imnn.get_estimate(np.zeros(SHAPE))
    with pytest.raises(TypeError, match="`λ` must be a float"):
        imnn.fit("10", 0.1)  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match="`best` must be a bool"):
        imnn.fit(10.0, 0.1, best="yes")  # pyright: ignore[reportArgumentType]
    with pytest.raises(TypeError, match="`patience` must be an int"):
        imnn.fit(10.0, 0.1, patience=1.5)  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="`rng` must be a PRNG key"):
        imnn.fit(10.0, 0.1, rng=jnp.zeros(3, jnp.uint32))
    with pytest.raises(ValueError, match=r"α = .* is negative"):
        imnn.fit(100.0, 0.1)
    kw = dict(base)
    args = _positional(kw)
    with pytest.raises(ValueError, match="`simulator` must take two arguments"):
        SimulatorIMNN(*args, simulator=lambda key: key)  # pyright: ignore[reportArgumentType]
    sim = SimulatorIMNN(*args, simulator=h.simulator)
    with pytest.raises(ValueError, match="`rng` is necessary when simulating"):
        sim.fit(10.0, 0.1)


def test_factory_picks_classes_and_rejects_combinations(base, problem, h):
    kw = dict(base)
    args = _positional(kw)
    dev = jax.devices()
    assert (
        type(
            IMNN(
                *args, fiducial=problem["fid"], derivative=problem["der"], verbose=False
            )
        )
        is GradientIMNN
    )
    agg = IMNN(
        *args,
        fiducial=problem["fid"],
        derivative=problem["der"],
        host=dev[0],
        devices=dev[:1],
        n_per_device=10,
        verbose=False,
    )
    assert type(agg) is AggregatedGradientIMNN
    assert type(IMNN(*args, simulator=h.simulator, verbose=False)) is SimulatorIMNN
    with pytest.raises(ValueError, match="are necessary"):
        IMNN(*args, verbose=False)
    with pytest.raises(ValueError, match="`host` given but `devices`, `n_per_device`"):
        IMNN(*args, fiducial=problem["fid"], derivative=problem["der"], host=dev[0])
    with pytest.raises(ValueError, match="perhaps `δθ` has not been provided"):
        IMNN(
            *args,
            fiducial=problem["fid"],
            derivative=np.zeros((20, 2, 2, 3, 4), np.float32),
            verbose=False,
        )

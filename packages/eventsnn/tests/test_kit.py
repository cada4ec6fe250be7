"""jaxsnn 0.3's training kit under its module paths: losses, encoders, training
step and epoch, toy datasets and the data loader; values derived by hand."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import eventsnn as es
from eventsnn.base.dataset import (
    circle_dataset,
    constant_dataset,
    data_loader,
    linear_dataset,
    yinyang_dataset,
)
from eventsnn.event.encode import (
    encode,
    spatio_temporal_encode,
    target_one_hot_encode,
    target_temporal_encode,
)
from eventsnn.event.loss import (
    first_spike,
    max_over_time,
    mse_loss,
    nll_loss,
    target_time_loss,
    ttfs_loss,
)
from eventsnn.event.training import OptState, epoch, update


def test_module_paths_mirror_jaxsnn():
    from eventsnn.base.dataset.dataloader import data_loader as dl
    from eventsnn.base.dataset.yinyang import yinyang_dataset as yy

    assert dl is data_loader and yy is yinyang_dataset
    assert es.event.loss.ttfs_loss is ttfs_loss
    assert es.event.LIF is es.LIF and es.event.from_nir is es.from_nir


def test_max_over_time():
    v = jnp.array([[0.5, 0.8, 0.3], [0.7, 0.2, 0.9], [0.1, 0.6, 0.4]])  # (time, n)
    state = es.LIFState(v, jnp.zeros_like(v))
    np.testing.assert_allclose(max_over_time(state), [0.7, 0.8, 0.9])
    batched = es.LIFState(jnp.stack([v, -v]), jnp.zeros((2, 3, 3)))
    np.testing.assert_allclose(max_over_time(batched)[1], [-0.1, -0.2, -0.3])


def test_nll_loss():
    target = jnp.array([0, 1])  # class 0 is the target (smallest)
    # -log(e^0 / (e^0 + e^1)) = log(1 + e)
    np.testing.assert_allclose(
        nll_loss(jnp.array([0.0, 1.0]), target), math.log1p(math.e), rtol=1e-6
    )
    np.testing.assert_allclose(
        nll_loss(jnp.array([1.0, 1.0]), target), math.log(2), rtol=1e-6
    )
    np.testing.assert_allclose(
        nll_loss(jnp.array([1.0, 0.0]), target), math.log1p(math.exp(-1)), rtol=1e-6
    )
    # negative outputs count as 0
    np.testing.assert_allclose(
        nll_loss(jnp.array([-5.0, 0.0]), target), math.log(2), rtol=1e-6
    )


def test_target_time_loss():
    t_max = 3e-2
    target = jnp.array([0.5, 0.2]) * t_max
    # -(log(1 + e^-0.5) + log(1 + e^-0.8))
    want = -(math.log1p(math.exp(-0.5)) + math.log1p(math.exp(-0.8)))
    got = target_time_loss(jnp.array([1.0, 1.0]) * t_max, target, t_max)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # on target: -log 2 each; no spike (inf): 0
    got = target_time_loss(jnp.array([0.5, jnp.inf]) * t_max, target, t_max)
    np.testing.assert_allclose(got, -math.log(2), rtol=1e-6)
    assert float(target_time_loss(jnp.full(2, jnp.inf), target, t_max)) == 0.0


def test_ttfs_loss():
    tau = 1e-2
    target = jnp.array([0.0, 1.0])  # class 0
    # t / tau = (0.1, 0.2): -log(e^-0.1 / (e^-0.1 + e^-0.2)) = log(1 + e^-0.1)
    got = ttfs_loss(jnp.array([1e-3, 2e-3]), target, tau)
    np.testing.assert_allclose(got, math.log1p(math.exp(-0.1)), rtol=1e-5)
    # times are capped at 2 tau: (0.1, 2) instead of (0.1, 100)
    got = ttfs_loss(jnp.array([1e-3, 1.0]), target, tau)
    np.testing.assert_allclose(got, math.log1p(math.exp(-1.9)), rtol=1e-5)
    # the gradient of the correct time is positive (earlier is better)
    g = jax.grad(ttfs_loss)(jnp.array([1e-3, 2e-3]), target, tau)
    assert g[0] > 0 > g[1]


def test_mse_loss():
    tau = 1e-2
    target = jnp.array([0.01, 0.015])
    # (0 / tau)^2 + ((2 tau - 0.015) / tau)^2 = 0.5^2
    got = mse_loss(jnp.array([0.01, jnp.inf]), target, tau)
    np.testing.assert_allclose(got, 0.25, rtol=1e-5)


def test_first_spike_both_forms():
    spikes = es.EventPropSpike(
        jnp.array([0.001, 0.002, 0.003, 0.004, 0.02]),
        jnp.array([3, 0, 4, 3, -1]),
        jnp.zeros(5),
    )
    # 0.2 form: size 5, outputs 3 and 4
    np.testing.assert_allclose(first_spike(spikes, 5, 2), [0.001, 0.003])
    # 0.3 form: local neurons 0..2 (neuron 1 and 2 never spike)
    np.testing.assert_allclose(first_spike(spikes, 3), [0.002, np.inf, np.inf])
    batched = jax.tree.map(lambda a: jnp.stack([a, a]), spikes)
    assert first_spike(batched, 5, 2).shape == (2, 2)


def test_spatio_temporal_encode():
    x = jnp.array([0.3, 0.1, 0.5])
    s = spatio_temporal_encode(x, 2.0, None, False)
    np.testing.assert_allclose(s.time, [0.2, 0.6, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(s.idx, [1, 0, 2])
    np.testing.assert_array_equal(s.current, 0.0)
    s = spatio_temporal_encode(x, 2.0, 2, True)
    np.testing.assert_allclose(s.time, [0.2, 0.2, 0.6, 0.6, 1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(s.idx, [2, 3, 0, 1, 4, 5])
    s = spatio_temporal_encode(x, 2.0, 2, False)
    np.testing.assert_array_equal(s.idx, [1, 1, 0, 0, 2, 2])
    # a batch of samples, each sorted on its own
    s = spatio_temporal_encode(jnp.array([[0.3, 0.1], [0.1, 0.3]]), 1.0, None, False)
    np.testing.assert_array_equal(s.idx, [[1, 0], [0, 1]])


def test_target_encoders_and_encode():
    got = target_temporal_encode(jnp.array([0, 2]), 1.0, 3.0, 3)
    np.testing.assert_array_equal(got, [[1, 3, 3], [3, 3, 1]])
    np.testing.assert_array_equal(
        target_one_hot_encode(jnp.array(1), 2.0, 3), [0, 2, 0]
    )
    x, y = encode(
        (jnp.array([1.0]), jnp.array([2]), "name"), lambda a: a * 10, lambda a: a + 1
    )
    assert float(x[0]) == 10.0 and int(y[0]) == 3
    x, y = encode((jnp.array([1.0]), jnp.array([2])))
    assert float(x[0]) == 1.0 and int(y[0]) == 2


def test_update_is_one_optimizer_step():
    opt = optax.sgd(0.1)
    p = jnp.array(1.0)
    state = OptState(opt.init(p), p, jax.random.PRNGKey(0))

    def loss_fn(params, batch):
        return (params - batch) ** 2, batch

    state, ((value, aux), grad) = update(opt, loss_fn, state, jnp.array(3.0))
    # loss (1 - 3)^2 = 4, gradient 2 (1 - 3) = -4, sgd: 1 - 0.1 * -4 = 1.4
    assert float(value) == 4.0 and float(aux) == 3.0 and float(grad) == -4.0
    np.testing.assert_allclose(state.params, 1.4, rtol=1e-6)


def test_epoch_scans_every_batch_and_tests():
    from functools import partial

    opt = optax.sgd(1.0)
    p = jnp.array(0.0)
    state = OptState(opt.init(p), p, jax.random.PRNGKey(0))

    def loss_fn(params, batch):
        return params * 1.0, None  # gradient 1: each step subtracts 1

    seen = {}

    def test_fn(params, batches):
        seen["shape"] = batches[0].shape
        return float(params), "ok"

    train = (jnp.arange(100.0), jnp.zeros(100))
    test = (jnp.arange(40.0), jnp.zeros(40))
    state, (result, params, seconds) = epoch(
        partial(update, opt, loss_fn), test_fn, train, test, 16, 8, state, 0
    )
    assert result == -6.0 == float(params)  # 100 // 16 = 6 steps
    assert seen["shape"] == (5, 8)
    assert seconds >= 0.0


def _yinyang_class_numpy(x, y):
    """The Yin-Yang rule (r = 0.5 big circle, dots of radius 0.1), in numpy."""
    d_r = np.hypot(x - 0.75, y - 0.5)
    d_l = np.hypot(x - 0.25, y - 0.5)
    if d_r < 0.1 or d_l < 0.1:
        return 2
    yin = d_r <= 0.1 or (0.1 < d_l <= 0.25) or (y > 0.5 and d_r > 0.25)
    return int(yin)


def test_yinyang_dataset():
    key = jax.random.PRNGKey(42)
    coords, classes, name = yinyang_dataset(key, 999, False, None)
    assert name == "yinyang" and coords.shape == (999, 2) and classes.shape == (999,)
    c = np.asarray(coords)
    assert np.all(np.hypot(c[:, 0] - 0.5, c[:, 1] - 0.5) <= 0.5)
    np.testing.assert_array_equal(np.bincount(np.asarray(classes)), [333, 333, 333])
    want = [_yinyang_class_numpy(x, y) for x, y in c]
    np.testing.assert_array_equal(np.asarray(classes), want)
    m, _, _ = yinyang_dataset(key, 999, True, None)
    np.testing.assert_allclose(np.asarray(m)[:, 2:], 1 - c, rtol=1e-6)
    b, _, _ = yinyang_dataset(key, 999, True, 0.25)
    assert b.shape == (999, 5) and np.all(np.asarray(b)[:, 4] == 0.25)
    # hand-picked points: the centre of each dot, one point of each half
    for xy, k in [((0.25, 0.5), 2), ((0.75, 0.5), 2), ((0.5, 0.9), 1), ((0.5, 0.1), 0)]:
        assert int(es.yinyang_class(jnp.array(xy))) == k == _yinyang_class_numpy(*xy)


def test_linear_circle_constant_datasets():
    key = jax.random.PRNGKey(3)
    c, y, name = linear_dataset(key, 500, True, 0.0)
    c = np.asarray(c)
    assert name == "linear" and c.shape == (500, 5)
    np.testing.assert_array_equal(np.asarray(y), c[:, 0] < c[:, 1])
    c, y, name = circle_dataset(key, 2000)
    c = np.asarray(c)
    assert name == "circle" and c.shape == (2000, 5)
    inside = (c[:, 0] - 0.5) ** 2 + (c[:, 1] - 0.5) ** 2 <= 1 / (2 * np.pi)
    np.testing.assert_array_equal(np.asarray(y), inside)
    assert 0.45 < np.mean(inside) < 0.55  # the circle has area 1/2
    x, t, name = constant_dataset(1e-2, 7)
    assert name == "constant" and x.shape == (7, 3) and t.shape == (7, 2)
    np.testing.assert_allclose(x[3], [1e-3, 2e-3, 1e-2], rtol=1e-6)
    np.testing.assert_allclose(t[6], [2e-3, 3e-3], rtol=1e-6)


def test_data_loader():
    x = jnp.arange(10.0)
    y = jnp.arange(10) * 2
    bx, by = data_loader((x, y, "name"), 3)
    assert bx.shape == (3, 3) and by.shape == (3, 3)
    np.testing.assert_array_equal(bx, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    bx, by = data_loader((x, y), 3, num_batches=2, rng=jax.random.PRNGKey(0))
    assert bx.shape == (2, 3)
    np.testing.assert_array_equal(by, 2 * bx)  # pairs stay together
    assert len(set(np.asarray(bx).ravel().tolist())) == 6
    spikes = es.EventPropSpike(
        jnp.zeros((10, 4)), jnp.zeros((10, 4), int), jnp.zeros((10, 4))
    )
    bs, _ = data_loader((spikes, y), 5)
    assert bs.time.shape == (2, 5, 4)
    with pytest.raises(ValueError, match="same number of samples"):
        data_loader((x, y[:5]), 2)
    with pytest.raises(ValueError, match="need"):
        data_loader((x, y), 4, num_batches=3)

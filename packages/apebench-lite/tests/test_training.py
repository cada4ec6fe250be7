"""Optimisers, trainers, losses, tasks, results tables and model files."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite._trainer import get_optimizer, substack

SMALL = dict(
    num_points=16,
    num_train_samples=3,
    train_temporal_horizon=8,
    num_test_samples=2,
    test_temporal_horizon=6,
    optim_config="adam;6;constant;1e-3",
    batch_size=4,
    record_loss_every=2,
)


class Shift(eqx.Module):
    """A parameter-free stepper `u -> 0.9 roll(u, 3)`."""

    def __call__(self, u, *, key=None):
        return 0.9 * jnp.roll(u, 3, axis=-1)


def test_warmup_cosine_schedule_values():
    _, steps, schedule = get_optimizer("adam;10_000;warmup_cosine;0.0;1e-3;2_000")
    assert steps == 10_000
    np.testing.assert_allclose(
        np.asarray([schedule(i) for i in (0, 1000, 2000, 6000)]),
        [0.0, 5e-4, 1e-3, 5e-4],
        atol=1e-9,
    )
    assert np.asarray(schedule(9999)) < 1e-9
    _, _, constant = get_optimizer("adam;10;constant;3e-4")
    assert constant(5) == pytest.approx(3e-4)
    _, _, exp = get_optimizer("adam;100;exp;1e-3;10;0.5;true")
    assert exp(25) == pytest.approx(2.5e-4)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("sgd;10;constant;1e-3", "unknown optimizer 'sgd'"),
        ("adam;ten;constant;1e-3", "NUM_STEPS must be an integer"),
        ("adam;10;cosine;1e-3", "unknown schedule 'cosine'"),
        ("adam;10;constant;fast", "LR must be a number"),
    ],
)
def test_malformed_optim_configs(config, message):
    with pytest.raises(ab.ConfigError) as info:
        get_optimizer(config)
    assert message in str(info.value) and "warmup_cosine;INIT_LR" in str(info.value)


def test_train_config_parsing():
    p = ab.parse_train_config
    assert p("one").kind == "one"
    assert (p("sup;5").kind, p("sup;5").num_rollout_steps) == ("sup", 5)
    # the spelling of APEBench's docstring works too (APEBench raises on it)
    assert p("sup-05") == p("sup;5")
    assert p("div-3") == p("div;3")
    c = p("div;3;true;TRUE")
    assert c.cut_bptt and c.cut_div_chain
    for bad, msg in (
        ("sup", "wrong number"),
        ("mix;3", "unknown training"),
        ("sup;x", "N must be an integer"),
    ):
        with pytest.raises(ab.ConfigError, match=msg) as info:
            p(bad)
        assert "'one' | 'sup;N[;CUT_BPTT]'" in str(info.value)


def test_task_config_errors():
    s = ab.scenario_dict["diff_adv"](**SMALL)
    with pytest.raises(ab.ConfigError, match="correct;sequential_with_bypass"):
        s.get_neural_stepper(
            task_config="correct;serial",
            network_config="Pure;3",
            key=jax.random.PRNGKey(0),
        )


def test_losses_match_numpy():
    s = ab.scenario_dict["diff_adv"](**SMALL)
    data = np.asarray(s.get_train_data())
    assert substack(data, 2).shape == (3 * 8, 2, 1, 16)
    assert substack(data, 4).shape == (3 * 6, 4, 1, 16)
    f = lambda u: 0.9 * np.roll(u, 3, axis=-1)  # noqa: E731
    ref_step = s.get_ref_stepper()
    windows = np.asarray(substack(data, 4))
    one = np.mean((f(data[:, :-1]) - data[:, 1:]) ** 2)
    sup = 0.0
    div = 0.0
    p = windows[:, 0]
    for t in range(1, 4):
        r = np.asarray(jax.vmap(ref_step)(jnp.asarray(p)))
        p = f(p)
        sup += np.mean((p - windows[:, t]) ** 2)
        div += np.mean((p - r) ** 2)
    model = Shift()
    np.testing.assert_allclose(s.full_loss(model, train_config="one"), one, rtol=1e-5)
    np.testing.assert_allclose(s.full_loss(model, train_config="sup;3"), sup, rtol=1e-5)
    np.testing.assert_allclose(s.full_loss(model, train_config="div;3"), div, rtol=1e-5)
    # cutting the gradient chains does not change the value
    np.testing.assert_allclose(
        s.full_loss(model, train_config="div;3;true;true"), div, rtol=1e-5
    )


@pytest.fixture(scope="module")
def result():
    s = ab.scenario_dict["diff_adv"](
        report_metrics="mean_nRMSE,mean_correlation", **SMALL
    )
    df, model = s(network_config="Conv;4;1;relu", num_seeds=2, start_seed=3)
    return s, df, model


def test_dataframe_schema_is_compact(result):
    s, df, _ = result
    t = s.test_temporal_horizon
    expected = (
        ["scenario", "task", "train", "net", "seed", "scenario_kwargs"]
        + [f"mean_nRMSE_{i:04d}" for i in range(1, t + 1)]
        + [f"mean_correlation_{i:04d}" for i in range(1, t + 1)]
        + [f"train_loss_{i:06d}" for i in (0, 2, 4)]
        + ["sample_rollout_000"]
    )
    assert list(df.columns) == expected  # no empty aux_* columns
    assert list(df["seed"]) == [3, 4]
    assert set(df["scenario"]) == {"1d_diff_adv"} and set(df["net"]) == {
        "Conv;4;1;relu"
    }
    assert np.asarray(df["sample_rollout_000"].iloc[0]).shape == (t + 1, 1, 16)
    assert np.all(np.isfinite(df.filter(like="mean_nRMSE").to_numpy()))


def test_multi_seed_models_and_tests(result):
    s, df, model = result
    assert model.layers[0].weight.shape[0] == 2  # leading seed axis
    metrics = s.perform_tests(model)
    assert metrics["mean_nRMSE"].shape == (2, s.test_temporal_horizon)
    np.testing.assert_allclose(
        metrics["mean_nRMSE"][1], df.filter(like="mean_nRMSE").to_numpy()[1], rtol=1e-5
    )
    one = jax.tree.map(lambda x: x[0] if eqx.is_array(x) else x, model)
    np.testing.assert_allclose(
        s.perform_test_rollout(one), metrics["mean_nRMSE"][0], rtol=1e-5
    )
    assert s.sample_trjs(one).shape == (1, s.test_temporal_horizon + 1, 1, 16)


def test_melt_utilities(result):
    _, df, _ = result
    metrics = ab.melt_metrics(df, ["mean_nRMSE", "mean_correlation"])
    assert len(metrics) == 2 * 6 and set(metrics["time_step"]) == set(range(1, 7))
    assert {"seed", "scenario", "mean_nRMSE", "mean_correlation"} <= set(
        metrics.columns
    )
    loss = ab.melt_loss(df)
    assert sorted(set(loss["update_step"])) == [0, 2, 4]
    assert len(ab.melt_sample_rollouts(df)) == 2
    g = ab.utils.aggregate_gmean(metrics, up_to=3)
    assert len(g) == 2


def test_perform_tests_on_rollout(result):
    s, _, _ = result
    ref = s.get_test_data()[:, 1:]
    out = s.perform_tests_on_rollout(ref)
    assert out["mean_nRMSE"].shape == (1, s.test_temporal_horizon)
    np.testing.assert_allclose(out["mean_nRMSE"], 0.0, atol=1e-6)
    np.testing.assert_allclose(out["mean_correlation"], 1.0, atol=1e-5)
    seeds = s.perform_tests_on_rollout(jnp.stack([ref, 0 * ref]))
    np.testing.assert_allclose(seeds["mean_nRMSE"][1], 1.0, rtol=1e-5)
    with pytest.raises(
        ValueError, match=r"expected a rollout of shape .*got \(2, 7, 1, 16\)"
    ):
        s.perform_tests_on_rollout(s.get_test_data())  # includes the ICs
    with pytest.raises(ValueError, match="channels-last"):
        s.perform_tests_on_rollout(jnp.moveaxis(ref, 2, -1))


def test_save_and_load_model(result, tmp_path):
    s, _, model = result
    path = tmp_path / "model.eqx"
    eqx.tree_serialise_leaves(path, model)
    loaded = s.load_model(
        path, num_seeds=2, task_config="predict", network_config="Conv;4;1;relu"
    )
    u = s.get_test_ic_set()[0]
    np.testing.assert_array_equal(
        eqx.filter_vmap(lambda m: m(u))(loaded), eqx.filter_vmap(lambda m: m(u))(model)
    )


@pytest.mark.parametrize("mode", ["sequential", "parallel", "sequential_with_bypass"])
def test_correction_tasks_train_under_jit(mode):
    # APEBench's CorrectedStepper fails under jit (stop_gradient on the whole coarse
    # stepper turns its integer fields into tracers)
    s = ab.scenario_dict["diff_burgers"](
        **{**SMALL, "optim_config": "adam;2;constant;1e-3"}
    )
    stepper = s.get_neural_stepper(
        task_config=f"correct;{mode}",
        network_config="Pure;3",
        key=jax.random.PRNGKey(0),
    )
    trainer = s.get_trainer(train_config="one")
    stacked = ab._base_scenario.stack_models([stepper])
    trained, loss, _ = trainer(stacked, jnp.asarray([[0, 1]], jnp.uint32), 1)
    assert loss.shape == (1, 2) and np.all(np.isfinite(np.asarray(loss)))
    # the coarse stepper is frozen
    np.testing.assert_array_equal(
        trained.coarse_stepper._exp[0], s.get_coarse_stepper()._exp
    )


def test_training_reduces_the_loss():
    s = ab.scenario_dict["diff_adv"](
        advection_gamma=-1.0,
        **{**SMALL, "optim_config": "adam;100;constant;3e-2", "record_loss_every": 10},
    )
    _, loss, *_ = s.run_raw(network_config="Pure;3", train_config="one")
    assert float(loss[0, -1]) < 0.1 * float(loss[0, 0]), loss


def test_callbacks_only_add_columns_when_they_run():
    s = ab.scenario_dict["diff_adv"](
        callbacks="weight_norm;2,net;4,sample_rollout;5", **SMALL
    )
    df, _ = s(network_config="Pure;3")
    aux = [c for c in df.columns if c.startswith("aux_")]
    assert aux == ["aux_000000", "aux_000002", "aux_000004", "aux_000005"]
    assert set(df["aux_000000"].iloc[0]) == {"weight_norm", "net", "sample_rollout"}
    assert "weight_norm" in df["aux_000002"].iloc[0]
    assert df["aux_000005"].iloc[0]["sample_rollout"].shape == (1, 7, 1, 16)
    with pytest.raises(ab.ConfigError, match="unknown callback"):
        ab.scenario_dict["diff_adv"](callbacks="bogus;2").get_callback_fn()


def test_seeds_train_sharded_over_devices():
    if len(jax.devices()) < 2:
        pytest.skip(
            "needs several (e.g. XLA_FLAGS=--xla_force_host_platform_device_count=8)"
        )
    s = ab.scenario_dict["diff_adv"](
        **{**SMALL, "optim_config": "adam;3;constant;1e-2"}
    )
    trainer = s.get_trainer(train_config="one")
    models = ab._base_scenario.stack_models(
        [s.get_network("Pure;3", np.array([0, i], np.uint32)) for i in range(2)]
    )
    keys = jnp.asarray([[0, 1], [0, 2]], jnp.uint32)
    plain, loss, _ = trainer(models, keys, 1)
    sharding = ab._trainer.seed_sharding(2)
    sharded, sharded_loss, _ = trainer(models, keys, 1, sharding=sharding)
    assert len(sharded.conv.weight.sharding.device_set) == 2
    np.testing.assert_allclose(sharded.conv.weight, plain.conv.weight, rtol=1e-5)
    np.testing.assert_allclose(sharded_loss, loss, rtol=1e-5)
    assert ab._trainer.seed_sharding(3, jax.devices()[:2]) is None


def test_two_dimensional_multichannel_run(tmp_path):
    s = ab.scenario_dict["diff_burgers"](
        num_spatial_dims=2, **{**SMALL, "optim_config": "adam;2;constant;1e-3"}
    )
    df, model = s(network_config="Pure;3")
    assert s.num_channels == 2 and model.conv.weight.shape == (2, 2, 3, 3)
    assert np.asarray(df["sample_rollout_000"].iloc[0]).shape == (7, 2, 16, 16)
    path = tmp_path / "one.eqx"
    eqx.tree_serialise_leaves(path, model)
    loaded = s.load_model(
        path, num_seeds=1, task_config="predict", network_config="Pure;3"
    )
    np.testing.assert_array_equal(loaded.conv.weight, model.conv.weight)


def test_trainer_takes_a_single_model_and_key():
    s = ab.scenario_dict["diff_adv"](
        **{**SMALL, "optim_config": "adam;3;constant;1e-2"}
    )
    trainer = s.get_trainer(train_config="one")
    net = s.get_network("Pure;3", jax.random.PRNGKey(0))
    trained, loss, aux = trainer(net, jax.random.PRNGKey(1), record_loss_every=1)
    assert trained.conv.weight.shape == net.conv.weight.shape
    assert loss.shape == (3,) and aux == []
    _, loss2, _ = trainer(net, jax.random.key(1), record_loss_every=1)
    np.testing.assert_array_equal(loss, loss2)


def test_metrics_callback_reports_the_test_metrics_every_k_steps():
    s = ab.scenario_dict["diff_adv"](callbacks="metrics;3", **SMALL)
    model = s.get_network("Pure;3", np.array([0, 0], np.uint32))
    callback = s.get_callback_fn()
    assert callback is not None
    assert callback(1, model) == {}
    reported = callback(3, model)["metrics"]
    expected = s.perform_tests(model, remove_singleton_axis=True)
    assert set(reported) == set(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(reported[name], np.asarray(values[0]), rtol=1e-6)
    df, _ = s(network_config="Pure;3")
    assert [c for c in df.columns if c.startswith("aux_")] == [
        "aux_000000",
        "aux_000003",
    ]
    assert set(df["aux_000003"].iloc[0]["metrics"]) == set(expected)

"""Scenario registry, attributes, data pipeline, initial conditions."""

import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab

APEBENCH_KEYS = {
    "norm_lin",
    "norm_adv",
    "norm_diff",
    "norm_adv_diff",
    "norm_disp",
    "norm_fisher",
    "norm_four",
    "norm_hypdiff",
    "norm_nonlin",
    "norm_conv",
    "norm_burgers",
    "norm_kdv",
    "norm_ks_cons",
    "norm_ks",
    "norm_burgers_sc",
    "norm_lin_simple",
    "phy_poisson",
    "phy_sh",
    "phy_gs",
    "phy_gs_type",
    "phy_decay_turb",
    "phy_kolm_flow",
    "phy_lin",
    "phy_lin_simple",
    "phy_adv",
    "phy_diff",
    "phy_adv_diff",
    "phy_disp",
    "phy_hyp_diff",
    "phy_four",
    "phy_nonlin",
    "phy_burgers_sc",
    "phy_kdv",
    "phy_ks",
    "phy_conv",
    "phy_burgers",
    "phy_ks_cons",
    "phy_poly",
    "phy_fisher",
    "phy_unbal_adv",
    "phy_diag_diff",
    "phy_aniso_diff",
    "phy_mix_disp",
    "phy_mix_hyp",
    "diff_lin",
    "diff_lin_simple",
    "diff_adv",
    "diff_diff",
    "diff_adv_diff",
    "diff_disp",
    "diff_hyp_diff",
    "diff_four",
    "diff_conv",
    "diff_burgers",
    "diff_ks_cons",
    "diff_nonlin",
    "diff_burgers_sc",
    "diff_kdv",
    "diff_ks",
    "diff_fisher",
}


def test_registry_has_apebench_keys():
    assert set(ab.scenario_dict) == APEBENCH_KEYS
    assert len(ab.scenario_dict) == 60


def test_unknown_scenario_key_is_a_clear_error():
    with pytest.raises(KeyError) as info:
        ab.scenario_dict["diff_advection"]
    text = str(info.value)
    assert "'diff_advection'" in text and "diff_adv" in text and "Expected" in text


def test_base_attributes_and_defaults():
    s = ab.scenario_dict["diff_adv"]()
    assert (s.num_spatial_dims, s.num_points, s.num_channels) == (1, 160, 1)
    assert s.ic_config == "fourier;5;true;true"
    assert (s.num_train_samples, s.train_temporal_horizon, s.train_seed) == (50, 50, 0)
    assert (s.num_test_samples, s.test_temporal_horizon, s.test_seed) == (30, 200, 773)
    assert s.optim_config == "adam;10_000;warmup_cosine;0.0;1e-3;2_000"
    assert (s.batch_size, s.num_trjs_returned, s.record_loss_every) == (20, 1, 100)
    assert s.vlim == (-1.0, 1.0) and s.report_metrics == "mean_nRMSE"
    assert s.callbacks == "" and s.num_training_steps == 10_000
    assert s.advection_gamma == -4.0 and s.gammas == (0.0, -4.0, 0.0, 0.0, 0.0)
    assert s.get_scenario_name() == "1d_diff_adv"


@pytest.mark.parametrize(
    ("key", "kwargs", "attrs", "name"),
    [
        (
            "diff_kdv",
            {},
            {
                "convection_sc_delta": -2.0,
                "dispersion_gamma": -14.0,
                "hyp_diffusion_gamma": -9.0,
                "order": 2,
            },
            "1d_diff_kdv",
        ),
        (
            "diff_ks",
            {},
            {
                "num_warmup_steps": 500,
                "vlim": (-6.5, 6.5),
                "report_metrics": "mean_nRMSE,mean_correlation",
            },
            "1d_diff_ks",
        ),
        (
            "diff_fisher",
            {},
            {"ic_config": "clamp;0.0;1.0;fourier;5;false;false"},
            "1d_diff_fisher",
        ),
        (
            "diff_burgers",
            {"num_spatial_dims": 2},
            {"num_channels": 2},
            "2d_diff_burgers",
        ),
        ("diff_lin", {"gammas": (0.0, 0.0, 2.0)}, {}, "1d_diff_linear_2"),
        (
            "diff_lin_simple",
            {"linear_term_order": 3},
            {"gammas": (0.0, 0.0, 0.0, -4.0)},
            "1d_diff_linear_3",
        ),
        ("norm_adv", {}, {"advection_alpha": -0.025}, "1d_norm_adv"),
        (
            "phy_kdv",
            {},
            {"domain_extent": 50.0, "b_coefs": (0.0, -6.0, 0.0)},
            "1d_phy_kdv",
        ),
        ("phy_ks_cons", {}, {"num_warmup_steps": 500}, "1d_phy_ks_conservative"),
        ("phy_disp", {}, {"dipersion_coef": 2.5e-4, "dt": 1e-3}, "1d_phy_disp"),
        (
            "phy_gs_type",
            {},
            {"num_channels": 2, "pattern_type": "theta"},
            "2d_phy_gs_theta",
        ),
        (
            "phy_kolm_flow",
            {},
            {"num_substeps": 20, "injection_mode": 4},
            "2d_phy_kolm_flow",
        ),
        ("phy_poisson", {}, {"train_temporal_horizon": 1}, "1d_phy_poisson_order2"),
        ("phy_unbal_adv", {}, {"num_spatial_dims": 3}, "3d_phy_unbal_adv"),
    ],
)
def test_scenario_attributes_and_names(key, kwargs, attrs, name):
    s = ab.scenario_dict[key](**kwargs)
    for attr, value in attrs.items():
        assert getattr(s, attr) == value, attr
    assert s.get_scenario_name() == name


def test_phy_burgers_has_a_name():
    # APEBench's phy_burgers returns None (missing return)
    assert ab.scenario_dict["phy_burgers"]().get_scenario_name() == "1d_phy_burgers"


def test_norm_ks_cons_uses_its_convection_delta():
    # APEBench ignores the field and silently uses convection_beta=-1.25e-2
    s = ab.scenario_dict["norm_ks_cons"]()
    assert s.convection_beta == s.convection_delta == -6e-3
    other = ab.scenario_dict["norm_ks_cons"](convection_delta=-1e-3)
    assert other.convection_beta == -1e-3


def test_every_scenario_steps_on_a_small_grid():
    for key, cls in ab.scenario_dict.items():
        d = cls().num_spatial_dims
        kwargs = {"num_points": 8 if d == 3 else 16}
        if hasattr(cls(), "num_substeps"):
            kwargs["num_substeps"] = 1  # fewer compiles; substeps are tested elsewhere
        s = cls(**kwargs)
        stepper = s.get_ref_stepper()
        u = jnp.full((s.num_channels,) + (s.num_points,) * d, 0.1, jnp.float32)
        out = stepper(u)
        assert out.shape == u.shape, key
        assert bool(jnp.all(jnp.isfinite(out))), key
        if key != "phy_poisson":
            coarse = s.get_coarse_stepper()
            assert type(coarse) is type(stepper), key
    # the coarse stepper is the same PDE advanced by half a step
    s = ab.scenario_dict["diff_adv"](num_points=16)
    u = jnp.asarray(np.sin(2 * np.pi * np.arange(16) / 16)[None], jnp.float32)
    np.testing.assert_allclose(
        s.get_coarse_stepper()(s.get_coarse_stepper()(u)),
        s.get_ref_stepper()(u),
        atol=1e-5,
    )
    with pytest.raises(NotImplementedError, match="no coarse stepper"):
        ab.scenario_dict["phy_poisson"]().get_coarse_stepper()


SMALL = dict(
    num_points=32,
    num_train_samples=3,
    train_temporal_horizon=6,
    num_test_samples=2,
    test_temporal_horizon=5,
)


def test_data_shapes_consistency_and_cache():
    s = ab.scenario_dict["diff_burgers"](**SMALL)
    train = s.get_train_data()
    test = s.get_test_data()
    assert train.shape == (3, 7, 1, 32) and test.shape == (2, 6, 1, 32)
    np.testing.assert_array_equal(test[:, 0], s.get_test_ic_set())
    np.testing.assert_array_equal(train[:, 0], s.get_train_ic_set())
    assert s.get_train_data() is train  # cached, not regenerated
    assert s.get_ref_sample_data().shape == (1, 6, 1, 32)
    # a reference trajectory follows the reference stepper
    np.testing.assert_allclose(s.get_ref_stepper()(train[0, 0]), train[0, 1], atol=1e-6)
    # same configuration -> same data; another seed -> other data
    again = ab.scenario_dict["diff_burgers"](**SMALL).get_train_data()
    np.testing.assert_array_equal(again, train)
    other = ab.scenario_dict["diff_burgers"](train_seed=1, **SMALL).get_train_data()
    assert not np.allclose(other, train)
    coarse = s.get_train_data_coarse()
    np.testing.assert_array_equal(coarse[:, 0], train[:, 0])  # no warmup
    np.testing.assert_allclose(
        s.get_coarse_stepper()(train[0, 0]), coarse[0, 1], atol=1e-6
    )


def test_warmup_uses_the_stepper_of_the_data():
    s = ab.scenario_dict["diff_ks"](num_warmup_steps=3, **SMALL)
    ref_ic = s.get_test_ic_set()
    coarse_ic = s.get_test_ic_set_coarse()
    assert ref_ic.shape == coarse_ic.shape == (2, 1, 32)
    assert not np.allclose(ref_ic, coarse_ic)


def test_produce_data():
    s = ab.scenario_dict["diff_diff"](**SMALL)
    data = s.produce_data(
        stepper=s.get_ref_stepper(),
        num_samples=4,
        num_warmup_steps=2,
        temporal_horizon=3,
        key=np.array([0, 5], np.uint32),
    )
    assert data.shape == (4, 4, 1, 32)


@pytest.mark.parametrize(
    "config",
    [
        "fourier;5;true;true",
        "fourier;3;false;false",
        "diffused;0.001;true;true",
        "grf;3.0;true;true",
        "clamp;0.0;1.0;fourier;5;false;false",
    ],
)
def test_initial_conditions(config):
    s = ab.scenario_dict["diff_adv"](ic_config=config, num_points=64)
    gen = s.get_ic_generator()
    ics = np.asarray(
        ab.ic.build_ic_set(
            gen, num_points=64, num_samples=5, key=np.array([0, 1], np.uint32)
        )
    )
    assert ics.shape == (5, 1, 64) and np.all(np.isfinite(ics))
    parts = config.split(";")
    if parts[0] == "clamp":
        np.testing.assert_allclose(ics.min(axis=(1, 2)), 0.0, atol=1e-6)
        np.testing.assert_allclose(ics.max(axis=(1, 2)), 1.0, atol=1e-6)
        return
    if parts[2] == "true":  # float32 draws (as in exponax): the mean is ~1e-6
        np.testing.assert_allclose(ics.mean(axis=(1, 2)), 0.0, atol=5e-6)
    if parts[3] == "true":
        np.testing.assert_allclose(np.abs(ics).max(axis=(1, 2)), 1.0, atol=1e-6)
    if parts[0] == "fourier":
        spec = np.abs(np.fft.rfft(ics[:, 0], axis=-1))
        assert np.all(spec[:, int(parts[1]) + 1 :] < 1e-4)


def test_fourier_ic_amplitudes():
    gen = ab.ic.RandomTruncatedFourierSeries(1, cutoff=2, max_one=False)
    u = np.asarray(gen(64, key=np.array([3, 4], np.uint32)))[0]
    coef = np.fft.rfft(u) / 32
    assert np.all(np.abs(coef[1:3]) <= 1.0 + 1e-6) and abs(coef[0]) < 1e-6


def test_ic_generator_under_jit_matches_shape():
    import jax

    gen = ab.ic.RandomTruncatedFourierSeries(2, cutoff=3)
    # traced keys use jax.random (shape check only: threefry compiles slowly)
    out = jax.eval_shape(lambda k: gen(16, key=k), jax.random.PRNGKey(0))
    assert out.shape == (1, 16, 16)
    sets = jax.eval_shape(
        lambda k: ab.ic.build_ic_set(gen, num_points=16, num_samples=3, key=k),
        jax.random.PRNGKey(0),
    )
    assert sets.shape == (3, 1, 16, 16)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("fourier;five;true;true", "CUTOFF must be an integer, got 'five'"),
        ("fourier;5;true", "takes 4 ';'-separated fields, got 3"),
        ("sine;5;true;true", "unknown IC type 'sine'"),
        ("clamp;0.0;fourier;5;true;true", "must be a number"),
    ],
)
def test_malformed_ic_configs(config, message):
    with pytest.raises(ab.ConfigError) as info:
        ab.scenario_dict["diff_adv"](ic_config=config).get_ic_generator()
    assert message in str(info.value) and repr(config) in str(info.value)
    assert "fourier;CUTOFF;ZERO_MEAN;MAX_ONE" in str(info.value)


def test_gray_scott_blobs():
    s = ab.scenario_dict["phy_gs"](num_points=16)
    ic = np.asarray(s.get_ic_generator()(16, key=np.array([0, 2], np.uint32)))
    assert ic.shape == (2, 16, 16)
    assert ic[0].max() <= 1.0 and ic[1].min() >= 0.0


@pytest.mark.parametrize(
    ("key", "field", "value"),
    [
        ("phy_unbal_adv", "advection_coef_vector", (0.01, -0.04, 0.005)),
        ("phy_diag_diff", "diffusion_coef_vector", (0.001,)),
    ],
)
def test_per_dimension_coefficients_must_match_the_dimension(key, field, value):
    with pytest.raises(
        ValueError, match=rf"{field} has {len(value)} entries; expected"
    ):
        ab.scenario_dict[key](num_spatial_dims=2, **{field: value})

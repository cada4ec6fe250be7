"""Networks: APEBench parameter counts, receptive fields, periodicity, config errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab

COUNTS = {
    # config: (1-D N=160, 2-D N=64)
    "Conv;34;10;relu": (31_757, 94_589),
    "Conv;26;10;relu": (18_669, None),
    "Conv;10;2;relu": (381, None),
    "Res;26;8;relu": (32_943, 97_839),
    "Res;26;6;relu": (24_727, None),
    "UNet;12;2;relu": (27_193, 79_969),
    "UNet;16;2;relu": (47_969, None),
    "Dil;2;32;2;relu": (31_777, 93_217),
    "Dil;3;32;2;relu": (44_449, None),
    "FNO;12;18;4;gelu": (32_527, 747_919),
    "FNO;12;32;4;gelu": (102_625, None),
    "MLP;64;3;relu": (29_024, 536_768),
    "MLP;16;4;relu": (6_112, None),
    "Pure;5;identity": (5, 25),
    "MoRes;26;6;relu": (25_351, 74_023),
    "MoUNet;16;2;relu": (92_629, 263_221),
}


@pytest.mark.parametrize("config", list(COUNTS))
def test_parameter_counts_equal_apebench(config):
    one_d, two_d = COUNTS[config]
    assert ab.scenario_dict["diff_adv"]().get_parameter_count(config) == one_d
    if two_d is not None:
        s2 = ab.scenario_dict["diff_adv"](num_spatial_dims=2, num_points=64)
        assert s2.get_parameter_count(config) == two_d


def test_3d_count_and_channels():
    s3 = ab.scenario_dict["diff_adv"](num_spatial_dims=3, num_points=32)
    assert s3.get_parameter_count("Conv;34;10;relu") == 283_085
    # convection scenarios have one channel per dimension
    conv2 = ab.scenario_dict["diff_burgers"](num_spatial_dims=2, num_points=64)
    assert conv2.num_channels == 2
    assert conv2.get_parameter_count("Conv;34;10;relu") > 94_589


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ("Conv;34;10;relu", 11),
        ("Res;26;8;relu", 16),
        ("UNet;12;2;relu", 29),
        ("Dil;2;32;2;relu", 20),
        ("Pure;5;identity", 2),
        ("MoRes;26;6;relu", 12),
        ("MoUNet;16;2;relu", 47),
        ("FNO;12;18;4;gelu", float("inf")),
    ],
)
def test_receptive_fields(config, field):
    s = ab.scenario_dict["diff_adv"]()
    rf = s.get_receptive_field(network_config=config, task_config="predict")
    assert rf == ((field, field),)


def test_receptive_field_works_for_correction_tasks():
    s = ab.scenario_dict["diff_adv"]()
    rf = s.get_receptive_field(
        network_config="Conv;34;10;relu", task_config="correct;sequential"
    )
    assert rf == ((11, 11),)


@pytest.mark.parametrize(
    "config",
    [
        "Conv;4;2;relu",
        "Res;4;1;tanh",
        "UNet;4;1;relu",
        "Dil;1;4;1;swish",
        "MoRes;4;1;gelu",
        "MoUNet;4;1;relu",
        "Pure;3",
    ],
)
def test_networks_are_translation_equivariant(config):
    net = ab.build_network(
        config,
        num_spatial_dims=1,
        num_channels=1,
        num_points=16,
        key=jax.random.PRNGKey(1),
    )
    u = jnp.asarray(np.random.default_rng(0).normal(size=(1, 16)), dtype=jnp.float32)
    shift = 4  # a multiple of the UNet's total stride
    assert callable(net)
    np.testing.assert_allclose(
        net(jnp.roll(u, shift, -1)), jnp.roll(net(u), shift, -1), atol=1e-5
    )


def test_network_init_is_deterministic_and_seed_dependent():
    s = ab.scenario_dict["diff_adv"](num_points=16)
    a = s.get_network("Conv;4;2;relu", jax.random.PRNGKey(0))
    b = s.get_network("Conv;4;2;relu", jax.random.PRNGKey(0))
    c = s.get_network("Conv;4;2;relu", jax.random.PRNGKey(1))
    np.testing.assert_array_equal(a.layers[0].weight, b.layers[0].weight)
    assert not np.allclose(a.layers[0].weight, c.layers[0].weight)
    # the same network can be built under jit (traced key)
    jitted = jax.jit(lambda k: s.get_network("Conv;4;2;relu", k).layers[0].weight)
    assert jitted(jax.random.PRNGKey(0)).shape == a.layers[0].weight.shape


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("Foo;3;relu", "unknown network 'Foo'"),
        ("Conv;34;relu", "takes 4 ';'-separated fields, got 3"),
        ("Conv;abc;10;relu", "WIDTH must be an integer, got 'abc'"),
        ("Conv;34;10;rleu", "unknown activation 'rleu'"),
        ("UNet;8;6;relu", "num_points=32 is too small or not divisible"),
        ("FNO;40;8;2;gelu", "exceeds the num_points // 2 + 1"),
    ],
)
def test_malformed_network_configs_are_clear_errors(config, message):
    s = ab.scenario_dict["diff_adv"](num_points=32)
    with pytest.raises(ab.ConfigError) as info:
        s.get_network(config, jax.random.PRNGKey(0))
    text = str(info.value)
    assert message in text
    assert (
        repr(config) in text and "Expected" in text and "Conv;WIDTH;DEPTH;ACT" in text
    )


def test_activations():
    s = ab.scenario_dict["diff_adv"]()
    for name in ("relu", "sigmoid", "tanh", "swish", "gelu", "identity"):
        assert callable(s.get_activation(name))
    with pytest.raises(ab.ConfigError, match="unknown activation"):
        s.get_activation("bogus")

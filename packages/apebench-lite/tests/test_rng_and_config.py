"""One key, one answer: the same key draws the same data and networks eagerly and
under `jit`; boolean config fields accept only their documented spellings."""

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import apebench_lite as ab
from apebench_lite import _rng
from apebench_lite._trainer import get_optimizer

IC_CONFIGS = [
    "fourier;5;true;true",
    "fourier;3;false;false",
    "diffused;0.001;true;true",
    "grf;3.0;true;true",
    "clamp;0.0;1.0;fourier;5;true;true",
]


@pytest.mark.parametrize("num_spatial_dims", [1, 2])
@pytest.mark.parametrize("config", IC_CONFIGS)
def test_initial_conditions_are_the_same_eagerly_and_under_jit(
    config, num_spatial_dims
):
    gen = ab.ic.parse_ic_config(config, num_spatial_dims)
    key = jax.random.PRNGKey(7)
    one = gen(24, key=key)
    one_jit = jax.jit(lambda k: gen(24, key=k))(key)
    # the affine clamp map may round differently when fused (one float32 ulp)
    np.testing.assert_allclose(one, one_jit, rtol=0, atol=2e-7)
    ics = ab.ic.build_ic_set(gen, num_points=24, num_samples=3, key=key)
    ics_jit = jax.jit(
        lambda k: ab.ic.build_ic_set(gen, num_points=24, num_samples=3, key=k)
    )(key)
    assert ics.shape == (3, 1) + (24,) * num_spatial_dims
    np.testing.assert_allclose(ics, ics_jit, rtol=0, atol=2e-7)
    assert not np.allclose(ics[0], ics[1])


def test_gaussian_blobs_are_the_same_eagerly_and_under_jit():
    gen = ab.ic.RandomGaussianBlobs(2, num_blobs=3)  # pyright: ignore[reportCallIssue]
    key = jax.random.PRNGKey(3)
    np.testing.assert_allclose(
        gen(16, key=key), jax.jit(lambda k: gen(16, key=k))(key), rtol=0, atol=2e-7
    )


def test_scenario_data_are_drawn_from_the_seed_key_with_jax_random():
    s = ab.scenario_dict["diff_adv"](
        num_points=32, num_train_samples=3, train_temporal_horizon=2, train_seed=5
    )
    key = jax.random.PRNGKey(5)
    expected = jax.jit(
        lambda k: ab.ic.build_ic_set(
            s.get_ic_generator(), num_points=32, num_samples=3, key=k
        )
    )(key)
    np.testing.assert_allclose(s.get_train_ic_set(), expected, rtol=0, atol=2e-7)
    # a typed key and a raw key are the same key
    typed = ab.ic.build_ic_set(
        s.get_ic_generator(), num_points=32, num_samples=3, key=jax.random.key(5)
    )
    np.testing.assert_array_equal(typed, s.get_train_ic_set())


# every architecture draws through the same helpers (uniform: convolutions and
# linear layers; normal: spectral convolutions)
NETWORKS = [
    "Conv;6;3;relu",
    "UNet;4;1;relu",
    "FNO;5;6;2;gelu",
    "MLP;8;2;relu",
    "Pure;3",
]


@pytest.mark.parametrize("config", NETWORKS)
def test_network_weights_are_the_same_eagerly_and_under_jit(config):
    s = ab.scenario_dict["diff_adv"](num_points=16)
    key = jax.random.PRNGKey(11)
    eager = s.get_network(config, key)
    jitted = eqx.filter_jit(lambda k: s.get_network(config, k))(key)
    a = jax.tree.leaves(eqx.filter(eager, eqx.is_array))
    b = jax.tree.leaves(eqx.filter(jitted, eqx.is_array))
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_draws_reuse_one_compiled_kernel_for_every_shape():
    key = np.array([0, 9], np.uint32)
    _rng.uniform(key, (3,))  # compile (once per process)
    kernel: Any = _rng._JIT_BLOCKS["uniform"]
    before = kernel._cache_size()
    for shape in [(5, 7), (40_000,), (2, 3, 4), (1,)]:
        x = _rng.uniform(key, shape, -2.0, 3.0)
        assert x.shape == shape and float(x.min()) >= -2.0 and float(x.max()) < 3.0
    after = kernel._cache_size()
    assert after == before
    # a longer draw extends a shorter one (blocks), and under jit it is the same
    long = _rng.uniform(key, (20_000,))
    np.testing.assert_array_equal(long[:100], _rng.uniform(key, (100,)))
    np.testing.assert_array_equal(
        long, jax.jit(lambda k: _rng.uniform(k, (20_000,)))(key)
    )
    normal = _rng.normal(key, (300,))
    np.testing.assert_allclose(
        normal, jax.jit(lambda k: _rng.normal(k, (300,)))(key), rtol=0, atol=1e-7
    )
    assert abs(float(jnp.mean(_rng.normal(key, (20_000,))))) < 0.05


def test_a_malformed_numpy_key_is_a_clear_error():
    with pytest.raises(ValueError, match="raw uint32"):
        _rng.uniform(np.array([1, 2, 3], np.uint32), (2,))


# -- boolean fields of the config strings ------------------------------------------


@pytest.mark.parametrize("word", ["yes", "ture", "1", "on", "no", "t", ""])
def test_boolean_fields_reject_undocumented_spellings(word):
    cases = [
        (lambda: ab.parse_train_config(f"sup;5;{word}"), "CUT_BPTT"),
        (lambda: ab.parse_train_config(f"div;5;true;{word}"), "CUT_DIV_CHAIN"),
        (lambda: ab.ic.parse_ic_config(f"fourier;5;{word};true", 1), "ZERO_MEAN"),
        (lambda: ab.ic.parse_ic_config(f"grf;3.0;true;{word}", 1), "MAX_ONE"),
        (lambda: get_optimizer(f"adam;100;exp;1e-3;10;0.5;{word}"), "STAIRCASE"),
    ]
    for parse, field in cases:
        with pytest.raises(ab.ConfigError) as info:
            parse()
        message = str(info.value)
        assert field in message and f"got {word!r}" in message, message


def test_boolean_fields_accept_true_and_false_in_any_case():
    p = ab.parse_train_config
    assert p("sup;5;True").cut_bptt and not p("sup;5;FALSE").cut_bptt
    assert p("div;5; false ;TRUE").cut_div_chain
    gen = ab.ic.parse_ic_config("fourier;5;False;TRUE", 1)
    assert not gen.zero_mean and gen.max_one  # pyright: ignore[reportAttributeAccessIssue]
    _, _, smooth = get_optimizer("adam;100;exp;1e-3;10;0.5;False")
    _, _, stairs = get_optimizer("adam;100;exp;1e-3;10;0.5;tRuE")
    assert stairs(15) == pytest.approx(5e-4)
    assert smooth(15) == pytest.approx(1e-3 * 0.5**1.5)

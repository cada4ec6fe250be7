"""rollax integration: entry point, conformance suite, demo."""

import jax.numpy as jnp
import pytest

import eventsnn as es
import rollax
import rollax.testing
from rollax.testing import LayerTests

PARAMS = es.LIFParameters(v_th=1.0)
SPIKES = es.EventPropSpike(
    jnp.array([0.001, 0.002, 0.004, 0.006]), jnp.array([0, 1, 2, 1]), jnp.zeros(4)
)


def test_entry_point_is_discovered():
    assert "eventsnn:EventPropLIFLayer" in rollax.layers()
    assert "eventsnn:LIFLayer" in rollax.layers()
    assert rollax.get_layer("eventsnn:EventPropLIFLayer") is es.EventPropLIFLayer
    assert rollax.get_demo("eventsnn").name == "eventsnn"
    # the old keys are deprecated aliases for one release
    with pytest.warns(DeprecationWarning, match="'eventsnn:EventPropLIFLayer'"):
        assert rollax.get_layer("eventsnn-eventprop-lif") is es.EventPropLIFLayer


def test_registered_keys_follow_the_scheme():
    # every key is `<distribution>:<ClassName>`
    assert rollax.testing.assert_keys_follow_scheme("eventsnn") == 2


class TestEventPropLIFLayer(LayerTests):
    @pytest.fixture
    def layer(self):
        return es.EventPropLIFLayer(
            size=4, n_spikes=32, t_max=2e-2, params=PARAMS, mean=3.0, std=1.0
        )

    @pytest.fixture
    def input_shape(self):
        return (3,)

    @pytest.fixture
    def inputs(self):
        return SPIKES


def test_demo_quick(tmp_path):
    summary = rollax.get_demo("eventsnn")(tmp_path, quick=True)
    assert "accuracy" in summary
    for name in ("history.csv", "summary.json", "curves.png", "raster.png"):
        assert (tmp_path / name).stat().st_size > 0, name


def test_import_has_no_global_side_effects():
    # jaxsnn 0.2.x switches on jax_debug_nans for everyone on import
    import jax

    assert not jax.config.jax_debug_nans  # pyright: ignore[reportAttributeAccessIssue]

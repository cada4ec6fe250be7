"""Registration with rollax, the demo and the summariser conformance suite."""

import json

import jax
import jax.numpy as jnp
import optax
import pytest

import rollax
import rollax.testing
from imnn_data import GradientIMNN, IMNNSummariser
from rollax.testing import SummariserTests


def test_entry_point_registers_summariser_and_demo():
    assert rollax.summarisers()["imnn-data:IMNNSummariser"] is IMNNSummariser
    assert rollax.get_demo("imnn-data").name == "imnn-data"
    # the old key is a deprecated alias for one release
    with pytest.warns(DeprecationWarning, match="'imnn-data:IMNNSummariser'"):
        assert rollax.get_summariser("imnn") is IMNNSummariser


def test_registered_keys_follow_the_scheme():
    # every key is `<distribution>:<ClassName>`
    assert rollax.testing.assert_keys_follow_scheme("imnn-data") == 1


def test_quick_demo_writes_outputs(tmp_path):
    summary = rollax.get_demo("imnn-data")(tmp_path, quick=True)
    assert "det F" in summary
    for name in ("history.png", "estimates.csv", "results.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert list((tmp_path / "records").glob("fiducial_*.tfrecords"))
    results = json.loads((tmp_path / "results.json").read_text())
    # the Gaussian problem: det F within 10% of the analytic 50 on fresh data
    assert abs(results["detF_fresh_simulations"] - 50.0) < 5.0


@pytest.fixture(scope="module")
def fitted_summariser(problem):
    imnn = GradientIMNN(
        40,
        20,
        2,
        2,
        (3, 4),
        jnp.array([0.0, 1.0]),
        problem["model"],
        optax.adam(1e-3),
        jax.random.key(0),
        problem["fid"],
        problem["der"],
    )
    imnn.set_F_statistics()
    return imnn.summariser()


class TestIMNNSummariser(SummariserTests):
    @pytest.fixture
    def summariser(self, fitted_summariser):
        return fitted_summariser

    @pytest.fixture
    def data(self, problem):
        return jnp.asarray(problem["fid"][0])

    def test_report_has_fisher_information(self, summariser):
        report = summariser.report()
        assert report["F"].shape == (2, 2) and report["detF"] > 0

"""`helpers.search_for_init(..., checkpoint=)`: a search killed between batches resumes."""

import jax
import numpy as np
import pytest

import rollax
from lenia_runner import helpers, orbium_config
from rollax.testing import ResumeTests


def _config(nb_init=7):
    cfg = orbium_config((32, 32), 40)
    cfg["world_params"]["R"] = 6
    cfg["run_params"]["nb_init_search"] = nb_init
    return cfg


def _search(checkpoint=None, *, seed=3, nb_init=7):
    key, best, all_N = helpers.search_for_init(
        jax.random.key(seed), _config(nb_init), checkpoint=checkpoint
    )
    return {
        "key": jax.random.key_data(key),
        "all_N": all_N,
        "init_idx": np.asarray(best["init_idx"]),
        "N": np.asarray(best["N"]),
        "cells": best["cells"],
        "all_stats": best["all_stats"],
    }


class TestSearchForInitResumes(ResumeTests):
    every_steps = 2  # 7 candidates: saves after 2, 4, 6 and 7
    interrupt_after = 2

    @pytest.fixture
    def resumable_run(self):
        return _search


def test_without_checkpoint_the_result_is_the_recorded_one():
    # Recorded from the code before `checkpoint=` existed (one batch of 7). The two
    # candidates living the whole 40 steps tie: the first one wins, as in argmax.
    got = _search()
    assert np.asarray(got["all_N"]).tolist() == [2, 15, 17, 11, 40, 15, 40]
    assert int(got["init_idx"]) == 4 and int(got["N"]) == 40
    assert np.asarray(got["key"]).tolist() == [732048474, 698085531]
    assert float(np.asarray(got["cells"]).sum()) == pytest.approx(151.51624, rel=1e-6)
    mass = float(np.asarray(got["all_stats"]["mass"]).sum())
    assert mass == pytest.approx(37.721058, rel=1e-6)


@pytest.mark.parametrize("every_steps", [1, 3, 7])
def test_the_checkpointed_search_finds_what_the_plain_one_finds(tmp_path, every_steps):
    plain = _search()
    checkpoint = rollax.Checkpointing(tmp_path, every_steps=every_steps)
    batched = _search(checkpoint)
    for name in ("key", "all_N", "init_idx", "N", "cells"):
        np.testing.assert_array_equal(batched[name], plain[name], err_msg=name)
    for name, value in plain["all_stats"].items():
        np.testing.assert_allclose(batched["all_stats"][name], value, rtol=1e-5)
        assert batched["all_stats"][name].shape == value.shape


def test_a_checkpoint_of_another_search_is_refused(tmp_path):
    checkpoint = rollax.Checkpointing(tmp_path, every_steps=4)
    _search(checkpoint)
    with pytest.raises(rollax.CheckpointError, match="key") as info:
        _search(checkpoint, seed=4)
    assert "initial states" in str(info.value)
    with pytest.raises(rollax.CheckpointError, match="nb_init_search"):
        _search(checkpoint, nb_init=5)
    # the refused calls overwrote nothing: the original search still reads back
    np.testing.assert_array_equal(_search(checkpoint)["all_N"], _search()["all_N"])


def test_arrays_in_the_configuration_are_compared_by_content(tmp_path):
    # numpy's repr elides the middle of large arrays; the fingerprint must not
    cfg = _config(2)
    cfg["run_params"]["cells"] = np.zeros((1, 40, 40))
    cfg["run_params"]["cells"][0, 20, 20] = 0.5
    checkpoint = rollax.Checkpointing(tmp_path, every_steps=2)
    helpers.search_for_init(jax.random.key(0), cfg, checkpoint=checkpoint)
    cfg["run_params"]["cells"][0, 20, 20] = 0.25
    with pytest.raises(rollax.CheckpointError, match="configuration"):
        helpers.search_for_init(jax.random.key(0), cfg, checkpoint=checkpoint)

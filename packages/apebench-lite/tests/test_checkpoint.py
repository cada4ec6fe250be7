"""Training that survives a crash: checkpoints through rollax, bit-exact resumes,
refusal of another training's checkpoint, unchanged numbers without `checkpoint=`."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import apebench_lite as ab
import rollax
from apebench_lite import _trainer
from rollax.testing import ResumeTests

# 3 x 7 windows of `sup;2` in batches of 5: every fifth update takes the short last
# batch of an epoch (1 window).
TINY = dict(
    num_points=16,
    num_train_samples=3,
    train_temporal_horizon=8,
    num_test_samples=2,
    test_temporal_horizon=6,
    batch_size=5,
    record_loss_every=2,
)
NET = "Conv;4;1;relu"


def _scenario(optim_config="adam;23;constant;1e-3"):
    return ab.scenario_dict["diff_adv"](**TINY, optim_config=optim_config)


def _train(checkpoint=None, optim_config="adam;23;constant;1e-3"):
    trained, loss, _, metrics, _, _ = _scenario(optim_config).run_raw(
        network_config=NET, train_config="sup;2", num_seeds=2, checkpoint=checkpoint
    )
    return eqx.filter(trained, eqx.is_array), loss, metrics


class TestScenarioTrainingResumes(ResumeTests):
    every_steps = 5
    interrupt_after = 2

    @pytest.fixture
    def resumable_run(self):
        return _train


def test_losses_without_checkpoint_are_unchanged():
    # recorded from the trainer before checkpointing existed (one compiled update per
    # call, per-update host loop), on this configuration: the chunked loop must not
    # change a bit
    trained, loss, _, _, _, _ = _scenario("adam;7;constant;1e-3").run_raw(
        network_config=NET, train_config="sup;2", num_seeds=2
    )
    want = [
        ["0x1.d6521e0000000p-2", "0x1.e75fc40000000p-2"],
        ["0x1.05aa620000000p-1", "0x1.dfb1cc0000000p-2"],
        ["0x1.b29c0e0000000p-2", "0x1.837ab00000000p-2"],
        ["0x1.e3a1ac0000000p-2", "0x1.7f0a0e0000000p-2"],
    ]
    want = np.array([float.fromhex(h) for row in want for h in row], np.float32)
    np.testing.assert_array_equal(np.asarray(loss).ravel(), want)
    weights = np.asarray(jax.tree.leaves(eqx.filter(trained, eqx.is_array))[0])
    np.testing.assert_array_equal(
        weights.ravel()[:4],
        np.array(
            [
                float.fromhex(h)
                for h in (
                    "-0x1.0888720000000p-1",
                    "-0x1.5519e60000000p-2",
                    "-0x1.dbda020000000p-2",
                    "0x1.a25abe0000000p-2",
                )
            ],
            np.float32,
        ),
    )


def test_checkpointing_does_not_change_the_numbers(tmp_path):
    plain = _train()
    saved = _train(rollax.Checkpointing(tmp_path, every_steps=3))
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(saved), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.isdigit()) == [
        "21",
        "23",
    ]  # keep=2: the last two of 3, 6, ..., 21, 23


def test_another_optimiser_config_is_refused(tmp_path):
    _train(tmp_path)
    with pytest.raises(rollax.CheckpointError) as info:
        _train(tmp_path, optim_config="adam;23;constant;1e-2")
    message = str(info.value)
    assert "optim_config: 'adam;23;constant;1e-3' in the checkpoint" in message
    assert "'adam;23;constant;1e-2' now" in message
    assert "network_config" not in message  # only what differs


def _bare(tmp_path, learning_rate, num_seeds=1):
    scenario = _scenario()
    data = _trainer.substack(scenario.get_train_data(), 2)
    trainer = ab.Trainer(
        data,
        optax.adam(learning_rate),
        4,
        5,
        _trainer.make_loss(ab.parse_train_config("one")),
    )
    model = scenario.get_neural_stepper(
        task_config="predict", network_config=NET, key=jax.random.PRNGKey(0)
    )
    return trainer(model, jax.random.PRNGKey(1), 1, checkpoint=tmp_path)


def test_a_bare_trainer_refuses_another_optimiser(tmp_path):
    _, loss, _ = _bare(tmp_path, 1e-3)
    assert loss.shape == (4,)
    _, again, _ = _bare(tmp_path, 1e-3)  # finished: read back
    np.testing.assert_array_equal(np.asarray(again), np.asarray(loss))
    with pytest.raises(rollax.CheckpointError, match="optimizer: "):
        _bare(tmp_path, 1e-2)


def test_progress_bar_comes_from_rollax(monkeypatch):
    calls = []
    real = rollax.progress_bar

    def spy(total, *, enabled, desc=None, unit="step"):
        calls.append((total, enabled, desc))
        return real(total, enabled=False, desc=desc, unit=unit)

    monkeypatch.setattr(_trainer, "progress_bar", spy)
    trainer = _scenario("adam;3;constant;1e-3").get_trainer(train_config="one")
    trainer.progress = True
    model = _scenario().get_neural_stepper(
        task_config="predict", network_config=NET, key=jax.random.PRNGKey(0)
    )
    trainer(model, jax.random.PRNGKey(1), 1)
    trainer.progress = False
    trainer(model, jax.random.PRNGKey(1), 1)
    assert calls == [(3, True, "training"), (3, False, "training")]


def test_a_resumed_training_with_callbacks_warns(tmp_path, monkeypatch):
    scenario = _scenario("adam;6;constant;1e-3")
    trainer = scenario.get_trainer(train_config="one")
    trainer.callback_fn = lambda i, model: {"i": i} if i % 2 == 0 else {}
    model = scenario.get_neural_stepper(
        task_config="predict", network_config=NET, key=jax.random.PRNGKey(0)
    )
    checkpoint = rollax.Checkpointing(tmp_path, every_steps=4)
    _, _, aux = trainer(
        model, jnp.asarray(jax.random.PRNGKey(1)), 1, checkpoint=checkpoint
    )
    assert [i for i, _ in aux] == [0, 2, 4]
    with pytest.warns(UserWarning, match="aux_history covers only the updates"):
        _, _, aux = trainer(model, jax.random.PRNGKey(1), 1, checkpoint=checkpoint)
    assert aux == []  # finished: nothing ran

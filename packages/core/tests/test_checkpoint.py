"""Checkpoint and resume of rollax.rollout: bit-identical after an interruption (SIGKILL
included), refused for another run, safe when the disk is full or unwritable."""

import errno
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest
from jaxtyping import Array, Float

import rollax
from rollax import _rollout
from rollax.testing import ResumeTests


class Walk(rollax.AbstractStepper):
    name: ClassVar[str] = "test-walk"
    rate: Float[Array, ""]

    def __call__(self, state, *, key=None):
        assert key is not None
        return jnp.tanh(state * self.rate + jax.random.normal(key, state.shape))


def run(directory, num_steps=60, rate=0.9, every_steps=10, **kwargs):
    checkpoint = rollax.Checkpointing(directory, every_steps=every_steps, keep=2)
    return rollax.rollout(
        Walk(jnp.float32(rate)),
        jnp.zeros(4),
        num_steps,
        key=jax.random.key(3),
        monitor=lambda s: s.sum(),
        every=3,
        chunk_size=12,
        checkpoint=checkpoint,
        **kwargs,
    )


def assert_same(a, b):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture
def uninterrupted():
    return rollax.rollout(
        Walk(jnp.float32(0.9)),
        jnp.zeros(4),
        60,
        key=jax.random.key(3),
        monitor=lambda s: s.sum(),
        every=3,
    )


def test_a_checkpointed_run_equals_the_plain_one(tmp_path, uninterrupted):
    assert_same(run(tmp_path / "ckpt"), uninterrupted)
    steps = sorted(
        int(p.name) for p in (tmp_path / "ckpt").iterdir() if p.name.isdigit()
    )
    assert steps == [48, 60]  # every 12 (10 rounded up to every=3), keep=2, and the end


def test_resume_after_an_interruption_is_bit_identical(
    tmp_path, monkeypatch, uninterrupted
):
    saves = []
    real_save = rollax._checkpoint.CheckpointStore.save

    def save_then_crash(self, step, arrays, records):
        real_save(self, step, arrays, records)
        saves.append(step)
        if len(saves) == 3:
            raise KeyboardInterrupt  # the process dies right after the third save

    monkeypatch.setattr(rollax._checkpoint.CheckpointStore, "save", save_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "ckpt")
    monkeypatch.setattr(rollax._checkpoint.CheckpointStore, "save", real_save)
    assert saves == [12, 24, 36]
    assert_same(run(tmp_path / "ckpt"), uninterrupted)


def test_a_finished_run_is_read_back_without_computing(
    tmp_path, monkeypatch, uninterrupted
):
    run(tmp_path / "ckpt")

    def no_compute(*args, **kwargs):
        raise AssertionError("the finished run was computed again")

    monkeypatch.setattr(_rollout, "_advance", no_compute)
    assert_same(run(tmp_path / "ckpt"), uninterrupted)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"num_steps": 90}, "num_steps: 60 in the checkpoint, 90 now"),
        ({"rate": 0.5}, "stepper parameters"),
    ],
)
def test_a_checkpoint_of_another_run_is_refused(tmp_path, change, message):
    run(tmp_path / "ckpt")
    before = sorted(str(p) for p in (tmp_path / "ckpt").rglob("*"))
    with pytest.raises(rollax.CheckpointError, match=message) as info:
        run(tmp_path / "ckpt", **change)
    assert "Nothing was overwritten" in str(info.value)
    assert sorted(str(p) for p in (tmp_path / "ckpt").rglob("*")) == before


def test_another_initial_state_or_key_is_refused(tmp_path):
    checkpoint = rollax.Checkpointing(tmp_path / "ckpt", every_steps=5)
    stepper = Walk(jnp.float32(0.9))
    rollax.rollout(
        stepper, jnp.zeros(4), 10, key=jax.random.key(0), checkpoint=checkpoint
    )
    with pytest.raises(rollax.CheckpointError, match="initial state"):
        rollax.rollout(
            stepper, jnp.ones(4), 10, key=jax.random.key(0), checkpoint=checkpoint
        )
    with pytest.raises(rollax.CheckpointError, match="key"):
        rollax.rollout(
            stepper, jnp.zeros(4), 10, key=jax.random.key(1), checkpoint=checkpoint
        )
    with pytest.raises(rollax.CheckpointError, match="state shapes"):
        rollax.rollout(
            stepper, jnp.zeros(5), 10, key=jax.random.key(0), checkpoint=checkpoint
        )


def test_an_unwritable_directory_fails_before_the_run(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")

    def no_compute(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(_rollout, "_advance", no_compute)
    with pytest.raises(rollax.CheckpointError, match="not writable"):
        run(tmp_path / "a-file" / "ckpt")


def test_a_full_disk_keeps_the_previous_checkpoint(
    tmp_path, monkeypatch, uninterrupted
):
    calls = []
    real_save = ocp.CheckpointManager.save

    def disk_full_on_third(self, step, *args, **kwargs):
        calls.append(step)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, step, *args, **kwargs)

    monkeypatch.setattr(ocp.CheckpointManager, "save", disk_full_on_third)
    with pytest.raises(
        rollax.CheckpointError, match=r"No space left.*previous checkpoint is intact"
    ):
        run(tmp_path / "ckpt")
    monkeypatch.setattr(ocp.CheckpointManager, "save", real_save)
    assert_same(run(tmp_path / "ckpt"), uninterrupted)  # resumes from step 24


def test_checkpointing_arguments_are_checked():
    with pytest.raises(ValueError, match="every_steps must be positive"):
        rollax.Checkpointing("d", every_steps=0)
    with pytest.raises(ValueError, match="keep"):
        rollax.Checkpointing("d", keep=0)
    with pytest.raises(TypeError, match="checkpoint must be a directory"):
        rollax.rollout(lambda s: s, jnp.zeros(2), 3, checkpoint=3)  # pyright: ignore[reportArgumentType]


def test_checkpoints_by_wall_time(tmp_path):
    checkpoint = rollax.Checkpointing(tmp_path / "ckpt", every_seconds=1e-9, keep=100)
    rollax.rollout(
        lambda s: s + 1, jnp.zeros(2), 40, chunk_size=10, checkpoint=checkpoint
    )
    steps = sorted(
        int(p.name) for p in (tmp_path / "ckpt").iterdir() if p.name.isdigit()
    )
    # The first chunk is full; after it, chunks shrink so that no save is late.
    assert steps[0] == 10 and steps[-1] == 40 and len(steps) > 4


SCRIPT = textwrap.dedent(
    """
    import sys
    import jax, jax.numpy as jnp, numpy as np
    import rollax

    w = jax.random.normal(jax.random.key(0), (32, 32)) / 6.0

    def step(state, *, key):
        return jnp.tanh(state @ w + 0.1 * jax.random.normal(key, state.shape))

    directory, out = sys.argv[1], sys.argv[2]
    checkpoint = rollax.Checkpointing(directory, every_steps=20, keep=2) if directory != "-" else None
    final, outputs = rollax.rollout(
        step, jnp.ones((8, 32)), 1500, key=jax.random.key(1), monitor=lambda s: s.mean(0),
        every=7, chunk_size=20, checkpoint=checkpoint,
    )
    np.savez(out, final=np.asarray(final), outputs=np.asarray(outputs))
    """
)


def test_resume_after_sigkill_at_random_moments(tmp_path):
    """A real process killed with SIGKILL (during computing or during a save; saves every
    20 steps dominate the run) resumes, and the final result is bit-identical."""
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    ckpt = tmp_path / "ckpt"

    def launch(directory, out):
        return subprocess.Popen(
            [sys.executable, str(script), str(directory), str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    reference = launch("-", tmp_path / "reference.npz")
    rng = random.Random(0)
    kills = 0
    for _ in range(3):
        process = launch(ckpt, tmp_path / "killed.npz")
        deadline = time.monotonic() + 120
        while (
            not any(p.name.isdigit() for p in ckpt.glob("*"))
            and time.monotonic() < deadline
        ):
            if process.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait()
    assert kills >= 1, "the run finished before it could be killed; make it longer"
    final = launch(ckpt, tmp_path / "resumed.npz")
    assert final.wait(timeout=300) == 0, final.stderr.read().decode()  # pyright: ignore[reportOptionalMemberAccess]
    assert reference.wait(timeout=300) == 0, reference.stderr.read().decode()  # pyright: ignore[reportOptionalMemberAccess]
    want, got = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    assert got["outputs"].shape == (1500 // 7, 32)
    np.testing.assert_array_equal(got["final"], want["final"])
    np.testing.assert_array_equal(got["outputs"], want["outputs"])
    leftovers = [p.name for p in ckpt.iterdir() if not p.name.isdigit()]
    assert (
        Path(ckpt).exists()
        and len([p for p in ckpt.iterdir() if p.name.isdigit()]) <= 2
    ), leftovers


class TestRolloutResumes(ResumeTests):
    """The conformance suite, run on rollax.rollout itself."""

    every_steps = 12

    @pytest.fixture
    def resumable_run(self):
        def run(checkpoint):
            return rollax.rollout(
                Walk(jnp.float32(0.7)),
                jnp.zeros(4),
                100,
                key=jax.random.key(5),
                monitor=lambda s: s,
                every=4,
                chunk_size=16,
                checkpoint=checkpoint,
            )

        return run


class TestTooShortRunIsReported(ResumeTests):
    interrupt_after = 50

    @pytest.fixture
    def resumable_run(self):
        return lambda checkpoint: run(checkpoint.directory, num_steps=20)

    def test_an_interrupted_run_resumes_bit_identically(
        self, resumable_run, tmp_path, monkeypatch
    ):
        with pytest.raises(pytest.fail.Exception, match="finished after 2 checkpoint"):
            super().test_an_interrupted_run_resumes_bit_identically(
                resumable_run, tmp_path, monkeypatch
            )

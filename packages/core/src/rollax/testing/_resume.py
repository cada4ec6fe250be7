"""Conformance suite: a plugin's long run resumes bit-exactly from its checkpoint."""

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import jax
import numpy as np
import pytest

from .._checkpoint import Checkpointing, CheckpointStore


class _Interrupted(BaseException):
    """Stands for the process dying right after a checkpoint was written."""


class ResumeTests:
    """A run with `checkpoint=` that is interrupted resumes with bit-identical results.

    Subclass it and define the fixture `resumable_run`: a function
    `run(checkpoint: rollax.Checkpointing) -> pytree of arrays` that does the plugin's
    long run (a runner, a training, a search) with that checkpoint and returns what it
    computed. The run must checkpoint through rollax (`rollax.rollout` or
    `rollax.Checkpointing`); the suite interrupts it right after a save, runs it again,
    and compares with an uninterrupted run, leaf by leaf and bit for bit.

    Class attributes: `every_steps` (the checkpoint interval handed to the run) and
    `interrupt_after` (after how many saves the first attempt dies).
    """

    every_steps: ClassVar[int] = 10
    interrupt_after: ClassVar[int] = 2

    @pytest.fixture
    def resumable_run(self) -> Callable[[Checkpointing], Any]:
        raise NotImplementedError(
            "define a `resumable_run` fixture: run(checkpoint) -> pytree of arrays"
        )

    def _checkpoint(self, directory: Path) -> Checkpointing:
        return Checkpointing(directory, every_steps=self.every_steps, keep=2)

    def test_an_interrupted_run_resumes_bit_identically(
        self, resumable_run, tmp_path, monkeypatch
    ):
        reference = resumable_run(self._checkpoint(tmp_path / "uninterrupted"))
        saves = []
        real_save = CheckpointStore.save

        def save_then_die(store, *args, **kwargs):
            real_save(store, *args, **kwargs)
            saves.append(args[0] if args else kwargs.get("step"))
            if len(saves) == self.interrupt_after:
                raise _Interrupted

        monkeypatch.setattr(CheckpointStore, "save", save_then_die)
        directory = tmp_path / "interrupted"
        try:
            resumable_run(self._checkpoint(directory))
        except _Interrupted:
            pass
        else:
            pytest.fail(
                f"the run finished after {len(saves)} checkpoint(s), before the "
                f"{self.interrupt_after}th save: make it longer or lower every_steps"
            )
        monkeypatch.setattr(CheckpointStore, "save", real_save)
        resumed = resumable_run(self._checkpoint(directory))
        _assert_bit_identical(resumed, reference)
        again = resumable_run(self._checkpoint(directory))  # finished: read back
        _assert_bit_identical(again, reference)


def _assert_bit_identical(got, want) -> None:
    got_leaves, want_leaves = jax.tree.leaves(got), jax.tree.leaves(want)
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for i, (g, w) in enumerate(zip(got_leaves, want_leaves, strict=True)):
        np.testing.assert_array_equal(
            np.asarray(g), np.asarray(w), err_msg=f"leaf {i} differs after resuming"
        )

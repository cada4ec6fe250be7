"""Computing modes: non-batching (single sample) and batching (leading batch axis)."""


class Mode:
    """Base class of computing modes."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))

    def is_one_of(self, *modes: type) -> bool:
        return isinstance(self, modes)


class NonBatchingMode(Mode):
    """Variables have no batch axis (the default)."""

    @property
    def batch_size(self) -> int:
        return 0


class BatchingMode(Mode):
    """Variables carry a leading batch axis of size `batch_size`.

    **Arguments:**

    - `batch_size`: the number of samples simulated side by side.
    """

    def __init__(self, batch_size: int = 1):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int):
            raise TypeError(f"expected an int batch_size, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"expected batch_size >= 1, got {batch_size}")
        self.batch_size = batch_size

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_size={self.batch_size})"


class TrainingMode(BatchingMode):
    """Batching mode for training (spikes are float)."""


nonbatching_mode = NonBatchingMode()
batching_mode = BatchingMode()
training_mode = TrainingMode()

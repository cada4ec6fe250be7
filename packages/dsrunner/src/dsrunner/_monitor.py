"""Monitor specifications (`Monitor`) and the compact spike record (`SpikeTrain`)."""

from typing import Any, NamedTuple

import numpy as np


class Monitor:
    """An explicit monitor with options BrainPy lacks.

    Use it as a value of the `monitors` dict:
    `monitors={'V': Monitor('E.V', every=10), 'spk': Monitor('E.spike', spikes=True)}`.

    **Arguments:**

    - `target`: a `Variable`, a (dotted) attribute path, or a callable with no
        arguments.
    - `index`: an index into the variable's unit axis (int, list, array or None).
    - `every`: record only steps whose global index `i` is a multiple of `every`;
        the recorded times are in `runner.mon_ts[key]`.
    - `spikes`: record a boolean variable compactly (bit-packed on the device) and
        return a `SpikeTrain` of `(times, indices)` instead of a dense raster.
    - `dtype`: cast the recorded values to this dtype (e.g. `float16`).
    """

    def __init__(
        self,
        target: Any,
        index: Any = None,
        every: int = 1,
        spikes: bool = False,
        dtype: Any = None,
    ):
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"expected every to be a positive int, got {every!r}")
        self.target = target
        self.index = index
        self.every = every
        self.spikes = spikes
        self.dtype = dtype

    def __repr__(self) -> str:
        return (
            f"Monitor({self.target!r}, index={self.index!r}, every={self.every}, "
            f"spikes={self.spikes}, dtype={self.dtype!r})"
        )


class SpikeTrain(NamedTuple):
    """Spike events recorded by a `Monitor(..., spikes=True)`.

    **Fields:**

    - `times`: float64 times (start-of-step labels, as `mon['ts']`) of each event.
    - `indices`: the flat unit index of each event.
    - `steps`: the global step index of each event.
    - `num`: the number of units monitored.
    """

    times: np.ndarray
    indices: np.ndarray
    steps: np.ndarray
    num: int

    def to_raster(self, ts: np.ndarray) -> np.ndarray:
        """A dense boolean raster `(len(ts), num)` over the time labels `ts`."""
        raster = np.zeros((len(ts), self.num), dtype=bool)
        pos = np.searchsorted(np.asarray(ts), self.times)
        raster[pos, self.indices] = True
        return raster


class DotDict(dict):
    """A dict whose keys are also attributes (`runner.mon.V`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(
                f"no monitor {key!r}; recorded: {sorted(self)}"
            ) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

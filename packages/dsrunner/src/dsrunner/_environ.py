"""The global default time step and the shared context `share` (`t`, `i`, `dt`)."""

from typing import Any

_DEFAULT_DT = [0.1]


def get_dt() -> float:
    """The default integration time step (ms) used when a runner is given no `dt`.

    **Returns:**

    The default `dt` as a Python float (0.1 unless changed with `set_dt`).
    """
    return _DEFAULT_DT[0]


def set_dt(dt: float) -> None:
    """Set the default integration time step.

    **Arguments:**

    - `dt`: a positive float. Unlike BrainPy, constructing a runner never calls this.
    """
    if isinstance(dt, bool) or not isinstance(dt, (int, float)) or not dt > 0:
        raise ValueError(f"expected dt to be a positive float, got {dt!r}")
    _DEFAULT_DT[0] = float(dt)


class _Share:
    """The shared context visible to `update`, inputs and monitors during a run.

    A runner stores `t` (time at the start of the step), `i` (global step index),
    `dt` and the user's `shared_args` here before every step; models read them with
    `share['t']` or `share.load('t')`. Outside a run, `dt` falls back to the global
    default and the other keys are absent.
    """

    def __init__(self):
        self._data: dict[str, Any] = {}

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Store values: `share.save(t=1.0, i=10)` or `share.save('t', 1.0)`."""
        if args:
            if len(args) % 2:
                raise ValueError(
                    "expected share.save(key, value, key, value, ...) pairs, got "
                    f"{len(args)} positional arguments"
                )
            for k, v in zip(args[::2], args[1::2], strict=True):
                self._data[k] = v
        self._data.update(kwargs)

    def load(self, key: str, default: Any = ..., desc: str | None = None) -> Any:
        """Read a shared value, or `default` if absent (error if no default)."""
        if key in self._data:
            return self._data[key]
        if key == "dt":
            return get_dt()
        if default is not ...:
            return default
        raise KeyError(
            f"{key!r} is not in the shared context; it holds "
            f"{sorted(self._data) or 'nothing'} (t, i and dt are set by a runner "
            "while it runs; pass extra keys with run(..., shared_args={...}))"
        )

    def __getitem__(self, key: str) -> Any:
        return self.load(key)

    def __contains__(self, key: str) -> bool:
        return key in self._data or key == "dt"

    def get_shargs(self) -> dict[str, Any]:
        """A copy of every shared value."""
        out = {"dt": get_dt()}
        out.update(self._data)
        return out

    def clear_shargs(self, *keys: str) -> None:
        """Remove the given keys (all keys if none are given)."""
        if not keys:
            self._data.clear()
        for k in keys:
            self._data.pop(k, None)

    def _snapshot(self) -> dict[str, Any]:
        return dict(self._data)

    def _restore(self, data: dict[str, Any]) -> None:
        self._data = dict(data)


share = _Share()

import dataclasses
from collections.abc import Callable
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class Demo:
    """A short, real demonstration of a plugin's main job, run by `rollax demo`.

    **Arguments:**

    - `name`: the demo's name, conventionally the plugin's distribution name
        (`rollax demo lenia-runner`).
    - `description`: one line saying what the demo does.
    - `run`: a callable `run(outdir, *, quick=False) -> str` that writes the demo's
        outputs (pictures, CSV/JSON results) into the existing directory `outdir` and
        returns a one-line summary of what it found. With `quick=True` it does the
        same job on a smaller budget (used by tests).
    """

    name: str
    description: str
    run: Callable[..., str]

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Demo.name must be a non-empty string, got {self.name!r}")
        if not callable(self.run):
            raise TypeError(
                f"Demo {self.name!r}: run must be callable as run(outdir, *, "
                f"quick=False) -> str, got {self.run!r}"
            )

    def __call__(self, outdir: Path, *, quick: bool = False) -> str:
        """Run the demo into `outdir` (created if needed); return its summary line."""
        outdir = Path(outdir)
        outdir.mkdir(parents=True, exist_ok=True)
        summary = self.run(outdir, quick=quick)
        if not isinstance(summary, str):
            raise TypeError(
                f"demo {self.name!r} returned {type(summary).__name__}; a demo's run "
                "must return its one-line summary as a str"
            )
        return summary.strip().splitlines()[0] if summary.strip() else ""

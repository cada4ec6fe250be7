"""Classic Lenia species shipped with the package, ready to load by name.

Bert Chan's lifeforms (MIT licence, see `LICENSE-Lenia.txt` beside this module) as
v2 configurations with their cells: `orbium` (Orbium unicaudatus, the classic
glider), `gyrorbium` (Gyrorbium gyrans, turns in circles), `scutium` (Scutium
solidus), `hydrogeminium` (Hydrogeminium natans, three kernel rings, 256x256) and
`corona` (two channels, four kernels, 256x256).

```python
from lenia_runner import species, utils

config = utils.load_config("orbium")  # the same as species.load("orbium")
```
"""

import os
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["available", "load", "path"]


def available() -> list[str]:
    """The names of the shipped species, sorted."""
    here = resources.files(__name__)
    return sorted(
        p.name.removesuffix(".yaml") for p in here.iterdir() if p.name.endswith(".yaml")
    )


def path(name: str | os.PathLike[str]) -> Path:
    """The YAML file of a shipped species.

    **Arguments:**

    - `name`: a species name, e.g. `"orbium"` (see `available()`).

    **Returns:**

    The path of its configuration file.
    """
    names = available()
    key = str(name).lower().removesuffix(".yaml")
    if key not in names:
        raise KeyError(
            f"no species named {str(name)!r} ships with lenia-runner; expected one of "
            f"{names}, or the path of a YAML configuration file"
        )
    return Path(str(resources.files(__name__).joinpath(f"{key}.yaml")))


def load(name: str) -> dict[str, Any]:
    """Load a shipped species as a completed v2 configuration.

    **Arguments:**

    - `name`: a species name, e.g. `"orbium"` (see `available()`).

    **Returns:**

    The configuration, as `utils.load_config` returns it (its `run_params.cells`
    holds the species' pattern).
    """
    from .._utils import load_config

    return load_config(path(name))

"""The hooks through which a plugin announces what it provides.

Every hook is a registration hook: it takes no arguments and returns a sequence of
classes (or, for `register_demos`, of [`rollax.Demo`][] objects). A plugin module
implements any subset of them, each decorated with `rollax.hookimpl`, and is
announced by an entry point in the `rollax` group named after its distribution:

```toml
[project.entry-points.rollax]
my-plugin = "my_plugin._plugin"
```
"""

from collections.abc import Sequence

from ._demo import Demo
from ._layer import AbstractLayer
from ._markers import hookspec
from ._runner import AbstractRunner
from ._stepper import AbstractStepper
from ._summariser import AbstractSummariser


@hookspec
def register_runners() -> Sequence[type[AbstractRunner]]:  # pyright: ignore[reportReturnType]
    """Return the runner classes this plugin provides.

    Each must subclass [`rollax.AbstractRunner`][] and set a class-level `name`
    that no other plugin uses.
    """


@hookspec
def register_steppers() -> Sequence[type[AbstractStepper]]:  # pyright: ignore[reportReturnType]
    """Return the stepper classes this plugin provides.

    Each must subclass [`rollax.AbstractStepper`][] and set a class-level `name`
    that no other plugin uses.
    """


@hookspec
def register_layers() -> Sequence[type[AbstractLayer]]:  # pyright: ignore[reportReturnType]
    """Return the layer classes this plugin provides.

    Each must subclass [`rollax.AbstractLayer`][] and set a class-level `name`
    that no other plugin uses.
    """


@hookspec
def register_summarisers() -> Sequence[type[AbstractSummariser]]:  # pyright: ignore[reportReturnType]
    """Return the summariser classes this plugin provides.

    Each must subclass [`rollax.AbstractSummariser`][] and set a class-level `name`
    that no other plugin uses.
    """


@hookspec
def register_demos() -> Sequence[Demo]:  # pyright: ignore[reportReturnType]
    """Return the demos this plugin provides, run by `rollax demo`.

    Each is a [`rollax.Demo`][]; its `name` is conventionally the plugin's
    distribution name, and must be unique.
    """

class PluginError(Exception):
    """A plugin conflicts with another or breaks the registry's rules.

    Raised for problems that would otherwise make a lookup ambiguous, such as two
    plugins registering the same name.
    """


class PluginWarning(UserWarning):
    """A plugin could not be (fully) loaded; the others are unaffected.

    Raised as a warning for a plugin that fails to import, a hook that raises, or a
    hook that returns something other than the classes it promises. The problem is
    also recorded in `rollax.plugins()` and shown by `rollax plugins`.
    """


class UnknownNameError(KeyError):
    """No runner, stepper, layer, summariser or demo is registered under that name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class CheckpointError(RuntimeError):
    """A checkpoint cannot be written, or belongs to a different run.

    The message names the directory and what differs; nothing on disk is overwritten.
    """

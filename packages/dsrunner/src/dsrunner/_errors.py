"""Exception types, named as in BrainPy so that `except` clauses port unchanged, and
the warning helper."""

from rollax import warn_user as warn_user  # a warning attributed to the user's line


class BrainPyError(Exception):
    """Base class of the errors raised by dsrunner."""


class RunningError(BrainPyError, ValueError):
    """A runner was configured or called with invalid arguments."""


class MonitorError(BrainPyError, ValueError):
    """A monitor specification could not be resolved."""


class MathError(BrainPyError, ValueError):
    """A `Variable` was assigned a value of the wrong shape or dtype."""


class DiffEqError(BrainPyError, ValueError):
    """A derivative function has a signature `odeint` cannot integrate."""

"""Exception types, named as in BrainPy so that `except` clauses port unchanged, and
the warning helper."""

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """`warnings.warn` attributed to the user's line: the first caller outside
    this package (`runner.run(...)` and `runner.predict(...)` alike)."""
    level, frame = 2, sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(
        _PACKAGE_DIR
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


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

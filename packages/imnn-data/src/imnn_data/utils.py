"""The original's `imnn.utils` helpers: `from imnn_data.utils import value_and_jacfwd`."""

from ._jac import (
    add_nested_pytrees as add_nested_pytrees,
    container as container,
    jacfwd as jacfwd,
    jacrev as jacrev,
    value_and_jacfwd as value_and_jacfwd,
    value_and_jacrev as value_and_jacrev,
)
from ._tfrecords import TFRecords as TFRecords

__all__ = [
    "TFRecords",
    "add_nested_pytrees",
    "container",
    "jacfwd",
    "jacrev",
    "value_and_jacfwd",
    "value_and_jacrev",
]

"""`jaxsnn.base.types`."""

from .._types import LIFState as LIFState

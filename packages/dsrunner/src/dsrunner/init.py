"""Initializers (`dsrunner.init`, as `brainpy.init`)."""

from ._initialize import (
    Constant as Constant,
    Initializer as Initializer,
    Normal as Normal,
    OneInit as OneInit,
    Uniform as Uniform,
    ZeroInit as ZeroInit,
    parameter as parameter,
    seed as seed,
)

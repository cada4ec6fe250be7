"""Surrogate-gradient spike functions (`dsrunner.math.surrogate`, as `brainpy.math.surrogate`)."""

from ._surrogate import (
    Arctan as Arctan,
    InvSquareGrad as InvSquareGrad,
    PiecewiseLinear as PiecewiseLinear,
    ReluGrad as ReluGrad,
    Sigmoid as Sigmoid,
    Surrogate as Surrogate,
)

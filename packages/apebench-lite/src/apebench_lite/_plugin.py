"""rollax plugin hooks of apebench-lite."""

import rollax

from ._demo import DEMO
from ._steppers import (
    Advection,
    AdvectionDiffusion,
    Diffusion,
    Dispersion,
    GeneralConvectionStepper,
    GeneralLinearStepper,
    GeneralNonlinearStepper,
    GeneralPolynomialStepper,
    GrayScott,
    HyperDiffusion,
    NavierStokesVorticity,
    RepeatedStepper,
    SwiftHohenberg,
)

STEPPERS = (
    GeneralLinearStepper,
    GeneralNonlinearStepper,
    GeneralConvectionStepper,
    GeneralPolynomialStepper,
    Advection,
    Diffusion,
    AdvectionDiffusion,
    Dispersion,
    HyperDiffusion,
    NavierStokesVorticity,
    GrayScott,
    SwiftHohenberg,
    RepeatedStepper,
)


@rollax.hookimpl
def register_steppers():
    return list(STEPPERS)


@rollax.hookimpl
def register_demos():
    return [DEMO]

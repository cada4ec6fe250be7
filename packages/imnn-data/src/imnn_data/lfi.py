"""Likelihood-free inference with IMNN summaries (the original's `imnn.lfi`),
written in JAX: Gaussian approximation, rejection ABC and population Monte Carlo,
with marginal and 2-D contour (corner) plots."""

from ._abc import (
    ApproximateBayesianComputation as ApproximateBayesianComputation,
    PopulationMonteCarlo as PopulationMonteCarlo,
)
from ._lfi import (
    GaussianApproximation as GaussianApproximation,
    LikelihoodFreeInference as LikelihoodFreeInference,
    Uniform as Uniform,
)

__all__ = [
    "ApproximateBayesianComputation",
    "GaussianApproximation",
    "LikelihoodFreeInference",
    "PopulationMonteCarlo",
    "Uniform",
]

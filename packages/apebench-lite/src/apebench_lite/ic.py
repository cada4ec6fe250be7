"""Initial-condition distributions, as in `exponax.ic`."""

from ._ic import (
    AbstractICGenerator as AbstractICGenerator,
    ClampingICGenerator as ClampingICGenerator,
    DiffusedNoise as DiffusedNoise,
    GaussianRandomField as GaussianRandomField,
    RandomGaussianBlobs as RandomGaussianBlobs,
    RandomMultiChannelICGenerator as RandomMultiChannelICGenerator,
    RandomTruncatedFourierSeries as RandomTruncatedFourierSeries,
    build_ic_set as build_ic_set,
    parse_ic_config as parse_ic_config,
)

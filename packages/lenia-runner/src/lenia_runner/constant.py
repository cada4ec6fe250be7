"""Constants with Leniax's names and values."""

from ._constants import (
    EPSILON as EPSILON,
    NB_CHARS as NB_CHARS,
    NB_STATS_STEPS as NB_STATS_STEPS,
    START_CHECK_STOP as START_CHECK_STOP,
)

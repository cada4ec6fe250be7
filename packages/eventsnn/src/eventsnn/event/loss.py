"""Losses on first-spike times and readouts (jaxsnn's `jaxsnn.event.loss`)."""

from .._kit import (
    first_spike as first_spike,
    max_over_time as max_over_time,
    mse_loss as mse_loss,
    nll_loss as nll_loss,
    target_time_loss as target_time_loss,
    ttfs_loss as ttfs_loss,
)

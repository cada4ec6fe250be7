"""Result post-processing and plotting, as in `apebench.utils`."""

from ._utils import (
    aggregate_gmean as aggregate_gmean,
    melt_data as melt_data,
    melt_loss as melt_loss,
    melt_metrics as melt_metrics,
    melt_sample_rollouts as melt_sample_rollouts,
    plot_loss as plot_loss,
    plot_metrics as plot_metrics,
    plot_spatio_temporal as plot_spatio_temporal,
)

"""Error metrics, as in `exponax.metrics`."""

from ._metrics import (
    MAE as MAE,
    MSE as MSE,
    RMSE as RMSE,
    correlation as correlation,
    fourier_metric as fourier_metric,
    mean_metric as mean_metric,
    nMAE as nMAE,
    nMSE as nMSE,
    nRMSE as nRMSE,
    parse_metric as parse_metric,
    sMAE as sMAE,
    sMSE as sMSE,
    sRMSE as sRMSE,
)

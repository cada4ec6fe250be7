"""Error metrics between predicted and reference states (channels first).

Per-sample metrics take `(C, *N)` arrays; per-channel values are summed over the
channels (correlation: averaged), as in exponax. `mean_metric` averages a metric over
a leading sample axis. `domain_extent` defaults to 1.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp

from ._config import config_error, split, to_int
from ._spectral import derivative_operator, low_pass_mask, reconstruction_scaling


def _flat(x):
    return x.reshape(x.shape[0], -1)


def _scale(x, domain_extent):
    d = x.ndim - 1
    n = x.shape[1]
    return (domain_extent / n) ** d


def _norm(x, p, domain_extent):
    s = _scale(x, domain_extent)
    flat = _flat(x)
    if p == 2:  # a contraction, not a multiply-then-sum (see jax-ml/jax#39103)
        return jnp.sqrt(s * jnp.einsum("cm,cm->c", flat, flat))
    return (s * jnp.sum(jnp.abs(flat) ** p, axis=1)) ** (1 / p)


def MAE(pred, ref=None, *, domain_extent: float = 1.0):
    """Mean absolute error `sum_c (L/N)^D sum |e|`."""
    e = pred if ref is None else pred - ref
    return jnp.sum(_norm(e, 1, domain_extent))


def MSE(pred, ref=None, *, domain_extent: float = 1.0):
    """Mean squared error `sum_c (L/N)^D sum e^2`."""
    e = pred if ref is None else pred - ref
    return jnp.sum(_norm(e, 2, domain_extent) ** 2)


def RMSE(pred, ref=None, *, domain_extent: float = 1.0):
    """Root mean squared error `sum_c ((L/N)^D sum e^2)^(1/2)`."""
    e = pred if ref is None else pred - ref
    return jnp.sum(_norm(e, 2, domain_extent))


def _normalized(p, squared=False):
    def metric(pred, ref, *, domain_extent: float = 1.0):
        num = _norm(pred - ref, p, domain_extent)
        den = _norm(ref, p, domain_extent)
        if squared:
            num, den = num**2, den**2
        return jnp.sum(num / den)

    return metric


def _symmetric(p, squared=False):
    def metric(pred, ref, *, domain_extent: float = 1.0):
        num = _norm(pred - ref, p, domain_extent)
        a, b = _norm(pred, p, domain_extent), _norm(ref, p, domain_extent)
        if squared:
            num, a, b = num**2, a**2, b**2
        return jnp.sum(2 * num / (a + b))

    return metric


nMAE = _normalized(1)
nMSE = _normalized(2, squared=True)
nRMSE = _normalized(2)
sMAE = _symmetric(1)
sMSE = _symmetric(2, squared=True)
sRMSE = _symmetric(2)
nMAE.__doc__ = "Per channel `|e|_1 / |ref|_1`, summed over channels."
nMSE.__doc__ = "Per channel `|e|_2^2 / |ref|_2^2`, summed over channels."
nRMSE.__doc__ = "Per channel `|e|_2 / |ref|_2`, summed over channels."
sMAE.__doc__ = "Per channel `2 |e|_1 / (|pred|_1 + |ref|_1)`, summed."
sMSE.__doc__ = "Per channel `2 |e|_2^2 / (|pred|_2^2 + |ref|_2^2)`, summed."
sRMSE.__doc__ = "Per channel `2 |e|_2 / (|pred|_2 + |ref|_2)`, summed."


def correlation(pred, ref):
    """Cosine similarity per channel (no mean removal), averaged over channels."""
    a, b = _flat(pred), _flat(ref)
    num = jnp.einsum("cm,cm->c", a, b)
    den = jnp.sqrt(jnp.einsum("cm,cm->c", a, a) * jnp.einsum("cm,cm->c", b, b))
    return jnp.mean(num / den)


def _fourier_norm(x, p, low, high, derivative_order, domain_extent):
    d = x.ndim - 1
    n = x.shape[1]
    axes = tuple(range(1, d + 1))
    x_hat = jnp.fft.rfftn(x, axes=axes)
    mask = low_pass_mask(d, n, high)
    if low > 0:
        mask = mask & ~low_pass_mask(d, n, low - 1)
    x_hat = x_hat * jnp.asarray(mask)
    weight = jnp.asarray(1.0 / reconstruction_scaling(d, n))
    s = (domain_extent / n) ** d
    weight = weight.reshape(-1)

    def weighted(y):  # sum_k |y_k|^p w_k per channel, as a matrix-vector product
        return (s * (_flat(jnp.abs(y) ** p) @ weight)) ** (1 / p)

    if derivative_order is None or derivative_order == 0:
        return weighted(x_hat)
    deriv = jnp.asarray(derivative_operator(d, domain_extent, n)) ** derivative_order
    out = 0.0
    for k in range(d):
        out = out + weighted(x_hat * deriv[k])
    return out


def fourier_metric(
    kind: str,
    pred,
    ref,
    *,
    low: int = 0,
    high: int | None = None,
    derivative_order: int | None = None,
    domain_extent: float = 1.0,
):
    """Band-limited Fourier-space error: `kind` in MAE, nMAE, MSE, nMSE, RMSE, nRMSE.

    Modes with `low <= |k_d|` (for some axis) and `|k_d| <= high` (all axes) count;
    `derivative_order` multiplies by `(i k)^order` per axis and sums over axes.
    Unlike exponax, `derivative_order=0` equals no derivative (no factor `D`).
    """
    if high is None:
        high = pred.shape[1] // 2
    p = 1 if kind.endswith("MAE") else 2
    squared = kind.endswith("MSE") and not kind.endswith("RMSE")
    num = _fourier_norm(pred - ref, p, low, high, derivative_order, domain_extent)
    if squared:
        num = num**2
    if kind.startswith("n"):
        den = _fourier_norm(ref, p, low, high, derivative_order, domain_extent)
        if squared:
            den = den**2
        return jnp.sum(num / den)
    return jnp.sum(num)


def mean_metric(metric_fn: Callable, pred, ref, **kwargs):
    """Average a per-sample metric over the leading sample axis."""
    return jnp.mean(jax.vmap(lambda a, b: metric_fn(a, b, **kwargs))(pred, ref))


_SPATIAL = {
    "MAE": MAE,
    "nMAE": nMAE,
    "sMAE": sMAE,
    "MSE": MSE,
    "nMSE": nMSE,
    "sMSE": sMSE,
    "RMSE": RMSE,
    "nRMSE": nRMSE,
    "sRMSE": sRMSE,
}
_FOURIER = ("MAE", "nMAE", "MSE", "nMSE", "RMSE", "nRMSE")


def parse_metric(config: str) -> Callable:
    """The `(pred, ref) -> float` function (mean over samples) of one metric config."""
    parts = split(config, "report_metrics")
    name = parts[0]
    if name == "mean_correlation" and len(parts) == 1:
        return lambda pred, ref: mean_metric(correlation, pred, ref)
    if name.startswith("mean_fourier_") and name[len("mean_fourier_") :] in _FOURIER:
        kind = name[len("mean_fourier_") :]
        if len(parts) != 4:
            raise config_error(
                "report_metrics", config, "a Fourier metric takes LOW;HIGH;ORDER"
            )
        low = to_int(parts[1], "report_metrics", config, "LOW")
        high = to_int(parts[2], "report_metrics", config, "HIGH")
        order = (
            None
            if parts[3].lower() == "none"
            else to_int(parts[3], "report_metrics", config, "DERIVATIVE_ORDER")
        )
        return lambda pred, ref: mean_metric(
            lambda a, b: fourier_metric(
                kind, a, b, low=low, high=high, derivative_order=order
            ),
            pred,
            ref,
        )
    if (
        name.startswith("mean_H1_")
        and name[len("mean_H1_") :] in _FOURIER
        and len(parts) == 1
    ):
        kind = name[len("mean_H1_") :]
        return lambda pred, ref: mean_metric(
            lambda a, b: (
                fourier_metric(kind, a, b)
                + fourier_metric(kind, a, b, derivative_order=1)
            ),
            pred,
            ref,
        )
    if name.startswith("mean_") and name[5:] in _SPATIAL and len(parts) == 1:
        fn = _SPATIAL[name[5:]]
        return lambda pred, ref: mean_metric(fn, pred, ref)
    raise config_error("report_metrics", config, f"unknown metric {name!r}")

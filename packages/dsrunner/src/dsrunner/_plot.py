"""Spike rasters and membrane traces with matplotlib."""

from typing import Any

import numpy as np

from ._monitor import SpikeTrain


def raster_plot(
    ts: Any,
    sp_matrix: Any,
    ax: Any = None,
    markersize: float = 2.0,
    color: str = "k",
    xlabel: str = "Time (ms)",
    ylabel: str = "Neuron index",
    title: str | None = None,
    xlim: Any = None,
    ylim: Any = None,
    show: bool = False,
) -> Any:
    """Spike raster from a `(T, N)` boolean array (with times `ts`) or a `SpikeTrain`.

    **Arguments:**

    - `ts`: `(T,)` time labels (ignored for a `SpikeTrain`, which carries times).
    - `sp_matrix`: `(T, N)` spikes, or a `SpikeTrain`.
    - `ax`: a matplotlib Axes; default: a new figure.
    - `markersize`, `color`, `xlabel`, `ylabel`, `title`, `xlim`, `ylim`: styling.
    - `show`: call `plt.show()`.

    **Returns:**

    The Axes.
    """
    import matplotlib.pyplot as plt

    if isinstance(sp_matrix, SpikeTrain):
        times, idx = sp_matrix.times, sp_matrix.indices
    else:
        sp = np.asarray(sp_matrix)
        if sp.ndim != 2:
            raise ValueError(f"expected spikes of shape (T, N), got {sp.shape}")
        rows, idx = np.nonzero(sp)
        times = np.asarray(ts)[rows]
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    ax.plot(times, idx, ".", markersize=markersize, color=color)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if xlim is not None:
        ax.set_xlim(xlim)
    if ylim is not None:
        ax.set_ylim(ylim)
    if show:
        plt.show()
    return ax


def line_plot(
    ts: Any,
    val_matrix: Any,
    plot_ids: Any = None,
    ax: Any = None,
    xlabel: str = "Time (ms)",
    ylabel: str = "Value",
    legend: str | None = None,
    title: str | None = None,
    show: bool = False,
) -> Any:
    """Traces of selected units over time (e.g. membrane potentials).

    **Arguments:**

    - `ts`: `(T,)` time labels.
    - `val_matrix`: `(T,)` or `(T, N)` values.
    - `plot_ids`: the unit indices to draw (default: the first, up to 5).
    - `ax`: a matplotlib Axes; default: a new figure.
    - `xlabel`, `ylabel`, `legend`, `title`: labels (`legend` prefixes unit ids).
    - `show`: call `plt.show()`.

    **Returns:**

    The Axes.
    """
    import matplotlib.pyplot as plt

    vals = np.asarray(val_matrix)
    if vals.ndim == 1:
        vals = vals[:, None]
    if vals.ndim != 2 or vals.shape[0] != len(ts):
        raise ValueError(
            f"expected values of shape (T, N) with T = len(ts) = {len(ts)}, got "
            f"{vals.shape}"
        )
    ids = list(range(min(5, vals.shape[1]))) if plot_ids is None else list(plot_ids)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3))
    for i in ids:
        ax.plot(ts, vals[:, i], label=f"{legend}-{i}" if legend else f"N{i}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if len(ids) > 1 or legend:
        ax.legend(loc="upper right", fontsize="small")
    if show:
        plt.show()
    return ax

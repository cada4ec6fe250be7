"""Post-processing of result DataFrames (wide -> long "seaborn" format) and plots."""

from collections.abc import Sequence

import numpy as np
import pandas as pd

BASE_COLUMNS = ("seed", "scenario", "task", "net", "train", "scenario_kwargs")


def melt_data(
    wide_data: pd.DataFrame,
    quantity_name: str | Sequence[str],
    uniquifier_name: str,
    *,
    base_columns: Sequence[str] = BASE_COLUMNS,
) -> pd.DataFrame:
    """Turn `{quantity}_{index}` columns into rows with an `uniquifier_name` column.

    **Arguments:**

    - `wide_data`: a DataFrame as returned by a scenario call.
    - `quantity_name`: the column prefix(es), e.g. `"mean_nRMSE"`.
    - `uniquifier_name`: the name of the new index column, e.g. `"time_step"`.
    - `base_columns`: the identifying columns kept on every row.

    **Returns:**

    A long DataFrame with `base_columns`, `uniquifier_name` and one column per
    quantity.
    """
    names = [quantity_name] if isinstance(quantity_name, str) else list(quantity_name)
    base = [c for c in base_columns if c in wide_data.columns]
    frames = []
    for name in names:
        prefix = f"{name}_"
        cols = [
            c
            for c in wide_data.columns
            if isinstance(c, str)
            and c.startswith(prefix)
            and c[len(prefix) :].isdigit()
        ]
        if not cols:
            raise KeyError(
                f"no columns named '{name}_<number>' in the DataFrame; available "
                f"prefixes: {sorted({c.rsplit('_', 1)[0] for c in wide_data.columns})}"
            )
        long = wide_data[base + cols].melt(
            id_vars=base, value_vars=cols, var_name=uniquifier_name, value_name=name
        )
        long[uniquifier_name] = long[uniquifier_name].str[len(prefix) :].astype(int)
        frames.append(long.set_index([*base, uniquifier_name]))
    out = pd.concat(frames, axis=1).reset_index()
    return out


def melt_metrics(
    wide_data: pd.DataFrame,
    metric_name: str | Sequence[str] = "mean_nRMSE",
) -> pd.DataFrame:
    """Metric rollouts in long format (column `time_step`)."""
    return melt_data(wide_data, metric_name, "time_step")


def melt_loss(wide_data: pd.DataFrame, loss_name: str = "train_loss") -> pd.DataFrame:
    """Training-loss histories in long format (column `update_step`)."""
    return melt_data(wide_data, loss_name, "update_step")


def melt_sample_rollouts(
    wide_data: pd.DataFrame, sample_rollout_name: str = "sample_rollout"
) -> pd.DataFrame:
    """Sample rollouts in long format (column `sample_index`)."""
    return melt_data(wide_data, sample_rollout_name, "sample_index")


def aggregate_gmean(
    metric_data: pd.DataFrame,
    *,
    up_to: int = 100,
    grouping_cols: Sequence[str] = ("scenario", "task", "net", "train"),
    metric: str = "mean_nRMSE",
) -> pd.DataFrame:
    """Geometric mean of `metric` over `time_step <= up_to`, per group and seed."""
    data = metric_data[metric_data["time_step"] <= up_to]
    cols = [*list(grouping_cols), "seed"]
    return (
        data.groupby(cols)[metric]
        .agg(lambda x: float(np.exp(np.mean(np.log(np.asarray(x, dtype=float))))))
        .reset_index()
    )


def _grouped_band(ax, data, x, y, hue):
    keys = [None] if hue is None else list(dict.fromkeys(data[hue]))
    for key in keys:
        sub = data if key is None else data[data[hue] == key]
        stats = sub.groupby(x)[y].agg(["median", "min", "max"])
        line = ax.plot(
            stats.index, stats["median"], label=None if key is None else str(key)
        )
        ax.fill_between(
            stats.index,
            stats["min"],
            stats["max"],
            alpha=0.2,
            color=line[0].get_color(),
        )
    if hue is not None:
        ax.legend(title=hue, fontsize="small")


def plot_loss(loss_data: pd.DataFrame, *, hue: str | None = "net", ax=None):
    """Training loss (median and range over seeds) against update step, log scale."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    _grouped_band(ax, loss_data, "update_step", "train_loss", hue)
    ax.set_yscale("log")
    ax.set_xlabel("update step")
    ax.set_ylabel("train loss")
    return ax


def plot_metrics(
    metric_data: pd.DataFrame,
    *,
    metric: str = "mean_nRMSE",
    hue: str | None = "net",
    ax=None,
):
    """An error rollout (median and range over seeds) against time step."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    _grouped_band(ax, metric_data, "time_step", metric, hue)
    ax.set_xlabel("time step")
    ax.set_ylabel(metric)
    return ax


def plot_spatio_temporal(
    trajectory, *, vlim: tuple[float, float] = (-1.0, 1.0), ax=None, title=None
):
    """A 1-D trajectory `(T+1, C, N)` (first channel) as a space-time image."""
    import matplotlib.pyplot as plt

    trj = np.asarray(trajectory)
    if trj.ndim == 3:
        image = trj[:, 0].T
    elif trj.ndim == 2:
        image = trj.T
    else:
        raise ValueError(
            "plot_spatio_temporal expects a 1-D trajectory of shape (T+1, C, N), got "
            f"{trj.shape}; for 2-D states plot single frames"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    im = ax.imshow(
        image, aspect="auto", origin="lower", cmap="RdBu_r", vmin=vlim[0], vmax=vlim[1]
    )
    ax.set_xlabel("time step")
    ax.set_ylabel("space")
    if title:
        ax.set_title(title)
    plt.colorbar(im, ax=ax)
    return ax

"""The fitting-history plot."""

from pathlib import Path
from typing import Any

import numpy as np


def plot_history(
    history: dict[str, Any],
    validate: bool,
    ax: Any = None,
    expected_detF: float | None = None,
    colour: str = "C0",
    figsize: tuple[float, float] = (5, 15),
    label: str = "",
    filename: str | Path | None = None,
    ncol: int = 1,
) -> list[Any]:
    """Three stacked panels: det F; det C and det C⁻¹; Λ₂ with r on a twin axis.

    **Arguments:** see [`imnn_data.GradientIMNN.plot`][].

    **Returns:**

    `[ax_F, ax_C, ax_Λ2, ax_r]`.
    """
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        if figsize == (5, 15):  # the original's default: too tall to read
            figsize = (7, 9)
        fig, ax = plt.subplots(3, 1, sharex=True, figsize=figsize, layout="constrained")
        fig.suptitle("IMNN fitting history")
    ax = list(ax)
    if len(ax) < 3:
        raise ValueError(f"`ax` must hold 3 matplotlib axes, got {len(ax)}")
    n = len(history["detF"])
    epochs = np.arange(n)
    prefix = f"{label} " if label else ""
    ax[0].plot(epochs, history["detF"], color=colour, label=f"{prefix}fitting set")
    if validate and len(history["val_detF"]):
        ax[0].plot(
            epochs,
            history["val_detF"],
            color=colour,
            linestyle="dotted",
            label=f"{prefix}validation set",
        )
    if expected_detF is not None:
        ax[0].axhline(
            expected_detF,
            color="black",
            linestyle="dashed",
            label=f"analytic |F| = {expected_detF:g}",
        )
        ax[0].set_title(
            "|F| estimated on a finite set can exceed the analytic value: the\n"
            "network is fitted to those simulations (sampling noise, an upward bias)",
            fontsize="small",
        )
    ax[0].set_ylabel(r"Fisher information $|{\bf F}|$")
    ax[0].legend(frameon=False, ncol=ncol, fontsize="small")
    ax[1].plot(epochs, history["detC"], color=colour, label=r"$|{\bf C}|$")
    ax[1].plot(
        epochs,
        history["detinvC"],
        color=colour,
        linestyle="dashdot",
        label=r"$|{\bf C}^{-1}|$",
    )
    if validate and len(history["val_detC"]):
        ax[1].plot(
            epochs,
            history["val_detC"],
            color=colour,
            linestyle="dotted",
            label=r"$|{\bf C}|$ validation",
        )
        ax[1].plot(
            epochs,
            history["val_detinvC"],
            color=colour,
            linestyle=(0, (1, 4)),
            label=r"$|{\bf C}^{-1}|$ validation",
        )
    ax[1].axhline(1.0, color="black", linestyle="dashed", label="target 1")
    if n and np.all(np.asarray(history["detC"]) > 0):
        ax[1].set_yscale("log")
    ax[1].set_ylabel("covariance of\nthe summaries")
    ax[1].legend(frameon=False, fontsize="small", ncol=2)
    ax[2].plot(epochs, history["Λ2"], color=colour, label=r"$\Lambda_2$ (fitting set)")
    if validate and len(history["val_Λ2"]):
        ax[2].plot(
            epochs,
            history["val_Λ2"],
            color=colour,
            linestyle="dotted",
            label=r"$\Lambda_2$ (validation)",
        )
    ax[2].set_ylabel(r"regulariser $\Lambda_2$")
    ax[2].set_xlabel("iteration")
    if len(ax) < 4:
        ax.append(ax[2].twinx())
    ax[3].plot(
        epochs,
        history["r"],
        color="grey",
        linestyle="dashed",
        label="$r$ (regulariser weight, right axis)",
    )
    ax[3].set_ylabel("regulariser weight $r$")
    lines = ax[2].get_lines() + ax[3].get_lines()
    ax[2].legend(lines, [ln.get_label() for ln in lines], frameon=False,
                 fontsize="small")  # fmt: skip
    if filename is not None:
        ax[0].figure.savefig(filename, bbox_inches="tight", transparent=True)
    return ax

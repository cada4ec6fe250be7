"""The rollax demo: EventProp training on Yin-Yang, plots, and a NIR round trip."""

import csv
import json
from pathlib import Path

import numpy as np


def run_demo(outdir: Path, *, quick: bool = False) -> str:
    """Train the 5-120-3 Yin-Yang network and write curves, a raster and NIR.

    **Arguments:**

    - `outdir`: an existing directory for the outputs.
    - `quick`: a few batches of one epoch instead of the full training.

    **Returns:**

    A one-line summary.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._training import train_yinyang

    outdir = Path(outdir)
    if quick:
        result = train_yinyang(
            epochs=2, n_train=128, n_test=64, max_batches=2, progress=False
        )
    else:
        result = train_yinyang(progress=True)
    hist = result.history
    with open(outdir / "history.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(hist[0]))
        writer.writeheader()
        writer.writerows(hist)
    (outdir / "summary.json").write_text(
        json.dumps(
            {
                "test_accuracy": result.test_accuracy,
                "epochs": len(hist),
                "sizes": result.sizes,
                "n_spikes": result.n_spikes,
                "params": result.params.as_dict(),
            },
            indent=2,
        )
        + "\n"
    )

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = [h["epoch"] for h in hist]
    ax1.plot(epochs, [h["loss"] for h in hist], marker="o")
    ax1.set(xlabel="epoch", ylabel="training loss", title="loss")
    ax2.plot(epochs, [h["train_accuracy"] for h in hist], marker="o", label="train")
    ax2.plot(epochs, [h["test_accuracy"] for h in hist], marker="o", label="test")
    ax2.axhline(0.95, color="grey", lw=0.8, ls="--", label="0.95 (goal)")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="Yin-Yang accuracy")
    ax2.legend()
    fig.suptitle("EventProp training of a 5-120-3 spiking network on Yin-Yang")
    fig.set_layout_engine("constrained")
    fig.savefig(outdir / "curves.png", dpi=100)
    plt.close(fig)

    # spike raster of one test sample: inputs, hidden and output spikes
    import jax

    recording = list(result.last_recording or [])
    rec = [jax.tree.map(lambda a: a[0], layer) for layer in recording]
    fig = raster_figure(rec, result.sizes)
    fig.savefig(outdir / "raster.png", dpi=100)
    plt.close(fig)

    extra = ""
    try:
        import nir

        from ._nir import to_nir

        graph = to_nir(result.weights, result.params)
        nir.write(outdir / "yinyang.nir", graph)
        extra = ", NIR graph written to yinyang.nir"
    except ImportError:  # pragma: no cover - NIR export not available yet
        pass
    return (
        f"Yin-Yang 5-{result.sizes[1]}-3 EventProp: test accuracy "
        f"{result.test_accuracy:.3f} after {len(hist)} epoch(s){extra}"
    )


def raster_figure(recording, sizes):
    """Spike raster of one sample: input, hidden and output spikes in colour.

    **Arguments:**

    - `recording`: per layer, the events of one sample (`.idx` global neuron
        indices, -1 for unused slots; `.time` in s).
    - `sizes`: `(n_inputs, n_hidden, n_outputs)`.

    **Returns:**

    The matplotlib figure.
    """
    import matplotlib.pyplot as plt

    n_in, n_hid, n_out = sizes
    groups = {
        "input": ("tab:blue", 0),
        "hidden": ("tab:orange", n_in),
        "output": ("tab:red", n_in + n_hid),
    }
    points: dict[str, set[tuple[int, float]]] = {g: set() for g in groups}
    for layer in recording:
        for i, ti in zip(np.asarray(layer.idx), np.asarray(layer.time), strict=True):
            if i < 0 or not np.isfinite(ti):
                continue
            group = "input" if i < n_in else "hidden" if i < n_in + n_hid else "output"
            points[group].add((int(i), float(ti) * 1e3))
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    for group, (colour, _) in groups.items():
        pts = np.array(sorted(points[group]), dtype=float).reshape(-1, 2)
        ax.scatter(pts[:, 1], pts[:, 0], marker="|", s=60, color=colour,
                   label=f"{group} ({len(pts)} spikes)")  # fmt: skip
    ax.set(xlabel="time (ms)", ylabel="neuron (0-4 input, then hidden, output)")
    ax.set_title(f"Spikes of one Yin-Yang test sample ({n_in}-{n_hid}-{n_out} network)")
    ax.legend(loc="upper right", framealpha=0.9)
    return fig

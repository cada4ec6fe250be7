"""The demo's spike raster says which spikes are inputs, hidden and outputs."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np

from eventsnn._demo import raster_figure


def test_raster_has_title_labels_and_a_legend_per_group(tmp_path):
    # one sample: 5 inputs, 3 hidden spikes, 2 output spikes, unused slots (-1)
    layers = [
        SimpleNamespace(
            idx=np.array([0, 1, 2, 3, 4, 7, 9, 5, -1]),
            time=np.array([1, 2, 3, 4, 5, 6, 7, 8, np.inf]) * 1e-3,
        ),
        SimpleNamespace(
            idx=np.array([0, 1, 2, 3, 4, 7, 9, 5, 125, 126, -1]),
            time=np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.inf]) * 1e-3,
        ),
    ]
    fig = raster_figure(layers, (5, 120, 3))
    [ax] = fig.axes
    assert "Yin-Yang" in ax.get_title()
    assert ax.get_xlabel() == "time (ms)" and ax.get_ylabel()
    legend = ax.get_legend()
    assert legend is not None
    labels = [t.get_text() for t in legend.get_texts()]
    # duplicated events of the two layers are drawn once
    assert labels == ["input (5 spikes)", "hidden (3 spikes)", "output (2 spikes)"]
    fig.savefig(tmp_path / "raster.png")
    assert mpimg.imread(tmp_path / "raster.png")[..., :3].std() > 0.01

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


def test_quick_demo_figures_are_titled(tmp_path, monkeypatch):
    import matplotlib.figure

    from eventsnn._demo import run_demo

    saved = {}
    original = matplotlib.figure.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        saved[str(path).rsplit("/", 1)[-1]] = fig
        return original(fig, path, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    run_demo(tmp_path, quick=True)
    curves = saved["curves.png"]
    assert "Yin-Yang" in curves.get_suptitle()
    legend = curves.axes[1].get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == [
        "train",
        "test",
        "0.95 (goal)",
    ]
    assert "raster.png" in saved

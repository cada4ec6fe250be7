"""The fitting-history figure is labelled: titles, axes, every line in a legend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np

from imnn_data._plot import plot_history


def _history(n=50):
    t = np.arange(n)
    grow = 50 * (1 - np.exp(-t / 10))
    return {
        "detF": grow + 3,
        "val_detF": grow,
        "detC": 1 + np.exp(-t / 5),
        "detinvC": 1 / (1 + np.exp(-t / 5)),
        "val_detC": 1 + np.exp(-t / 6),
        "val_detinvC": 1 / (1 + np.exp(-t / 6)),
        "Λ2": np.exp(-t / 5),
        "val_Λ2": np.exp(-t / 6),
        "r": 10 * np.exp(-t / 5),
    }


def test_history_figure_is_labelled_and_not_clipped(tmp_path):
    ax = plot_history(_history(), True, expected_detF=50.0)
    fig = ax[0].figure
    assert fig.get_suptitle() == "IMNN fitting history"
    assert "analytic" in ax[0].get_title()  # why |F| can exceed the analytic line
    for a in ax:
        assert a.get_ylabel()
    assert ax[2].get_xlabel() == "iteration"
    labels = [t.get_text() for t in ax[0].get_legend().get_texts()]
    assert labels == ["fitting set", "validation set", "analytic |F| = 50"]
    # the twin axis's r is in the legend of the bottom panel
    bottom = [t.get_text() for t in ax[2].get_legend().get_texts()]
    assert any(label.startswith("$r$") for label in bottom) and len(bottom) == 3
    fig.savefig(tmp_path / "history.png")
    # nothing clipped: every label lies inside the figure (as laid out at its dpi)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # pyright: ignore[reportAttributeAccessIssue]
    box = fig.bbox
    for a in ax:
        for text in (a.yaxis.label, a.xaxis.label, a.title):
            if text.get_text():
                extent = text.get_window_extent(renderer)
                assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text
                assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, text
    image = mpimg.imread(tmp_path / "history.png")
    assert image[..., :3].std() > 0.05

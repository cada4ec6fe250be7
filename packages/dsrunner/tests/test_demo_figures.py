"""The demo's raster is readable: subsampled, E and I coloured, rates below."""

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg
import numpy as np

from dsrunner._demo import raster_figure


def _train(n, rate_hz, duration, rng):
    count = rng.poisson(n * rate_hz * duration / 1000)
    return SimpleNamespace(
        times=np.sort(rng.uniform(0, duration, count)),
        indices=rng.integers(0, n, count),
    )


def test_raster_figure_labels_subsample_and_rates(tmp_path):
    rng = np.random.default_rng(0)
    e, i = _train(3200, 20.0, 200.0, rng), _train(800, 20.0, 200.0, rng)
    fig = raster_figure(e, i, 3200, 800, 200.0)
    ax, ax_rate = fig.axes
    assert "4000 LIF neurons" in ax.get_title()
    assert ax.get_ylabel() and ax_rate.get_ylabel().startswith("rate (Hz")
    assert ax_rate.get_xlabel() == "time (ms)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["excitatory (200 of 3200)", "inhibitory (50 of 800)"]
    # at most 250 rows drawn, not 4000 (a solid block)
    rows = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
    assert rows.max() < 250 and len(np.unique(rows.round())) > 100
    # population rates near the 20 Hz drawn
    for line in ax_rate.get_lines():
        assert 15 < np.mean(line.get_ydata()) < 25
    fig.savefig(tmp_path / "raster.png")
    image = mpimg.imread(tmp_path / "raster.png")
    assert image.std() > 0.05  # not blank

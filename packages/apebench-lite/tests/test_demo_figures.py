"""The demo's rollout picture shows the reference, the emulator and the error."""

import matplotlib

matplotlib.use("Agg")

import numpy as np

from apebench_lite._demo import rollout_figure


def test_rollout_figure_has_a_difference_panel(tmp_path):
    x = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ref = np.stack([np.sin(x - 0.1 * t)[None] for t in range(51)])  # (T, C, N)
    pred = ref[1:] + 0.05  # without the initial state, a constant error
    fig = rollout_figure(ref, pred, "Conv;26;10;relu (seed 0)", "diff_adv")
    panels = fig.axes[:3]
    titles = [a.get_title() for a in panels]
    assert titles == [
        "reference solver",
        "emulator Conv;26;10;relu (seed 0)",
        "difference (emulator - reference)",
    ]
    assert "diff_adv" in fig.get_suptitle()
    assert all(a.get_xlabel() and a.get_ylabel() for a in panels)
    assert len(fig.axes) == 6  # a colour bar per panel
    [image] = panels[2].get_images()
    assert np.allclose(np.asarray(image.get_array()), 0.05)  # the difference drawn
    assert image.get_clim() == (-0.05, 0.05) or np.allclose(
        image.get_clim(), (-0.05, 0.05)
    )
    fig.savefig(tmp_path / "rollout.png")


def test_quick_demo_figures_are_titled(tmp_path, monkeypatch):
    import matplotlib.figure

    from apebench_lite._demo import run_demo

    saved = {}
    original = matplotlib.figure.Figure.savefig

    def keep(fig, path, *args, **kwargs):
        saved[str(path).rsplit("/", 1)[-1]] = fig
        return original(fig, path, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    run_demo(tmp_path, quick=True)
    loss = saved["loss_and_error.png"]
    assert "diff_adv" in loss.get_suptitle()
    assert all(a.get_title() and a.get_xlabel() and a.get_ylabel() for a in loss.axes)
    rollout = saved["rollout.png"]
    assert rollout.axes[2].get_title() == "difference (emulator - reference)"

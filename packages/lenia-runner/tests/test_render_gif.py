"""The demo's GIF is readable: large, titled, a step counter and a colour bar."""

import imageio.v3 as iio
import numpy as np

from lenia_runner._render import annotated_frames, render_gif


def test_annotated_frames_show_the_step_and_a_colour_bar(tmp_path):
    world = np.zeros((3, 1, 32, 32), np.float32)
    world[:, 0, 8:16, 8:16] = 0.8  # the same world in every frame
    frames = annotated_frames(world, "Orbium", steps=[0, 2, 4], T=10.0)
    assert len(frames) == 3 and frames[0].shape[1] >= 500  # larger than 32 px
    # the world is constant: what changes between frames is the step counter
    assert not np.array_equal(frames[0], frames[1])
    changed_rows = np.nonzero((frames[0] != frames[1]).any(axis=(1, 2)))[0]
    assert changed_rows.max() < frames[0].shape[0] * 0.2  # in the title, on top
    # a colour bar: a column of viridis colours right of the world
    right = frames[0][:, int(frames[0].shape[1] * 0.75) :]
    assert len(np.unique(right.reshape(-1, 3), axis=0)) > 50
    path = render_gif(tmp_path / "w.gif", world, title="Orbium", T=10.0)
    gif = iio.imread(path)
    assert gif.shape[0] == 3 and gif.shape[2] >= 500


def test_two_channels_are_drawn_as_rgb_with_a_legend(tmp_path):
    world = np.random.default_rng(0).uniform(size=(2, 2, 16, 16)).astype(np.float32)
    frames = annotated_frames(world, "corona")
    assert len(frames) == 2 and frames[0].ndim == 3


def test_statistics_plot_says_what_the_axes_and_the_red_line_are(tmp_path, monkeypatch):
    import matplotlib.figure

    from lenia_runner.render import plot_stats

    saved = []
    original = matplotlib.figure.Figure.savefig

    def keep(fig, *args, **kwargs):
        saved.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", keep)
    stats = {"mass": np.linspace(1, 2, 20), "mass_speed": np.zeros(20), "N": 15}
    plot_stats(tmp_path / "stats.png", stats, title="Orbium")
    [fig] = saved
    suptitle = fig.get_suptitle()
    assert suptitle.startswith("Orbium") and "red dashed line: N" in suptitle
    assert fig.supxlabel is not None and fig._supxlabel.get_text() == "step"  # pyright: ignore[reportAttributeAccessIssue]
    assert [a.get_title() for a in fig.axes[:2]] == ["mass", "mass_speed"]

"""Rendering: worlds to RGB images, GIF/MP4 files, and statistics plots."""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

_DEFAULT_MAP = "viridis"


def get_image(
    cells: Any, colormap: str = _DEFAULT_MAP, pixel_size: int = 1
) -> np.ndarray:
    """A world `[C, *world]` as an RGB uint8 image `[H, W, 3]`.

    One channel goes through a matplotlib colormap; two or three channels are
    mapped to red/green(/blue). 3-D worlds are shown as a maximum projection along
    their last axis.

    **Arguments:**

    - `cells`: the world, values in [0, 1].
    - `colormap`: matplotlib colormap for one channel.
    - `pixel_size`: each cell becomes a `pixel_size`-wide square.

    **Returns:**

    The image.
    """
    x = np.clip(np.asarray(cells, dtype=np.float32), 0.0, 1.0)
    if x.ndim == 4:
        x = x.max(axis=-1)
    if x.ndim != 3:
        raise ValueError(
            f"expected cells of shape (C, H, W) or (C, D, H, W), got {x.shape}"
        )
    C = x.shape[0]
    if C == 1:
        import matplotlib

        cmap = matplotlib.colormaps[colormap]
        rgb = cmap(x[0])[..., :3]
    elif C <= 3:
        rgb = np.zeros((*x.shape[1:], 3), np.float32)
        for c in range(C):
            rgb[..., c] = x[c]
    else:
        raise ValueError(f"can render 1 to 3 channels, got {C}; select channels first")
    img = (rgb * 255).round().astype(np.uint8)
    if pixel_size > 1:
        img = img.repeat(pixel_size, axis=0).repeat(pixel_size, axis=1)
    return img


def _frames(all_cells: Any, colormap: str, pixel_size: int) -> list[np.ndarray]:
    arr = np.asarray(all_cells)
    if arr.ndim >= 5 and arr.shape[1] == 1:  # [T, N_init=1, C, ...]
        arr = arr[:, 0]
    return [get_image(f, colormap, pixel_size) for f in arr]


def annotated_frames(
    all_cells: Any,
    title: str,
    *,
    steps: Sequence[int] | None = None,
    T: float | None = None,
    colormap: str = _DEFAULT_MAP,
    size_inches: float = 5.0,
    dpi: int = 100,
) -> list[np.ndarray]:
    """Frames drawn with a title, a step counter and a colour bar (one channel).

    **Arguments:**

    - `all_cells`: frames `[T, C, *world]` (or `[T, 1, C, *world]`).
    - `title`: what is shown, above every frame.
    - `steps`: the step number of each frame (default 0, 1, 2, ...).
    - `T`: the time resolution; the counter then shows the time `step / T` too.
    - `colormap`: the colormap of one channel (2-3 channels are drawn as RGB, with
        a legend of the channels instead of a colour bar).
    - `size_inches`, `dpi`: the size of the frames.

    **Returns:**

    The RGB frames, uint8 `[H, W, 3]`.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    arr = np.asarray(all_cells, dtype=np.float32)
    if arr.ndim >= 5 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim == 5:  # 3-D worlds: maximum projection
        arr = arr.max(axis=-1)
    steps = list(range(len(arr))) if steps is None else list(steps)
    C = arr.shape[1]
    fig, ax = plt.subplots(
        figsize=(size_inches * 1.2, size_inches), dpi=dpi, layout="constrained"
    )
    if C == 1:
        image = ax.imshow(arr[0, 0], cmap=colormap, vmin=0.0, vmax=1.0)
        fig.colorbar(image, ax=ax, label="cell state A (0 to 1)", shrink=0.85)
    else:
        image = ax.imshow(get_image(arr[0], colormap))
        colours = ("red", "green", "blue")[:C]
        ax.legend(
            handles=[
                Patch(color=c, label=f"channel {i}") for i, c in enumerate(colours)
            ],
            loc="upper right",
            fontsize="small",
        )
    ax.set_xlabel("x (cells)")
    ax.set_ylabel("y (cells)")
    frames = []
    for frame, step in zip(arr, steps, strict=True):
        image.set_data(frame[0] if C == 1 else get_image(frame, colormap))
        when = f"step {step}" + (f", t = {step / T:.1f}" if T else "")
        ax.set_title(f"{title}\n{when}")
        fig.canvas.draw()
        fig.set_layout_engine("none")  # laid out once: the frames do not jitter
        frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())  # pyright: ignore[reportAttributeAccessIssue]
    plt.close(fig)
    return frames


def render_gif(
    path: str | os.PathLike[str],
    all_cells: Any,
    *,
    fps: int = 20,
    colormap: str = _DEFAULT_MAP,
    pixel_size: int = 1,
    title: str | None = None,
    steps: Sequence[int] | None = None,
    T: float | None = None,
) -> Path:
    """Write frames `[T, C, *world]` (or `[T, 1, C, *world]`) as an animated GIF.

    **Arguments:**

    - `path`: the output file.
    - `all_cells`: the frames.
    - `fps`: frames per second.
    - `colormap`, `pixel_size`: as for `get_image`.
    - `title`: if given, each frame is drawn with this title, a step counter
        (`steps`, and the time if `T` is given) and a colour bar
        (`annotated_frames`); `pixel_size` is then unused.
    - `steps`, `T`: see `annotated_frames`.

    **Returns:**

    The path written.
    """
    import imageio.v3 as iio

    path = Path(path)
    if title is None:
        frames = _frames(all_cells, colormap, pixel_size)
    else:
        frames = annotated_frames(all_cells, title, steps=steps, T=T, colormap=colormap)
    iio.imwrite(path, np.stack(frames), duration=1000 / fps, loop=0)
    return path


def render_video(
    path: str | os.PathLike[str],
    all_cells: Any,
    *,
    fps: int = 20,
    colormap: str = _DEFAULT_MAP,
    pixel_size: int = 2,
) -> Path:
    """Write frames as an MP4 video (needs `imageio-ffmpeg`).

    **Arguments:**

    - `path`: the output file (`.mp4`).
    - `all_cells`: the frames, as for `render_gif`.
    - `fps`, `colormap`, `pixel_size`: as for `render_gif`.

    **Returns:**

    The path written.
    """
    import imageio.v2 as imageio

    path = Path(path)
    frames = _frames(all_cells, colormap, pixel_size)
    # H.264 wants even sizes
    frames = [f[: f.shape[0] // 2 * 2, : f.shape[1] // 2 * 2] for f in frames]
    try:
        with imageio.get_writer(path, fps=fps, macro_block_size=1) as writer:
            for f in frames:
                writer.append_data(f)  # pyright: ignore[reportAttributeAccessIssue]
    except (ImportError, RuntimeError) as e:
        raise RuntimeError(
            f"cannot write {str(path)!r}: {e}; install the video extra "
            "(pip install 'lenia-runner[video]') or use render_gif"
        ) from e
    return path


def plot_stats(
    path: str | os.PathLike[str],
    stats: Mapping[str, Any],
    *,
    names: Sequence[str] | None = None,
    title: str | None = None,
) -> Path:
    """Plot statistics over time (one panel each) into a PNG file.

    **Arguments:**

    - `path`: the output PNG.
    - `stats`: statistics with a leading time axis (one run).
    - `names`: which to plot (default: all with a time axis).
    - `title`: the figure's title; the plot marks `N` when present.

    **Returns:**

    The path written.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if names is None:
        names = [k for k, v in stats.items() if k != "N" and np.ndim(v) >= 1]
    n = len(names)
    if n == 0:
        raise ValueError("plot_stats: expected statistics with a time axis, got none")
    cols = 3
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(
        rows, cols, figsize=(4 * cols, 2.4 * rows + 0.8), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    N = stats.get("N")
    for ax, name in zip(axes.flat, names, strict=False):
        v = np.asarray(stats[name])
        ax.plot(v.reshape(v.shape[0], -1))
        ax.set_title(name, fontsize=9)
        if N is not None and np.size(N) == 1:
            ax.axvline(float(np.asarray(N).reshape(())), color="r", ls="--", lw=0.8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    note = "masses in units of R², distances in R, speeds per step"
    if N is not None and np.size(N) == 1:
        note += "; red dashed line: N, the last step the stop rules held"
    fig.suptitle(f"{title}\n{note}" if title else note, fontsize=10)
    fig.supxlabel("step")
    path = Path(path)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path

"""Rendering worlds (GIF, MP4, RGB images) and plotting statistics."""

from ._render import (
    get_image as get_image,
    plot_stats as plot_stats,
    render_gif as render_gif,
    render_video as render_video,
)

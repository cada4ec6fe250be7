"""Plots from a runner's monitors (`dsrunner.visualize`, as `brainpy.visualize`)."""

from ._plot import line_plot as line_plot, raster_plot as raster_plot

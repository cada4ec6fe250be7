"""Connectivity (`dsrunner.conn`, as `brainpy.conn`)."""

from ._connect import FixedProb as FixedProb

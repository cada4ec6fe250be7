"""`jaxsnn.event.modules`: the layers."""

from . import leaky_integrate_and_fire as leaky_integrate_and_fire

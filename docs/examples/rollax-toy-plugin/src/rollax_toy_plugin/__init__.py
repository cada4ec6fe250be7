"""A toy rollax plugin: the running example of the plugin author guide."""

from ._stepper import NoisyDecay as NoisyDecay

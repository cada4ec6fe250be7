"""`jaxsnn.base.params`: neuron parameters."""

from .._params import LIFParameters as LIFParameters, LIParameters as LIParameters

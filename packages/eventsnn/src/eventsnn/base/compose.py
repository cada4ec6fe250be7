"""`jaxsnn.base.compose`: chaining layers."""

from .._layers import serial as serial

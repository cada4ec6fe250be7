"""jaxsnn's `jaxsnn.base` namespace: datasets, parameters, `serial`."""

from . import compose as compose, dataset as dataset, params as params, types as types

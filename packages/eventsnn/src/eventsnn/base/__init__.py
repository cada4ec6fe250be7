"""jaxsnn's `jaxsnn.base` namespace: the toy datasets."""

from . import dataset as dataset

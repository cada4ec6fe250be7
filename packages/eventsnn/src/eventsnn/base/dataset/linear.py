"""`jaxsnn.base.dataset.linear`."""

from ..._kit_data import linear_dataset as linear_dataset

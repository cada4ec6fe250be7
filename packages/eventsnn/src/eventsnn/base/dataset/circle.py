"""`jaxsnn.base.dataset.circle`."""

from ..._kit_data import circle_dataset as circle_dataset

"""`jaxsnn.base.dataset.constant`."""

from ..._kit_data import constant_dataset as constant_dataset

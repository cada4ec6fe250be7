"""`jaxsnn.base.dataset.yinyang`."""

from ..._kit_data import yinyang_dataset as yinyang_dataset

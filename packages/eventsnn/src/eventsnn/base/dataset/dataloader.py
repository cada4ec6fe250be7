"""`jaxsnn.base.dataset.dataloader`."""

from ..._kit_data import data_loader as data_loader

"""Toy datasets and batching (jaxsnn's `jaxsnn.base.dataset`)."""

from ..._kit_data import (
    circle_dataset as circle_dataset,
    constant_dataset as constant_dataset,
    data_loader as data_loader,
    linear_dataset as linear_dataset,
    yinyang_dataset as yinyang_dataset,
)

"""The training step and epoch (jaxsnn's `jaxsnn.event.training`)."""

from .._kit import OptState as OptState, epoch as epoch, update as update

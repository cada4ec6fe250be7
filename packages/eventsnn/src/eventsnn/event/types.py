"""`jaxsnn.event.types`: spikes, weights, neuron state and training state."""

from .._kit import OptState as OptState
from .._types import (
    EventPropSpike as EventPropSpike,
    LIFState as LIFState,
    Spike as Spike,
    WeightInput as WeightInput,
    WeightRecurrent as WeightRecurrent,
)

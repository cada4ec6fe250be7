"""jaxsnn's `jaxsnn.event` namespace: the layers, NIR conversion and the training
kit under jaxsnn's module paths (`eventsnn.event.loss`, `.encode`, `.training`)."""

from .._layers import (
    LIF as LIF,
    EventPropLIF as EventPropLIF,
    HardwareLIF as HardwareLIF,
    RecurrentEventPropLIF as RecurrentEventPropLIF,
    RecurrentLIF as RecurrentLIF,
    serial as serial,
)
from .._nir import (
    ConversionConfig as ConversionConfig,
    from_nir as from_nir,
    to_nir as to_nir,
)
from .._nir_data import from_nir_data as from_nir_data, to_nir_data as to_nir_data
from .._readout import LeakyIntegrator as LeakyIntegrator
from .._types import (
    EventPropSpike as EventPropSpike,
    Spike as Spike,
    WeightInput as WeightInput,
    WeightRecurrent as WeightRecurrent,
)
from . import (
    encode as encode,
    loss as loss,
    modules as modules,
    training as training,
    types as types,
)

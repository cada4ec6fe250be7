"""`jaxsnn.event.modules.leaky_integrate_and_fire`: the LIF layers."""

from ..._layers import (
    LIF as LIF,
    EventPropLIF as EventPropLIF,
    HardwareLIF as HardwareLIF,
    RecurrentEventPropLIF as RecurrentEventPropLIF,
    RecurrentLIF as RecurrentLIF,
)
from ..._params import LIFParameters as LIFParameters

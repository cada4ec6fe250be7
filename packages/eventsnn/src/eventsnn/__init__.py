"""eventsnn: event-based spiking networks with exact spike times, EventProp
gradients, and NIR import and export (a stand-in for jaxsnn's event module)."""

from . import base as base, event as event  # jaxsnn's module paths
from .__about__ import __version__ as __version__
from ._data import (
    encode_yinyang as encode_yinyang,
    yinyang_class as yinyang_class,
    yinyang_dataset as yinyang_dataset,
    yinyang_points as yinyang_points,
)
from ._errors import BudgetOverflowWarning as BudgetOverflowWarning
from ._layers import (
    LIF as LIF,
    EventPropLIF as EventPropLIF,
    HardwareLIF as HardwareLIF,
    RecurrentEventPropLIF as RecurrentEventPropLIF,
    RecurrentLIF as RecurrentLIF,
    serial as serial,
)
from ._loss import (
    accuracy as accuracy,
    first_spike as first_spike,
    local_spikes as local_spikes,
    silent_label_penalty as silent_label_penalty,
    ttfs_cross_entropy as ttfs_cross_entropy,
)
from ._nir import (
    ConversionConfig as ConversionConfig,
    bias_is_zero as bias_is_zero,
    convert_cuba_lif as convert_cuba_lif,
    convert_to_number as convert_to_number,
    from_nir as from_nir,
    get_edge as get_edge,
    get_keys as get_keys,
    get_prev_node as get_prev_node,
    is_homogeneous as is_homogeneous,
    to_nir as to_nir,
)
from ._nir_data import from_nir_data as from_nir_data, to_nir_data as to_nir_data
from ._params import LIFParameters as LIFParameters, LIParameters as LIParameters
from ._readout import LeakyIntegrator as LeakyIntegrator, max_over_time as max_over_time
from ._rollax import EventPropLIFLayer as EventPropLIFLayer, LIFLayer as LIFLayer
from ._solver import (
    classify_ratio as classify_ratio,
    lambert_w0 as lambert_w0,
    next_spike_dt as next_spike_dt,
    propagator_coefficients as propagator_coefficients,
)
from ._training import (
    YinYangResult as YinYangResult,
    train_yinyang as train_yinyang,
    yinyang_network as yinyang_network,
)
from ._types import (
    EventPropSpike as EventPropSpike,
    LIFState as LIFState,
    Spike as Spike,
    WeightInput as WeightInput,
    WeightRecurrent as WeightRecurrent,
)

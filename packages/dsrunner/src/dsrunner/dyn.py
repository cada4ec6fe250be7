"""Model classes (`dsrunner.dyn`, as `brainpy.dyn`)."""

from ._dynsys import DynamicalSystem as DynamicalSystem, DynSysGroup as DynSysGroup
from ._neurons import (
    HH as HH,
    LIF as LIF,
    Izhikevich as Izhikevich,
    LifRef as LifRef,
)
from ._synapses import (
    COBA as COBA,
    CUBA as CUBA,
    Alpha as Alpha,
    Expon as Expon,
    PoissonGroup as PoissonGroup,
    ProjAlignPostMg2 as ProjAlignPostMg2,
)

"""Model classes (`dsrunner.dyn`, as `brainpy.dyn`)."""

from ._dynsys import DynamicalSystem as DynamicalSystem, DynSysGroup as DynSysGroup
from ._neurons import (
    HH as HH,
    HHLTC as HHLTC,
    LIF as LIF,
    Izhikevich as Izhikevich,
    IzhikevichLTC as IzhikevichLTC,
    LifLTC as LifLTC,
    LifRef as LifRef,
    LifRefLTC as LifRefLTC,
)
from ._synapses import (
    COBA as COBA,
    CUBA as CUBA,
    Alpha as Alpha,
    Expon as Expon,
    PoissonGroup as PoissonGroup,
    ProjAlignPostMg2 as ProjAlignPostMg2,
)

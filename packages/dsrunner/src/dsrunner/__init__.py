"""dsrunner: brain-dynamics models and a BrainPy-compatible `DSRunner` for JAX."""

from . import (
    conn as conn,
    dnn as dnn,
    dyn as dyn,
    init as init,
    math as math,
    surrogate as surrogate,
    visualize as visualize,
)
from .__about__ import __version__ as __version__
from ._connect import EventCSRLinear as EventCSRLinear, FixedProb as FixedProb
from ._dynsys import (
    BrainPyObject as BrainPyObject,
    Dynamic as Dynamic,
    DynamicalSystem as DynamicalSystem,
    DynSysGroup as DynSysGroup,
    Network as Network,
    NeuDyn as NeuDyn,
    Projection as Projection,
    StateLoadResult as StateLoadResult,
)
from ._einet import EINet as EINet
from ._environ import get_dt as get_dt, set_dt as set_dt, share as share
from ._errors import (
    BrainPyError as BrainPyError,
    DiffEqError as DiffEqError,
    MathError as MathError,
    MonitorError as MonitorError,
    RunningError as RunningError,
)
from ._integrators import (
    JointEq as JointEq,
    ODEIntegrator as ODEIntegrator,
    SDEIntegrator as SDEIntegrator,
    exprel as exprel,
    get_supported_methods as get_supported_methods,
    odeint as odeint,
    sdeint as sdeint,
    set_default_odeint as set_default_odeint,
)
from ._modes import (
    BatchingMode as BatchingMode,
    Mode as Mode,
    NonBatchingMode as NonBatchingMode,
    TrainingMode as TrainingMode,
)
from ._monitor import Monitor as Monitor, SpikeTrain as SpikeTrain
from ._neurons import HH as HH, LIF as LIF, Izhikevich as Izhikevich, LifRef as LifRef
from ._runner import DSRunner as DSRunner
from ._steppers import (
    HHStepper as HHStepper,
    IzhikevichStepper as IzhikevichStepper,
    LIFStepper as LIFStepper,
    ScanRunner as ScanRunner,
)
from ._synapses import (
    COBA as COBA,
    CUBA as CUBA,
    Alpha as Alpha,
    Expon as Expon,
    PoissonGroup as PoissonGroup,
    ProjAlignPostMg2 as ProjAlignPostMg2,
)
from ._variable import (
    Parameter as Parameter,
    TrainVar as TrainVar,
    Variable as Variable,
)

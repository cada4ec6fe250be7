"""Array-side names (`dsrunner.math`, as `brainpy.math`)."""

from . import surrogate as surrogate
from ._environ import get_dt as get_dt, set_dt as set_dt
from ._integrators import exprel as exprel
from ._modes import (
    BatchingMode as BatchingMode,
    NonBatchingMode as NonBatchingMode,
    TrainingMode as TrainingMode,
    batching_mode as batching_mode,
    nonbatching_mode as nonbatching_mode,
    training_mode as training_mode,
)
from ._scaling import IdScaling as IdScaling, Scaling as Scaling
from ._variable import (
    Parameter as Parameter,
    TrainVar as TrainVar,
    Variable as Variable,
)

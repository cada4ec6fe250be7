"""apebench-lite: PDE emulator benchmark with spectral ETDRK solvers (rollax plugin).

A self-contained stand-in for APEBench (with the parts of exponax, trainax and
pdequinox it uses): the `BaseScenario` API, the scenario registry `scenario_dict`,
ETDRK0-4 steppers, initial conditions, networks, trainers and metrics.
"""

from . import (
    ic as ic,
    metrics as metrics,
    normalized as normalized,
    scenarios as scenarios,
    stepper as stepper,
    utils as utils,
)
from .__about__ import __version__ as __version__
from ._base_scenario import (
    BaseScenario as BaseScenario,
    arch_extensions as arch_extensions,
    build_network as build_network,
    clear_data_cache as clear_data_cache,
    repeat as repeat,
    rollout as rollout,
)
from ._config import ConfigError as ConfigError
from ._corrected import CorrectedStepper as CorrectedStepper
from ._etdrk import (
    AbstractETDRKStepper as AbstractETDRKStepper,
    etdrk_coefficients as etdrk_coefficients,
)
from ._networks import parameter_count as parameter_count
from ._scenarios import scenario_dict as scenario_dict
from ._trainer import (
    Trainer as Trainer,
    parse_train_config as parse_train_config,
)
from ._utils import (
    melt_data as melt_data,
    melt_loss as melt_loss,
    melt_metrics as melt_metrics,
    melt_sample_rollouts as melt_sample_rollouts,
)

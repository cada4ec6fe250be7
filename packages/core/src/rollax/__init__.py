"""rollax: protocols, plugin registry and conformance tests of the rollax family."""

from . import hookspecs as hookspecs
from .__about__ import __version__ as __version__
from ._checkpoint import (
    Checkpointing as Checkpointing,
    CheckpointStore as CheckpointStore,
)
from ._custom_types import Params as Params, Shape as Shape, State as State
from ._demo import Demo as Demo
from ._errors import (
    CheckpointError as CheckpointError,
    PluginError as PluginError,
    PluginWarning as PluginWarning,
    UnknownNameError as UnknownNameError,
)
from ._helpers import (
    is_concrete as is_concrete,
    progress_bar as progress_bar,
    warn_user as warn_user,
)
from ._layer import AbstractLayer as AbstractLayer
from ._markers import hookimpl as hookimpl
from ._pytree_io import load_pytree as load_pytree, save_pytree as save_pytree
from ._registry import (
    PluginInfo as PluginInfo,
    Registry as Registry,
    demos as demos,
    get_demo as get_demo,
    get_layer as get_layer,
    get_runner as get_runner,
    get_stepper as get_stepper,
    get_summariser as get_summariser,
    layers as layers,
    plugins as plugins,
    register_plugin as register_plugin,
    registry as registry,
    runners as runners,
    steppers as steppers,
    summarisers as summarisers,
    unregister_plugin as unregister_plugin,
)
from ._rollout import rollout as rollout
from ._runner import AbstractRunner as AbstractRunner
from ._stepper import AbstractStepper as AbstractStepper
from ._summariser import AbstractSummariser as AbstractSummariser

"""lenia-runner: Lenia continuous cellular automata in JAX, a Leniax stand-in.

The Leniax-compatible modules are `runner`, `core`, `kernels`, `kernel_functions`,
`growth_functions`, `statistics`, `initializations`, `helpers`, `loader`, `utils`
and `constant`; `render` draws worlds and statistics.
"""

from . import (
    constant as constant,
    core as core,
    growth_functions as growth_functions,
    helpers as helpers,
    initializations as initializations,
    kernel_functions as kernel_functions,
    kernels as kernels,
    loader as loader,
    render as render,
    runner as runner,
    species as species,
    statistics as statistics,
    utils as utils,
)
from .__about__ import __version__ as __version__
from ._core import UpdateFn as UpdateFn
from ._demo import run_demo as run_demo
from ._helpers import (
    build_update_fn as build_update_fn,
    init as init,
    init_and_run as init_and_run,
)
from ._kernels import (
    KernelMapping as KernelMapping,
    get_kernels_and_mapping as get_kernels_and_mapping,
)
from ._modules import (
    LeniaRunner as LeniaRunner,
    LeniaStatistics as LeniaStatistics,
    LeniaStepper as LeniaStepper,
)
from ._runner import (
    run as run,
    run_scan as run_scan,
    run_scan_mem_optimized as run_scan_mem_optimized,
    run_scan_mem_optimized_pmap as run_scan_mem_optimized_pmap,
)
from ._species import (
    ORBIUM_CELLS as ORBIUM_CELLS,
    orbium_cells as orbium_cells,
    orbium_config as orbium_config,
)
from ._statistics import (
    StatsFn as StatsFn,
    build_compute_stats_fn as build_compute_stats_fn,
    check_heuristics as check_heuristics,
)
from ._utils import load_config as load_config

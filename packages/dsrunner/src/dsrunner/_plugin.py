"""The hook implementations rollax finds through the entry point."""

import rollax

from ._demo import run_demo
from ._steppers import HHStepper, IzhikevichStepper, LIFStepper, ScanRunner


@rollax.hookimpl
def register_steppers():
    return [LIFStepper, HHStepper, IzhikevichStepper]


@rollax.hookimpl
def register_runners():
    return [ScanRunner]


@rollax.hookimpl
def register_demos():
    return [
        rollax.Demo(
            name="dsrunner",
            description="COBA E/I network of 4000 LIF neurons for 1 s: raster and rates.",
            run=run_demo,
        )
    ]

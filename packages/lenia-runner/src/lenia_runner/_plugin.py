"""rollax entry point of lenia-runner."""

import rollax

from ._demo import run_demo
from ._modules import LeniaRunner, LeniaStatistics, LeniaStepper


@rollax.hookimpl
def register_steppers():
    return [LeniaStepper]


@rollax.hookimpl
def register_runners():
    return [LeniaRunner]


@rollax.hookimpl
def register_summarisers():
    return [LeniaStatistics]


@rollax.hookimpl
def register_demos():
    return [
        rollax.Demo(
            name="lenia-runner",
            description=(
                "Search Perlin-noise initial states under the Orbium rule, keep the "
                "longest-living, write its GIF and statistics plot"
            ),
            run=run_demo,
        )
    ]

"""rollax plugin hooks of eventsnn."""

import rollax

from ._rollax import EventPropLIFLayer, LIFLayer


@rollax.hookimpl
def register_layers():
    return [LIFLayer, EventPropLIFLayer]


@rollax.hookimpl
def register_demos():
    from ._demo import run_demo

    return [
        rollax.Demo(
            name="eventsnn",
            description=(
                "train a 5-120-3 spiking network on Yin-Yang with EventProp; "
                "loss/accuracy curves, a spike raster and a NIR export"
            ),
            run=run_demo,
        )
    ]

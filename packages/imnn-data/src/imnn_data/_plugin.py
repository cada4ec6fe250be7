"""rollax hooks of imnn-data."""

import rollax


@rollax.hookimpl
def register_summarisers():
    from ._summariser import IMNNSummariser

    return [IMNNSummariser]


@rollax.hookimpl
def register_demos():
    from ._demo import DEMO

    return [DEMO]

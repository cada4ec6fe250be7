"""From a configuration to a run: the functions most users call."""

from ._helpers import (
    build_all as build_all,
    build_get_field_fn as build_get_field_fn,
    build_get_potential_fn as build_get_potential_fn,
    build_update_fn as build_update_fn,
    create_init_cells as create_init_cells,
    init as init,
    init_and_run as init_and_run,
    multi_init_and_run as multi_init_and_run,
    search_for_init as search_for_init,
    search_for_mutation as search_for_mutation,
)

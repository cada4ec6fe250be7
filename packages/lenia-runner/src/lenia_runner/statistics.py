"""Statistics of a simulation and the "dead or exploded" heuristics."""

from ._statistics import (
    MASS_VOLUME_STOP_STEP as MASS_VOLUME_STOP_STEP,
    MASS_VOLUME_THRESHOLD as MASS_VOLUME_THRESHOLD,
    MONOTONIC_STOP_STEP as MONOTONIC_STOP_STEP,
    STAT_NAMES as STAT_NAMES,
    StatsFn as StatsFn,
    build_compute_stats_fn as build_compute_stats_fn,
    check_heuristics as check_heuristics,
    compute_stats as compute_stats,
    finish_stats as finish_stats,
    init_counters as init_counters,
    init_stats_carry as init_stats_carry,
    mass_volume_heuristic as mass_volume_heuristic,
    max_channel_mass_heuristic as max_channel_mass_heuristic,
    max_mass_heuristic as max_mass_heuristic,
    min_channel_mass_heuristic as min_channel_mass_heuristic,
    min_mass_heuristic as min_mass_heuristic,
    monotonic_heuristic as monotonic_heuristic,
    raw_stats as raw_stats,
    stats_list_to_dict as stats_list_to_dict,
)

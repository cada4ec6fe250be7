"""One update step: potentials, field aggregation and update rules."""

from ._core import (
    FieldFn as FieldFn,
    PotentialFn as PotentialFn,
    UpdateFn as UpdateFn,
    conv_padding as conv_padding,
    get as get,
    get_field as get_field,
    get_potential as get_potential,
    get_potential_fft as get_potential_fft,
    get_state as get_state,
    get_state_fns as get_state_fns,
    get_state_simple as get_state_simple,
    get_state_v2 as get_state_v2,
    register as register,
    ste_clip as ste_clip,
    update as update,
    weighted_mean as weighted_mean,
    weighted_sum as weighted_sum,
)

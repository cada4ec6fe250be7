"""Physical -> normalized -> difficulty conversions, as in `exponax.normalized`."""

from ._normalized import (
    denormalize_coefficients as denormalize_coefficients,
    denormalize_nonlinear_scales as denormalize_nonlinear_scales,
    extract_normalized_coefficients_from_difficulty as extract_normalized_coefficients_from_difficulty,
    extract_normalized_nonlinear_scales_from_difficulty as extract_normalized_nonlinear_scales_from_difficulty,
    normalize_coefficients as normalize_coefficients,
    normalize_nonlinear_scales as normalize_nonlinear_scales,
    reduce_normalized_coefficients_to_difficulty as reduce_normalized_coefficients_to_difficulty,
    reduce_normalized_nonlinear_scales_to_difficulty as reduce_normalized_nonlinear_scales_to_difficulty,
)

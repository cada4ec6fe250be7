"""Kernel core functions (`kf_slug`) and their registry."""

from ._kernel_functions import (
    OLD_K_ID as OLD_K_ID,
    gauss as gauss,
    gauss_bump as gauss_bump,
    get as get,
    kernel_functions as kernel_functions,
    poly_quad as poly_quad,
    register as register,
    staircase as staircase,
    step as step,
    threshold as threshold,
    triangle as triangle,
)

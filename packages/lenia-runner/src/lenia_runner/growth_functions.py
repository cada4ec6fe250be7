"""Growth functions (`gf_slug`) and their registry."""

from ._growth_functions import (
    OLD_GF_ID as OLD_GF_ID,
    gaussian as gaussian,
    gaussian_target as gaussian_target,
    get as get,
    growth_functions as growth_functions,
    identity as identity,
    poly_quad4 as poly_quad4,
    register as register,
    staircase as staircase,
    step as step,
    triangle as triangle,
)

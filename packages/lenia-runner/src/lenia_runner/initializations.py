"""Random initial states (Perlin, cropped Perlin, uniform) and their registry."""

from ._initializations import (
    cropped_perlin as cropped_perlin,
    generate_perlin_noise as generate_perlin_noise,
    generate_perlin_noise_2d as generate_perlin_noise_2d,
    get as get,
    initializations as initializations,
    perlin as perlin,
    random_uniform as random_uniform,
    register as register,
)

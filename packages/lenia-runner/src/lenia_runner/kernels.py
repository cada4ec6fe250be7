"""Kernel builders, the kernel registry and the kernel graph."""

from ._kernels import (
    KernelMapping as KernelMapping,
    circle_2d as circle_2d,
    crop_centred as crop_centred,
    ellipse_2d as ellipse_2d,
    get as get,
    get_kernels_and_mapping as get_kernels_and_mapping,
    kernels as kernels,
    oriented_ellipse_2d as oriented_ellipse_2d,
    raw as raw,
    register as register,
    sphere_3d as sphere_3d,
    wrap_kernel as wrap_kernel,
)

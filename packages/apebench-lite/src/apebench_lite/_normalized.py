"""Physical -> normalized -> difficulty parametrisations of linear and nonlinear terms.

Normalized coefficients describe the same PDE on the unit domain with a unit time
step (`alpha_j = a_j dt / L^j`, `beta_0 = b_0 dt`, `beta_1 = b_1 dt / L`,
`beta_2 = b_2 dt / L^2`). Difficulties fold in the resolution:
`gamma_0 = alpha_0`, `gamma_j = alpha_j N^j 2^(j-1) D` (so `gamma_1` is `D` times the
CFL number), `delta_0 = beta_0`, `delta_1 = beta_1 M N D`, `delta_2 = beta_2 M N^2 D`,
with `M = maximum_absolute` the expected maximum absolute state value.
"""

from collections.abc import Sequence


def normalize_coefficients(
    coefficients: Sequence[float], *, domain_extent: float, dt: float
) -> tuple[float, ...]:
    """Physical linear coefficients `a_j` to normalized `alpha_j = a_j dt / L^j`."""
    return tuple(a * dt / domain_extent**j for j, a in enumerate(coefficients))


def denormalize_coefficients(
    normalized_coefficients: Sequence[float], *, domain_extent: float, dt: float
) -> tuple[float, ...]:
    """Normalized `alpha_j` back to physical `a_j = alpha_j L^j / dt`."""
    return tuple(
        a * domain_extent**j / dt for j, a in enumerate(normalized_coefficients)
    )


def normalize_nonlinear_scales(
    scales: Sequence[float], *, domain_extent: float, dt: float
) -> tuple[float, ...]:
    """Physical `(b0, b1, b2)` to normalized `(b0 dt, b1 dt / L, b2 dt / L^2)`."""
    return tuple(b * dt / domain_extent**j for j, b in enumerate(scales))


def denormalize_nonlinear_scales(
    normalized_scales: Sequence[float], *, domain_extent: float, dt: float
) -> tuple[float, ...]:
    """Normalized `(beta0, beta1, beta2)` back to physical scales."""
    return tuple(b * domain_extent**j / dt for j, b in enumerate(normalized_scales))


def reduce_normalized_coefficients_to_difficulty(
    normalized_coefficients: Sequence[float],
    *,
    num_spatial_dims: int,
    num_points: int,
) -> tuple[float, ...]:
    """Normalized `alpha_j` to difficulties `gamma_j = alpha_j N^j 2^(j-1) D`."""
    out = []
    for j, a in enumerate(normalized_coefficients):
        out.append(a if j == 0 else a * num_points**j * 2 ** (j - 1) * num_spatial_dims)
    return tuple(out)


def extract_normalized_coefficients_from_difficulty(
    difficulties: Sequence[float], *, num_spatial_dims: int, num_points: int
) -> tuple[float, ...]:
    """Difficulties `gamma_j` back to normalized coefficients `alpha_j`."""
    out = []
    for j, g in enumerate(difficulties):
        out.append(
            g if j == 0 else g / (num_points**j * 2 ** (j - 1) * num_spatial_dims)
        )
    return tuple(out)


def reduce_normalized_nonlinear_scales_to_difficulty(
    normalized_scales: Sequence[float],
    *,
    num_spatial_dims: int,
    num_points: int,
    maximum_absolute: float = 1.0,
) -> tuple[float, ...]:
    """Normalized `(beta0, beta1, beta2)` to difficulties `(delta0, delta1, delta2)`."""
    b = tuple(normalized_scales) + (0.0,) * (3 - len(normalized_scales))
    return (
        b[0],
        b[1] * maximum_absolute * num_points * num_spatial_dims,
        b[2] * maximum_absolute * num_points**2 * num_spatial_dims,
    )


def extract_normalized_nonlinear_scales_from_difficulty(
    difficulties: Sequence[float],
    *,
    num_spatial_dims: int,
    num_points: int,
    maximum_absolute: float = 1.0,
) -> tuple[float, ...]:
    """Difficulties `(delta0, delta1, delta2)` back to normalized scales."""
    d = tuple(difficulties) + (0.0,) * (3 - len(difficulties))
    return (
        d[0],
        d[1] / (maximum_absolute * num_points * num_spatial_dims),
        d[2] / (maximum_absolute * num_points**2 * num_spatial_dims),
    )

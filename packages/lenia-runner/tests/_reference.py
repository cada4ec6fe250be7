"""An independent plain-numpy Lenia (float64) used as the reference in tests."""

import math

import numpy as np


def np_circle_kernel(R, r=1.0, bs=(1.0,), q=4.0):
    rad = math.ceil(r * R)
    idx = (np.arange(2 * rad) - rad) / (r * R)
    y, x = np.meshgrid(idx, idx, indexing="ij")
    d = np.sqrt(x**2 + y**2)
    B = len(bs)
    Bd = B * d
    ring = np.minimum(np.floor(Bd), B - 1).astype(int)
    X = Bd % 1
    core = (4 * X * (1 - X)) ** q
    K = np.where(d < 1, core * np.asarray(bs)[ring], 0.0)
    return K / K.sum()


def np_potential(A, kernel, correlate=False):
    """Periodic convolution of a 2-D world with a kernel centred at index d // 2."""
    cy, cx = kernel.shape[0] // 2, kernel.shape[1] // 2
    U = np.zeros_like(A, dtype=np.float64)
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            if kernel[i, j] == 0:
                continue
            s = (i - cy, j - cx)
            if correlate:
                s = (-s[0], -s[1])
            U += kernel[i, j] * np.roll(A, s, axis=(0, 1))
    return U


def np_growth_poly_quad4(U, m, s):
    return 2 * np.maximum(0, 1 - (U - m) ** 2 / (9 * s**2)) ** 4 - 1


def np_step(A, kernel, m, s, T):
    U = np_potential(A, kernel)
    F = np_growth_poly_quad4(U, m, s)
    return np.clip(A + F / T, 0, 1), F, U


def np_stats(A, F, U, shift, prev_centroid, prev_angle, R, dt):
    """Leniax's statistics of one world [C, H, W], computed by rolling."""
    eps = 1e-7
    world = A.shape[1:]
    Ar = np.roll(A, (-shift[0], -shift[1]), axis=(1, 2))
    Fr = np.maximum(np.roll(F, (-shift[0], -shift[1]), axis=(1, 2)), 0)
    coords = np.stack(
        np.meshgrid(*[np.arange(n) - n // 2 for n in world], indexing="ij")
    )  # [2, H, W]
    m00 = Ar.sum()
    g00 = Fr.sum()
    MX = np.array([(Ar * coords[d]).sum() for d in range(2)])
    MX2 = np.array([(Ar * coords[d] ** 2).sum() for d in range(2)])
    GX = np.array([(Fr * coords[d]).sum() for d in range(2)])
    c = MX / (m00 + eps)
    delta = c - prev_centroid
    dist = np.linalg.norm(delta)
    angle = np.degrees(np.arctan2(delta[1], delta[0])) * (dist / R > 0.001)
    gc = GX / (g00 + eps)
    mass = m00 / R**2
    mv = (Ar > eps).sum() / R**2
    growth = g00 / R**2
    gv = (Fr > eps).sum() / R**2
    return {
        "channel_mass": Ar.sum(axis=(1, 2)) / R**2,
        "mass": mass,
        "mass_volume": mv,
        "mass_density": mass / (mv + eps),
        "growth": growth,
        "growth_volume": gv,
        "growth_density": growth / (gv + eps),
        "mass_speed": dist / R / dt,
        "mass_angle_speed": ((angle - prev_angle + 540) % 360 - 180) / dt,
        "mass_growth_dist": np.linalg.norm(gc - c) / R,
        "inertia": ((MX2 - c * MX) / (m00**2 + eps)).sum(),
        "potential_volume": (U > eps).sum() / R**2,
    }, c


def np_ellipse_kernel(R, r, bs, a, b, theta, q=4.0, oriented=False):
    """Leniax's elliptic kernels (poly_quad core), pixel by pixel in float64.

    Pixel `(i, j)` of the `2 ceil(r R)` square sits at `u = (i - rad) / (r R)`
    (axis 0) and `v = (j - rad) / (r R)` (axis 1); rotated coordinates
    `x' = u cos(pi theta) + v sin(pi theta)`, `y' = -u sin(pi theta) + v cos(pi
    theta)`; distance `sqrt((x'/a)^2 + (y'/b)^2)`.
    """
    rad = math.ceil(r * R)
    n = 2 * rad
    shell = np.zeros((n, n))
    xr = np.zeros((n, n))
    B = len(bs)
    for i in range(n):
        for j in range(n):
            u, v = (i - rad) / (r * R), (j - rad) / (r * R)
            x1 = u * math.cos(math.pi * theta) + v * math.sin(math.pi * theta)
            y1 = -u * math.sin(math.pi * theta) + v * math.cos(math.pi * theta)
            d = math.hypot(x1 / a, y1 / b)
            xr[i, j] = x1
            if d < 1:
                X = (B * d) % 1
                shell[i, j] = (4 * X * (1 - X)) ** q * bs[min(int(B * d), B - 1)]
    if oriented:
        K = shell * xr
        return K / np.abs(K).sum()
    K = shell / shell.sum()
    factor = np.where(xr < -0.01, -1.0, np.where(xr > 0.01, 1.0, xr))
    return K * factor

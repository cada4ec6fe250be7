"""Canary: the hot reductions, jitted, against a float64 numpy reference.

jax/jaxlib 0.10.2 miscompiled broadcast-multiply-then-sum under `jit` on CPU
(jax-ml/jax#39103, #39257). The package writes such reductions as matmul/einsum
and excludes the broken release; this file makes a future regression of that kind
fail here, on realistic shapes, rather than in someone's results.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from imnn_data import AggregatedGradientIMNN, DeepSet, GradientIMNN
from imnn_data._imnn import _estimate
from imnn_data._maths import (
    covariance,
    f_statistics,
    loss_and_statistics,
    numerical_derivative,
)

# (n_s, n_d, n_summaries, n_params): the seed's problem, a wide one, a scalar one
SHAPES = [(1000, 100, 2, 2), (4000, 1000, 10, 3), (200, 200, 1, 1), (512, 64, 32, 5)]


def _problem(n_s, n_d, s, p, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(s, s)) / np.sqrt(s) + np.eye(s)
    x = rng.normal(size=(n_s, s)) @ A.T + rng.normal(size=s)
    dx = rng.normal(size=(n_d, s, p)) * 0.3 + rng.normal(size=(s, p))
    return x, dx


def _reference(x, dx, λ, α):
    """The IMNN statistics in float64 numpy, written from their definitions."""
    μ = x.mean(0)
    C = np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])
    invC = np.linalg.inv(C)
    dμ = dx.mean(0)
    F = dμ.T @ invC @ dμ
    eye = np.eye(C.shape[0])
    Λ2 = np.linalg.norm(C - eye) + np.linalg.norm(invC - eye)
    r = λ * Λ2 / (Λ2 + np.exp(-α * Λ2))
    loss = -np.linalg.slogdet(F)[1] + r * Λ2
    return {
        "μ": μ,
        "C": C,
        "invC": invC,
        "dμ": dμ,
        "F": F,
        "Λ2": Λ2,
        "r": r,
        "loss": loss,
    }


def _close(got, want, rtol, name):
    got = np.asarray(got, np.float64)
    scale = max(np.max(np.abs(want)), 1e-12)
    err = np.max(np.abs(got - want)) / scale
    assert err < rtol, f"{name}: max|Δ|/max|ref| = {err:.3g} (tolerance {rtol})"


@pytest.mark.parametrize(("n_s", "n_d", "s", "p"), SHAPES)
def test_statistics_and_loss_jitted(n_s, n_d, s, p):
    x, dx = _problem(n_s, n_d, s, p)
    ref = _reference(x, dx, 10.0, 0.9531017980432489)
    x32, dx32 = jnp.asarray(x, jnp.float32), jnp.asarray(dx, jnp.float32)
    C = jax.jit(covariance)(x32)
    stats = jax.jit(f_statistics)(x32, dx32)
    loss, ls = jax.jit(loss_and_statistics)(x32, dx32, 10.0, 0.9531017980432489)
    tol = 2e-4 * max(1.0, float(np.linalg.cond(ref["C"])))
    _close(C, ref["C"], 1e-5, "covariance")
    _close(stats.C, ref["C"], 1e-5, "C")
    _close(stats.μ, ref["μ"], 1e-5, "μ")
    _close(stats.dμ_dθ, ref["dμ"], 1e-5, "dμ/dθ")
    _close(stats.invC, ref["invC"], tol, "C⁻¹")
    _close(stats.F, ref["F"], tol, "F")
    _close(ls.Λ2, ref["Λ2"], tol, "Λ₂")
    _close(ls.r, ref["r"], tol, "r")
    assert abs(float(loss) - ref["loss"]) < tol * max(1.0, abs(ref["loss"]))
    # gradient of the loss with respect to the summaries (what aggregation feeds
    # back), against central differences of the float64 reference
    g = jax.jit(jax.grad(lambda a: loss_and_statistics(a, dx32, 10.0, 0.95)[0]))(x32)
    i, j, h = 3, s - 1, 1e-5
    xp, xm = x.copy(), x.copy()
    xp[i, j] += h
    xm[i, j] -= h
    fd = (
        _reference(xp, dx, 10.0, 0.95)["loss"] - _reference(xm, dx, 10.0, 0.95)["loss"]
    ) / (2 * h)
    assert abs(float(g[i, j]) - fd) < 1e-2 * max(abs(fd), 1e-3)


@pytest.mark.parametrize(("n_s", "n_d", "s", "p"), SHAPES[:2])
def test_estimates_and_numerical_derivative_jitted(n_s, n_d, s, p):
    rng = np.random.default_rng(1)
    x, dx = _problem(n_s, n_d, s, p)
    ref = _reference(x, dx, 10.0, 0.95)
    invF = np.linalg.inv(ref["F"])
    θ = rng.normal(size=p)
    data = rng.normal(size=(n_s, s))
    est = jax.jit(_estimate, static_argnums=0)(
        lambda w, d: d,
        None,
        jnp.asarray(data, jnp.float32),
        jnp.asarray(θ, jnp.float32),
        jnp.asarray(invF, jnp.float32),
        jnp.asarray(ref["dμ"], jnp.float32),
        jnp.asarray(ref["invC"], jnp.float32),
        jnp.asarray(ref["μ"], jnp.float32),
    )
    want = θ + (data - ref["μ"]) @ ref["invC"] @ ref["dμ"] @ invF.T
    _close(est, want, 1e-4, "estimates")
    x_pm = rng.normal(size=(n_d, 2, p, s))
    δθ = rng.uniform(0.05, 0.2, size=p)
    got = jax.jit(numerical_derivative)(
        jnp.asarray(x_pm, jnp.float32), jnp.asarray(δθ, jnp.float32)
    )
    want = np.swapaxes((x_pm[:, 1] - x_pm[:, 0]) / δθ[None, :, None], 1, 2)
    _close(got, want, 1e-5, "numerical derivative")


def test_aggregated_means_over_devices_and_networks():
    """Summaries of a linear network and of the DeepSet, aggregated over 8 (or all
    available) devices, against float64 numpy."""
    n_dev = min(8, len(jax.devices()))
    n_s, n_d, n_in, s, p = 960, 320, 10, 3, 2
    rng = np.random.default_rng(2)
    fid = rng.normal(size=(n_s, n_in)).astype(np.float32)
    der = rng.normal(size=(n_d, n_in, p)).astype(np.float32)
    lin = eqx.nn.Linear(n_in, s, key=jax.random.key(0))
    W, b = np.asarray(lin.weight, np.float64), np.asarray(lin.bias, np.float64)
    args = (n_s, n_d, p, s, (n_in,), jnp.zeros(p), lin, optax.adam(1e-3))
    agg = AggregatedGradientIMNN(
        *args, jax.random.key(0), fid, der, jax.devices()[0], jax.devices()[:n_dev], 20
    )
    x, dx = agg.get_summaries()
    x_ref = fid.astype(np.float64) @ W.T + b
    dx_ref = np.einsum("si,nip->nsp", W, der.astype(np.float64))
    _close(x, x_ref, 1e-5, "aggregated summaries")
    _close(dx, dx_ref, 1e-5, "aggregated derivatives")
    agg.set_F_statistics(validate=False)
    ref = _reference(x_ref, dx_ref, 10.0, 0.95)
    _close(agg.μ, ref["μ"], 1e-5, "aggregated μ")
    _close(agg.C, ref["C"], 1e-4, "aggregated C")
    _close(agg.F, ref["F"], 1e-3, "aggregated F")
    # the in-memory class, sharded over the same devices
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:n_dev]), ("batch",))
    mem = GradientIMNN(*args, jax.random.key(0), fid, der, mesh=mesh)
    xm, dxm = mem.get_summaries()
    _close(xm, x_ref, 1e-5, "sharded summaries")
    _close(dxm, dx_ref, 1e-5, "sharded derivatives")
    # the DeepSet's sum over the set (a vmapped MLP reduced over the set axis)
    net = DeepSet(jax.random.key(3), n_summaries=2, width=16)
    got = jax.jit(jax.vmap(net))(jnp.asarray(fid[:256]))
    layers = [
        (np.asarray(lay.weight, np.float64), np.asarray(lay.bias, np.float64))
        for lay in net.g.layers
    ]
    h = fid[:256, :, None].astype(np.float64)  # (n, set, 1)
    for k, (Wk, bk) in enumerate(layers):
        h = h @ Wk.T + bk
        if k < len(layers) - 1:
            h = np.logaddexp(0.0, h)  # softplus
    _close(got, h.sum(1), 1e-5, "DeepSet")


@pytest.mark.parametrize(("n", "c_in", "c_out", "hw"), [(1, 15, 3, 128), (8, 4, 2, 32)])
def test_broadcast_multiply_sum_of_installed_jax(n, c_in, c_out, hw):
    """The pattern jax 0.10.2 miscompiled (off by up to 22 on the first shape),
    as a channel mixing of image-like simulations such as a CNN summariser sees:
    the installed JAX must agree with float64 numpy."""
    rng = np.random.default_rng(4)
    f = rng.normal(size=(n, c_in, hw, hw)).astype(np.float32)
    w = rng.normal(size=(c_out, c_in)).astype(np.float32)
    got = jax.jit(lambda f, w: (f[:, None] * w[None, :, :, None, None]).sum(2))(f, w)
    want = np.einsum("bkhw,ck->bchw", f.astype(np.float64), w.astype(np.float64))
    _close(got, want, 1e-5, "broadcast-multiply-sum")

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest


class Flat(eqx.Module):
    """A small MLP on the flattened simulation (any input rank)."""

    mlp: eqx.nn.MLP

    def __init__(self, in_size, key, width=8, n_summaries=2):
        self.mlp = eqx.nn.MLP(
            in_size, n_summaries, width, 1, activation=jax.nn.tanh, key=key
        )

    def __call__(self, d):
        return self.mlp(d.reshape(-1))


SHAPE = (3, 4)
WEIGHTS = jnp.arange(12.0).reshape(SHAPE) / 12.0 + 0.5


def simulator(key, θ):
    """Rank-2 simulations whose parameter dependence differs by position."""
    return θ[0] * WEIGHTS + jax.random.normal(key, SHAPE) * jnp.sqrt(θ[1])


θ_FID = jnp.array([0.0, 1.0])


def make_data(key, n_s, n_d, shape_sim=simulator):
    keys = jax.random.split(key, n_s)
    fid = jax.vmap(lambda k: shape_sim(k, θ_FID))(keys)
    der = jax.vmap(lambda k: jax.jacfwd(shape_sim, 1)(k, θ_FID))(keys[:n_d])
    return np.asarray(fid), np.asarray(der)


def make_numerical(key, n_s, n_d, δθ):
    keys = jax.random.split(key, n_s)
    fid = jax.vmap(lambda k: simulator(k, θ_FID))(keys)
    shifts = jnp.stack([-jnp.diag(δθ) / 2, jnp.diag(δθ) / 2])

    def perturbed(k):
        return jax.vmap(jax.vmap(lambda s: simulator(k, θ_FID + s)))(shifts)

    return np.asarray(fid), np.asarray(jax.vmap(perturbed)(keys[:n_d]))


@pytest.fixture(scope="session")
def problem():
    """n_s=40, n_d=20 rank-2 simulations with exact derivatives (+ validation)."""
    fid, der = make_data(jax.random.key(0), 40, 20)
    vfid, vder = make_data(jax.random.key(1), 40, 20)
    return {
        "fid": fid,
        "der": der,
        "vfid": vfid,
        "vder": vder,
        "model": Flat(12, jax.random.key(2)),
        "n_s": 40,
        "n_d": 20,
    }


def reference_loss(model, w, fid, der, λ, α):
    """The IMNN loss on the whole set, written independently: jacrev of the
    network with respect to its input contracted over every input axis."""
    n_d = der.shape[0]
    x = jax.vmap(lambda d: model(w, d))(fid)
    jac = jax.vmap(jax.jacrev(lambda d: model(w, d)))(fid[:n_d])  # (n_d, s, *in)
    dx = jnp.einsum("nsij,nijp->nsp", jac, der)
    mu = x.mean(0)
    C = (x - mu).T @ (x - mu) / (x.shape[0] - 1)
    invC = jnp.linalg.inv(C)
    dmu = dx.mean(0)
    F = dmu.T @ invC @ dmu
    eye = jnp.eye(C.shape[0])
    L2 = jnp.linalg.norm(C - eye) + jnp.linalg.norm(invC - eye)
    r = λ * L2 / (L2 + jnp.exp(-α * L2))
    return -jnp.linalg.slogdet(F)[1] + r * L2, F


def rel_err(a, b):
    la, lb = jax.tree.leaves(a), jax.tree.leaves(b)
    num = sum(float(jnp.sum((x - y) ** 2)) for x, y in zip(la, lb, strict=True))
    den = sum(float(jnp.sum(y**2)) for y in lb)
    return (num / den) ** 0.5


@pytest.fixture(scope="session")
def h():
    """Helpers for the test modules (importlib mode cannot import conftest)."""
    import types

    return types.SimpleNamespace(
        Flat=Flat,
        SHAPE=SHAPE,
        simulator=simulator,
        θ_FID=θ_FID,
        make_data=make_data,
        make_numerical=make_numerical,
        reference_loss=reference_loss,
        rel_err=rel_err,
    )

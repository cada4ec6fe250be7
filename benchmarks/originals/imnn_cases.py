# Runs on IMNN's old JAX with aliases for the APIs it needs, which current stubs lack.
# pyright: reportAttributeAccessIssue=false, reportMissingImports=false
# ruff: noqa: E402, RUF005
"""IMNN 0.3.2's side of `benchmarks/imnn.py`, run by `_worker.py` in IMNN's environment
(JAX 0.4.13; IMNN does not import on current JAX without the compatibility aliases
of the reference notes, applied here at run time). Arguments: a folder with the
Gaussian problem's arrays (fid, der, vfid, vder .npy), the fit lengths n0 and n1, and
the ABC/PMC sizes.

Cases: `fit_<class>_<n>` (a fit of exactly n iterations), `abc` (one ABC call),
`pmc` (one PMC call). The same problem, network sizes and optimiser as ours.
"""

import sys
import types
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

# --- compatibility shims for IMNN 0.3.2 on jax 0.4.x (see the reference notes) ---
jac = types.ModuleType("imnn.utils.jac")


def _vj(f, argnums=0, **kw):
    g = jax.jacfwd(lambda *a: (f(*a), f(*a)), argnums, has_aux=True)
    return lambda *a: tuple(reversed(g(*a)))


def _vr(f, argnums=0, **kw):
    g = jax.jacrev(lambda *a: (f(*a), f(*a)), argnums, has_aux=True)
    return lambda *a: tuple(reversed(g(*a)))


jac.jacfwd, jac.jacrev, jac.value_and_jacfwd, jac.value_and_jacrev = (
    jax.jacfwd,
    jax.jacrev,
    _vj,
    _vr,
)
sys.modules["imnn.utils.jac"] = jac
from jax.interpreters import xla

xla.device_array = jax.Array
import jax.example_libraries.optimizers as _opt

jax.experimental.optimizers = _opt


class _Index:
    def __getitem__(self, i):
        return i


jax.ops.index = _Index()
jax.ops.index_update = lambda x, i, y: jnp.asarray(x).at[i].set(y)
for _m in ("matplotlib", "matplotlib.pyplot"):  # plotting is not timed
    sys.modules.setdefault(_m, types.ModuleType(_m))


# ---
# IMNN's PMC uses TFP only for MultivariateNormalTriL(...).prob; the installable TFP
# releases do not import with jax 0.4.13 + TF 2.15, so provide that one density
class _MVNTriL:
    def __init__(self, loc, scale_tril):
        self.loc, self.scale_tril = loc, scale_tril

    def prob(self, x):
        cov = self.scale_tril @ jnp.swapaxes(self.scale_tril, -1, -2)
        batch = jnp.broadcast_shapes(cov.shape[:-2], self.loc.shape[:-1], x.shape[:-1])
        p = x.shape[-1]
        cov = jnp.broadcast_to(cov, batch + (p, p)).reshape(-1, p, p)
        loc = jnp.broadcast_to(self.loc, batch + (p,)).reshape(-1, p)
        x = jnp.broadcast_to(x, batch + (p,)).reshape(-1, p)
        logp = jax.vmap(jax.scipy.stats.multivariate_normal.logpdf)(x, loc, cov)
        return jnp.exp(logp).reshape(batch)


_tfp = types.ModuleType("tensorflow_probability")
_tfp.substrates = types.SimpleNamespace(
    jax=types.SimpleNamespace(
        distributions=types.SimpleNamespace(MultivariateNormalTriL=_MVNTriL)
    )
)
sys.modules["tensorflow_probability"] = _tfp


class Uniform:  # the prior, with the attributes IMNN's lfi reads
    def __init__(self, low, high):
        self.low, self.high = jnp.asarray(low), jnp.asarray(high)
        self.event_shape = (len(low),)

    def sample(self, n, seed):
        shape = (n,) if isinstance(n, int) else tuple(n)
        return jax.random.uniform(
            seed, shape + self.event_shape, minval=self.low, maxval=self.high
        )

    def prob(self, x):
        inside = jnp.all((x >= self.low) & (x <= self.high), -1)
        return jnp.where(inside, 1 / jnp.prod(self.high - self.low), 0.0)


from imnn import AggregatedGradientIMNN, GradientIMNN  # pyright: ignore[reportMissingImports]
from imnn.lfi import ApproximateBayesianComputation, PopulationMonteCarlo  # pyright: ignore[reportMissingImports]
from jax.example_libraries import optimizers, stax  # pyright: ignore[reportMissingImports]

folder = Path(sys.argv[1])
n0, n1, n_abc, n_points, n_init = (int(a) for a in sys.argv[2:7])
fid, der, vfid, vder = (
    np.load(folder / f"{name}.npy") for name in ("fid", "der", "vfid", "vder")
)
n_s, n_d = fid.shape[0], der.shape[0]
θ = jnp.array([0.0, 1.0])
model = stax.serial(
    stax.Dense(128), stax.LeakyRelu, stax.Dense(128), stax.LeakyRelu,
    stax.Dense(128), stax.LeakyRelu, stax.Dense(2),
)  # fmt: skip
common = (
    n_s,
    n_d,
    2,
    2,
    (10,),
    θ,
    model,
    optimizers.adam(step_size=1e-3),
    jax.random.PRNGKey(2),
)
cpu = jax.devices("cpu")[0]
imnns = {
    "gradient": GradientIMNN(*common, fiducial=fid, derivative=der,
                             validation_fiducial=vfid, validation_derivative=vder),
    "aggregated": AggregatedGradientIMNN(*common, fiducial=fid, derivative=der, host=cpu,
                                         devices=[cpu], n_per_device=100,
                                         validation_fiducial=vfid, validation_derivative=vder),
}  # fmt: skip


def fit(imnn, n):
    def call():
        imnn.fit(10.0, 0.1, patience=n, min_iterations=n, max_iterations=n)
        return imnn.w

    return call


prior = Uniform([-1.5, 0.2], [1.5, 3.0])
W1 = jax.random.normal(jax.random.PRNGKey(1), (20, 32)) / 4
W2 = jax.random.normal(jax.random.PRNGKey(2), (32, 2)) / 4


def simulator(key, θ):
    return θ[..., 0:1] + jax.random.normal(key, θ.shape[:-1] + (10,)) * jnp.sqrt(
        θ[..., 1:2]
    )


def compressor(d):
    return jnp.tanh(jnp.concatenate([d, d**2], -1) @ W1) @ W2


target = simulator(jax.random.PRNGKey(9), jnp.array([[0.3, 1.5]]))
F = jnp.eye(2) * 10.0
abc = ApproximateBayesianComputation(target, prior, simulator, compressor, F=F)


def run_abc():
    abc(ϵ=0.1, rng=jax.random.PRNGKey(1), n_samples=n_abc, replace=True)
    return abc.parameters.all


def run_pmc():  # IMNN's PMC compiles on every call
    pmc = PopulationMonteCarlo(target, prior, simulator, compressor, F=F)
    pmc(jax.random.PRNGKey(3), n_points, n_initial_points=n_init, percentile=75,
        max_iteration=5, acceptance_ratio=0.0, n_parallel_simulations=None)  # fmt: skip
    return pmc.parameters.all


CASES = {
    f"fit_{name}_{n}": fit(imnn, n) for name, imnn in imnns.items() for n in (n0, n1)
}
CASES.update(abc=run_abc, pmc=run_pmc)
INFO = {"imnn": "0.3.2"}

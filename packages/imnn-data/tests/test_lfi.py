"""imnn_data.lfi on the Gaussian demo problem: a fitted IMNN's posteriors of the
mean and variance are calibrated; plots and bad input."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from imnn_data import GradientIMNN, gaussian_data
from imnn_data.lfi import (
    ApproximateBayesianComputation,
    GaussianApproximation,
    PopulationMonteCarlo,
    Uniform,
)

PRIOR = Uniform([-1.5, 0.3], [1.5, 3.0])


def simulator(key, θ):
    """A batch of the demo's simulations: 10 draws from N(θ[:, 0], θ[:, 1])."""
    return θ[:, 0:1] + jax.random.normal(key, (θ.shape[0], 10)) * jnp.sqrt(θ[:, 1:2])


class Net(eqx.Module):
    mlp: eqx.nn.MLP

    def __init__(self, key):
        self.mlp = eqx.nn.MLP(20, 2, 32, 1, activation=jax.nn.softplus, key=key)

    def __call__(self, d):
        return self.mlp(jnp.concatenate([d, d**2]))


@pytest.fixture(scope="module")
def imnn():
    fid, der = gaussian_data(jax.random.key(0), 1000, 200)
    vfid, vder = gaussian_data(jax.random.key(1), 1000, 200)
    net = GradientIMNN(
        1000,
        200,
        2,
        2,
        (10,),
        jnp.array([0.0, 1.0]),
        Net(jax.random.key(2)),
        optax.adam(3e-3),
        jax.random.key(3),
        fid,
        der,
        vfid,
        vder,
    )
    net.fit(10.0, 0.1, patience=50, min_iterations=300, max_iterations=1000)
    assert float(jnp.linalg.det(net.F)) > 20  # analytic: 50
    return net


def _central_interval_coverage(samples, truth, level):
    lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return lo <= truth <= hi


def test_abc_posterior_is_calibrated(imnn):
    """Over 100 observations simulated at parameters drawn from the prior, the
    central 68 % and 95 % ABC credible intervals of the mean and the variance
    contain the true value at the expected rates."""
    n_obs = 100
    k_θ, k_obs, k_abc = jax.random.split(jax.random.key(10), 3)
    θ_true = np.asarray(PRIOR.sample(n_obs, seed=k_θ))
    observations = simulator(k_obs, jnp.asarray(θ_true))
    abc = ApproximateBayesianComputation(
        observations, PRIOR, simulator, imnn.get_estimate, F=imnn.F, gridsize=30
    )
    abc(rng=k_abc, n_samples=100_000)
    ϵ = np.quantile(np.asarray(abc.distances.all), 0.01, axis=1)  # 1000 each
    abc(ϵ=list(ϵ))
    assert np.all(abc.parameters.n_accepted >= 990)
    for level in (0.68, 0.95):
        for i in range(2):
            hits = [
                _central_interval_coverage(a[:, i], t[i], level)
                for a, t in zip(abc.parameters.accepted, θ_true, strict=True)
            ]
            cover = np.mean(hits)
            # binomial sd at n_obs = 100: 0.047 (68 %), 0.022 (95 %)
            assert abs(cover - level) < 3.2 * np.sqrt(level * (1 - level) / n_obs), (
                level,
                i,
                cover,
            )
    # the marginals are densities on the prior's grid
    m = abc.marginals
    assert m[0][0].shape == (n_obs, 30) and m[1][0].shape == (n_obs, 30, 30)
    step = abc.ranges[0][1] - abc.ranges[0][0]
    np.testing.assert_allclose(m[0][0].sum(1) * step, 1.0, rtol=1e-6)


def test_pmc_matches_rejection_abc(imnn):
    """PMC's weighted populations agree with a fine rejection-ABC posterior."""
    θ_true = jnp.array([[0.4, 1.4], [-0.6, 0.8]])
    observations = simulator(jax.random.key(20), θ_true)
    abc = ApproximateBayesianComputation(
        observations, PRIOR, simulator, imnn, F=imnn.F, gridsize=30
    )
    abc(rng=jax.random.key(21), n_samples=200_000)
    ϵ = np.quantile(np.asarray(abc.distances.all), 0.004, axis=1)
    abc(ϵ=list(ϵ))
    pmc = PopulationMonteCarlo(observations, PRIOR, simulator, imnn, F=imnn.F)
    pmc(jax.random.key(22), 800, n_initial_points=4000, max_iteration=20)
    assert np.all(pmc.iterations >= 2)
    assert np.all(pmc.total_draws > 800)
    for t in range(2):
        w = pmc.parameters.weights[t]
        p = pmc.parameters.accepted[t]
        assert w.shape == (800,) and abs(w.sum() - 1) < 1e-5
        mean = w @ p
        sd = np.sqrt(w @ (p - mean) ** 2)
        ref = abc.parameters.accepted[t]
        ref_mean, ref_sd = ref.mean(0), ref.std(0)
        np.testing.assert_array_less(np.abs(mean - ref_mean), 0.25 * ref_sd)
        np.testing.assert_array_less(np.abs(sd / ref_sd - 1), 0.3)
        # the population moved closer than the 20 % closest prior draws it
        # started from
        start = np.quantile(np.asarray(abc.distances.all[t]), 0.2)
        assert np.max(np.asarray(pmc.distances.all[t])) < 0.8 * start


def test_gaussian_approximation_marginals(imnn):
    estimates = imnn.get_estimate(simulator(jax.random.key(5), jnp.array([[0.1, 1.1]])))
    wide = Uniform([-3.0, -2.0], [3.0, 4.0])
    ga = GaussianApproximation(estimates, imnn.invF, wide, gridsize=[301, 201])
    m = ga.marginals
    for i in range(2):
        step = ga.ranges[i][1] - ga.ranges[i][0]
        assert m[i][i].sum() * step == pytest.approx(1.0, abs=1e-3)
        peak = ga.ranges[i][np.argmax(m[i][i][0])]
        assert abs(peak - float(estimates[0, i])) <= step
    cell = np.prod([r[1] - r[0] for r in ga.ranges])
    assert m[1][0].shape == (1, 301, 201)
    assert m[1][0].sum() * cell == pytest.approx(1.0, abs=1e-3)
    # the 2-D density at the estimate: 1/(2π√det F⁻¹)
    i0 = np.argmin(np.abs(ga.ranges[0] - float(estimates[0, 0])))
    i1 = np.argmin(np.abs(ga.ranges[1] - float(estimates[0, 1])))
    expected = 1 / (2 * np.pi * np.sqrt(np.linalg.det(np.asarray(imnn.invF))))
    assert m[1][0][0, i0, i1] == pytest.approx(expected, rel=0.02)


def test_plots(imnn, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    θ = jnp.array([[0.3, 1.5]])
    obs = simulator(jax.random.key(30), θ)
    ga = GaussianApproximation(imnn.get_estimate(obs), imnn.invF, PRIOR, gridsize=40)
    abc = ApproximateBayesianComputation(
        obs, PRIOR, simulator, imnn, F=imnn.F, gridsize=40
    )
    abc(ϵ=0.5, rng=jax.random.key(31), n_samples=50_000, smoothing=1.0)
    ax = ga.marginal_plot(known=θ[0], axis_labels=["μ", "σ²"], label="Gaussian")
    ax = abc.marginal_plot(
        ax=ax, colours="C1", label="ABC", filename=tmp_path / "m.png"
    )
    assert (tmp_path / "m.png").stat().st_size > 10_000
    fig = ax[0, 0].figure
    assert fig._suptitle.get_text()
    assert ax[1, 0].get_xlabel() == "μ" and ax[1, 0].get_ylabel() == "σ²"
    names = [t.get_text() for t in ax[0, 1].get_legend().get_texts()]
    assert names == ["Gaussian target 0", "ABC target 0", "true value"]
    assert len(ax[1, 0].collections) >= 2  # a contour set per inference
    ax = abc.scatter_plot(axis_labels=["μ", "σ²"])
    assert (
        ax[1, 0].collections[0].get_offsets().shape[0] == abc.parameters.n_accepted[0]
    )
    ax = abc.scatter_summaries()
    assert ax[1, 0].get_ylabel() == "summary 1"


def test_bad_input(imnn):
    obs = simulator(jax.random.key(40), jnp.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"`target_data` must have shape \(10,\)"):
        ApproximateBayesianComputation(obs[:, :9], PRIOR, simulator, imnn, F=imnn.F)
    with pytest.raises(ValueError, match=r"`target_data` must have shape \(10,\)"):
        PopulationMonteCarlo(obs[None], PRIOR, simulator, imnn, F=imnn.F)
    single = ApproximateBayesianComputation(obs[0], PRIOR, simulator, imnn)
    assert single.n_targets == 1 and single.n_summaries == 2
    away = Uniform([0.5, 0.3], [1.5, 3.0])  # θ_fid = (0, 1) outside
    with pytest.raises(ValueError, match="no support at the fiducial"):
        ApproximateBayesianComputation(obs, away, simulator, imnn)
    with pytest.raises(ValueError, match="no support at the fiducial"):
        PopulationMonteCarlo(obs, away, simulator, imnn.get_estimate, F=imnn.F)
    with pytest.raises(ValueError, match="no support at the fiducial"):
        ApproximateBayesianComputation(
            obs, away, simulator, lambda d: d[:, :2], θ_fid=jnp.array([0.0, 1.0])
        )
    with pytest.raises(ValueError, match="must simulate a batch"):
        ApproximateBayesianComputation(
            obs, PRIOR, lambda key, θ: θ[0] + jax.random.normal(key, (10,)), imnn
        )
    with pytest.raises(ValueError, match=r"`invF` must have shape \(2, 2\)"):
        GaussianApproximation(jnp.zeros(2), jnp.eye(3), PRIOR)
    with pytest.raises(ValueError, match="Fisher distance needs summaries"):
        ApproximateBayesianComputation(
            obs, PRIOR, simulator, lambda d: d[:, :3], F=jnp.eye(2)
        )
    pmc = PopulationMonteCarlo(obs, PRIOR, simulator, imnn)
    with pytest.raises(ValueError, match="n_initial_points"):
        pmc(jax.random.key(0), 100)
    with pytest.raises(ValueError, match="max_acceptance"):
        pmc(jax.random.key(0), 100, n_initial_points=200, max_acceptance=5)

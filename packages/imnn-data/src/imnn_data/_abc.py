"""Approximate Bayesian computation and population Monte Carlo with IMNN
summaries, in JAX (no TensorFlow Probability)."""

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._jac import container
from ._lfi import (
    LikelihoodFreeInference,
    _as_targets,
    _imnn_of,
    check_support,
    prior_prob,
)


def _imnn_compressor(imnn: Any) -> Callable:
    """The fitted IMNN's score-compressed estimates as a pure batched function."""
    from ._imnn import _estimate

    if imnn.F is None:
        raise ValueError(
            "the IMNN used as compressor has no Fisher information yet; fit it "
            "(imnn.fit) or call imnn.set_F_statistics() first"
        )
    model, w, θ_fid = imnn.model, imnn.w, imnn.θ_fid
    stats = (imnn.invF, imnn.dμ_dθ, imnn.invC, imnn.μ)

    def compress(d):
        return _estimate(model, w, d, θ_fid, *stats)

    return compress


def _smooth(x: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing of a gridded density along every axis (mirror edges)."""
    if sigma <= 0:
        return x
    radius = max(1, int(4 * sigma + 0.5))
    t = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (t / sigma) ** 2)
    kernel /= kernel.sum()
    for axis in range(x.ndim):
        pad = [(0, 0)] * x.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(x, pad, mode="symmetric")
        x = np.apply_along_axis(
            lambda v: np.convolve(v, kernel, mode="valid"), axis, padded
        )
    return x


class ApproximateBayesianComputation(LikelihoodFreeInference):
    """Rejection ABC: parameters drawn from the prior are kept where the summaries
    of their simulations fall within `ϵ` of the target's summaries.

    Sampling (prior draw, simulation, compression, distances to every target) runs
    as one compiled function.

    **Arguments:**

    - `target_data`: the observation(s): one simulation of the simulator's shape,
        or `(n_targets, *shape)`.
    - `prior`: as [`imnn_data.lfi.LikelihoodFreeInference`][].
    - `simulator`: `simulator(key, parameters)` for a batch of parameters
        `(n, n_params)`, returning `(n, *shape)`.
    - `compressor`: summaries of a batch of simulations, `(n, *shape)` to
        `(n, n_summaries)`: a fitted IMNN (or its `get_estimate`) gives
        score-compressed parameter estimates; any JAX function works.
    - `gridsize`: grid points per parameter for the marginals.
    - `F`: Fisher information `(n_params, n_params)` (or one per target) to
        measure distances `√(ΔᵀFΔ)` between estimates; requires summaries that
        are parameter estimates.
    - `distance_measure`: `distance(summaries (n, s), target (s,), F)` to use
        instead.
    - `θ_fid`: the fiducial parameters of the compression (taken from an IMNN
        compressor); the prior must have support there.
    """

    n_targets: int  # pyright: ignore[reportIncompatibleVariableOverride]

    def __init__(
        self,
        target_data: Any,
        prior: Any,
        simulator: Callable,
        compressor: Any,
        gridsize: int | list[int] = 100,
        F: Any = None,
        distance_measure: Callable | None = None,
        *,
        θ_fid: Any = None,
    ):
        super().__init__(prior=prior, gridsize=gridsize)
        if not callable(simulator):
            raise TypeError(
                f"`simulator` must be callable, got {type(simulator).__name__}"
            )
        self.simulator = simulator
        imnn = _imnn_of(compressor)
        if imnn is not None:
            if imnn.n_params != self.n_params:
                raise ValueError(
                    f"the IMNN has {imnn.n_params} parameters, the prior "
                    f"{self.n_params}; they must describe the same parameters"
                )
            self.compressor = _imnn_compressor(imnn)
            θ_fid = imnn.θ_fid if θ_fid is None else θ_fid
        elif callable(compressor):
            self.compressor = compressor
        else:
            raise TypeError(
                "`compressor` must be a fitted IMNN, its `get_estimate`, or a "
                f"function of a batch of simulations; got {type(compressor).__name__}"
            )
        if θ_fid is not None:
            check_support(prior, θ_fid, "the compression")
        self.θ_fid = θ_fid
        self.input_shape = self._simulation_shape(imnn)
        self.target_data = _as_targets(
            target_data,
            self.input_shape,
            "target_data",
            "one observation of the simulator's output shape, or a stack of them",
        )
        self.target_summaries = jnp.asarray(self.compressor(self.target_data))
        if self.target_summaries.ndim != 2:
            raise ValueError(
                "`compressor` must return (n, n_summaries) for a batch of n "
                f"simulations, got shape {tuple(self.target_summaries.shape)}"
            )
        self.n_targets = int(self.target_summaries.shape[0])
        self.n_summaries = int(self.target_summaries.shape[1])
        self._set_distance(F, distance_measure)
        self.parameters = container(n_params=self.n_params)
        self.summaries = container(n_summaries=self.n_summaries)
        self.distances = container(n_targets=self.n_targets)
        self._draw_jit: Any = None

    # ------------------------------------------------------------ set-up
    def _simulation_shape(self, imnn: Any) -> tuple[int, ...]:
        probe = jax.ShapeDtypeStruct((1, self.n_params), jnp.result_type(float))
        try:
            out = jax.eval_shape(self.simulator, jax.random.key(0), probe)
        except Exception as e:
            raise ValueError(
                "`simulator(key, parameters)` must simulate a batch: parameters "
                f"(n, {self.n_params}) -> simulations (n, *shape); calling it with "
                f"parameters of shape (1, {self.n_params}) failed: "
                f"{type(e).__name__}: {e}"
            ) from e
        shape = tuple(getattr(out, "shape", ()))
        if not shape or shape[0] != 1:
            raise ValueError(
                "`simulator(key, parameters)` must return (n, *shape) for parameters "
                f"(n, {self.n_params}); for n = 1 it returned shape {shape}"
            )
        if imnn is not None and shape[1:] != imnn.input_shape:
            raise ValueError(
                f"the simulator makes simulations of shape {shape[1:]} but the IMNN "
                f"was fitted on input_shape {imnn.input_shape}"
            )
        return shape[1:]

    def _set_distance(self, F: Any, distance_measure: Callable | None) -> None:
        p = self.n_params
        if F is not None:
            if self.n_summaries != p:
                raise ValueError(
                    "a Fisher distance needs summaries that are parameter estimates: "
                    f"the compressor returns {self.n_summaries} summaries, the prior "
                    f"has {p} parameters"
                )
            F = jnp.stack([jnp.asarray(f) for f in F]) if isinstance(F, list) else F
            F = jnp.asarray(F)
            if F.shape == (p, p):
                F = jnp.broadcast_to(F, (self.n_targets, p, p))
            if F.shape != (self.n_targets, p, p):
                raise ValueError(
                    f"`F` must have shape ({p}, {p}) or ({self.n_targets}, {p}, {p}), "
                    f"got {tuple(F.shape)}"
                )
            self.F = F
            self.distance_measure = self.F_distance
        else:
            s = self.n_summaries
            self.F = jnp.broadcast_to(jnp.eye(s), (self.n_targets, s, s))
            self.distance_measure = self.euclidean_distance
        if distance_measure is not None:
            self.distance_measure = distance_measure

    @staticmethod
    def F_distance(x: Any, y: Any, F: Any) -> Array:
        """`√((x - y)ᵀ F (x - y))` for each row of `x`."""
        d = x - y[None]
        return jnp.sqrt(jnp.maximum(jnp.einsum("ik,kl,il->i", d, F, d), 0.0))

    @staticmethod
    def euclidean_distance(x: Any, y: Any, aux: Any = None) -> Array:
        """`‖x - y‖` for each row of `x`."""
        d = x - y[None]
        return jnp.sqrt(jnp.einsum("ik,ik->i", d, d))

    def _distances(self, summaries: Any) -> Array:
        return jax.vmap(lambda t, F: self.distance_measure(summaries, t, F))(
            self.target_summaries, self.F
        )

    # ------------------------------------------------------------ sampling
    def _draw_fn(self, key, n):
        k_prior, k_sim = jax.random.split(key)
        parameters = self.prior.sample(n, seed=k_prior)
        summaries = self.compressor(self.simulator(k_sim, parameters))
        return parameters, summaries, self._distances(summaries)

    def _draw(self, key: Any, n: int) -> tuple[Any, Any, Any]:
        if self._draw_jit is None:
            self._draw_jit = jax.jit(self._draw_fn, static_argnums=1)
        if self._draw_jit is not False:
            try:
                return self._draw_jit(key, n)
            except (
                jax.errors.ConcretizationTypeError,
                jax.errors.TracerArrayConversionError,
            ) as e:
                warnings.warn(
                    "the simulator or compressor cannot be compiled with jax.jit "
                    f"({type(e).__name__}); sampling runs eagerly (slower)",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self._draw_jit = False
        return self._draw_fn(key, n)

    def get_samples(
        self, rng: Any, n_samples: int, dist: Any = None
    ) -> tuple[Any, Any]:
        """Parameters drawn from the prior (or `dist`) and their summaries.

        **Arguments:**

        - `rng`: PRNG key.
        - `n_samples`: number of draws.
        - `dist`: a distribution to draw from instead of the prior.

        **Returns:**

        `(parameters (n, n_params), summaries (n, n_summaries))`.
        """
        n_samples = _check_count(n_samples, "n_samples")
        if dist is not None:
            k_prior, k_sim = jax.random.split(rng)
            parameters = dist.sample(n_samples, seed=k_prior)
            return parameters, self.compressor(self.simulator(k_sim, parameters))
        parameters, summaries, _ = self._draw(rng, n_samples)
        return parameters, summaries

    def set_samples(
        self,
        parameters: Any,
        summaries: Any,
        distances: Any = None,
        replace: bool = False,
    ) -> None:
        """Store samples (appending to earlier ones unless `replace`).

        **Arguments:**

        - `parameters`: `(n, n_params)`.
        - `summaries`: `(n, n_summaries)`.
        - `distances`: `(n_targets, n)` (computed when not given).
        - `replace`: discard earlier samples.
        """
        parameters, summaries = jnp.asarray(parameters), jnp.asarray(summaries)
        n = parameters.shape[0] if parameters.ndim == 2 else -1
        if parameters.shape != (n, self.n_params) or summaries.shape != (
            n,
            self.n_summaries,
        ):
            raise ValueError(
                f"expected parameters (n, {self.n_params}) and summaries "
                f"(n, {self.n_summaries}), got {tuple(parameters.shape)} and "
                f"{tuple(summaries.shape)}"
            )
        if distances is None:
            distances = self._distances(summaries)
        if self.parameters.all is None or replace:
            self.parameters.all = parameters
            self.summaries.all = summaries
            self.distances.all = distances
        else:
            self.parameters.all = jnp.concatenate([self.parameters.all, parameters])
            self.summaries.all = jnp.concatenate([self.summaries.all, summaries])
            self.distances.all = jnp.concatenate([self.distances.all, distances], 1)
        self.parameters.size = self.parameters.all.shape[0]
        self.summaries.size = self.summaries.all.shape[0]
        self.distances.size = self.distances.all.shape[-1]

    def set_accepted(self, ϵ: Any, smoothing: float | None = None) -> None:
        """Accept the samples within `ϵ` of each target and make the marginals.

        **Arguments:**

        - `ϵ`: the distance threshold (a float, or a list with one per target).
        - `smoothing`: width (in grid cells) of a Gaussian smoothing of the
            histograms.
        """
        eps = np.broadcast_to(np.asarray(ϵ, dtype=np.float64), (self.n_targets,))
        distances = np.asarray(self.distances.all)
        accepted = distances < eps[:, None]
        for c in (self.parameters, self.summaries, self.distances):
            c.ϵ = ϵ
        p_all, s_all = np.asarray(self.parameters.all), np.asarray(self.summaries.all)
        self.parameters.accepted = [p_all[a] for a in accepted]
        self.summaries.accepted = [s_all[a] for a in accepted]
        self.distances.accepted = [
            d[a] for d, a in zip(distances, accepted, strict=True)
        ]
        self.parameters.rejected = [p_all[~a] for a in accepted]
        self.summaries.rejected = [s_all[~a] for a in accepted]
        self.distances.rejected = [
            d[~a] for d, a in zip(distances, accepted, strict=True)
        ]
        n_acc = accepted.sum(1)
        for c in (self.parameters, self.summaries, self.distances):
            c.n_accepted = n_acc
        self.marginals = self.get_marginals(smoothing=smoothing)

    def get_min_accepted(
        self,
        rng: Any,
        ϵ: Any,
        accepted: int,
        n_simulations: int = 1,
        max_iterations: int = 10,
        smoothing: float | None = None,
        verbose: bool = True,
    ) -> tuple[Array, Array, Array]:
        """Draw batches of `n_simulations` until every target has `accepted`
        samples within `ϵ` (or `max_iterations` batches were drawn).

        **Arguments:**

        - `rng`: PRNG key.
        - `ϵ`: the acceptance distance (float or one per target).
        - `accepted`: the number of accepted samples wanted for every target.
        - `n_simulations`: simulations per batch.
        - `max_iterations`: maximum number of batches.
        - `smoothing`: see [`set_accepted`][imnn_data.lfi.ApproximateBayesianComputation.set_accepted].
        - `verbose`: print how many were accepted.

        **Returns:**

        `(parameters, summaries, distances)`: the earlier samples and the new ones.
        """
        del smoothing
        n_simulations = _check_count(n_simulations, "n_simulations")
        eps = np.broadcast_to(np.asarray(ϵ, dtype=np.float64), (self.n_targets,))
        params = [] if self.parameters.all is None else [self.parameters.all]
        summs = [] if self.summaries.all is None else [self.summaries.all]
        dists = [] if self.distances.all is None else [self.distances.all]
        count = np.zeros(self.n_targets, dtype=int)
        for d in dists:
            count += (np.asarray(d) < eps[:, None]).sum(1)
        start = count.copy()
        iteration = 0
        while count.min() < accepted and iteration < max_iterations:
            rng, key = jax.random.split(rng)
            p, s, d = self._draw(key, n_simulations)
            params.append(p)
            summs.append(s)
            dists.append(d)
            count += (np.asarray(d) < eps[:, None]).sum(1)
            iteration += 1
        if verbose:
            print(
                f"{count - start} accepted in last {iteration} iterations "
                f"({n_simulations * iteration} simulations done)."
            )
        if not params:
            raise ValueError("no samples: max_iterations must be at least 1")
        return (
            jnp.concatenate(params),
            jnp.concatenate(summs),
            jnp.concatenate(dists, 1),
        )

    def __call__(
        self,
        ϵ: Any = None,
        rng: Any = None,
        n_samples: int | None = None,
        parameters: Any = None,
        summaries: Any = None,
        min_accepted: int | None = None,
        max_iterations: int = 10,
        smoothing: float | None = None,
        replace: bool = False,
    ) -> tuple[container, container, container]:
        """Draw (or take) samples and accept those within `ϵ` of each target.

        **Arguments:**

        - `ϵ`: acceptance distance (float or one per target); without it samples
            are only drawn and stored.
        - `rng`, `n_samples`: draw `n_samples` from the prior.
        - `parameters`, `summaries`: precomputed samples to use instead.
        - `min_accepted`: keep drawing batches of `n_samples` until every target
            has this many accepted samples (needs `ϵ`).
        - `max_iterations`: maximum batches for `min_accepted`.
        - `smoothing`: Gaussian smoothing of the marginal histograms (grid cells).
        - `replace`: discard earlier samples.

        **Returns:**

        `(parameters, distances, summaries)` containers with `all`, `accepted`,
        `rejected`, `n_accepted`, `size`.
        """
        drawing = rng is not None and n_samples is not None
        given = parameters is not None and summaries is not None
        if self.parameters.all is None and not drawing and not given:
            raise ValueError(
                "no samples yet: pass `rng` (a PRNG key) and `n_samples` to simulate, "
                "or precomputed `parameters` and `summaries`"
            )
        if min_accepted is not None and ϵ is None:
            raise ValueError("`ϵ` must be passed with `min_accepted`")
        if drawing:
            if ϵ is not None and min_accepted is not None:
                if replace:
                    self.parameters.all = None
                    self.summaries.all = None
                    self.distances.all = None
                self.set_samples(
                    *self.get_min_accepted(
                        rng,
                        ϵ,
                        min_accepted,
                        int(n_samples or 1),
                        max_iterations,
                        verbose=False,
                    ),
                    replace=True,
                )
            else:
                p, s, d = self._draw(rng, _check_count(n_samples, "n_samples"))
                self.set_samples(p, s, d, replace=replace)
        if given:
            self.set_samples(parameters, summaries, replace=replace)
        if ϵ is not None:
            self.set_accepted(ϵ, smoothing=smoothing)
        return self.parameters, self.distances, self.summaries

    # ------------------------------------------------------------ marginals
    def _bin_edges(self, ranges: Any) -> list[np.ndarray]:
        edges = []
        for r in ranges:
            r = np.asarray(r, dtype=np.float64)
            step = r[1] - r[0]
            edges.append(np.append(r, r[-1] + step) - step / 2)
        return edges

    def get_marginals(
        self,
        accepted_parameters: Any = None,
        ranges: Any = None,
        gridsize: Any = None,
        smoothing: float | None = None,
        weights: Any = None,
    ) -> list[list[np.ndarray]]:
        """Histogram marginals of the accepted parameters on the grid.

        **Arguments:**

        - `accepted_parameters`: one `(n, n_params)` array per target (default:
            the accepted samples).
        - `ranges`: grid points per parameter (default: the prior's grid).
        - `gridsize`: unused (the grid is given by `ranges`).
        - `smoothing`: Gaussian smoothing width in grid cells.
        - `weights`: optional importance weights, one array per target.

        **Returns:**

        Marginals laid out as [`put_marginals`][imnn_data.lfi.LikelihoodFreeInference.put_marginals].
        """
        del gridsize
        points = (
            self.parameters.accepted
            if accepted_parameters is None
            else accepted_parameters
        )
        weights = (
            getattr(self.parameters, "weights", None) if weights is None else weights
        )
        if points is None:
            raise ValueError("no accepted samples: run the inference first")
        edges = self._bin_edges(self.ranges if ranges is None else ranges)
        out: list[list[np.ndarray]] = []
        for row in range(self.n_params):
            out.append([])
            for column in range(row + 1):
                per_target = []
                for t, p in enumerate(points):
                    p = np.asarray(p, dtype=np.float64).reshape(-1, self.n_params)
                    w = None if weights is None else np.asarray(weights[t])
                    if row == column:
                        h = np.histogram(p[:, row], edges[row], weights=w)[0]
                    else:
                        h = np.histogram2d(
                            p[:, column],
                            p[:, row],
                            [edges[column], edges[row]],
                            weights=w,
                        )[0]
                    h = _smooth(h.astype(np.float64), smoothing or 0.0)
                    cell = np.prod([np.diff(edges[i])[0] for i in {row, column}])
                    total = h.sum() * cell
                    per_target.append(h / total if total > 0 else h)
                out[row].append(np.stack(per_target))
        return out

    def set_marginals(
        self,
        accepted_parameters: Any = None,
        ranges: Any = None,
        gridsize: Any = None,
        smoothing: float | None = None,
    ) -> None:
        """Recompute and store the marginals (see [`get_marginals`][imnn_data.lfi.ApproximateBayesianComputation.get_marginals])."""
        self.marginals = self.get_marginals(
            accepted_parameters, ranges, gridsize, smoothing
        )

    # ------------------------------------------------------------ plots
    def scatter_plot(
        self,
        ax: Any = None,
        ranges: Any = None,
        points: Any = None,
        label: str | None = None,
        axis_labels: Any = None,
        colours: Any = None,
        hist: bool = True,
        s: float = 5.0,
        alpha: float = 1.0,
        figsize: tuple[float, float] = (10, 10),
        linestyle: str = "solid",
        target: Any = None,
        ncol: int = 2,
        bbox_to_anchor: tuple[float, float] | None = None,
    ) -> Any:
        """Corner scatter plot of the accepted parameters (histograms on the
        diagonal).

        **Arguments:** as [`marginal_plot`][imnn_data.lfi.LikelihoodFreeInference.marginal_plot],
        plus `points` (one array per target), `hist`, marker size `s` and `alpha`.

        **Returns:**

        The axes.
        """
        return self._scatter_plot(
            ax=ax,
            ranges=self.ranges if ranges is None else ranges,
            points=self.parameters.accepted if points is None else points,
            label=label,
            axis_labels=axis_labels,
            colours=colours,
            hist=hist,
            s=s,
            alpha=alpha,
            figsize=figsize,
            linestyle=linestyle,
            target=target,
            ncol=ncol,
            bbox_to_anchor=bbox_to_anchor,
            weights=getattr(self.parameters, "weights", None)
            if points is None
            else None,
        )

    def scatter_summaries(
        self,
        ax: Any = None,
        ranges: Any = None,
        points: Any = None,
        label: str | None = None,
        axis_labels: Any = None,
        colours: Any = None,
        hist: bool = True,
        s: float = 5.0,
        alpha: float = 1.0,
        figsize: tuple[float, float] = (10, 10),
        linestyle: str = "solid",
        gridsize: int = 100,
        target: Any = None,
        format: bool = False,
        ncol: int = 2,
        bbox_to_anchor: tuple[float, float] | None = None,
    ) -> Any:
        """Corner scatter plot of the accepted summaries.

        **Arguments:** as [`scatter_plot`][imnn_data.lfi.ApproximateBayesianComputation.scatter_plot],
        plus `gridsize` (histogram bins per summary) and `format`.

        **Returns:**

        The axes.
        """
        points = self.summaries.accepted if points is None else points
        if points is None:
            raise ValueError("no accepted summaries: run the inference first")
        targets, _ = self.target_choice(target)
        n_summaries = np.asarray(points[targets[0]]).shape[-1]
        sizes = self.get_gridsize(gridsize, n_summaries)
        if ranges is None:
            stacked = np.concatenate([np.asarray(points[t]) for t in targets])
            ranges = [
                np.linspace(stacked[:, i].min(), stacked[:, i].max(), sizes[i])
                if len(stacked)
                else np.linspace(0, 1, sizes[i])
                for i in range(n_summaries)
            ]
        labels = axis_labels or [f"summary {i}" for i in range(n_summaries)]
        return self._scatter_plot(
            ax=ax,
            ranges=ranges,
            points=points,
            label=label,
            axis_labels=labels,
            colours=colours,
            hist=hist,
            s=s,
            alpha=alpha,
            figsize=figsize,
            linestyle=linestyle,
            target=target,
            format=format,
            ncol=ncol,
            bbox_to_anchor=bbox_to_anchor,
            title=f"{type(self).__name__}: accepted summaries",
        )


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"`{name}` must be an int >= 1, got {value!r}")
    return int(value)


class PopulationMonteCarlo(ApproximateBayesianComputation):
    """ABC population Monte Carlo (Beaumont et al. 2009), one population per
    target, all targets and iterations in one compiled loop.

    Start: the `n_points` of `n_initial_points` prior draws closest to each
    target. Each iteration sets `ϵ` to the `percentile` of the population's
    distances and replaces the whole population: ancestors drawn by weight are
    moved with a Gaussian kernel (twice the weighted covariance), proposals
    outside the prior's support are rejected, and simulations within `ϵ` are
    kept until `n_points` are accepted; the importance weights are
    `π(θ) / Σⱼ wⱼ K(θ | θⱼ)`. Iterations stop once the fraction of accepted
    simulations falls below `acceptance_ratio` (or after `max_iteration`).

    The original moves only particles beyond the percentile, each to a proposal
    that is closer than itself, and weights with the kernel density at the
    proposal's own centre (a constant): its populations are not importance
    samples of the ABC posterior. This class is, so its marginals use the weights.

    **Arguments:** as [`imnn_data.lfi.ApproximateBayesianComputation`][].
    """

    def __init__(
        self,
        target_data: Any,
        prior: Any,
        simulator: Callable,
        compressor: Any,
        F: Any = None,
        gridsize: int | list[int] = 100,
        distance_measure: Callable | None = None,
        *,
        θ_fid: Any = None,
    ):
        super().__init__(
            target_data,
            prior,
            simulator,
            compressor,
            gridsize,
            F,
            distance_measure,
            θ_fid=θ_fid,
        )
        self.acceptance_reached = np.zeros(self.n_targets)
        self.iterations = np.zeros(self.n_targets, dtype=np.int32)
        self.total_draws = np.zeros(self.n_targets, dtype=np.int64)
        self._pmc_cache: dict[Any, Any] = {}

    def __call__(  # type: ignore[override]
        self,
        rng: Any,
        n_points: int,
        percentile: float | None = None,
        acceptance_ratio: float = 0.1,
        max_iteration: int = 10,
        max_acceptance: int = 1,
        max_samples: int = int(1e5),
        n_initial_points: int | None = None,
        n_parallel_simulations: int | None = None,
        proposed: Any = None,
        summaries: Any = None,
        distances: Any = None,
        smoothing: float | None = None,
        replace: bool = False,
    ) -> tuple[container, container, container]:
        """Run population Monte Carlo.

        **Arguments:**

        - `rng`: PRNG key.
        - `n_points`: population size per target.
        - `percentile`: the percentile of the population's distances that sets
            each iteration's `ϵ` (default 75).
        - `acceptance_ratio`: stop once accepted / simulated falls below this.
        - `max_iteration`: maximum number of iterations of this call.
        - `max_acceptance`: must be 1 (the original's proposals per particle;
            here a whole population is replaced each iteration, bounded by
            `max_samples`).
        - `max_samples`: maximum simulations per target and iteration.
        - `n_initial_points`: prior draws to start from (at least `n_points`).
        - `n_parallel_simulations`: simulations per batch (default `n_points`).
        - `proposed`, `summaries`, `distances`: start from these samples instead.
        - `smoothing`: Gaussian smoothing of the marginals (grid cells).
        - `replace`: start afresh even where an earlier call left populations.

        **Returns:**

        `(parameters, distances, summaries)` containers; `parameters.weights`
        holds the importance weights, `acceptance_reached`, `iterations` and
        `total_draws` the per-target progress.
        """
        n_points = _check_count(n_points, "n_points")
        if max_acceptance != 1:
            raise ValueError(
                "`max_acceptance` (proposals per particle in the original) must be 1: "
                "each iteration here replaces the whole population by importance "
                "sampling; bound the simulations per iteration with `max_samples`"
            )
        q = 75.0 if percentile is None else float(percentile)
        if not 0 < q <= 100:
            raise ValueError(f"`percentile` must be in (0, 100], got {percentile}")
        if not 0 <= acceptance_ratio < 1:
            raise ValueError(
                f"`acceptance_ratio` must be in [0, 1), got {acceptance_ratio}"
            )
        max_iteration = _check_count(max_iteration, "max_iteration")
        max_samples = _check_count(max_samples, "max_samples")
        batch = _check_count(
            n_parallel_simulations or n_points, "n_parallel_simulations"
        )
        rng, key = jax.random.split(rng)
        start = self._start(
            key,
            n_points,
            n_initial_points,
            batch,
            proposed,
            summaries,
            distances,
            replace,
        )
        pop, summ, dist, logw = start
        run = self._pmc_cache.get((n_points, batch))
        if run is None:
            run = jax.jit(
                jax.vmap(
                    functools.partial(self._move, n_points=n_points, batch=batch),
                    in_axes=(0, 0, 0, 0, 0, 0, 0, None, None, None, None),
                )
            )
            self._pmc_cache[(n_points, batch)] = run
        keys = jax.random.split(rng, self.n_targets)
        out = run(
            keys,
            pop,
            summ,
            dist,
            logw,
            self.target_summaries,
            self.F,
            jnp.asarray(q / 100, pop.dtype),
            jnp.asarray(acceptance_ratio, pop.dtype),
            jnp.asarray(max_iteration),
            jnp.asarray(max_samples),
        )
        pop, summ, dist, logw, acceptance, iterations, draws = out
        self.parameters.all, self.summaries.all, self.distances.all = pop, summ, dist
        w = np.asarray(
            jnp.exp(logw - jax.scipy.special.logsumexp(logw, -1, keepdims=True))
        )
        self.parameters.weights = list(w)
        for c in (self.parameters, self.summaries, self.distances):
            c.size = n_points
            c.n_accepted = [n_points] * self.n_targets
            c.rejected = None
        self.parameters.accepted = list(np.asarray(pop))
        self.summaries.accepted = list(np.asarray(summ))
        self.distances.accepted = list(np.asarray(dist))
        self.acceptance_reached = np.asarray(acceptance)
        self.iterations = self.iterations + np.asarray(iterations)
        self.total_draws = self.total_draws + np.asarray(draws)
        self.marginals = self.get_marginals(smoothing=smoothing)
        return self.parameters, self.distances, self.summaries

    def _start(
        self, key, n_points, n_initial, batch, proposed, summaries, distances, replace
    ):
        if n_initial is not None:
            n_initial = _check_count(n_initial, "n_initial_points")
            if n_initial < n_points:
                raise ValueError(
                    f"`n_initial_points` ({n_initial}) must be at least `n_points` "
                    f"({n_points})"
                )
            parts = [
                self._draw(k, min(batch, n_initial - i))
                for i, k in zip(
                    range(0, n_initial, batch),
                    jax.random.split(key, math.ceil(n_initial / batch)),
                    strict=True,
                )
            ]
            proposed = jnp.concatenate([p[0] for p in parts])
            summaries = jnp.concatenate([p[1] for p in parts])
            distances = jnp.concatenate([p[2] for p in parts], 1)
        elif proposed is not None and summaries is not None:
            proposed, summaries = jnp.asarray(proposed), jnp.asarray(summaries)
            if distances is None:
                distances = self._distances(summaries)
        elif self.parameters.all is not None and not replace:
            pop, summ, dist = (
                self.parameters.all,
                self.summaries.all,
                self.distances.all,
            )
            if pop.shape[1] != n_points:
                raise ValueError(
                    f"the populations of the earlier call have {pop.shape[1]} points, "
                    f"not n_points = {n_points}; pass replace=True to start afresh"
                )
            logw = jnp.log(jnp.asarray(np.stack(self.parameters.weights)))
            return pop, summ, dist, logw
        else:
            raise ValueError(
                "`n_initial_points` (prior draws to start from), or `proposed` and "
                "`summaries`, must be given on the first call"
            )
        if proposed.shape[0] < n_points:
            raise ValueError(
                f"{proposed.shape[0]} starting samples for n_points = {n_points}"
            )
        order = jnp.argsort(distances, axis=1)[:, :n_points]
        pop = proposed[order]
        summ = summaries[order]
        dist = jnp.take_along_axis(distances, order, 1)
        return pop, summ, dist, jnp.zeros(dist.shape, pop.dtype)

    def _move(
        self,
        key,
        pop,
        summ,
        dist,
        logw,
        target,
        F,
        q,
        ratio,
        max_iter,
        max_samples,
        *,
        n_points,
        batch,
    ):
        """All iterations for one target (vmapped over targets)."""
        p = self.n_params

        def simulate(k, θ):
            s = self.compressor(self.simulator(k, θ))
            return s, self.distance_measure(s, target, F)

        def iteration(carry):
            key, pop, summ, dist, logw, _, it, draws, _ = carry
            key, k_it = jax.random.split(key)
            ϵ = jnp.quantile(dist, q)
            w = jnp.exp(logw - jax.scipy.special.logsumexp(logw))
            mean = w @ pop
            centred = pop - mean
            cov = 2.0 * jnp.einsum("n,ni,nj->ij", w, centred, centred)
            cov = cov + 1e-12 * jnp.trace(cov) * jnp.eye(p, dtype=cov.dtype)
            chol = jnp.linalg.cholesky(cov)
            cdf = jnp.cumsum(w)

            def round_(c):
                k, new_p, new_s, new_d, filled, n_draws = c
                k, k_anc, k_z, k_sim = jax.random.split(k, 4)
                u = jax.random.uniform(k_anc, (batch,), cdf.dtype) * cdf[-1]
                anc = jnp.minimum(jnp.searchsorted(cdf, u, side="right"), n_points - 1)
                θ = pop[anc] + jax.random.normal(k_z, (batch, p), pop.dtype) @ chol.T
                inside = prior_prob(self.prior, θ) > 0
                θ_safe = jnp.where(inside[:, None], θ, pop[anc])
                s, d = simulate(k_sim, θ_safe)
                ok = inside & (d < ϵ)
                slot = filled + jnp.cumsum(ok) - 1
                slot = jnp.where(ok & (slot < n_points), slot, n_points)
                new_p = new_p.at[slot].set(θ, mode="drop")
                new_s = new_s.at[slot].set(s, mode="drop")
                new_d = new_d.at[slot].set(d, mode="drop")
                filled = jnp.minimum(filled + jnp.sum(ok), n_points)
                return k, new_p, new_s, new_d, filled, n_draws + jnp.sum(inside)

            def round_cond(c):
                return (c[4] < n_points) & (c[5] < max_samples)

            zero = jnp.zeros((), jnp.int32)
            init = (k_it, pop, summ, dist, zero, zero)
            _, new_p, new_s, new_d, filled, n_draws = jax.lax.while_loop(
                round_cond, round_, init
            )
            # unfilled slots (max_samples reached) keep their old particles
            full = jnp.arange(n_points) < filled
            # importance weights π(θ)/Σ_j w_j K(θ|θ_j)
            inv = jnp.linalg.inv(cov)
            diff = new_p[:, None, :] - pop[None, :, :]
            maha = jnp.einsum("abi,ij,abj->ab", diff, inv, diff)
            log_k = -0.5 * maha
            log_mix = jax.scipy.special.logsumexp(
                log_k + logw[None] - jax.scipy.special.logsumexp(logw), axis=1
            )
            log_prior = jnp.log(prior_prob(self.prior, new_p))
            new_logw = jnp.where(full, log_prior - log_mix, -jnp.inf)
            # a population that could not be refilled is kept as it was
            done_ok = filled == n_points
            pop = jnp.where(done_ok, new_p, pop)
            summ = jnp.where(done_ok, new_s, summ)
            dist = jnp.where(done_ok, new_d, dist)
            logw = jnp.where(done_ok, new_logw, logw)
            acceptance = (filled / jnp.maximum(n_draws, 1)).astype(pop.dtype)
            stop = (acceptance < ratio) | ~done_ok
            return key, pop, summ, dist, logw, acceptance, it + 1, draws + n_draws, stop

        def cond(carry):
            return (carry[6] < max_iter) & ~carry[8]

        init = (
            key,
            pop,
            summ,
            dist,
            logw,
            jnp.asarray(1.0, pop.dtype),
            jnp.zeros((), jnp.int32),
            jnp.zeros((), jnp.int32),
            jnp.asarray(False),
        )
        out = jax.lax.while_loop(cond, iteration, init)
        _, pop, summ, dist, logw, acceptance, it, draws, _ = out
        return pop, summ, dist, logw, acceptance, it, draws

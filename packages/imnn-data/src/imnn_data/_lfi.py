"""Likelihood-free inference with IMNN summaries: the common base (priors,
grids, marginals, corner plots) and the Gaussian approximation."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float


class Uniform:
    """A box-uniform prior over the parameters (what the original's examples use
    from TensorFlow Probability, without TFP).

    **Arguments:**

    - `low`, `high`: the bounds, `(n_params,)` each, `low < high`.
    """

    def __init__(self, low: Any, high: Any):
        low = np.atleast_1d(np.asarray(low, dtype=np.float64))
        high = np.atleast_1d(np.asarray(high, dtype=np.float64))
        if low.shape != high.shape or low.ndim != 1:
            raise ValueError(
                f"`low` and `high` must be vectors of one shape (n_params,), got "
                f"{low.shape} and {high.shape}"
            )
        if not np.all(low < high):
            raise ValueError(f"every `low` must be below `high`; got {low} and {high}")
        dtype = jnp.result_type(float)
        self.low = jnp.asarray(low, dtype)
        self.high = jnp.asarray(high, dtype)
        self.event_shape = (low.shape[0],)

    def sample(self, sample_shape: Any = (), seed: Any = None) -> Array:
        """Draws of shape `sample_shape + (n_params,)` (key `seed`)."""
        if seed is None:
            raise ValueError("`seed` (a PRNG key) is required to sample the prior")
        shape = (sample_shape,) if isinstance(sample_shape, int) else sample_shape
        shape = tuple(shape) + self.event_shape
        return jax.random.uniform(
            seed, shape, self.low.dtype, minval=self.low, maxval=self.high
        )

    def log_prob(self, θ: Any) -> Array:
        """Log density at `θ` (`(..., n_params)`): `-log volume` inside, `-inf` out."""
        θ = jnp.asarray(θ)
        inside = jnp.all((θ >= self.low) & (θ <= self.high), axis=-1)
        log_volume = jnp.sum(jnp.log(self.high - self.low))
        return jnp.where(inside, -log_volume, -jnp.inf)

    def prob(self, θ: Any) -> Array:
        """Density at `θ` (`(..., n_params)`)."""
        return jnp.exp(self.log_prob(θ))


def prior_prob(prior: Any, θ: Any) -> Array:
    """The prior density at `θ`, from `prob` or `log_prob`."""
    if hasattr(prior, "prob"):
        return jnp.asarray(prior.prob(θ))
    return jnp.exp(jnp.asarray(prior.log_prob(θ)))


def check_support(prior: Any, θ_fid: Any, where: str) -> None:
    """A clear error where the prior has no support at the fiducial parameters."""
    θ = np.asarray(θ_fid, dtype=np.float64)
    density = float(prior_prob(prior, jnp.asarray(θ, jnp.result_type(float))))
    low, high = np.asarray(prior.low), np.asarray(prior.high)
    if not density > 0 or not np.all((θ >= low) & (θ <= high)):
        raise ValueError(
            f"the prior has no support at the fiducial parameters θ_fid = "
            f"{θ.tolist()} of {where} (prior density {density:.3g}, bounds low = "
            f"{low.tolist()}, high = {high.tolist()}); the summaries are only "
            "informative near θ_fid: widen the prior to contain it, or fit the IMNN "
            "at a fiducial inside the prior"
        )


def _imnn_of(compressor: Any) -> Any:
    """The IMNN behind a compressor (the IMNN itself or its bound method)."""
    from ._imnn import _IMNN

    if isinstance(compressor, _IMNN):
        return compressor
    owner = getattr(compressor, "__self__", None)
    return owner if isinstance(owner, _IMNN) else None


class LikelihoodFreeInference:
    """Common base of the inference classes: the prior, the grids on which the
    marginals are evaluated, the marginals, and corner plots.

    **Arguments:**

    - `prior`: the prior over the parameters: an object with `event_shape`
        (`(n_params,)`), `low` and `high` (bounds of the region to grid),
        `sample(n, seed=key)` and `prob` or `log_prob`, such as
        [`imnn_data.lfi.Uniform`][] or a TensorFlow Probability distribution with
        `low`/`high` set.
    - `gridsize`: number of grid points per parameter (an int, or a list with one
        per parameter).
    - `marginals`: optionally, the full distribution on the grid
        `(n_targets, *gridsize)` to turn into 1-D and 2-D marginals.
    """

    n_targets: int | None = None

    def __init__(
        self, prior: Any, gridsize: int | list[int] = 100, marginals: Any = None
    ):
        self.prior = prior
        try:
            self.n_params = int(next(iter(prior.event_shape)))
        except Exception:
            raise ValueError(
                "`prior` has no `event_shape` giving (n_params,); use "
                "imnn_data.lfi.Uniform(low, high) or a distribution with a vector "
                "event shape"
            ) from None
        for bound in ("low", "high"):
            if not hasattr(prior, bound):
                raise ValueError(
                    f"`prior` must have a `{bound}` attribute: the "
                    f"{'minimum' if bound == 'low' else 'maximum'} of each parameter "
                    "over which the marginals are gridded"
                )
            if np.shape(getattr(prior, bound)) != (self.n_params,):
                raise ValueError(
                    f"`prior.{bound}` must have shape ({self.n_params},) (n_params,), "
                    f"got {np.shape(getattr(prior, bound))}"
                )
        if not (hasattr(prior, "prob") or hasattr(prior, "log_prob")):
            raise ValueError("`prior` must have a `prob` or `log_prob` method")
        self.gridsize = self.get_gridsize(gridsize, self.n_params)
        self.ranges = [
            np.linspace(
                float(np.asarray(prior.low)[i]),
                float(np.asarray(prior.high)[i]),
                self.gridsize[i],
            )
            for i in range(self.n_params)
        ]
        self.marginals = self.put_marginals(marginals)

    @staticmethod
    def get_gridsize(gridsize: Any, size: int) -> list[int]:
        """`gridsize` as one int per parameter.

        **Arguments:**

        - `gridsize`: an int, or a list of `size` ints.
        - `size`: the number of parameters.

        **Returns:**

        A list of `size` ints.
        """
        if isinstance(gridsize, int) and not isinstance(gridsize, bool):
            gridsize = [gridsize] * size
        elif isinstance(gridsize, list | tuple):
            if len(gridsize) != size:
                raise ValueError(
                    f"`gridsize` is a list of length {len(gridsize)}, expected one "
                    f"entry per parameter ({size})"
                )
            gridsize = list(gridsize)
        else:
            raise TypeError(
                f"`gridsize` must be an int or a list of ints, got "
                f"{type(gridsize).__name__}"
            )
        if not all(isinstance(g, int) and g >= 2 for g in gridsize):
            raise ValueError(f"every `gridsize` must be an int >= 2, got {gridsize}")
        return gridsize

    # ------------------------------------------------------------ marginals
    def put_marginals(self, marginals: Any) -> list[list[np.ndarray]] | None:
        """1-D and 2-D marginals from a full gridded distribution.

        **Arguments:**

        - `marginals`: the distribution on the grid, `(n_targets, *gridsize)`.

        **Returns:**

        `marginals[row][column]` for `column <= row`: the 1-D density of parameter
        `row` on its grid `(n_targets, gridsize[row])` on the diagonal, the 2-D
        distribution of parameters `(column, row)`,
        `(n_targets, gridsize[column], gridsize[row])`, below it.
        """
        if marginals is None:
            return None
        full = np.asarray(marginals, dtype=np.float64)
        expected = tuple(self.gridsize)
        if full.shape[1:] != expected:
            raise ValueError(
                f"`marginals` must have shape (n_targets, *gridsize) = "
                f"(n, *{expected}), got {full.shape}"
            )
        out: list[list[np.ndarray]] = []
        axes = range(1, self.n_params + 1)
        for row in range(self.n_params):
            out.append([])
            for column in range(row + 1):
                keep = {row + 1, column + 1}
                m = full.sum(tuple(a for a in axes if a not in keep))
                if column == row:
                    step = self.ranges[row][1] - self.ranges[row][0]
                    m = m / (m.sum(1, keepdims=True) * step)
                out[row].append(m)
        self.marginals = out
        return out

    @staticmethod
    def get_levels(
        marginal: Any, ranges: Sequence[Any], levels: Sequence[float] = (0.68, 0.95)
    ) -> list[float]:
        """Density values whose isocontours enclose the fractions `levels` of a
        gridded distribution (highest-density regions).

        **Arguments:**

        - `marginal`: the gridded distribution.
        - `ranges`: its grid points (one array per axis).
        - `levels`: fractions of probability to enclose.

        **Returns:**

        The contour values, increasing (largest region first), without
        duplicates.
        """
        del ranges  # uniform grids: the cell volume cancels
        values = np.sort(np.asarray(marginal, dtype=np.float64).ravel())[::-1]
        total = values.sum()
        if not total > 0:
            return []
        cdf = np.cumsum(values) / total
        out: list[float] = []
        for level in sorted(levels, reverse=True):
            value = float(values[min(np.searchsorted(cdf, level), len(values) - 1)])
            if not out or value > out[-1]:
                out.append(value)
        return out

    def target_choice(self, target: Any) -> tuple[list[int], int]:
        """The indices of the targets to plot and how many there are."""
        if target is None:
            if self.n_targets is None:
                raise ValueError("no targets: `n_targets` is not set")
            return list(range(self.n_targets)), self.n_targets
        if isinstance(target, int) and not isinstance(target, bool):
            return [target], 1
        if isinstance(target, list | tuple):
            return list(target), len(target)
        raise ValueError(
            "`target` must be None (every target), an int or a list of target "
            f"indices; got {type(target).__name__}"
        )

    # ------------------------------------------------------------ plotting
    def setup_plot(
        self,
        ax: Any = None,
        ranges: Any = None,
        axis_labels: Sequence[str] | None = None,
        figsize: tuple[float, float] = (10, 10),
        format: bool = False,
    ) -> Any:
        """A corner-plot grid of axes (`n_params × n_params`, upper triangle off).

        **Arguments:**

        - `ax`: existing axes (returned unchanged unless `format`).
        - `ranges`: the grids (default: the prior's).
        - `axis_labels`: parameter names (default `θ₀, θ₁, ...`).
        - `figsize`: size of a new figure.
        - `format`: format the given `ax` as a corner plot.

        **Returns:**

        The `(n_params, n_params)` array of axes.
        """
        import matplotlib.pyplot as plt

        ranges = self.ranges if ranges is None else ranges
        n = len(ranges)
        labels = _axis_labels(axis_labels, n)
        if ax is None:
            _, ax = plt.subplots(n, n, figsize=figsize, squeeze=False)
            plt.subplots_adjust(wspace=0.08, hspace=0.08)
        elif not format:
            return ax
        for row in range(n):
            for column in range(n):
                a = ax[row, column]
                if column > row:
                    a.axis("off")
                    continue
                a.set_xlim(ranges[column][0], ranges[column][-1])
                if row != column:
                    a.set_ylim(ranges[row][0], ranges[row][-1])
                if row == n - 1:
                    a.set_xlabel(labels[column])
                else:
                    a.set_xticklabels([])
                if column == 0 and row > 0:
                    a.set_ylabel(labels[row])
                elif row == column:
                    a.set_ylabel("density" if row == 0 else "")
                    a.yaxis.set_label_position("right")
                    a.yaxis.tick_right()
                else:
                    a.set_yticklabels([])
        return ax

    def marginal_plot(
        self,
        ax: Any = None,
        ranges: Any = None,
        marginals: Any = None,
        known: Any = None,
        label: str | None = None,
        axis_labels: Sequence[str] | None = None,
        levels: Sequence[float] | None = None,
        linestyle: str = "solid",
        colours: Any = None,
        target: Any = None,
        format: bool = False,
        ncol: int = 2,
        bbox_to_anchor: tuple[float, float] | None = None,
        title: str | None = None,
        filename: str | Path | None = None,
    ) -> Any:
        """Corner plot of the marginals: 1-D densities on the diagonal, 68 % and
        95 % highest-density contours of every pair below it.

        **Arguments:**

        - `ax`: axes to draw on (default: a new figure).
        - `ranges`, `marginals`: grids and marginals (default: this object's).
        - `known`: true parameter values, drawn as dashed lines.
        - `label`: legend label (the target index is appended).
        - `axis_labels`: parameter names.
        - `levels`: enclosed fractions of the contours (default 0.68, 0.95).
        - `linestyle`, `colours`: line style and one colour per target.
        - `target`: the target(s) to draw (default: all).
        - `format`: format given axes as a corner plot.
        - `ncol`, `bbox_to_anchor`: legend layout (default: centred in the empty
            upper-right corner).
        - `title`: figure title (default: the class name).
        - `filename`: save the figure there.

        **Returns:**

        The `(n_params, n_params)` array of axes.
        """
        targets, n_targets = self.target_choice(target)
        marginals = self.marginals if marginals is None else marginals
        if marginals is None:
            raise ValueError(
                "there are no marginals yet: run the inference first (or pass "
                "`marginals`)"
            )
        levels = (0.68, 0.95) if levels is None else levels
        ranges = self.ranges if ranges is None else ranges
        colours = _colours(colours, n_targets)
        label = "" if label is None else label
        n = len(ranges)
        ax = self.setup_plot(
            ax=ax, ranges=ranges, axis_labels=axis_labels, format=format
        )
        for i, t in enumerate(targets):
            name = f"{label} target {t}".strip()
            for row in range(n):
                for column in range(row + 1):
                    a = ax[row, column]
                    m = np.asarray(marginals[row][column][t])
                    if row == column:
                        a.plot(
                            ranges[row],
                            m,
                            color=colours[i],
                            linestyle=linestyle,
                            label=name,
                        )
                        if known is not None:
                            a.axvline(known[row], color="black", linestyle="dashed")
                        continue
                    values = self.get_levels(m, [ranges[column], ranges[row]], levels)
                    if len(values) and np.ptp(m) > 0:
                        a.contour(
                            ranges[column],
                            ranges[row],
                            m.T,
                            levels=values,
                            colors=colours[i],
                            linestyles=[linestyle],
                        )
                    if known is not None:
                        a.axvline(known[column], color="black", linestyle="dashed")
                        a.axhline(known[row], color="black", linestyle="dashed")
        handles, names = [], []
        for a in ax[np.diag_indices(n)]:
            h, lab = a.get_legend_handles_labels()
            for hi, li in zip(h, lab, strict=True):
                if li not in names and not li.startswith("_"):
                    handles.append(hi)
                    names.append(li)
        fig = ax[0, 0].figure
        if known is not None:
            fig._lfi_known = True  # type: ignore[attr-defined]
        if getattr(fig, "_lfi_known", False):  # drawn by this or an earlier call
            from matplotlib.lines import Line2D

            handles.append(Line2D([], [], color="black", linestyle="dashed"))
            names.append("true value")
        _legend(
            ax,
            handles,
            names,
            ncol,
            bbox_to_anchor,
            f"contours: {', '.join(f'{v:.0%}' for v in levels)}",
        )
        if title is not None or not fig._suptitle:
            fig.suptitle(title or "marginal posteriors")
        if filename is not None:
            fig.savefig(filename, bbox_inches="tight")
        return ax

    def _scatter_plot(
        self,
        ax: Any = None,
        ranges: Any = None,
        points: Any = None,
        label: str | None = None,
        axis_labels: Sequence[str] | None = None,
        colours: Any = None,
        hist: bool = True,
        s: float = 5.0,
        alpha: float = 1.0,
        figsize: tuple[float, float] = (10, 10),
        linestyle: str = "solid",
        target: Any = None,
        format: bool = False,
        ncol: int = 2,
        bbox_to_anchor: tuple[float, float] | None = None,
        title: str | None = None,
        weights: Any = None,
    ) -> Any:
        if ranges is None or points is None:
            raise ValueError("`ranges` and `points` must be provided")
        targets, n_targets = self.target_choice(target)
        colours = _colours(colours, n_targets)
        label = "" if label is None else label
        n = len(ranges)
        ax = self.setup_plot(
            ax=ax,
            ranges=ranges,
            axis_labels=axis_labels,
            figsize=figsize,
            format=format,
        )
        for i, t in enumerate(targets):
            p = np.asarray(points[t])
            w = None if weights is None else np.asarray(weights[t])
            name = f"{label} target {t}".strip()
            for row in range(n):
                for column in range(row + 1):
                    a = ax[row, column]
                    if row == column:
                        if hist and len(p):
                            a.hist(
                                p[:, row],
                                bins=np.asarray(ranges[row]),
                                weights=w,
                                color=colours[i],
                                linestyle=linestyle,
                                density=True,
                                histtype="step",
                                label=name,
                            )
                    else:
                        a.scatter(
                            p[:, column],
                            p[:, row],
                            s=s,
                            color=colours[i],
                            alpha=alpha,
                        )
        handles, names = ax[0, 0].get_legend_handles_labels()
        fig = ax[0, 0].figure
        _legend(ax, handles, names, ncol, bbox_to_anchor, None)
        fig.suptitle(title or f"{type(self).__name__}: samples")
        return ax


def _legend(ax, handles, names, ncol, bbox_to_anchor, title) -> None:
    """One legend, in the empty upper-right corner of a corner plot (replacing an
    earlier one when several inferences are drawn on the same axes)."""
    n = ax.shape[0]
    host = ax[0, n - 1] if n > 1 else ax[0, 0]
    if host.get_legend() is not None:
        host.get_legend().remove()
    host.legend(
        handles,
        names,
        loc="center" if bbox_to_anchor is None else "upper right",
        bbox_to_anchor=(0.5, 0.5) if bbox_to_anchor is None else bbox_to_anchor,
        ncol=ncol if n > 2 else 1,
        frameon=False,
        title=title,
    )


def _axis_labels(axis_labels: Sequence[str] | None, n: int) -> list[str]:
    if axis_labels is None:
        return [f"θ{''.join('₀₁₂₃₄₅₆₇₈₉'[int(c)] for c in str(i))}" for i in range(n)]
    if len(axis_labels) != n:
        raise ValueError(f"`axis_labels` needs {n} names, got {len(axis_labels)}")
    return list(axis_labels)


def _colours(colours: Any, n: int) -> list[Any]:
    if colours is None:
        return [f"C{i % 10}" for i in range(n)]
    if isinstance(colours, str):
        return [colours] * n
    if isinstance(colours, list | tuple) and len(colours) >= n:
        return list(colours)
    raise ValueError(
        f"`colours` must be None, one colour, or a list of at least {n} colours"
    )


def _as_targets(a: Any, shape: tuple[int, ...], name: str, hint: str) -> Array:
    """`a` as `(n_targets, *shape)`, accepting a single `shape` too."""
    a = jnp.asarray(a)
    if tuple(a.shape) == shape:
        return a[None]
    if tuple(a.shape[1:]) == shape and a.shape[0] > 0:
        return a
    raise ValueError(
        f"`{name}` must have shape {shape} or (n_targets, *{shape}), got "
        f"{tuple(a.shape)}; {hint}"
    )


class GaussianApproximation(LikelihoodFreeInference):
    """Gaussian posteriors from parameter estimates and the inverse Fisher
    information: `N(θ̂, F⁻¹)`, the Cramér-Rao approximation (accurate only where
    the Fisher information at the fiducial represents the information at the
    estimate).

    **Arguments:**

    - `parameter_estimates`: `(n_params,)` or `(n_targets, n_params)`, e.g.
        `imnn.get_estimate(target_data)`.
    - `invF`: `(n_params, n_params)` or one per target
        `(n_targets, n_params, n_params)`, e.g. `imnn.invF`.
    - `prior`: as [`imnn_data.lfi.LikelihoodFreeInference`][] (its bounds set the
        grid).
    - `gridsize`: grid points per parameter.
    """

    n_targets: int  # pyright: ignore[reportIncompatibleVariableOverride]

    def __init__(
        self,
        parameter_estimates: Float[Array, "... n_params"],
        invF: Float[Array, "... n_params n_params"],
        prior: Any,
        gridsize: int | list[int] = 100,
    ):
        super().__init__(prior=prior, gridsize=gridsize)
        p = self.n_params
        self.parameter_estimates = _as_targets(
            parameter_estimates,
            (p,),
            "parameter_estimates",
            "one estimate of the n_params parameters per target",
        )
        self.n_targets = int(self.parameter_estimates.shape[0])
        invF = jnp.asarray(invF)
        if invF.shape == (p, p):
            invF = jnp.broadcast_to(invF, (self.n_targets, p, p))
        if invF.shape != (self.n_targets, p, p):
            raise ValueError(
                f"`invF` must have shape ({p}, {p}) or ({self.n_targets}, {p}, {p}) "
                f"(one per target), got {tuple(invF.shape)}"
            )
        eig = np.linalg.eigvalsh(np.asarray(invF, np.float64))
        if not np.all(eig > 0):
            raise ValueError(
                "`invF` must be positive definite (a covariance); got eigenvalues "
                f"{eig.min():.3g} .. {eig.max():.3g}"
            )
        self.invF = invF
        self.marginals = self.get_marginals()

    def get_marginals(
        self,
        parameter_estimates: Any = None,
        invF: Any = None,
        ranges: Any = None,
        gridsize: Any = None,
    ) -> list[list[np.ndarray]]:
        """Gaussian 1-D and 2-D marginals on the grid.

        **Arguments:**

        - `parameter_estimates`, `invF`, `ranges`, `gridsize`: default to this
            object's.

        **Returns:**

        The marginals as [`put_marginals`][imnn_data.lfi.LikelihoodFreeInference.put_marginals]
        lays them out.
        """
        del gridsize
        θ = np.asarray(
            self.parameter_estimates
            if parameter_estimates is None
            else parameter_estimates,
            np.float64,
        )
        cov = np.asarray(self.invF if invF is None else invF, np.float64)
        ranges = self.ranges if ranges is None else ranges
        out: list[list[np.ndarray]] = []
        for row in range(self.n_params):
            out.append([])
            for column in range(row + 1):
                if row == column:
                    var = cov[:, row, row][:, None]
                    x = np.asarray(ranges[row])[None]
                    out[row].append(
                        np.exp(-0.5 * (x - θ[:, row, None]) ** 2 / var)
                        / np.sqrt(2 * np.pi * var)
                    )
                    continue
                idx = [column, row]
                sub = cov[:, idx][:, :, idx]  # (n, 2, 2)
                inv = np.linalg.inv(sub)
                det = np.linalg.det(sub)
                X, Y = np.meshgrid(ranges[column], ranges[row], indexing="ij")
                d = np.stack([X, Y], -1)[None] - θ[:, None, None, idx]
                q = np.einsum("nxyi,nij,nxyj->nxy", d, inv, d)
                out[row].append(
                    np.exp(-0.5 * q) / (2 * np.pi * np.sqrt(det))[:, None, None]
                )
        return out

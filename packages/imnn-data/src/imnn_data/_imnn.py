"""The IMNN base class: parameters, network, fitting loop, history, estimates."""

import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PyTree

from ._checks import check_array, check_bool, check_float, check_int, check_shape_tuple
from ._maths import (
    FStatistics,
    f_statistics,
    get_alpha,
    loss_and_statistics,
)
from ._model import IMNNState, is_key, prepare_model, prepare_optimiser

_F = TypeVar("_F", bound=Callable)

HISTORY_KEYS = ("detF", "detC", "detinvC", "Λ2", "r")
_NAN_MESSAGE = (
    "the IMNN loss became NaN or infinite at iteration {it}; fitting stopped there and "
    "the weights before that step are kept (best_w has det F = {best:.6g}). Lower the "
    "learning rate, increase λ, or check the data for NaN/inf."
)


class _IMNN:
    """Common machinery of every IMNN class (not to be used directly).

    Subclasses say how summaries and their derivatives are obtained; this class
    holds the network and optimiser, fits, records the history and turns summaries
    into Fisher information and parameter estimates.
    """

    simulate: bool = False

    def __init__(
        self,
        n_s: int,
        n_d: int,
        n_params: int,
        n_summaries: int,
        input_shape: tuple[int, ...],
        θ_fid: Float[Array | np.ndarray, " n_params"],
        model: Any,
        optimiser: Any,
        key_or_state: Any,
    ):
        self._initialise_parameters(n_s, n_d, n_params, n_summaries, input_shape, θ_fid)
        self._initialise_model(model, optimiser, key_or_state)
        self._initialise_history()
        self.validate = False
        self.F: Array | None = None
        self.invF: Array | None = None
        self.C: Array | None = None
        self.invC: Array | None = None
        self.μ: Array | None = None
        self.dμ_dθ: Array | None = None
        self._fit_cache: dict[Any, Any] = {}  # compiled callables by name

    # ------------------------------------------------------------------ set-up
    def _initialise_parameters(
        self, n_s, n_d, n_params, n_summaries, input_shape, θ_fid
    ) -> None:
        self.n_s = check_int(n_s, "n_s", minimum=2)
        self.n_d = check_int(n_d, "n_d")
        if self.n_d > self.n_s:
            raise ValueError(
                f"`n_d` ({self.n_d}) must not exceed `n_s` ({self.n_s}): the "
                "derivatives are taken for the first n_d of the n_s simulations"
            )
        self.n_params = check_int(n_params, "n_params")
        self.n_summaries = check_int(n_summaries, "n_summaries")
        self.input_shape = check_shape_tuple(input_shape, "input_shape")
        self.θ_fid = jnp.asarray(check_array(θ_fid, (self.n_params,), "θ_fid"))

    def _initialise_model(self, model: Any, optimiser: Any, key_or_state: Any) -> None:
        self.optimiser = prepare_optimiser(optimiser)
        if key_or_state is None:
            raise ValueError(
                "`key_or_state` is None; expected a PRNG key (jax.random.key(0)) or "
                "an IMNNState (imnn.state) to resume from"
            )
        if is_key(key_or_state):
            w, apply = prepare_model(model, key_or_state, self.input_shape)
            opt_state = self.optimiser.init(w)
        elif isinstance(key_or_state, tuple) and len(key_or_state) == 2:
            w, opt_state = key_or_state
            _, apply = prepare_model(model, None, self.input_shape)
        else:
            raise TypeError(
                "`key_or_state` must be a PRNG key (jax.random.key(0) or "
                "jax.random.PRNGKey(0)) or an IMNNState(w, opt_state) such as "
                f"imnn.state; got {type(key_or_state).__name__}"
            )
        self.model = apply
        self._check_model_output(w)
        self.state = IMNNState(w, opt_state)
        self.initial_w = w
        self.final_w = w
        self.best_w = w
        self.w = w

    def _check_model_output(self, w: PyTree[Any]) -> None:
        dtype = jnp.result_type(float)
        try:
            out = jax.eval_shape(
                self.model, w, jax.ShapeDtypeStruct(self.input_shape, dtype)
            )
        except Exception as e:
            raise ValueError(
                "`model` could not be applied to one input of shape "
                f"{self.input_shape} (input_shape): {type(e).__name__}: {e}"
            ) from e
        if not hasattr(out, "shape") or tuple(out.shape) != (self.n_summaries,):
            got = getattr(out, "shape", type(out).__name__)
            raise ValueError(
                f"`model` outputs should have shape ({self.n_summaries},) "
                f"(n_summaries,) for one input of shape {self.input_shape}, but is "
                f"{got}"
            )

    def _initialise_history(self) -> None:
        self.history: dict[str, Any] = {key: np.zeros((0,)) for key in HISTORY_KEYS} | {
            f"val_{key}": np.zeros((0,)) for key in HISTORY_KEYS
        }
        self.history["max_detF"] = 0.0

    # ------------------------------------------------------------- subclasses
    def _summaries(
        self, w: PyTree[Any], data: PyTree[Any], key: Any
    ) -> tuple[Float[Array, "n_s s"], Float[Array, "n_d s p"]]:
        """Summaries `x` and derivatives `dx/dθ` of one set of simulations (pure)."""
        raise NotImplementedError("`get_summaries` not implemented")

    def _data(self, validate: bool) -> PyTree[Any]:
        """The (device) data that `_summaries` consumes."""
        return None

    # ---------------------------------------------------------------- maths
    @staticmethod
    def get_α(λ: float, ϵ: float) -> float:
        """Rate of the regularisation strength; see [`imnn_data.get_alpha`][]."""
        return get_alpha(λ, ϵ)

    get_alpha = get_α

    def _value(self, w, data, key, λ, α):
        x, dx = self._summaries(w, data, key)
        return loss_and_statistics(x, dx, λ, α)

    def get_summaries(
        self, w: PyTree[Any] | None = None, key: Any = None, validate: bool = False
    ) -> tuple[Float[Array, "n_s s"], Float[Array, "n_d s p"]]:
        """Network outputs and their derivatives with respect to the parameters.

        **Arguments:**

        - `w`: network weights (default: `imnn.w`).
        - `key`: PRNG key (needed when simulating).
        - `validate`: use the validation set instead of the fitting set.

        **Returns:**

        `(x, dx_dθ)` of shapes `(n_s, n_summaries)` and
        `(n_d, n_summaries, n_params)`.
        """
        w = self.w if w is None else w
        key = self._check_key(key, "key")
        return self._jit("summaries", lambda: jax.jit(self._summaries))(
            w, self._data(validate and self.validate), key
        )

    def _jit(self, name: Any, make: Callable[[], _F]) -> _F:
        """`make()` on first use, then the same (compiled) callable from the cache."""
        if name not in self._fit_cache:
            self._fit_cache[name] = make()
        return self._fit_cache[name]

    def _get_F_statistics(self, w, key, validate) -> FStatistics:
        x, dx = self.get_summaries(w, key=key, validate=validate)
        return self._jit("f_statistics", lambda: jax.jit(f_statistics))(x, dx)

    def set_F_statistics(
        self, w: PyTree[Any] | None = None, key: Any = None, validate: bool = True
    ) -> None:
        """Compute and store `F, invF, C, invC, μ, dμ_dθ` at weights `w`.

        **Arguments:**

        - `w`: weights to use and store as `imnn.w` (default: keep `imnn.w`).
        - `key`: PRNG key, needed when simulating on the fly.
        - `validate`: use the validation set where one was given.
        """
        if w is not None:
            self.w = w
        if self.simulate and key is None:
            raise ValueError(
                "`key` is necessary to set the F statistics when simulating; pass "
                "set_F_statistics(key=jax.random.key(1))"
            )
        stats = self._get_F_statistics(self.w, key, validate and self.validate)
        self.F, self.C, self.invC, self.dμ_dθ, self.μ = stats
        self.invF = self._jit("inv", lambda: jax.jit(jnp.linalg.inv))(stats.F)

    def _check_key(self, key: Any, name: str) -> Any:
        if key is None:
            if self.simulate:
                raise ValueError(
                    f"`{name}` is necessary when simulating; pass a PRNG key such "
                    "as jax.random.key(0)"
                )
            return jax.random.key(0)
        if not is_key(key):
            shape = getattr(key, "shape", None)
            raise ValueError(
                f"`{name}` must be a PRNG key (jax.random.key(0), or a uint32 array "
                f"of shape (2,) from jax.random.PRNGKey); got {type(key).__name__}"
                + (f" of shape {shape}" if shape is not None else "")
            )
        return key

    # ------------------------------------------------------------ estimates
    def get_estimate(self, d: Any) -> Float[Array, "... n_params"]:
        """Score-compressed parameter estimates `θ_fid + F⁻¹ dμᵀ C⁻¹ (x(d) - μ)`.

        **Arguments:**

        - `d`: one simulation of shape `input_shape`, or a batch
            `(n, *input_shape)`.

        **Returns:**

        `(n_params,)` for one simulation, `(n, n_params)` for a batch.
        """
        if self.F is None:
            raise ValueError(
                "Fisher information has not yet been calculated. Please run "
                "`imnn.set_F_statistics(w, key, validate)` (or `imnn.fit`) first"
            )
        d = jnp.asarray(d)
        shape = tuple(d.shape)
        if shape == self.input_shape:
            batched = False
        elif shape[1:] == self.input_shape:
            batched = True
        else:
            raise ValueError(
                f"expected one simulation of shape {self.input_shape} (input_shape) "
                f"or a batch of shape (n, *{self.input_shape}), got {shape}"
            )
        est = self._jit("estimate", lambda: jax.jit(_estimate, static_argnums=0))
        out = est(
            self.model,
            self.w,
            d if batched else d[None],
            self.θ_fid,
            self.invF,
            self.dμ_dθ,
            self.invC,
            self.μ,
        )
        return out if batched else out[0]

    def summariser(self):
        """The fitted network as a rollax summariser ([`imnn_data.IMNNSummariser`][])."""
        from ._summariser import IMNNSummariser

        return IMNNSummariser.from_imnn(self)

    # ------------------------------------------------------------ fitting
    def fit(
        self,
        λ: float,
        ϵ: float,
        rng: Any = None,
        patience: int = 100,
        min_iterations: int = 100,
        max_iterations: int = int(1e5),
        print_rate: int | None = None,
        best: bool = True,
        *,
        r_tolerance: float | None = None,
    ) -> None:
        """Fit the network by maximising the Fisher information.

        One XLA loop runs the iterations for in-memory data; aggregated and
        dataset-fed classes run the same algorithm with one compiled kernel per
        batch between host data loads.

        **Arguments:**

        - `λ`: regularisation strength.
        - `ϵ`: closeness criterion of the covariance to the identity.
        - `rng`: PRNG key (required when simulating on the fly).
        - `patience`: iterations without improvement of det F (validation det F
            where a validation set exists) before stopping, counted after
            `min_iterations`.
        - `min_iterations`: iterations before patience starts counting.
        - `max_iterations`: maximum number of iterations of this call.
        - `print_rate`: update a progress bar every `print_rate` iterations
            (`None`: no bar).
        - `best`: keep the weights with the largest det F (else the final ones).
        - `r_tolerance`: stop early on the regularisation coefficient `r` as well:
            patience only runs out while `r <= r_tolerance` (the covariance has
            converged to the identity), so a fit whose det F has stalled keeps
            going while `r` is still large. `None` (default): det F alone, as the
            original.

        **Returns:**

        Nothing: updates `state`, `w`, `best_w`, `final_w`, `history` and the F
        statistics.
        """
        λ = check_float(λ, "λ")
        ϵ = check_float(ϵ, "ϵ")
        α = get_alpha(λ, ϵ)
        patience = check_int(patience, "patience")
        min_iterations = check_int(min_iterations, "min_iterations", minimum=0)
        max_iterations = check_int(max_iterations, "max_iterations")
        if print_rate is not None:
            print_rate = check_int(print_rate, "print_rate")
        best = check_bool(best, "best")
        r_tol = (
            math.inf if r_tolerance is None else check_float(r_tolerance, "r_tolerance")
        )
        if not r_tol >= 0:
            raise ValueError(f"`r_tolerance` must be >= 0, got {r_tolerance!r}")
        rng = self._check_key(rng, "rng")
        self._r_tolerance = r_tol
        result = self._run_fit(
            λ, α, rng, patience, min_iterations, max_iterations, print_rate
        )
        self._finish_fit(result, best)

    def _float_dtype(self):
        leaves = [
            leaf
            for leaf in jax.tree.leaves(self.state.w)
            if jnp.issubdtype(jnp.result_type(leaf), jnp.floating)
        ]
        return jnp.result_type(*leaves) if leaves else jnp.result_type(float)

    def _run_fit(self, λ, α, rng, patience, min_iterations, max_iterations, print_rate):
        bucket = max(128, 1 << (max_iterations - 1).bit_length())
        fn = self._jit(
            ("fit", bucket, print_rate is not None, self.validate),
            lambda: jax.jit(self._make_loop(bucket, print_rate is not None)),
        )
        dtype = self._float_dtype()
        bar = self._bar = _ProgressBar(print_rate, max_iterations)
        carry = fn(
            self.state.w,
            self.state.opt_state,
            self.best_w,
            jnp.asarray(self.history["max_detF"], dtype),
            self._data(False),
            self._data(True) if self.validate else None,
            rng,
            jnp.asarray(λ, dtype),
            jnp.asarray(α, dtype),
            jnp.asarray(patience),
            jnp.asarray(min_iterations),
            jnp.asarray(max_iterations),
            jnp.asarray(print_rate or 1),
            jnp.asarray(getattr(self, "_r_tolerance", math.inf), dtype),
        )
        carry = jax.block_until_ready(carry)
        bar.close(carry)
        return carry

    def _make_loop(self, bucket: int, with_bar: bool) -> Callable:
        validate = self.validate
        update = self.optimiser.update

        def loop(
            w,
            opt_state,
            best_w,
            max_detF,
            data,
            val_data,
            rng,
            λ,
            α,
            patience,
            min_iterations,
            max_iterations,
            print_rate,
            r_tol,
        ):
            dtype = max_detF.dtype
            hist = jnp.full((bucket, 2, len(HISTORY_KEYS)), jnp.nan, dtype)
            grad_fn = jax.value_and_grad(self._value, has_aux=True)

            def body(c):
                (w, opt_state, best_w, max_detF, hist, i, pc, _, rng) = c
                rng, k_train, k_val = _split3(rng)
                (loss, stats), g = grad_fn(w, data, k_train, λ, α)
                updates, new_opt = update(g, opt_state, w)
                new_w = optax.apply_updates(w, updates)
                finite = jnp.isfinite(loss) & _all_finite(g) & _all_finite(new_w)
                row = jnp.stack(stats).astype(dtype)
                if validate:
                    _, vstats = self._value(new_w, val_data, k_val, λ, α)
                    vrow = jnp.stack(vstats).astype(dtype)
                    detF, ref_w, r = vstats.detF, new_w, vstats.r
                else:
                    vrow = jnp.full_like(row, jnp.nan)
                    detF, ref_w, r = stats.detF, w, stats.r
                hist = hist.at[i].set(jnp.stack([row, vrow]))
                improved = finite & (detF > max_detF)
                max_detF = jnp.where(improved, detF.astype(dtype), max_detF)
                best_w = _tree_where(improved, ref_w, best_w)
                waiting = (i > min_iterations) & (r <= r_tol)
                pc = jnp.where(improved, 0, jnp.where(waiting, pc + 1, pc))
                w = _tree_where(finite, new_w, w)
                opt_state = _tree_where(finite, new_opt, opt_state)
                if with_bar:
                    jax.lax.cond(
                        ((i + 1) % print_rate == 0) | ~finite,
                        lambda: jax.debug.callback(
                            self._bar_callback, i + 1, pc, row, vrow, max_detF
                        ),
                        lambda: None,
                    )
                return (w, opt_state, best_w, max_detF, hist, i + 1, pc, ~finite, rng)

            def cond(c):
                i, pc, nan = c[5], c[6], c[7]
                return (pc < patience) & (i < max_iterations) & ~nan

            zero = jnp.zeros((), jnp.int32)
            init = (
                w,
                opt_state,
                best_w,
                max_detF,
                hist,
                zero,
                zero,
                jnp.asarray(False),
                rng,
            )
            return jax.lax.while_loop(cond, body, init)

        return loop

    def _bar_callback(self, *args) -> None:
        self._bar.callback(*args)

    def _finish_fit(self, result, best: bool) -> None:
        w, opt_state, best_w, max_detF, hist, counter, _, nan, rng = result
        n = int(counter)
        hist = np.asarray(hist[:n])
        for j, key in enumerate(HISTORY_KEYS):
            self.history[key] = np.concatenate([self.history[key], hist[:, 0, j]])
            if self.validate:
                self.history[f"val_{key}"] = np.concatenate(
                    [self.history[f"val_{key}"], hist[:, 1, j]]
                )
        self.history["max_detF"] = float(max_detF)
        self.state = IMNNState(w, opt_state)
        self.final_w = w
        self.best_w = best_w
        if bool(nan):
            warnings.warn(
                _NAN_MESSAGE.format(it=n, best=float(max_detF)),
                RuntimeWarning,
                stacklevel=3,
            )
        use_best = best and float(max_detF) > 0
        self.set_F_statistics(best_w if use_best else w, key=rng)

    # ------------------------------------------------------------ plotting
    def plot(
        self,
        ax: Any = None,
        expected_detF: float | None = None,
        colour: str = "C0",
        figsize: tuple[float, float] = (5, 15),
        label: str = "",
        filename: str | Path | None = None,
        ncol: int = 1,
    ) -> Any:
        """Plot the fitting history: det F, det C and det C⁻¹, Λ₂ and r.

        **Arguments:**

        - `ax`: three matplotlib axes to draw on (default: a new figure).
        - `expected_detF`: draw this value (e.g. the analytic det F) as a line.
        - `colour`, `label`: line colour and legend label.
        - `figsize`: size of a new figure.
        - `filename`: save the figure there.
        - `ncol`: columns of the legend.

        **Returns:**

        The list of the three axes plus the twin axis of `r`.
        """
        from ._plot import plot_history

        return plot_history(
            self.history,
            self.validate,
            ax,
            expected_detF,
            colour,
            figsize,
            label,
            filename,
            ncol,
        )

    # ------------------------------------------------------------ saving
    def save(self, file: str | Path) -> None:
        """Save weights, optimiser state, best/final weights, history and F
        statistics to an `.npz` file; restore with [`imnn_data.GradientIMNN.load`][]
        on an IMNN built with the same model and optimiser.

        **Arguments:**

        - `file`: path of the `.npz` file.
        """
        arrays: dict[str, Any] = {}
        for name in ("state", "best_w", "final_w", "w", "initial_w"):
            for i, leaf in enumerate(jax.tree.leaves(self._tree(name))):
                arrays[f"{name}/{i}"] = np.asarray(leaf)
        for key, value in self.history.items():
            arrays[f"history/{key}"] = np.asarray(value)
        for name in ("F", "invF", "C", "invC", "μ", "dμ_dθ"):
            value = getattr(self, name)
            if value is not None:
                arrays[f"stats/{name}"] = np.asarray(value)
        with open(file, "wb") as f:
            np.savez(f, **arrays)

    def _tree(self, name: str) -> PyTree[Any]:
        return getattr(self, name)

    def load(self, file: str | Path) -> None:
        """Restore what [`save`][imnn_data.GradientIMNN.save] wrote.

        **Arguments:**

        - `file`: path of the `.npz` file written by `save` for an IMNN with the same
            model, optimiser and shapes.
        """
        with np.load(file) as data:
            stored = {k: data[k] for k in data.files}
        for name in ("state", "best_w", "final_w", "w", "initial_w"):
            like = self._tree(name)
            leaves, treedef = jax.tree.flatten(like)
            new = []
            for i, leaf in enumerate(leaves):
                key = f"{name}/{i}"
                if key not in stored:
                    raise ValueError(
                        f"{file} does not match this IMNN: `{name}` has "
                        f"{len(leaves)} arrays, the file fewer; build the IMNN with "
                        "the same model and optimiser before loading"
                    )
                value = stored[key]
                if value.shape != np.shape(leaf):
                    raise ValueError(
                        f"{file} does not match this IMNN: `{name}` array {i} has "
                        f"shape {value.shape}, expected {np.shape(leaf)}"
                    )
                new.append(jnp.asarray(value, dtype=jnp.result_type(leaf)))
            setattr(self, name, jax.tree.unflatten(treedef, new))
        self.state = IMNNState(*self.state)
        for key in list(self.history):
            if f"history/{key}" in stored:
                value = stored[f"history/{key}"]
                self.history[key] = float(value) if value.ndim == 0 else value
        for name in ("F", "invF", "C", "invC", "μ", "dμ_dθ"):
            value = stored.get(f"stats/{name}")
            setattr(self, name, None if value is None else jnp.asarray(value))


def _estimate(model, w, d, θ_fid, invF, dμ_dθ, invC, μ):
    x = jax.vmap(lambda di: model(w, di))(d)
    return θ_fid + jnp.einsum("ij,kj,kl,nl->ni", invF, dμ_dθ, invC, x - μ)


def _split3(rng):
    keys = jax.random.split(rng, 3)
    return keys[0], keys[1], keys[2]


def _all_finite(tree) -> Array:
    leaves = [
        jnp.all(jnp.isfinite(leaf))
        for leaf in jax.tree.leaves(tree)
        if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)
    ]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


def _tree_where(pred, a, b):
    return jax.tree.map(lambda x, y: jnp.where(pred, x, y), a, b)


class _ProgressBar:
    """A tqdm bar fed from inside the compiled loop by `jax.debug.callback`."""

    def __init__(self, print_rate: int | None, max_iterations: int):
        self.bar = None
        if print_rate is not None:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=max_iterations if max_iterations < 10000 else None,
                desc="IMNN fit",
                unit="it",
            )
        self.done = 0

    def callback(self, i, pc, row, vrow, max_detF) -> None:
        if self.bar is None:
            return
        i = int(i)
        self.bar.update(i - self.done)
        self.done = i
        post = {
            "patience": int(pc),
            "detF": float(row[0]),
            "detC": float(row[1]),
            "detinvC": float(row[2]),
            "Λ2": float(row[3]),
            "r": float(row[4]),
        }
        if not math.isnan(float(vrow[0])):
            post["val_detF"] = float(vrow[0])
        post["max_detF"] = float(max_detF)
        self.bar.set_postfix(post, refresh=False)

    def update_host(self, i, pc, stats, vstats, max_detF) -> None:
        if self.bar is not None:
            self.callback(i, pc, np.asarray(stats), np.asarray(vstats), max_detF)

    def close(self, carry=None) -> None:
        if self.bar is None:
            return
        if carry is not None:
            i = int(carry[5])
            self.bar.update(i - self.done)
        self.bar.close()

"""A fitted IMNN's network as a rollax summariser."""

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PyTree

import rollax


class IMNNSummariser(rollax.AbstractSummariser):
    """The summary network of a fitted IMNN: one simulation to `n_summaries` numbers.

    Build it with `imnn.summariser()` (or [`from_imnn`][imnn_data.IMNNSummariser.from_imnn]).
    `report()` gives the Fisher information and the statistics it was computed
    from.

    **Arguments:**

    - `w`: the network weights.
    - `apply`: `apply(w, d)` for one simulation `d`.
    - `input_shape`: shape of one simulation.
    - `F`, `C`, `μ`, `dμ_dθ`, `θ_fid`: the IMNN's F statistics and fiducial
        parameters (`None` before `set_F_statistics`).
    """

    name: ClassVar[str] = "imnn-data:IMNNSummariser"

    w: PyTree[Any]
    apply: Callable = eqx.field(static=True)
    input_shape: tuple[int, ...] = eqx.field(static=True)
    F: Float[Array, "p p"] | None = None
    C: Float[Array, "s s"] | None = None
    μ: Float[Array, " s"] | None = None
    dμ_dθ: Float[Array, "s p"] | None = None
    θ_fid: Float[Array, " p"] | None = None

    @classmethod
    def from_imnn(cls, imnn: Any) -> "IMNNSummariser":
        """The summariser of an IMNN at its current weights `imnn.w`."""
        return cls(
            w=imnn.w,
            apply=imnn.model,
            input_shape=tuple(imnn.input_shape),
            F=imnn.F,
            C=imnn.C,
            μ=imnn.μ,
            dμ_dθ=imnn.dμ_dθ,
            θ_fid=imnn.θ_fid,
        )

    def __call__(self, data: Float[Array, "..."]) -> Float[Array, " n_summaries"]:
        """Summaries of one simulation of shape `input_shape`."""
        shape = tuple(jnp.shape(data))
        if shape != self.input_shape:
            raise ValueError(
                f"expected one simulation of shape {self.input_shape} (input_shape), "
                f"got {shape}; use jax.vmap for a batch"
            )
        return self.apply(self.w, data)

    def report(self) -> Mapping[str, Any]:
        """Fisher information, det F, covariance and fiducial parameters."""
        out: dict[str, Any] = {"input_shape": self.input_shape}
        for key in ("F", "C", "μ", "dμ_dθ", "θ_fid"):
            value = getattr(self, key)
            out[key] = None if value is None else np.asarray(value)
        out["detF"] = None if self.F is None else float(np.linalg.det(out["F"]))
        return out

"""Neuron parameters of the current-based leaky integrate-and-fire model."""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from rollax import is_concrete as _is_concrete

_FIELDS = ("tau_syn", "tau_mem", "v_th", "v_leak", "v_reset")


class LIFParameters(eqx.Module):
    """Parameters of a current-based LIF neuron (time in seconds).

    The membrane follows `tau_mem dV/dt = -(V - v_leak) + I` and the synaptic current
    `tau_syn dI/dt = -I`; a presynaptic spike through weight `w` makes `I += w`, and
    when `V` reaches `v_th` the neuron spikes and `V` is set to `v_reset`.

    Every field may be a scalar (a homogeneous layer) or an array with one entry per
    neuron (a heterogeneous layer), unlike jaxsnn which supports scalars only.

    **Arguments:**

    - `tau_syn`: synaptic time constant in seconds (default `5e-3`).
    - `tau_mem`: membrane time constant in seconds (default `1e-2`).
    - `v_th`: firing threshold (default `0.6`).
    - `v_leak`: leak (resting) potential (default `0.0`); honoured, unlike jaxsnn
        0.2.1 which ignores it.
    - `v_reset`: reset potential after a spike (default `0.0`).
    """

    tau_syn: Float[ArrayLike, "*neurons"] = 5e-3
    tau_mem: Float[ArrayLike, "*neurons"] = 1e-2
    v_th: Float[ArrayLike, "*neurons"] = 0.6
    v_leak: Float[ArrayLike, "*neurons"] = 0.0
    v_reset: Float[ArrayLike, "*neurons"] = 0.0

    def __check_init__(self):
        for name in ("tau_syn", "tau_mem"):
            value = getattr(self, name)
            if _is_concrete(value) and not np.all(np.asarray(value) > 0):
                raise ValueError(
                    f"LIFParameters.{name} must be positive (a time constant in "
                    f"seconds), got {value!r}; pass e.g. {name}=5e-3"
                )
        if (
            _is_concrete(self.v_th)
            and _is_concrete(self.v_reset)
            and not np.all(np.asarray(self.v_reset) < np.asarray(self.v_th))
        ):
            raise ValueError(
                f"LIFParameters.v_reset must be below v_th, got v_reset="
                f"{self.v_reset!r} and v_th={self.v_th!r}; otherwise a neuron would "
                "spike forever at the same instant"
            )

    @property
    def dynamics(self) -> Float[Array, "2 2"]:
        """The 2x2 matrix `A` of `d[V, I]/dt = A [V, I]` (for a scalar layer)."""
        tm = jnp.asarray(self.tau_mem)
        ts = jnp.asarray(self.tau_syn)
        return jnp.array([[-1.0 / tm, 1.0 / tm], [jnp.zeros_like(ts), -1.0 / ts]])

    def as_dict(self) -> dict:
        """The parameters as a plain dictionary (arrays become lists)."""
        out = {}
        for f in _FIELDS:
            v = np.asarray(getattr(self, f))
            out[f] = v.item() if v.ndim == 0 else v.tolist()
        return out

    def broadcast(self, size: int) -> "LIFParameters":
        """Every field as a float32 array of shape `(size,)`.

        **Arguments:**

        - `size`: the number of neurons of the layer.

        **Returns:**

        A new `LIFParameters` with per-neuron arrays.
        """
        values = {}
        for f in _FIELDS:
            v = jnp.asarray(getattr(self, f), dtype=jnp.float32)
            if v.ndim > 1 or (v.ndim == 1 and v.shape[0] not in (1, size)):
                raise ValueError(
                    f"LIFParameters.{f} has shape {v.shape}; expected a scalar or "
                    f"one value per neuron, shape ({size},)"
                )
            values[f] = jnp.broadcast_to(v, (size,))
        return dataclasses.replace(self, **values)


class LIParameters(eqx.Module):
    """Parameters of a current-based leaky integrator (a non-spiking readout).

    **Arguments:**

    - `tau_syn`: synaptic time constant in seconds (default `5e-3`).
    - `tau_mem`: membrane time constant in seconds (default `1e-2`).
    - `v_leak`: leak potential (default `0.0`).
    """

    tau_syn: Float[ArrayLike, "*neurons"] = 5e-3
    tau_mem: Float[ArrayLike, "*neurons"] = 1e-2
    v_leak: Float[ArrayLike, "*neurons"] = 0.0

    def __check_init__(self):
        for name in ("tau_syn", "tau_mem"):
            value = getattr(self, name)
            if _is_concrete(value) and not np.all(np.asarray(value) > 0):
                raise ValueError(
                    f"LIParameters.{name} must be positive (a time constant in "
                    f"seconds), got {value!r}"
                )

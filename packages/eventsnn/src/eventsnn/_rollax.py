"""rollax `AbstractLayer` wrappers of the event-based layers."""

import functools
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import PRNGKeyArray

import rollax

from ._layers import LIF, EventPropLIF
from ._params import LIFParameters
from ._types import EventPropSpike, WeightInput


@functools.cache
def _layer_fns(cls, size, n_spikes, t_max, params, mean, std):
    factory = EventPropLIF if cls is EventPropLIFLayer else LIF
    return factory(size, n_spikes, t_max, params, mean=mean, std=std)


class _AbstractEventLayer(rollax.AbstractLayer):
    size: int = eqx.field(static=True)
    n_spikes: int = eqx.field(static=True)
    t_max: float = eqx.field(static=True, default=2e-2)
    params: LIFParameters = eqx.field(static=True, default=LIFParameters())
    mean: float = eqx.field(static=True, default=0.5)
    std: float = eqx.field(static=True, default=2.0)

    def _fns(self):
        return _layer_fns(
            type(self),
            self.size,
            self.n_spikes,
            self.t_max,
            self.params,
            self.mean,
            self.std,
        )

    def init(self, key: PRNGKeyArray, input_shape: tuple[int, ...]):
        """Draw the weights; `input_shape` is `(n_inputs,)`, the number of
        presynaptic neurons; the output shape is `(n_spikes,)`, the event budget."""
        if len(input_shape) != 1:
            raise ValueError(
                f"expected input_shape (n_inputs,), the number of input neurons; got "
                f"{input_shape}"
            )
        _, _, weights = self._fns()[0](key, int(input_shape[0]))
        return (self.n_spikes,), weights

    def apply(self, params: WeightInput, inputs: EventPropSpike, *, key=None):
        """Simulate one sample: input events (global indices `0..n_inputs-1`) to the
        layer's events (inputs passed through, own spikes numbered from
        `n_inputs`)."""
        del key
        if not isinstance(inputs, EventPropSpike):
            raise TypeError(
                f"expected an eventsnn.EventPropSpike, got {type(inputs).__name__}"
            )
        if jnp.ndim(inputs.time) != 1:
            raise ValueError(
                "expected the events of one sample, time and idx of shape (n_events,),"
                f" got shape {jnp.shape(inputs.time)}; batch with jax.vmap"
            )
        return self._fns()[1]([params], inputs)[2]


class LIFLayer(_AbstractEventLayer):
    """[`eventsnn.LIF`][] as a rollax layer (gradients by autodiff).

    **Arguments:**

    - `size`: number of neurons.
    - `n_spikes`: event budget.
    - `t_max`: end of the simulation in seconds.
    - `params`: [`eventsnn.LIFParameters`][] with scalar fields.
    - `mean`, `std`: statistics of the initial weights.
    """

    name: ClassVar[str] = "eventsnn:LIFLayer"


class EventPropLIFLayer(_AbstractEventLayer):
    """[`eventsnn.EventPropLIF`][] as a rollax layer (EventProp gradients).

    **Arguments:**

    As for [`eventsnn.LIFLayer`][].
    """

    name: ClassVar[str] = "eventsnn:EventPropLIFLayer"

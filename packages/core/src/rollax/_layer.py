import abc
from typing import Any, ClassVar

import equinox as eqx
from jaxtyping import PRNGKeyArray, PyTree

from ._custom_types import KeyArg, Params, Shape


class AbstractLayer(eqx.Module):
    """One layer of a network, in the `(init, apply)` style.

    The layer object holds only static configuration (sizes, time constants, ...);
    its parameters are created by `init` and passed back to `apply`, so that they
    can be trained with any optimiser. `apply` acts on a single sample; batch it
    with `jax.vmap`. Concrete layers set the class-level `name`, the key under which
    the rollax registry lists them.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def init(self, key: PRNGKeyArray, input_shape: Shape) -> tuple[Shape, Params]:
        """Create the layer's parameters.

        **Arguments:**

        - `key`: a JAX PRNG key for the random initialisation.
        - `input_shape`: the shape of one input sample.

        **Returns:**

        A tuple `(output_shape, params)`.
        """

    @abc.abstractmethod
    def apply(
        self, params: Params, inputs: PyTree[Any], *, key: KeyArg = None
    ) -> PyTree[Any]:
        """Apply the layer to one input sample.

        **Arguments:**

        - `params`: parameters from `init` (possibly trained).
        - `inputs`: one input sample.
        - `key`: a JAX PRNG key, for stochastic layers.

        **Returns:**

        The layer's output for that sample.
        """

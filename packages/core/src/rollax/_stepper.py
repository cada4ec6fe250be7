import abc
from typing import ClassVar

import equinox as eqx

from ._custom_types import KeyArg, State


class AbstractStepper(eqx.Module):
    """Advances the state of one sample by one time step.

    A stepper is a pure function `state -> next state` (a Lenia update, an ETDRK PDE
    step, a neuron model's update). It acts on a single sample; batch it with
    `jax.vmap`. Configuration that changes shapes is static; parameter values are
    array fields, so new values do not recompile.

    Concrete steppers set the class-level `name`, the key under which the rollax
    registry lists them.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, state: State, *, key: KeyArg = None) -> State:
        """Take one time step.

        **Arguments:**

        - `state`: the current state of one sample.
        - `key`: a JAX PRNG key, for steppers with noise; ignored by deterministic ones.

        **Returns:**

        The state one step later, with the same structure, shapes and dtypes.
        """

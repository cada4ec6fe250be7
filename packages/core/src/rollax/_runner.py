import abc
from typing import Any, ClassVar

import equinox as eqx
from jaxtyping import PyTree

from ._custom_types import KeyArg, State


class AbstractRunner(eqx.Module):
    """Drives a stepper or system over time.

    A runner owns the time loop: it advances an initial state `num_steps` times and
    returns the final state together with what it recorded on the way (the
    trajectory, monitored values, statistics). Concrete runners set the class-level
    `name`, the key under which the rollax registry lists them.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def run(
        self, state: State, num_steps: int, *, key: KeyArg = None
    ) -> tuple[State, PyTree[Any]]:
        """Run `num_steps` steps from `state`.

        **Arguments:**

        - `state`: the initial state of one sample.
        - `num_steps`: how many steps to take (static: it sets output shapes).
        - `key`: a JAX PRNG key, for runners with noise.

        **Returns:**

        A tuple `(final_state, outputs)`: the state after the last step, with the
        structure, shapes and dtypes of `state`, and a pytree of what was recorded
        (arrays with a leading time axis, statistics, ...).
        """

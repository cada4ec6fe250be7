import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import equinox as eqx
from jaxtyping import Array, Float, PyTree


class AbstractSummariser(eqx.Module):
    """Maps data to a vector of summaries and reports what it learned.

    A summariser compresses one data sample (a field, a simulation, a trajectory)
    into a few numbers: an information-maximising network's summaries, or the
    statistics of a Lenia world. It acts on a single sample; batch it with
    `jax.vmap`. Concrete summarisers set the class-level `name`, the key under which
    the rollax registry lists them.
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def __call__(self, data: PyTree[Array]) -> Float[Array, " n_summaries"]:
        """Summarise one data sample.

        **Arguments:**

        - `data`: one sample.

        **Returns:**

        A 1-D float array of summaries.
        """

    @abc.abstractmethod
    def report(self) -> Mapping[str, Any]:
        """What the summariser knows or learned, as plain host values.

        For example the Fisher information of a fitted IMNN, or the names of the
        statistics a Lenia summariser computes.

        **Returns:**

        A mapping from names to Python or NumPy values.
        """

"""A network that corrects a frozen coarse numerical stepper."""

import equinox as eqx
import jax

from ._config import config_error

CORRECTION_MODES = ("sequential", "parallel", "sequential_with_bypass")


def _freeze(module):
    """Stop gradients on the array leaves only (static fields stay Python values)."""
    return jax.tree.map(
        lambda x: jax.lax.stop_gradient(x) if eqx.is_array(x) else x, module
    )


class CorrectedStepper(eqx.Module):
    """Hybrid stepper: a coarse numerical stepper corrected by a network.

    Modes: `sequential` `f(P(u))`; `parallel` `P(u) + f(u)`;
    `sequential_with_bypass` `P(u) + f(P(u))`. Gradients never flow into the coarse
    stepper (stopped on its array leaves only, so this works under `jit`).

    **Arguments:**

    - `coarse_stepper`: the (frozen) numerical stepper `P`.
    - `network`: the learned component `f`.
    - `mode`: one of the three modes above.
    """

    coarse_stepper: eqx.Module
    network: eqx.Module
    mode: str = eqx.field(static=True)

    def __check_init__(self):
        if self.mode not in CORRECTION_MODES:
            raise config_error(
                "task_config", f"correct;{self.mode}", "unknown correction mode"
            )

    def __call__(self, u, *, key=None):
        coarse = _freeze(self.coarse_stepper)
        if self.mode == "sequential":
            return self.network(coarse(u))  # type: ignore[operator]
        if self.mode == "parallel":
            return coarse(u) + self.network(u)  # type: ignore[operator]
        c = coarse(u)  # type: ignore[operator]
        return c + self.network(c)  # type: ignore[operator]

    @property
    def receptive_field(self) -> tuple[tuple[float, float], ...]:
        """The receptive field of the learned component."""
        return self.network.receptive_field  # type: ignore[attr-defined]

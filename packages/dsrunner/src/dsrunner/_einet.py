"""The E/I balanced COBA network (Vogels & Abbott 2005; Brette et al. 2007)."""

from typing import Any

from ._connect import EventCSRLinear, FixedProb
from ._dynsys import DynSysGroup
from ._initialize import Normal
from ._neurons import LifRef
from ._synapses import COBA, CUBA, Expon, ProjAlignPostMg2


class EINet(DynSysGroup):
    """4000 LIF neurons (3200 excitatory, 800 inhibitory), 2% random connectivity.

    Neurons: `V_rest=-60, V_th=-50, V_reset=-60, tau=20, tau_ref=5` with a constant
    background drive `inp` (mV). Exponential synapses (5 ms excitatory, 10 ms
    inhibitory), conductance-based with reversal potentials 0 and -80 mV (or
    current-based with `coba=False`), weights 0.6 and 6.7, event-driven propagation.

    **Arguments:**

    - `num_exc`, `num_inh`: population sizes.
    - `inp`: background input.
    - `coba`: conductance-based (True) or current-based (False) synapses.
    - `seed`: seed of the connectivity and the initial potentials.
    - `method`: integration method of the neurons.
    """

    def __init__(
        self,
        num_exc: int = 3200,
        num_inh: int = 800,
        inp: float = 20.0,
        coba: bool = True,
        seed: int = 42,
        method: str = "exp_auto",
        we: float = 0.6,
        wi: float = 6.7,
        name: str | None = None,
    ):
        super().__init__(name=name)
        self.inp = inp
        pars: dict[str, Any] = dict(
            V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
            method=method,
        )  # fmt: skip
        self.E = LifRef(num_exc, V_initializer=Normal(-55.0, 2.0, seed=seed), **pars)
        self.I = LifRef(
            num_inh, V_initializer=Normal(-55.0, 2.0, seed=seed + 1), **pars
        )

        def proj(pre, post, w, tau, E, s):
            conn = FixedProb(0.02, pre=pre.num, post=post.num, seed=seed + s)
            out = COBA.desc(E=E) if coba else CUBA.desc()
            return ProjAlignPostMg2(
                pre=pre, delay=None, comm=EventCSRLinear(conn, w),
                syn=Expon.desc(post.num, tau=tau), out=out, post=post,
            )  # fmt: skip

        self.E2E = proj(self.E, self.E, we, 5.0, 0.0, 10)
        self.E2I = proj(self.E, self.I, we, 5.0, 0.0, 11)
        self.I2E = proj(self.I, self.E, wi, 10.0, -80.0, 12)
        self.I2I = proj(self.I, self.I, wi, 10.0, -80.0, 13)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        self.E2E()
        self.E2I()
        self.I2E()
        self.I2I()
        self.E(self.inp)
        self.I(self.inp)
        return None

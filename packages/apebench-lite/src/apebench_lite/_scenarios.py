"""The APEBench scenarios: difficulty (`diff_*`), normalized (`norm_*`), physical (`phy_*`)."""

import math
from typing import Literal

from ._base_scenario import BaseScenario
from ._ic import AbstractICGenerator, RandomGaussianBlobs, RandomMultiChannelICGenerator
from ._steppers import (
    Advection as _AdvectionStepper,
    DifficultyConvectionStepper,
    DifficultyGeneralNonlinearStepper,
    DifficultyLinearStepper,
    Diffusion as _DiffusionStepper,
    Dispersion as _DispersionStepper,
    GeneralConvectionStepper,
    GeneralLinearStepper,
    GeneralNonlinearStepper,
    GeneralPolynomialStepper,
    GrayScott as _GrayScottStepper,
    HyperDiffusion as _HyperDiffusionStepper,
    NavierStokesVorticity,
    NormalizedConvectionStepper,
    NormalizedGeneralNonlinearStepper,
    NormalizedLinearStepper,
    Poisson as _PoissonSolver,
    SwiftHohenberg as _SwiftHohenbergStepper,
)


def _active(coefs) -> str:
    return "_".join(str(i) for i, c in enumerate(coefs) if c != 0)


def _scaled(coefs, factor):
    return tuple(c * factor for c in coefs)


def _nonlin_kwargs(s) -> dict:
    return dict(
        order=s.order,
        dealiasing_fraction=s.dealiasing_fraction,
        num_circle_points=s.num_circle_points,
        circle_radius=s.circle_radius,
        num_substeps=s.num_substeps,
        exponax_compat=s.exponax_compat,
    )


# ===================================================================================
# difficulty interface
# ===================================================================================


class _ScaledCoefficients(BaseScenario):
    """Coarse stepper: the same PDE with all coefficients times `coarse_proportion`."""

    def _stepper(self, value, /):
        raise NotImplementedError

    def get_ref_stepper(self):
        return self._stepper(1.0)

    def get_coarse_stepper(self):
        return self._stepper(self.coarse_proportion)  # pyright: ignore[reportAttributeAccessIssue]


class _ScaledStep(BaseScenario):
    """Coarse stepper: the same PDE advanced by `dt * coarse_proportion`."""

    def _stepper(self, value, /):
        raise NotImplementedError

    def get_ref_stepper(self):
        return self._stepper(self.dt)  # pyright: ignore[reportAttributeAccessIssue]

    def get_coarse_stepper(self):
        return self._stepper(self.dt * self.coarse_proportion)  # pyright: ignore[reportAttributeAccessIssue]


class _DiffLinear(_ScaledCoefficients):
    gammas: tuple[float, ...] = (0.0, -4.0, 0.0, 0.0, 0.0)
    coarse_proportion: float = 0.5

    def _stepper(self, factor, /):
        return DifficultyLinearStepper(
            self.num_spatial_dims,
            self.num_points,
            linear_difficulties=_scaled(self.gammas, factor),
            num_channels=self.num_channels,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_linear_{_active(self.gammas)}"


class Linear(_DiffLinear):
    """Generic linear PDE from difficulties `gammas` (exact ETDRK0)."""


class LinearSimple(_DiffLinear):
    """One linear term of order `linear_term_order` with difficulty `linear_gamma`."""

    gammas: tuple[float, ...] = (0.0, -4.0)
    linear_gamma: float = -4.0
    linear_term_order: int = 1

    def __post_init__(self):
        self.gammas = (0.0,) * self.linear_term_order + (self.linear_gamma,)


class Advection(_DiffLinear):
    advection_gamma: float = -4.0

    def __post_init__(self):
        self.gammas = (0.0, self.advection_gamma, 0.0, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_adv"


class Diffusion(_DiffLinear):
    gammas: tuple[float, ...] = (0.0, 0.0, 4.0, 0.0, 0.0)
    diffusion_gamma: float = 4.0

    def __post_init__(self):
        self.gammas = (0.0, 0.0, self.diffusion_gamma, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_diff"


class AdvectionDiffusion(_DiffLinear):
    gammas: tuple[float, ...] = (0.0, -4.0, 4.0, 0.0, 0.0)
    advection_gamma: float = -4.0
    diffusion_gamma: float = 4.0

    def __post_init__(self):
        self.gammas = (0.0, self.advection_gamma, self.diffusion_gamma, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_adv_diff"


class Dispersion(_DiffLinear):
    gammas: tuple[float, ...] = (0.0, 0.0, 0.0, 4.0, 0.0)
    dispersion_gamma: float = 4.0

    def __post_init__(self):
        self.gammas = (0.0, 0.0, 0.0, self.dispersion_gamma, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_disp"


class HyperDiffusion(_DiffLinear):
    gammas: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, -4.0)
    hyp_diffusion_gamma: float = -4.0

    def __post_init__(self):
        self.gammas = (0.0, 0.0, 0.0, 0.0, self.hyp_diffusion_gamma)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_hyp_diff"


class FirstFour(_DiffLinear):
    gammas: tuple[float, ...] = (0.0, -4.0, 4.0, 4.0, -4.0)
    advection_gamma: float = -4.0
    diffusion_gamma: float = 4.0
    dispersion_gamma: float = 4.0
    hyp_diffusion_gamma: float = -4.0

    def __post_init__(self):
        self.gammas = (
            0.0,
            self.advection_gamma,
            self.diffusion_gamma,
            self.dispersion_gamma,
            self.hyp_diffusion_gamma,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_four"


class _NonlinearOptions(_ScaledCoefficients):
    """Options of the ETDRK scenarios. `exponax_compat=True` (not in APEBench)
    reproduces exponax 0.1 numerics: real-part ETDRK coefficients, pre-dealiasing."""

    exponax_compat: bool = False
    num_substeps: int = 1
    coarse_proportion: float = 0.5
    order: int = 2
    dealiasing_fraction: float = 2 / 3
    num_circle_points: int = 16
    circle_radius: float = 1.0


class Convection(_NonlinearOptions):
    """Vector convection (channels = dimensions) from difficulties."""

    gammas: tuple[float, ...] = (0.0, 0.0, 1.5, 0.0, 0.0)
    convection_delta: float = -1.5
    conservative: bool = True

    def __post_init__(self):
        self.num_channels = self.num_spatial_dims

    def _stepper(self, factor, /):
        return DifficultyConvectionStepper(
            self.num_spatial_dims,
            self.num_points,
            linear_difficulties=_scaled(self.gammas, factor),
            convection_difficulty=-self.convection_delta * factor,
            conservative=self.conservative,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_conv_{_active(self.gammas)}"


class Burgers(Convection):
    diffusion_gamma: float = 1.5

    def __post_init__(self):
        super().__post_init__()
        self.gammas = (0.0, 0.0, self.diffusion_gamma, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_burgers"


class KuramotoSivashinskyConservative(Convection):
    gammas: tuple[float, ...] = (0.0, 0.0, -2.0, 0.0, -18.0)
    convection_delta: float = -1.0
    diffusion_gamma: float = -2.0
    hyp_diffusion_gamma: float = -18.0
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-2.5, 2.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        super().__post_init__()
        self.gammas = (0.0, 0.0, self.diffusion_gamma, 0.0, self.hyp_diffusion_gamma)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_ks_cons"


class Nonlinear(_NonlinearOptions):
    """Single-channel `delta0 u^2 + delta1 conv + delta2 gradient norm` from difficulties."""

    gammas: tuple[float, ...] = (0.0, 0.0, 1.5, 0.0, 0.0)
    deltas: tuple[float, ...] = (0.0, -1.5, 0.0)

    def _stepper(self, factor, /):
        return DifficultyGeneralNonlinearStepper(
            self.num_spatial_dims,
            self.num_points,
            linear_difficulties=_scaled(self.gammas, factor),
            nonlinear_difficulties=_scaled(self.deltas, factor),
            num_channels=self.num_channels,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_nonlin"


class BurgersSingleChannel(Nonlinear):
    convection_sc_delta: float = -1.5
    diffusion_gamma: float = 1.5

    def __post_init__(self):
        self.gammas = (0.0, 0.0, self.diffusion_gamma, 0.0, 0.0)
        self.deltas = (0.0, self.convection_sc_delta, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_burgers_sc"


class KortewegDeVries(Nonlinear):
    gammas: tuple[float, ...] = (0.0, 0.0, 0.0, -14.0, -9.0)
    deltas: tuple[float, ...] = (0.0, -2.0, 0.0)
    convection_sc_delta: float = -2.0
    dispersion_gamma: float = -14.0
    hyp_diffusion_gamma: float = -9.0

    def __post_init__(self):
        self.gammas = (0.0, 0.0, 0.0, self.dispersion_gamma, self.hyp_diffusion_gamma)
        self.deltas = (0.0, self.convection_sc_delta, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_kdv"


class KuramotoSivashinsky(Nonlinear):
    gammas: tuple[float, ...] = (0.0, 0.0, -1.2, 0.0, -15.0)
    deltas: tuple[float, ...] = (0.0, 0.0, -6.0)
    gradient_norm_delta: float = -6.0
    diffusion_gamma: float = -1.2
    hyp_diffusion_gamma: float = -15.0
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-6.5, 6.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        self.gammas = (0.0, 0.0, self.diffusion_gamma, 0.0, self.hyp_diffusion_gamma)
        self.deltas = (0.0, 0.0, self.gradient_norm_delta)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_ks"


class FisherKPP(Nonlinear):
    gammas: tuple[float, ...] = (0.02, 0.0, 0.2)
    deltas: tuple[float, ...] = (-0.02, 0.0, 0.0)
    ic_config: str = "clamp;0.0;1.0;fourier;5;false;false"
    quadratic_delta: float = -0.02
    drag_gamma: float = 0.02
    diffusion_gamma: float = 0.2

    def __post_init__(self):
        self.gammas = (self.drag_gamma, 0.0, self.diffusion_gamma)
        self.deltas = (self.quadratic_delta, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_diff_fisher"


# ===================================================================================
# normalized interface
# ===================================================================================


class _NormLinear(_ScaledCoefficients):
    alphas: tuple[float, ...] = (0.0, -0.025, 0.0, 0.0, 0.0)
    coarse_proportion: float = 0.5

    def _stepper(self, factor, /):
        return NormalizedLinearStepper(
            self.num_spatial_dims,
            self.num_points,
            normalized_coefficients=_scaled(self.alphas, factor),
            num_channels=self.num_channels,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_lin_{_active(self.alphas)}"


class NormLinear(_NormLinear):
    pass


class NormLinearSimple(_NormLinear):
    alphas: tuple[float, ...] = (0.0, -0.025)
    linear_alpha: float = -0.025
    linear_term_order: int = 1

    def __post_init__(self):
        self.alphas = (0.0,) * self.linear_term_order + (self.linear_alpha,)


def _norm_linear(name, fields: dict, build):
    def post_init(self):
        self.alphas = build(self)

    def scen_name(self):
        return f"{self.num_spatial_dims}d_norm_{name}"

    ns = {"__annotations__": {k: float for k in fields}, **fields}
    ns["__post_init__"] = post_init
    ns["get_scenario_name"] = scen_name
    ns["__module__"] = __name__
    ns["__qualname__"] = "Norm" + name.title().replace("_", "")
    return type(ns["__qualname__"], (_NormLinear,), ns)


NormAdvection = _norm_linear(
    "adv",
    {"advection_alpha": -0.025},
    lambda s: (0.0, s.advection_alpha, 0.0, 0.0, 0.0),
)
NormDiffusion = _norm_linear(
    "diff", {"diffusion_alpha": 8e-4}, lambda s: (0.0, 0.0, s.diffusion_alpha, 0.0, 0.0)
)
NormAdvectionDiffusion = _norm_linear(
    "adv_diff",
    {"advection_alpha": -0.025, "diffusion_alpha": 8e-4},
    lambda s: (0.0, s.advection_alpha, s.diffusion_alpha),
)
NormDispersion = _norm_linear(
    "disp",
    {"dispersion_alpha": 2.5e-7},
    lambda s: (0.0, 0.0, 0.0, s.dispersion_alpha, 0.0),
)
NormHyperDiffusion = _norm_linear(
    "hyp_diff",
    {"hyp_diffusion_alpha": -7.5e-10},
    lambda s: (0.0, 0.0, 0.0, 0.0, s.hyp_diffusion_alpha),
)
NormFirstFour = _norm_linear(
    "four",
    {
        "advection_alpha": -0.025,
        "diffusion_alpha": 8e-4,
        "dispersion_alpha": 2.5e-7,
        "hyp_diffusion_alpha": -7.5e-10,
    },
    lambda s: (
        0.0,
        s.advection_alpha,
        s.diffusion_alpha,
        s.dispersion_alpha,
        s.hyp_diffusion_alpha,
    ),
)


class NormConvection(_NonlinearOptions):
    alphas: tuple[float, ...] = (0.0, 0.0, 3e-5, 0.0, 0.0)
    convection_beta: float = -1.25e-2
    conservative: bool = True

    def __post_init__(self):
        self.num_channels = self.num_spatial_dims

    def _stepper(self, factor, /):
        return NormalizedConvectionStepper(
            self.num_spatial_dims,
            self.num_points,
            normalized_coefficients=_scaled(self.alphas, factor),
            normalized_convection_scale=-self.convection_beta * factor,
            conservative=self.conservative,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_conv_{_active(self.alphas)}"


class NormBurgers(NormConvection):
    diffusion_alpha: float = 3e-5

    def __post_init__(self):
        super().__post_init__()
        self.alphas = (0.0, 0.0, self.diffusion_alpha, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_burgers"


class NormKuramotoSivashinskyConservative(NormConvection):
    """Conservative KS; unlike APEBench its `convection_delta` is used (as beta)."""

    alphas: tuple[float, ...] = (0.0, 0.0, -4e-5, 0.0, -3e-8)
    convection_delta: float = -6e-3
    diffusion_alpha: float = -4e-5
    hyp_diffusion_alpha: float = -3e-8
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-2.5, 2.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        super().__post_init__()
        self.alphas = (0.0, 0.0, self.diffusion_alpha, 0.0, self.hyp_diffusion_alpha)
        self.convection_beta = self.convection_delta

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_ks_cons"


class NormNonlinear(_NonlinearOptions):
    alphas: tuple[float, ...] = (0.0, 0.0, 3e-5, 0.0, 0.0)
    betas: tuple[float, ...] = (0.0, -1.25e-2, 0.0)

    def _stepper(self, factor, /):
        return NormalizedGeneralNonlinearStepper(
            self.num_spatial_dims,
            self.num_points,
            normalized_coefficients_linear=_scaled(self.alphas, factor),
            normalized_coefficients_nonlinear=_scaled(self.betas, factor),
            num_channels=self.num_channels,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_nonlin"


class NormBurgersSingleChannel(NormNonlinear):
    convection_sc_beta: float = -1.25e-2
    diffusion_alpha: float = 3e-5

    def __post_init__(self):
        self.alphas = (0.0, 0.0, self.diffusion_alpha, 0.0, 0.0)
        self.betas = (0.0, self.convection_sc_beta, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_burgers_sc"


class NormKortewegDeVries(NormNonlinear):
    alphas: tuple[float, ...] = (0.0, 0.0, 0.0, -8.5e-7, -2e-9)
    convection_sc_beta: float = -1.25e-2
    dispersion_alpha: float = -8.5e-7
    hyp_diffusion_alpha: float = -2e-9

    def __post_init__(self):
        self.alphas = (0.0, 0.0, 0.0, self.dispersion_alpha, self.hyp_diffusion_alpha)
        self.betas = (0.0, self.convection_sc_beta, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_kdv"


class NormKuramotoSivashinsky(NormNonlinear):
    alphas: tuple[float, ...] = (0.0, 0.0, -2.5e-5, 0.0, -3e-9)
    betas: tuple[float, ...] = (0.0, 0.0, -2.5e-4)
    gradient_norm_beta: float = -2.5e-4
    diffusion_alpha: float = -2.5e-5
    hyp_diffusion_alpha: float = -3e-9
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-6.5, 6.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        self.alphas = (0.0, 0.0, self.diffusion_alpha, 0.0, self.hyp_diffusion_alpha)
        self.betas = (0.0, 0.0, self.gradient_norm_beta)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_ks"


class NormFisherKPP(NormNonlinear):
    alphas: tuple[float, ...] = (0.02, 0.0, 4e-6, 0.0, 0.0)
    betas: tuple[float, ...] = (-0.02, 0.0, 0.0)
    ic_config: str = "clamp;0.0;1.0;fourier;5;false;false"
    quadratic_beta: float = -0.02
    drag_alpha: float = 0.02
    diffusion_alpha: float = 4e-6

    def __post_init__(self):
        self.alphas = (self.drag_alpha, 0.0, self.diffusion_alpha, 0.0, 0.0)
        self.betas = (self.quadratic_beta, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_norm_fisher"


# ===================================================================================
# physical interface
# ===================================================================================


class _PhyLinear(_ScaledStep):
    domain_extent: float = 1.0
    dt: float = 0.1
    a_coefs: tuple[float, ...] = (0.0, -0.25, 0.0, 0.0, 0.0)
    coarse_proportion: float = 0.5

    def _stepper(self, dt, /):
        return GeneralLinearStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            linear_coefficients=self.a_coefs,
            num_channels=self.num_channels,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_lin_{_active(self.a_coefs)}"


class PhyLinear(_PhyLinear):
    pass


class PhyLinearSimple(_PhyLinear):
    a_coefs: tuple[float, ...] = (0.0, -0.25)
    linear_coef: float = -0.25
    linear_term_order: int = 1

    def __post_init__(self):
        self.a_coefs = (0.0,) * self.linear_term_order + (self.linear_coef,)


def _phy_linear(name, fields: dict, build, dt=0.1, a_default=None):
    def post_init(self):
        self.a_coefs = build(self)

    def scen_name(self):
        return f"{self.num_spatial_dims}d_phy_{name}"

    ann: dict[str, object] = {k: float for k in fields}
    ns = {**fields, "dt": dt}
    ann["dt"] = float
    if a_default is not None:
        ns["a_coefs"] = a_default
        ann["a_coefs"] = tuple[float, ...]
    ns["__annotations__"] = ann
    ns["__post_init__"] = post_init
    ns["get_scenario_name"] = scen_name
    ns["__module__"] = __name__
    ns["__qualname__"] = "Phy" + name.title().replace("_", "")
    return type(ns["__qualname__"], (_PhyLinear,), ns)


PhyAdvection = _phy_linear(
    "adv", {"advection_coef": -0.25}, lambda s: (0.0, s.advection_coef, 0.0, 0.0, 0.0)
)
PhyDiffusion = _phy_linear(
    "diff",
    {"diffusion_coef": 0.008},
    lambda s: (0.0, 0.0, s.diffusion_coef, 0.0, 0.0),
    a_default=(0.0, 0.0, 0.008, 0.0, 0.0),
)
PhyAdvectionDiffusion = _phy_linear(
    "adv_diff",
    {"advection_coef": -0.25, "diffusion_coef": 0.008},
    lambda s: (0.0, s.advection_coef, s.diffusion_coef, 0.0, 0.0),
    a_default=(0.0, -0.25, 0.008, 0.0, 0.0),
)
PhyDispersion = _phy_linear(
    "disp",
    {"dipersion_coef": 2.5e-4},
    lambda s: (0.0, 0.0, 0.0, s.dipersion_coef, 0.0),
    dt=0.001,
    a_default=(0.0, 0.0, 0.0, 2.5e-4, 0.0),
)
PhyHyperDiffusion = _phy_linear(
    "hyp_diff",
    {"hyper_diffusion_coef": -7.5e-5},
    lambda s: (0.0, 0.0, 0.0, 0.0, s.hyper_diffusion_coef),
    dt=1e-5,
    a_default=(0.0, 0.0, 0.0, 0.0, -7.5e-5),
)
PhyFirstFour = _phy_linear(
    "four",
    {
        "advection_coef": -2500.0,
        "diffusion_coef": 80.0,
        "dispersion_coef": 0.025,
        "hyp_diffusion_coef": -7.5e-5,
    },
    lambda s: (
        0.0,
        s.advection_coef,
        s.diffusion_coef,
        s.dispersion_coef,
        s.hyp_diffusion_coef,
    ),
    dt=1e-5,
    a_default=(0.0, -2500.0, 80.0, 0.025, -7.5e-5),
)


class _PhyNonlinearOptions(_ScaledStep, _NonlinearOptions):
    domain_extent: float = 1.0
    dt: float = 0.1


class PhyConvection(_PhyNonlinearOptions):
    a_coefs: tuple[float, ...] = (0.0, 0.0, 3e-4, 0.0, 0.0)
    convection_coef: float = -0.125
    conservative: bool = True

    def __post_init__(self):
        self.num_channels = self.num_spatial_dims

    def _stepper(self, dt, /):
        return GeneralConvectionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            linear_coefficients=self.a_coefs,
            convection_scale=-self.convection_coef,
            conservative=self.conservative,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_conv_{_active(self.a_coefs)}"


class PhyBurgers(PhyConvection):
    """Physical Burgers; its name is `{D}d_phy_burgers` (APEBench returns `None`)."""

    diffusion_coef: float = 3e-4

    def __post_init__(self):
        super().__post_init__()
        self.a_coefs = (0.0, 0.0, self.diffusion_coef, 0.0, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_burgers"


class PhyKuramotoSivashinskyConservative(PhyConvection):
    domain_extent: float = 60.0
    a_coefs: tuple[float, ...] = (0.0, 0.0, -1.44, 0.0, -0.4)
    convection_coef: float = -3.6
    diffusion_coef: float = -1.44
    hyp_diffusion_coef: float = -0.4
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-2.5, 2.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        super().__post_init__()
        self.a_coefs = (0.0, 0.0, self.diffusion_coef, 0.0, self.hyp_diffusion_coef)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_ks_conservative"


class PhyNonlinear(_PhyNonlinearOptions):
    a_coefs: tuple[float, ...] = (0.0, 0.0, 3e-4, 0.0, 0.0)
    b_coefs: tuple[float, ...] = (0.0, -0.125, 0.0)

    def _stepper(self, dt, /):
        return GeneralNonlinearStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            linear_coefficients=self.a_coefs,
            nonlinear_coefficients=self.b_coefs,
            num_channels=self.num_channels,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_nonlin"


class PhyBurgersSingleChannel(PhyNonlinear):
    convection_sc_coef: float = -0.125
    diffusion_coef: float = 3e-4

    def __post_init__(self):
        self.a_coefs = (0.0, 0.0, self.diffusion_coef, 0.0, 0.0)
        self.b_coefs = (0.0, self.convection_sc_coef, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_burgers_sc"


class PhyKortewegDeVries(PhyNonlinear):
    domain_extent: float = 50.0
    a_coefs: tuple[float, ...] = (0.0, 0.0, 0.0, -1.0, -0.125)
    b_coefs: tuple[float, ...] = (0.0, -6.0, 0.0)
    convection_sc_coef: float = -6.0
    dispersion_coef: float = -1.0
    hyp_diffusion_coef: float = -0.125

    def __post_init__(self):
        self.a_coefs = (0.0, 0.0, 0.0, self.dispersion_coef, self.hyp_diffusion_coef)
        self.b_coefs = (0.0, self.convection_sc_coef, 0.0)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_kdv"


class PhyKuramotoSivashinsky(PhyNonlinear):
    domain_extent: float = 60.0
    a_coefs: tuple[float, ...] = (0.0, 0.0, -1.0, 0.0, -1.0)
    b_coefs: tuple[float, ...] = (0.0, 0.0, -1.0)
    gradient_norm_coef: float = -1.0
    diffusion_coef: float = -1.0
    hyp_diffusion_coef: float = -1.0
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-6.5, 6.5)
    report_metrics: str = "mean_nRMSE,mean_correlation"

    def __post_init__(self):
        self.a_coefs = (0.0, 0.0, self.diffusion_coef, 0.0, self.hyp_diffusion_coef)
        self.b_coefs = (0.0, 0.0, self.gradient_norm_coef)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_ks"


class PhyPolynomial(_PhyNonlinearOptions):
    dt: float = 0.001
    a_coefs: tuple[float, ...] = (0.02, 0.0, 4e-6, 0.0, 0.0)
    poly_coefs: tuple[float, ...] = (0.0, 0.0, -0.02)

    def _stepper(self, dt, /):
        return GeneralPolynomialStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            linear_coefficients=self.a_coefs,
            polynomial_coefficients=self.poly_coefs,
            num_channels=self.num_channels,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_poly"


class PhyFisherKPP(PhyPolynomial):
    a_coefs: tuple[float, ...] = (20.0, 0.0, 4e-3, 0.0, 0.0)
    poly_coefs: tuple[float, ...] = (0.0, 0.0, -20.0)
    ic_config: str = "clamp;0.0;1.0;fourier;5;false;false"
    drag_coef: float = 20.0
    diffusion_coef: float = 4e-3
    quadratic_coef: float = -20.0

    def __post_init__(self):
        self.a_coefs = (self.drag_coef, 0.0, self.diffusion_coef, 0.0, 0.0)
        self.poly_coefs = (0.0, 0.0, self.quadratic_coef)

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_fisher"


class _PhySpecial(_ScaledStep):
    num_spatial_dims: int = 2
    domain_extent: float = 1.0
    dt: float = 0.1
    coarse_proportion: float = 0.5

    def __post_init__(self):
        if self.num_spatial_dims == 1:
            raise ValueError(
                f"{type(self).__name__} is only defined in 2-D and 3-D, got "
                "num_spatial_dims=1; pass num_spatial_dims=2 or 3"
            )


def _check_one_per_dim(scenario, field: str) -> None:
    """Raise unless `scenario.<field>` has one entry per spatial dimension."""
    n = len(getattr(scenario, field))
    if n != scenario.num_spatial_dims:
        raise ValueError(
            f"{field} has {n} entries; expected one per spatial dimension "
            f"({scenario.num_spatial_dims})"
        )


class UnbalancedAdvection(_PhySpecial):
    num_spatial_dims: int = 3
    advection_coef_vector: tuple[float, ...] = (0.01, -0.04, 0.005)

    def __post_init__(self):
        super().__post_init__()
        _check_one_per_dim(self, "advection_coef_vector")

    def _stepper(self, dt, /):
        return _AdvectionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            velocity=self.advection_coef_vector,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_unbal_adv"


class DiagonalDiffusion(_PhySpecial):
    diffusion_coef_vector: tuple[float, ...] = (0.001, 0.002)

    def __post_init__(self):
        super().__post_init__()
        _check_one_per_dim(self, "diffusion_coef_vector")

    def _stepper(self, dt, /):
        return _DiffusionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            diffusivity=self.diffusion_coef_vector,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_diag_diff"


class AnisotropicDiffusion(_PhySpecial):
    diffusion_coef_matrix: tuple[tuple[float, ...], ...] = (
        (0.001, 0.0005),
        (0.0005, 0.002),
    )

    def _stepper(self, dt, /):
        return _DiffusionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            diffusivity=self.diffusion_coef_matrix,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_aniso_diff"


class SpatiallyMixedDispersion(_PhySpecial):
    dt: float = 0.001
    dispersion_coef: float = 2.5e-4

    def _stepper(self, dt, /):
        return _DispersionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            dispersivity=self.dispersion_coef,
            advect_on_diffusion=True,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_mix_disp"


class SpatiallyMixedHyperDiffusion(_PhySpecial):
    dt: float = 1e-5
    hyp_diffusion_coef: float = -7.5e-5

    def _stepper(self, dt, /):
        return _HyperDiffusionStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            hyper_diffusivity=-self.hyp_diffusion_coef,
            diffuse_on_diffuse=True,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_mix_hyp"


class DecayingTurbulence(_PhyNonlinearOptions):
    """2-D decaying turbulence (Navier-Stokes in vorticity form)."""

    num_spatial_dims: int = 2
    diffusivity: float = 1e-4

    def __post_init__(self):
        if self.num_spatial_dims != 2:
            raise ValueError(
                f"{type(self).__name__} is only defined in 2-D, got "
                f"num_spatial_dims={self.num_spatial_dims}"
            )

    def _stepper(self, dt, /):
        return NavierStokesVorticity(
            2,
            self.domain_extent,
            self.num_points,
            dt,
            diffusivity=self.diffusivity,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_decay_turb"


class KolmogorovFlow(DecayingTurbulence):
    """2-D Kolmogorov flow (forced, damped Navier-Stokes in vorticity form)."""

    domain_extent: float = 2 * math.pi
    diffusivity: float = 1e-2
    injection_mode: int = 4
    injection_scale: float = 1.0
    drag: float = -0.1
    num_substeps: int = 20
    num_warmup_steps: int = 500
    vlim: tuple[float, float] = (-10.0, 10.0)

    def _stepper(self, dt, /):
        return NavierStokesVorticity(
            2,
            self.domain_extent,
            self.num_points,
            dt,
            diffusivity=self.diffusivity,
            drag=self.drag,
            injection_mode=self.injection_mode,
            injection_scale=self.injection_scale,
            **_nonlin_kwargs(self),
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_kolm_flow"


_GS_PATTERNS = {
    "alpha": (0.008, 0.046),
    "beta": (0.020, 0.046),
    "gamma": (0.024, 0.056),
    "delta": (0.028, 0.056),
    "epsilon": (0.02, 0.056),
    "zeta": (0.024, 0.06),
    "eta": (0.036, 0.063),
    "theta": (0.04, 0.06),
    "iota": (0.05, 0.0605),
    "kappa": (0.052, 0.063),
    "lambda": (0.036, 0.0655),
    "mu": (0.044, 0.066),
}


class GrayScott(_ScaledStep):
    """Gray-Scott reaction-diffusion (2 channels), Gaussian-blob initial states."""

    num_spatial_dims: int = 2
    num_channels: int = 2
    ic_config: str = "gray_scott_blobs"
    domain_extent: float = 1.0
    dt: float = 10.0
    num_substeps: int = 10
    feed_rate: float = 0.04
    kill_rate: float = 0.06
    diffusivity_1: float = 2e-5
    diffusivity_2: float = 1e-5
    coarse_proportion: float = 0.5

    def __post_init__(self):
        if self.num_spatial_dims not in (2, 3):
            raise ValueError(
                "Gray-Scott is only defined in 2-D and 3-D, got "
                f"num_spatial_dims={self.num_spatial_dims}"
            )
        if self.num_channels != 2:
            raise ValueError(
                f"Gray-Scott needs num_channels=2 (u, v), got {self.num_channels}"
            )

    def _rates(self):
        return self.feed_rate, self.kill_rate

    def get_ic_generator(self) -> AbstractICGenerator:
        d = self.num_spatial_dims
        return RandomMultiChannelICGenerator(  # pyright: ignore[reportCallIssue]
            (
                RandomGaussianBlobs(d, one_complement=True),
                RandomGaussianBlobs(d),
            )
        )

    def _stepper(self, dt, /):
        f, k = self._rates()
        return _GrayScottStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            diffusivity_1=self.diffusivity_1,
            diffusivity_2=self.diffusivity_2,
            feed_rate=f,
            kill_rate=k,
            num_substeps=self.num_substeps,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_gs"


class GrayScottType(GrayScott):
    """Gray-Scott with (feed, kill) rates from Pearson's pattern table."""

    domain_extent: float = 2.5
    dt: float = 20.0
    num_substeps: int = 20
    pattern_type: Literal[
        "alpha",
        "beta",
        "gamma",
        "delta",
        "epsilon",
        "zeta",
        "eta",
        "theta",
        "iota",
        "kappa",
        "lambda",
        "mu",
    ] = "theta"

    def __post_init__(self):
        super().__post_init__()
        if self.pattern_type not in _GS_PATTERNS:
            raise ValueError(
                f"unknown Gray-Scott pattern_type {self.pattern_type!r}; expected one "
                f"of {', '.join(_GS_PATTERNS)}"
            )

    def _rates(self):
        return _GS_PATTERNS[self.pattern_type]

    def get_feed_and_kill_rate(self, pattern_type: str):
        return _GS_PATTERNS[pattern_type]

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_gs_{self.pattern_type}"


class SwiftHohenberg(_ScaledStep):
    """Swift-Hohenberg pattern formation (2-D and 3-D)."""

    num_spatial_dims: int = 2
    domain_extent: float = 10 * math.pi
    dt: float = 0.1
    num_substeps: int = 5
    reactivity: float = 0.7
    critical_number: float = 1.0
    polynomial_coefficients: tuple[float, ...] = (0.0, 0.0, 1.0, -1.0)
    coarse_proportion: float = 0.5

    def __post_init__(self):
        if self.num_spatial_dims not in (2, 3):
            raise ValueError(
                "Swift-Hohenberg is only defined in 2-D and 3-D, got "
                f"num_spatial_dims={self.num_spatial_dims}"
            )

    def _stepper(self, dt, /):
        return _SwiftHohenbergStepper(
            self.num_spatial_dims,
            self.domain_extent,
            self.num_points,
            dt,
            reactivity=self.reactivity,
            critical_number=self.critical_number,
            polynomial_coefficients=self.polynomial_coefficients,
            num_substeps=self.num_substeps,
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_sh"


class Poisson(BaseScenario):
    """Map a right-hand side `f` to the zero-mean solution of `(-Lap)^(order/2) u = f`."""

    domain_extent: float = 10.0
    order: int = 2
    train_temporal_horizon: int = 1
    test_temporal_horizon: int = 1

    def get_ref_stepper(self):
        return _PoissonSolver(
            self.num_spatial_dims, self.domain_extent, self.num_points, self.order
        )

    def get_coarse_stepper(self):
        raise NotImplementedError(
            "phy_poisson has no coarse stepper, so 'correct;*' tasks and the "
            "*_coarse data are unavailable; use task_config='predict'"
        )

    def get_scenario_name(self) -> str:
        return f"{self.num_spatial_dims}d_phy_poisson_order{self.order}"


difficulty_scenarios = {
    "diff_lin": Linear,
    "diff_lin_simple": LinearSimple,
    "diff_adv": Advection,
    "diff_diff": Diffusion,
    "diff_adv_diff": AdvectionDiffusion,
    "diff_disp": Dispersion,
    "diff_hyp_diff": HyperDiffusion,
    "diff_four": FirstFour,
    "diff_conv": Convection,
    "diff_burgers": Burgers,
    "diff_ks_cons": KuramotoSivashinskyConservative,
    "diff_nonlin": Nonlinear,
    "diff_burgers_sc": BurgersSingleChannel,
    "diff_kdv": KortewegDeVries,
    "diff_ks": KuramotoSivashinsky,
    "diff_fisher": FisherKPP,
}

normalized_scenarios = {
    "norm_lin": NormLinear,
    "norm_adv": NormAdvection,
    "norm_diff": NormDiffusion,
    "norm_adv_diff": NormAdvectionDiffusion,
    "norm_disp": NormDispersion,
    "norm_fisher": NormFisherKPP,
    "norm_four": NormFirstFour,
    "norm_hypdiff": NormHyperDiffusion,
    "norm_nonlin": NormNonlinear,
    "norm_conv": NormConvection,
    "norm_burgers": NormBurgers,
    "norm_kdv": NormKortewegDeVries,
    "norm_ks_cons": NormKuramotoSivashinskyConservative,
    "norm_ks": NormKuramotoSivashinsky,
    "norm_burgers_sc": NormBurgersSingleChannel,
    "norm_lin_simple": NormLinearSimple,
}

physical_scenarios = {
    "phy_poisson": Poisson,
    "phy_sh": SwiftHohenberg,
    "phy_gs": GrayScott,
    "phy_gs_type": GrayScottType,
    "phy_decay_turb": DecayingTurbulence,
    "phy_kolm_flow": KolmogorovFlow,
    "phy_lin": PhyLinear,
    "phy_lin_simple": PhyLinearSimple,
    "phy_adv": PhyAdvection,
    "phy_diff": PhyDiffusion,
    "phy_adv_diff": PhyAdvectionDiffusion,
    "phy_disp": PhyDispersion,
    "phy_hyp_diff": PhyHyperDiffusion,
    "phy_four": PhyFirstFour,
    "phy_nonlin": PhyNonlinear,
    "phy_burgers_sc": PhyBurgersSingleChannel,
    "phy_kdv": PhyKortewegDeVries,
    "phy_ks": PhyKuramotoSivashinsky,
    "phy_conv": PhyConvection,
    "phy_burgers": PhyBurgers,
    "phy_ks_cons": PhyKuramotoSivashinskyConservative,
    "phy_poly": PhyPolynomial,
    "phy_fisher": PhyFisherKPP,
    "phy_unbal_adv": UnbalancedAdvection,
    "phy_diag_diff": DiagonalDiffusion,
    "phy_aniso_diff": AnisotropicDiffusion,
    "phy_mix_disp": SpatiallyMixedDispersion,
    "phy_mix_hyp": SpatiallyMixedHyperDiffusion,
}


class _ScenarioDict(dict):
    def __missing__(self, key):
        import difflib

        close = difflib.get_close_matches(str(key), list(self), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise KeyError(
            f"unknown scenario {key!r}.{hint} Expected one of the {len(self)} keys of "
            "apebench_lite.scenario_dict: diff_* (difficulty), norm_* (normalized) "
            "or phy_* (physical), e.g. 'diff_adv'."
        )


scenario_dict = _ScenarioDict(
    **normalized_scenarios, **physical_scenarios, **difficulty_scenarios
)

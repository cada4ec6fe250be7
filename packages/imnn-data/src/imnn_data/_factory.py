"""The `IMNN(...)` factory: picks the IMNN class from the arguments given."""

from typing import Any

import numpy as np

from ._gradient import GradientIMNN
from ._gradient_family import AggregatedGradientIMNN, DatasetGradientIMNN
from ._numerical import NumericalGradientIMNN
from ._numerical_family import (
    AggregatedNumericalGradientIMNN,
    DatasetNumericalGradientIMNN,
)
from ._simulator import SimulatorIMNN
from ._simulator_family import AggregatedSimulatorIMNN


def IMNN(
    n_s: int,
    n_d: int,
    n_params: int,
    n_summaries: int,
    input_shape: tuple[int, ...],
    θ_fid: Any,
    model: Any,
    optimiser: Any,
    key_or_state: Any,
    simulator: Any = None,
    fiducial: Any = None,
    derivative: Any = None,
    main: Any = None,
    remaining: Any = None,
    δθ: Any = None,
    validation_fiducial: Any = None,
    validation_derivative: Any = None,
    validation_main: Any = None,
    validation_remaining: Any = None,
    host: Any = None,
    devices: Any = None,
    n_per_device: Any = None,
    cache: Any = None,
    prefetch: Any = None,
    verbose: bool = True,
):
    """Build the IMNN class that matches the arguments given.

    - `simulator` → [`imnn_data.SimulatorIMNN`][] (with `host`, `devices`,
        `n_per_device`: [`imnn_data.AggregatedSimulatorIMNN`][]);
    - `fiducial` and `derivative` arrays → [`imnn_data.GradientIMNN`][], or
        [`imnn_data.NumericalGradientIMNN`][] when `δθ` is given (aggregated
        versions with `host`, `devices`, `n_per_device`);
    - `main` and `remaining` iterator lists → [`imnn_data.DatasetGradientIMNN`][];
    - `fiducial` and `derivative` iterator lists with `δθ` →
        [`imnn_data.DatasetNumericalGradientIMNN`][].

    **Arguments:** those of the classes; `verbose` prints the class chosen.

    **Returns:**

    The IMNN instance.
    """
    cls: Any
    args: tuple[Any, ...]
    common = (
        n_s,
        n_d,
        n_params,
        n_summaries,
        input_shape,
        θ_fid,
        model,
        optimiser,
        key_or_state,
    )
    aggregation = (host, devices, n_per_device)
    aggregated = any(a is not None for a in aggregation)
    if aggregated and not all(a is not None for a in aggregation):
        given = [
            n
            for n, a in zip(
                ("host", "devices", "n_per_device"), aggregation, strict=True
            )
            if a is not None
        ]
        missing = [
            n
            for n, a in zip(
                ("host", "devices", "n_per_device"), aggregation, strict=True
            )
            if a is None
        ]
        raise ValueError(
            f"{', '.join(f'`{g}`' for g in given)} given but {', '.join(f'`{m}`' for m in missing)} "
            "missing: aggregation needs all three of `host`, `devices` and "
            "`n_per_device`"
        )
    sources = [
        name
        for name, value in (
            ("simulator", simulator),
            ("fiducial", fiducial),
            ("main", main),
        )
        if value is not None
    ]
    if len(sources) != 1:
        raise ValueError(
            "`simulator`, or `fiducial` and `derivative`, or `main` and `remaining` "
            "are necessary (exactly one of them); got "
            + (", ".join(f"`{s}`" for s in sources) or "none")
        )
    if (validation_fiducial is None) != (validation_derivative is None):
        raise ValueError(
            "pass both `validation_fiducial` and `validation_derivative`, or neither"
        )
    if (validation_main is None) != (validation_remaining is None):
        raise ValueError(
            "pass both `validation_main` and `validation_remaining`, or neither"
        )
    extra: dict[str, Any] = {}
    if cache is not None:
        extra["cache"] = cache
    if prefetch is not None:
        extra["prefetch"] = prefetch
    if simulator is not None:
        if aggregated:
            cls, args = AggregatedSimulatorIMNN, (simulator, *aggregation)
        else:
            cls, args = SimulatorIMNN, (simulator,)
        kwargs: dict[str, Any] = {}
    elif main is not None:
        if remaining is None:
            raise ValueError("`main` given without `remaining`; pass both")
        if not aggregated:
            raise ValueError(
                "`main` and `remaining` datasets need `host`, `devices` and "
                "`n_per_device`"
            )
        cls, args = DatasetGradientIMNN, (main, remaining, *aggregation)
        kwargs = {
            "validation_main": validation_main,
            "validation_remaining": validation_remaining,
        }
    else:
        if derivative is None:
            raise ValueError("`fiducial` given without `derivative`; pass both")
        datasets = isinstance(fiducial, list)
        numerical = δθ is not None
        if not datasets and not numerical:
            expected = (n_d, *input_shape, n_params)
            shape = tuple(np.shape(derivative))
            if len(shape) == len(input_shape) + 3 and shape[1] == 2:
                raise ValueError(
                    f"`derivative.shape` must be {expected} when not doing numerical "
                    f"gradients, but is {shape}. If numerical gradients are "
                    "intended, perhaps `δθ` has not been provided."
                )
        kwargs = {
            "validation_fiducial": validation_fiducial,
            "validation_derivative": validation_derivative,
        }
        if datasets:
            if not numerical:
                raise ValueError(
                    "lists of `fiducial` and `derivative` datasets are for numerical "
                    "derivatives and need `δθ`; for exact derivatives pass `main` "
                    "and `remaining`"
                )
            if not aggregated:
                raise ValueError(
                    "dataset lists need `host`, `devices` and `n_per_device`"
                )
            cls = DatasetNumericalGradientIMNN
            args = (fiducial, derivative, δθ, *aggregation)
        elif numerical:
            if aggregated:
                cls = AggregatedNumericalGradientIMNN
                args = (fiducial, derivative, δθ, *aggregation)
                kwargs |= extra
            else:
                cls, args = NumericalGradientIMNN, (fiducial, derivative, δθ)
        elif aggregated:
            cls = AggregatedGradientIMNN
            args = (fiducial, derivative, *aggregation)
            kwargs |= extra
        else:
            cls, args = GradientIMNN, (fiducial, derivative)
    if verbose:
        print(f"`IMNN`: using {cls.__name__}")
    return cls(*common, *args, **kwargs)

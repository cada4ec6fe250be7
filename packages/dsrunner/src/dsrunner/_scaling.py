"""Membrane-potential scaling (`dsrunner.math.Scaling`, as `brainpy.math.Scaling`)."""

from collections.abc import Sequence
from typing import Any


class Scaling:
    """An affine map of membrane potentials: `scaled = (V + bias) / scale`.

    Models given a `scaling` store their potential parameters and state in the
    scaled units (so thresholds near 1 suit low-precision dtypes).

    **Arguments:**

    - `scale`: the divisor.
    - `bias`: the offset added before dividing.
    """

    def __init__(self, scale: float, bias: float):
        if scale == 0:
            raise ValueError("expected a non-zero scale, got 0")
        self.scale = scale
        self.bias = bias

    @classmethod
    def transform(
        cls,
        V_range: Sequence[float],
        scaled_V_range: Sequence[float] = (0.0, 1.0),
    ) -> "Scaling":
        """The scaling that maps `V_range = [V_min, V_max]` onto `scaled_V_range`."""
        V_min, V_max = V_range
        s_min, s_max = scaled_V_range
        scale = (V_max - V_min) / (s_max - s_min)
        return cls(scale=scale, bias=s_min * scale - V_min)

    def offset_scaling(self, x: Any, bias: Any = None, scale: Any = None) -> Any:
        """`(x + bias) / scale`: a potential in scaled units."""
        bias = self.bias if bias is None else bias
        scale = self.scale if scale is None else scale
        return (x + bias) / scale

    def std_scaling(self, x: Any, scale: Any = None) -> Any:
        """`x / scale`: a potential difference in scaled units."""
        return x / (self.scale if scale is None else scale)

    def inv_scaling(self, x: Any, scale: Any = None) -> Any:
        """`x * scale`: back from scaled units (for differences)."""
        return x * (self.scale if scale is None else scale)

    def clone(self, bias: Any = None, scale: Any = None) -> "Scaling":
        """A copy with `bias` and/or `scale` replaced."""
        return Scaling(
            scale=self.scale if scale is None else scale,
            bias=self.bias if bias is None else bias,
        )

    def __repr__(self) -> str:
        return f"Scaling(scale={self.scale!r}, bias={self.bias!r})"


class IdScaling(Scaling):
    """The identity scaling (`scale=1`, `bias=0`), the default."""

    def __init__(self):
        super().__init__(scale=1.0, bias=0.0)

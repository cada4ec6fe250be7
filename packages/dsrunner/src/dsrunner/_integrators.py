"""`odeint`: explicit Runge-Kutta and exponential Euler integrators, and `JointEq`."""

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array

from ._environ import share
from ._errors import DiffEqError

# Butcher tableaux (A lower-triangular rows, B weights, C nodes).
_TABLEAUX: dict[str, tuple[list[list[float]], list[float], list[float]]] = {
    "euler": ([[]], [1.0], [0.0]),
    "midpoint": ([[], [0.5]], [0.0, 1.0], [0.0, 0.5]),
    "heun2": ([[], [1.0]], [0.5, 0.5], [0.0, 1.0]),
    "ralston2": ([[], [2 / 3]], [0.25, 0.75], [0.0, 2 / 3]),
    "rk2": ([[], [2 / 3]], [0.25, 0.75], [0.0, 2 / 3]),
    "rk3": ([[], [0.5], [-1.0, 2.0]], [1 / 6, 2 / 3, 1 / 6], [0.0, 0.5, 1.0]),
    "heun3": ([[], [1 / 3], [0.0, 2 / 3]], [0.25, 0.0, 0.75], [0.0, 1 / 3, 2 / 3]),
    "ralston3": ([[], [0.5], [0.0, 0.75]], [2 / 9, 1 / 3, 4 / 9], [0.0, 0.5, 0.75]),
    "ssprk3": ([[], [1.0], [0.25, 0.25]], [1 / 6, 1 / 6, 2 / 3], [0.0, 1.0, 0.5]),
    "rk4": (
        [[], [0.5], [0.0, 0.5], [0.0, 0.0, 1.0]],
        [1 / 6, 1 / 3, 1 / 3, 1 / 6],
        [0.0, 0.5, 0.5, 1.0],
    ),
    "ralston4": (
        [
            [],
            [0.4],
            [0.29697761, 0.15875964],
            [0.21810040, -3.05096516, 3.83286476],
        ],
        [0.17476028, -0.55148066, 1.20553560, 0.17118478],
        [0.0, 0.4, 0.45573725, 1.0],
    ),
    "rk4_38rule": (
        [[], [1 / 3], [-1 / 3, 1.0], [1.0, -1.0, 1.0]],
        [0.125, 0.375, 0.375, 0.125],
        [0.0, 1 / 3, 2 / 3, 1.0],
    ),
}
_EXP_NAMES = ("exp_euler", "exponential_euler", "exp_euler_auto", "exp_auto")
_DEFAULT_METHOD = ["euler"]


def get_supported_methods() -> list[str]:
    """The names accepted by `odeint(method=...)`."""
    return [*_TABLEAUX, *_EXP_NAMES]


def set_default_odeint(method: str) -> None:
    """Set the method `odeint` uses when none is given."""
    _check_method(method)
    _DEFAULT_METHOD[0] = method


def get_default_odeint() -> str:
    """The method `odeint` uses when none is given."""
    return _DEFAULT_METHOD[0]


def _check_method(method: str) -> None:
    if method not in _TABLEAUX and method not in _EXP_NAMES:
        raise DiffEqError(
            f"unknown ODE method {method!r}; expected one of {get_supported_methods()}"
        )


def exprel(x: Array) -> Array:
    """`(exp(x) - 1) / x`, accurate near 0 (a Taylor series there).

    **Arguments:**

    - `x`: a float array.

    **Returns:**

    An array of the same shape; 1 at `x == 0`.
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    thr = 1e-8 if x.dtype == jnp.float64 else 1e-3
    small = jnp.abs(x) < thr
    safe = jnp.where(small, 1.0, x)
    series = 1.0 + x / 2.0 + x * x / 6.0 + x * x * x / 24.0
    return jnp.where(small, series, jnp.expm1(safe) / safe)


def _split_signature(f: Callable[..., Any]) -> tuple[list[str], list[str]]:
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError) as e:
        raise DiffEqError(f"cannot read the signature of {f!r}: {e}") from None
    names = []
    for p in sig.parameters.values():
        if p.kind not in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY):
            raise DiffEqError(
                f"derivative {getattr(f, '__name__', f)!r} has the argument "
                f"{p.name!r} of kind {p.kind.description}; expected only plain "
                "positional arguments f(x1, ..., t, p1, ...)"
            )
        names.append(p.name)
    if "t" not in names:
        raise DiffEqError(
            f"derivative {getattr(f, '__name__', f)!r} has arguments {names}; "
            "expected a time argument named 't' after the state variables, as in "
            "f(V, t, I)"
        )
    k = names.index("t")
    if k == 0:
        raise DiffEqError(
            f"derivative {getattr(f, '__name__', f)!r} has no state variable before "
            "'t'; expected f(x1, ..., t, p1, ...)"
        )
    return names[:k], names[k + 1 :]


class JointEq:
    """Integrate several derivative functions as one coupled system.

    Each function `f_k(x_k, t, ...)` gives the derivative of its own variables
    (those before `t`); arguments after `t` may be other equations' variables or
    parameters. The joint system has the signature
    `(all variables..., t, remaining parameters...)`.

    **Arguments:**

    - `*eqs`: derivative functions (or `JointEq`s, which are flattened).
    """

    def __init__(self, *eqs: Any):
        if len(eqs) == 1 and isinstance(eqs[0], (list, tuple)):
            eqs = tuple(eqs[0])
        if not eqs:
            raise DiffEqError("JointEq needs at least one derivative function")
        flat: list[Callable[..., Any]] = []
        for e in eqs:
            flat.extend(e.eqs if isinstance(e, JointEq) else [e])
        self.eqs = flat
        self.eq_vars: list[list[str]] = []
        self.eq_args: list[list[str]] = []
        variables: list[str] = []
        for e in flat:
            vs, ps = _split_signature(e)
            for v in vs:
                if v in variables:
                    raise DiffEqError(
                        f"variable {v!r} is defined by two equations in JointEq; "
                        "expected each variable once"
                    )
            variables.extend(vs)
            self.eq_vars.append(vs)
            self.eq_args.append([*vs, "t", *ps])
        params: list[str] = []
        for args in self.eq_args:
            for a in args[args.index("t") + 1 :]:
                if a not in variables and a not in params:
                    params.append(a)
        self.variables = variables
        self.parameters = params
        self.arg_names = [*variables, "t", *params]

    def __call__(self, *args: Any) -> list[Any]:
        env = dict(zip(self.arg_names, args, strict=True))
        out: list[Any] = []
        for e, names, vs in zip(self.eqs, self.eq_args, self.eq_vars, strict=True):
            r = e(*[env[n] for n in names])
            out.extend(r if len(vs) > 1 else [r])
        return out


class ODEIntegrator:
    """A one-step integrator produced by `odeint`.

    Call it as `integral(x1, ..., t, p1, ..., dt=dt)`; it returns the new value of
    the single variable, or a list of new values. `dt` defaults to `share['dt']`.
    """

    def __init__(self, f: Callable[..., Any], method: str, dt: float | None = None):
        _check_method(method)
        self.f = f
        self.method = method
        self.dt = dt
        if isinstance(f, JointEq):
            self.variables, self.parameters = f.variables, f.parameters
        else:
            self.variables, self.parameters = _split_signature(f)
        self.arg_names = [*self.variables, "t", *self.parameters]

    def __repr__(self) -> str:
        return f"ODEIntegrator(method={self.method!r}, variables={self.variables})"

    def _bind(self, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        if len(args) > len(self.arg_names):
            raise DiffEqError(
                f"integral takes {len(self.arg_names)} arguments {self.arg_names}, "
                f"got {len(args)} positional"
            )
        env = dict(zip(self.arg_names, args, strict=False))
        for k, v in kwargs.items():
            if k not in self.arg_names:
                raise DiffEqError(
                    f"unexpected argument {k!r}; expected one of {self.arg_names}"
                )
            env[k] = v
        missing = [n for n in self.arg_names if n not in env]
        if missing == ["t"]:
            env["t"] = share.load("t", 0.0)
        elif missing:
            raise DiffEqError(
                f"integral is missing the arguments {missing}; expected "
                f"{self.arg_names}"
            )
        return env

    def _rhs(self, xs: Sequence[Any], t: Any, ps: Sequence[Any]) -> list[Any]:
        out = self.f(*xs, t, *ps)
        if len(self.variables) == 1:
            return [out[0] if isinstance(out, (list, tuple)) else out]
        if not isinstance(out, (list, tuple)) or len(out) != len(self.variables):
            raise DiffEqError(
                f"the derivative returned {type(out).__name__}; expected "
                f"{len(self.variables)} derivatives for {self.variables}"
            )
        return list(out)

    def __call__(self, *args: Any, dt: Any = None, **kwargs: Any) -> Any:
        env = self._bind(args, kwargs)
        if dt is None:
            dt = self.dt if self.dt is not None else share.load("dt")
        xs = [_as_float(env[v], v) for v in self.variables]
        t = env["t"]
        ps = [_unwrap(env[p]) for p in self.parameters]
        if self.method in _EXP_NAMES:
            new = self._exp_euler(xs, t, ps, dt)
        else:
            new = self._rk(xs, t, ps, dt)
        return new[0] if len(new) == 1 else new

    def _rk(self, xs: list[Any], t: Any, ps: list[Any], dt: Any) -> list[Any]:
        A, B, C = _TABLEAUX[self.method]
        ks: list[list[Any]] = []
        for i, (row, c) in enumerate(zip(A, C, strict=True)):
            if i == 0:
                stage = xs
            else:
                stage = [
                    x + dt * sum(a * k[j] for a, k in zip(row, ks, strict=False) if a)
                    if any(row)
                    else x
                    for j, x in enumerate(xs)
                ]
            ks.append(self._rhs(stage, t + c * dt if c else t, ps))
        return [
            x + dt * sum(b * k[j] for b, k in zip(B, ks, strict=True) if b)
            for j, x in enumerate(xs)
        ]

    def _exp_euler(self, xs: list[Any], t: Any, ps: list[Any], dt: Any) -> list[Any]:
        out = []
        if isinstance(self.f, JointEq):
            env = dict(zip(self.variables, xs, strict=True))
            env["t"] = t
            env.update(zip(self.parameters, ps, strict=True))
            for e, names, vs in zip(
                self.f.eqs, self.f.eq_args, self.f.eq_vars, strict=True
            ):
                nv = len(vs)
                for j, v in enumerate(vs):

                    def g_joint(x, e=e, names=names, v=v, j=j, nv=nv):
                        r = e(*[x if n == v else env[n] for n in names])
                        return r[j] if nv > 1 else r

                    out.append(_exp_step(g_joint, env[v], dt))
            return out
        for j in range(len(xs)):

            def g(x, j=j):
                args = [x if i == j else xi for i, xi in enumerate(xs)]
                return self._rhs(args, t, ps)[j]

            out.append(_exp_step(g, xs[j], dt))
        return out


def _exp_step(g: Callable[[Any], Any], x: Any, dt: Any) -> Any:
    fx, a = jax.jvp(g, (x,), (jnp.ones_like(x),))
    fx = jnp.broadcast_to(fx, jnp.shape(x))
    a = jnp.broadcast_to(a, jnp.shape(x))
    return x + dt * exprel(dt * a) * fx


def _unwrap(x: Any) -> Any:
    from ._variable import Variable

    return x.value if isinstance(x, Variable) else x


def _as_float(x: Any, name: str) -> Any:
    x = jnp.asarray(_unwrap(x))
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise DiffEqError(
            f"state variable {name!r} has dtype {x.dtype}; expected a float array "
            "(integrators need floating-point state)"
        )
    return x


def odeint(
    f: Callable[..., Any] | None = None,
    method: str | None = None,
    var_type: str | None = None,
    dt: float | None = None,
    name: str | None = None,
    show_code: bool = False,
    **kwargs: Any,
) -> Any:
    """Make a one-step integrator for an ODE, usable as a decorator.

    **Arguments:**

    - `f`: the derivative `f(x1, ..., t, p1, ...)` (variables before `t`, parameters
        after) returning one derivative per variable, or a `JointEq`.
    - `method`: `'euler'` (default), `'midpoint'`, `'heun2'`, `'ralston2'`, `'rk2'`,
        `'rk3'`, `'heun3'`, `'ralston3'`, `'ssprk3'`, `'rk4'`, `'ralston4'`,
        `'rk4_38rule'`, or exponential Euler `'exp_euler'`/`'exp_auto'` (exact for
        linear equations; each variable is linearised on its own).
    - `var_type`, `name`, `show_code`: accepted for compatibility; ignored.
    - `dt`: a fixed step; default: `share['dt']` at call time.

    **Returns:**

    An `ODEIntegrator`, called as `integral(x1, ..., t, p1, ..., dt=dt)`; or, with
    `f=None`, a decorator producing one.
    """
    m = method or _DEFAULT_METHOD[0]
    _check_method(m)
    if f is None:
        return lambda g: ODEIntegrator(g, m, dt)
    if not callable(f):
        raise DiffEqError(f"expected a derivative function, got {f!r}")
    return ODEIntegrator(f, m, dt)


# -- stochastic differential equations ------------------------------------------

_SDE_EULER = ("euler",)
_SDE_MILSTEIN = ("milstein",)
_SDE_NAMES = (*_SDE_EULER, *_SDE_MILSTEIN, *_EXP_NAMES)
_DEFAULT_SDE_METHOD = ["euler"]
_SDE_COUNTER = [0]


def _diffusion_values(g: Any, xs: list[Any], t: Any, ps: list[Any], n: int) -> list:
    """The diffusion of each variable (`None`: no noise on it)."""
    out = g(*xs, t, *ps) if callable(g) else g
    if n == 1 and not isinstance(out, (list, tuple)):
        out = [out]
    if not isinstance(out, (list, tuple)) or len(out) != n:
        raise DiffEqError(
            f"the diffusion gave {type(out).__name__}; expected one value (or None) "
            f"per variable, {n} in all"
        )
    return list(out)


class SDEIntegrator:
    """A one-step Itô SDE integrator produced by `sdeint`.

    Call it as `integral(x1, ..., t, p1, ..., dt=dt, key=key)` or with the Wiener
    increments given, `dW=[dW1, ...]` (one array per variable, variance `dt`). It
    returns the new value of the single variable, or a list of new values.
    """

    def __init__(
        self, f: Callable[..., Any], g: Any, method: str, dt: float | None = None
    ):
        if method not in _SDE_NAMES:
            raise DiffEqError(
                f"unknown SDE method {method!r}; expected one of {list(_SDE_NAMES)}"
            )
        self.method = method
        self.f = f
        self.g = g
        self.dt = dt
        drift = "exp_auto" if method in _EXP_NAMES else "euler"
        self.drift = ODEIntegrator(f, drift, dt)
        self.variables = self.drift.variables
        self.parameters = self.drift.parameters
        self.arg_names = self.drift.arg_names
        # inside a runner the step key is fold_in(this key, share['i'])
        self.seed = _SDE_COUNTER[0]
        _SDE_COUNTER[0] += 1

    def __repr__(self) -> str:
        return f"SDEIntegrator(method={self.method!r}, variables={self.variables})"

    def _key(self) -> Any:
        i = share.load("i", None)
        if i is None:
            raise DiffEqError(
                "an SDE integral needs random numbers: pass key=jax.random.key(...) "
                "(or the increments dW=...), or call it inside a DSRunner step, "
                "where each step draws from fold_in(key, step index)"
            )
        return jax.random.fold_in(jax.random.PRNGKey(self.seed), i)

    def __call__(
        self, *args: Any, dt: Any = None, key: Any = None, dW: Any = None, **kwargs
    ) -> Any:
        env = self.drift._bind(args, kwargs)
        if dt is None:
            dt = self.dt if self.dt is not None else share.load("dt")
        xs = [_as_float(env[v], v) for v in self.variables]
        t = env["t"]
        ps = [_unwrap(env[p]) for p in self.parameters]
        n = len(xs)
        new = self.drift(*xs, t, *ps, dt=dt)
        new = [new] if n == 1 else list(new)
        gs = _diffusion_values(self.g, xs, t, ps, n)
        if dW is None:
            keys = jax.random.split(self._key() if key is None else key, n)
            dW = [
                jnp.sqrt(dt) * jax.random.normal(k, jnp.shape(x), x.dtype)
                for k, x in zip(keys, xs, strict=True)
            ]
        elif n == 1 and not isinstance(dW, (list, tuple)):
            dW = [dW]
        for j, gj in enumerate(gs):
            if gj is None:
                continue
            new[j] = new[j] + gj * dW[j]
            if self.method in _SDE_MILSTEIN:
                # 1/2 g dg/dx_j (dW^2 - dt): the Itô correction, diagonal noise
                def gj_of(x, j=j):
                    ys = [x if i == j else xi for i, xi in enumerate(xs)]
                    return _diffusion_values(self.g, ys, t, ps, n)[j]

                _, dg = jax.jvp(gj_of, (xs[j],), (jnp.ones_like(xs[j]),))
                new[j] = new[j] + 0.5 * gj * dg * (dW[j] * dW[j] - dt)
        return new[0] if n == 1 else new


def sdeint(
    f: Callable[..., Any] | None = None,
    g: Any = None,
    method: str | None = None,
    dt: float | None = None,
    intg_type: str | None = None,
    wiener_type: str | None = None,
) -> Any:
    """Make a one-step integrator for an Itô SDE `dx = f dt + g dW`.

    **Arguments:**

    - `f`: the drift `f(x1, ..., t, p1, ...)`, as for `odeint` (or a `JointEq`).
    - `g`: the diffusion: a function with the same arguments as `f`, returning one
        value per variable (`None` for a variable without noise), or a constant
        (scalar, array, or a tuple per variable). Each element of each variable
        has its own Wiener process (diagonal noise).
    - `method`: `'euler'` (Euler-Maruyama, default; strong order 0.5), `'milstein'`
        (strong order 1; adds `g g' (dW^2 - dt) / 2`), or `'exp_auto'`/`'exp_euler'`
        (exponential Euler drift, Euler-Maruyama noise).
    - `dt`: a fixed step; default: `share['dt']` at call time.
    - `intg_type`: `'ito'` (default) only; Stratonovich integrals are refused.
    - `wiener_type`: `'scalar'` (default: independent increments per element)
        only; vector Wiener processes are refused.

    **Returns:**

    An `SDEIntegrator`, called as `integral(x1, ..., t, p1, ..., dt=dt, key=key)`
    (inside a `DSRunner` step the key defaults to one per step), or with the
    increments `dW=`; with `f` or `g` missing, a decorator taking the other.
    """
    m = method or _DEFAULT_SDE_METHOD[0]
    if m not in _SDE_NAMES:
        raise DiffEqError(
            f"unknown SDE method {m!r}; expected one of {list(_SDE_NAMES)}"
        )
    if intg_type not in (None, "ito", "Ito", "itô"):
        raise DiffEqError(
            f"intg_type={intg_type!r} is not supported; dsrunner integrates Itô "
            "SDEs only (intg_type='ito'); convert a Stratonovich drift first"
        )
    if wiener_type not in (None, "scalar"):
        raise DiffEqError(
            f"wiener_type={wiener_type!r} is not supported; dsrunner has scalar "
            "Wiener processes (one per state element) only"
        )
    if f is None and g is None:
        raise DiffEqError("sdeint needs a drift f or a diffusion g")
    if f is None:
        return lambda f_: SDEIntegrator(f_, g, m, dt)
    if g is None:
        return lambda g_: SDEIntegrator(f, g_, m, dt)
    if not callable(f):
        raise DiffEqError(f"expected a drift function, got {f!r}")
    return SDEIntegrator(f, g, m, dt)

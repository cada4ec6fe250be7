import dataclasses
import importlib.metadata
import os
import warnings
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pluggy

from . import hookspecs
from ._demo import Demo
from ._errors import PluginError, PluginWarning, UnknownNameError
from ._helpers import warn_user
from ._layer import AbstractLayer
from ._markers import PROJECT_NAME
from ._runner import AbstractRunner
from ._stepper import AbstractStepper
from ._summariser import AbstractSummariser

DISABLE_AUTOLOAD_ENV = "ROLLAX_DISABLE_PLUGIN_AUTOLOAD"
LOAD_PLUGINS_ENV = "ROLLAX_LOAD_PLUGINS"

# kind -> (hook name, required base, singular noun)
_KINDS: dict[str, tuple[str, type, str]] = {
    "runners": ("register_runners", AbstractRunner, "runner"),
    "steppers": ("register_steppers", AbstractStepper, "stepper"),
    "layers": ("register_layers", AbstractLayer, "layer"),
    "summarisers": ("register_summarisers", AbstractSummariser, "summariser"),
    "demos": ("register_demos", Demo, "demo"),
}

FIRST_PARTY_PLUGINS: Mapping[str, str] = MappingProxyType(
    {
        "lenia-runner": "Lenia cellular automata runners and steppers",
        "dsrunner": "brain-dynamics models and DSRunner",
        "apebench-lite": "spectral PDE steppers and neural emulators",
        "eventsnn": "event-based spiking network layers",
        "imnn-data": "information-maximising neural network summarisers",
    }
)

# Keys from before the `<distribution>:<ClassName>` scheme, kept working (with a
# DeprecationWarning naming the new key) for one release: kind -> old key -> new key.
# An alias resolves only while its new key is registered.
ALIASES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "runners": MappingProxyType(
            {
                "lenia": "lenia-runner:LeniaRunner",
                "dsrunner-scan": "dsrunner:ScanRunner",
            }
        ),
        "steppers": MappingProxyType(
            {
                "lenia": "lenia-runner:LeniaStepper",
                "dsrunner-lif": "dsrunner:LIFStepper",
                "dsrunner-hh": "dsrunner:HHStepper",
                "dsrunner-izhikevich": "dsrunner:IzhikevichStepper",
                "toy-decay": "rollax-toy-plugin:NoisyDecay",
                **{
                    f"apebench_lite.{n}": f"apebench-lite:{n}"
                    for n in (
                        "GeneralLinearStepper",
                        "GeneralNonlinearStepper",
                        "GeneralConvectionStepper",
                        "GeneralPolynomialStepper",
                        "Advection",
                        "Diffusion",
                        "AdvectionDiffusion",
                        "Dispersion",
                        "HyperDiffusion",
                        "NavierStokesVorticity",
                        "GrayScott",
                        "SwiftHohenberg",
                        "RepeatedStepper",
                    )
                },
            }
        ),
        "layers": MappingProxyType(
            {
                "eventsnn-lif": "eventsnn:LIFLayer",
                "eventsnn-eventprop-lif": "eventsnn:EventPropLIFLayer",
            }
        ),
        "summarisers": MappingProxyType(
            {
                "lenia-statistics": "lenia-runner:LeniaStatistics",
                "imnn": "imnn-data:IMNNSummariser",
            }
        ),
        "demos": MappingProxyType({}),
    }
)


@dataclasses.dataclass(frozen=True)
class PluginInfo:
    """What one plugin is and what it registered.

    **Arguments:**

    - `name`: the plugin's name (for an installed plugin, its entry-point name, which
        is its distribution name).
    - `distribution`: the distribution that provides it, or `None` for a plugin
        registered by hand.
    - `version`: that distribution's version, or `None`.
    - `runners`, `steppers`, `layers`, `summarisers`, `demos`: the names it registered.
    - `errors`: problems found while loading or collecting it (empty if healthy).
    """

    name: str
    distribution: str | None = None
    version: str | None = None
    runners: tuple[str, ...] = ()
    steppers: tuple[str, ...] = ()
    layers: tuple[str, ...] = ()
    summarisers: tuple[str, ...] = ()
    demos: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _describe(plugin: str, dist: str | None, version: str | None) -> str:
    if dist is None:
        return f"plugin {plugin!r}"
    if dist == plugin:
        return f"plugin {plugin!r} (distribution {dist} {version})"
    return f"plugin {plugin!r} (distribution {dist} {version}, entry point {plugin!r})"


class Registry:
    """The registry of runners, steppers, layers, summarisers and demos.

    Installed plugins (entry points in the `rollax` group) are loaded lazily, on the
    first lookup, unless autoloading is off: `autoload=False`, or the environment
    variable `ROLLAX_DISABLE_PLUGIN_AUTOLOAD=1`. `ROLLAX_LOAD_PLUGINS=a,b` loads only
    the named distributions. The module-level functions `rollax.runners()`,
    `rollax.get_runner(...)`, ... use one shared registry.

    **Arguments:**

    - `autoload`: load installed plugins on first use; `None` (the default) reads
        the environment variable.
    """

    def __init__(self, *, autoload: bool | None = None):
        self._autoload = autoload
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._entrypoints_loaded = False
        self._origin: dict[str, tuple[str | None, str | None]] = {}
        self._load_errors: dict[str, list[str]] = {}
        self._collected: dict[str, dict[str, tuple[Any, str]]] | None = None
        self._collect_errors: dict[str, list[str]] = {}

    # -- registration ---------------------------------------------------------------

    @property
    def autoload(self) -> bool:
        if self._autoload is None:
            return not _env_flag(DISABLE_AUTOLOAD_ENV)
        return self._autoload

    def register(self, plugin: object, name: str | None = None) -> str:
        """Register a plugin object (usually a module with `@rollax.hookimpl` functions).

        **Arguments:**

        - `plugin`: the object holding the hook implementations.
        - `name`: the plugin's name; defaults to pluggy's name for the object.

        **Returns:**

        The name it was registered under.
        """
        try:
            registered = self._pm.register(plugin, name=name)
            self._pm.check_pending()
        except pluggy.PluginValidationError as e:
            if name is not None and self._pm.has_plugin(name):
                self._pm.unregister(name=name)
            raise PluginError(
                f"plugin {name or plugin!r} has an invalid hook implementation: {e}. "
                "Hook names must be one of "
                f"{', '.join(_hook_names())}, taking no arguments."
            ) from e
        except ValueError as e:
            raise PluginError(
                f"cannot register plugin {name or plugin!r}: {e}. Use another name, "
                "or unregister the existing plugin first."
            ) from e
        assert registered is not None
        self._collected = None
        return registered

    def unregister(self, name: str) -> None:
        """Remove the plugin registered under `name`."""
        if not self._pm.has_plugin(name):
            raise UnknownNameError(
                f"no plugin named {name!r} is registered; registered plugins: "
                f"{sorted(self._plugin_names()) or 'none'}"
            )
        self._pm.unregister(name=name)
        self._origin.pop(name, None)
        self._collected = None

    def load_entrypoints(self) -> None:
        """Load every installed plugin now (normally done lazily on first lookup)."""
        if self._entrypoints_loaded:
            return
        self._entrypoints_loaded = True
        wanted = os.environ.get(LOAD_PLUGINS_ENV)
        subset = None if not wanted else {w.strip() for w in wanted.split(",")}
        eps = importlib.metadata.entry_points(group=PROJECT_NAME)
        seen: dict[str, str | None] = {}
        for ep in eps:
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            if ep.name in seen and seen[ep.name] != dist:
                raise PluginError(
                    f"two installed distributions, {seen[ep.name]} and {dist}, both "
                    f"declare a rollax plugin named {ep.name!r}. The entry-point name "
                    "must be the distribution's own name; uninstall one of them or "
                    "fix its [project.entry-points.rollax] table."
                )
            seen[ep.name] = dist
            if subset is not None and ep.name not in subset and dist not in subset:
                continue
            if self._pm.has_plugin(ep.name):
                continue
            self._origin[ep.name] = (dist, version)
            try:
                module = ep.load()
            except Exception as e:
                self._record_load_error(
                    ep.name,
                    f"failed to import {ep.value!r}: {type(e).__name__}: {e}. "
                    "It is skipped; reinstall it or report the error to its authors.",
                )
                continue
            try:
                self.register(module, name=ep.name)
            except PluginError as e:
                self._record_load_error(ep.name, f"{e}")
        self._collected = None

    def _record_load_error(self, plugin: str, message: str) -> None:
        self._load_errors.setdefault(plugin, []).append(message)
        who = self._who(plugin)
        warnings.warn(f"rollax: {who} {message}", PluginWarning, stacklevel=4)

    def _who(self, plugin: str) -> str:
        return _describe(plugin, *self._origin.get(plugin, (None, None)))

    # -- collection -----------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if self.autoload and not self._entrypoints_loaded:
            self.load_entrypoints()

    def _collect(self) -> dict[str, dict[str, tuple[Any, str]]]:
        self._ensure_loaded()
        if self._collected is not None:
            return self._collected
        collected: dict[str, dict[str, tuple[Any, str]]] = {k: {} for k in _KINDS}
        errors: dict[str, list[str]] = {}
        for kind, (hook_name, base, noun) in _KINDS.items():
            hook = getattr(self._pm.hook, hook_name)
            for impl in hook.get_hookimpls():
                plugin = impl.plugin_name
                items, problems = _call_hook(impl.function, hook_name, base, noun)
                for problem in problems:
                    errors.setdefault(plugin, []).append(problem)
                    warnings.warn(
                        f"rollax: {self._who(plugin)}: {problem}",
                        PluginWarning,
                        stacklevel=4,
                    )
                for item in items:
                    key = item.name
                    if key in collected[kind]:
                        other_item, other = collected[kind][key]
                        if other_item is item:
                            continue
                        raise PluginError(
                            f"two plugins register a {noun} named {key!r}: "
                            f"{self._who(other)}"
                            f" with {_qualname(other_item)} and "
                            f"{self._who(plugin)}"
                            f" with {_qualname(item)}. Names must be unique: rename "
                            "one of them (the convention is "
                            "`<distribution>:<ClassName>`) or uninstall one plugin."
                        )
                    collected[kind][key] = (item, plugin)
        self._collected = collected
        self._collect_errors = errors
        return collected

    def _mapping(self, kind: str) -> Mapping[str, Any]:
        return MappingProxyType({k: v for k, (v, _) in self._collect()[kind].items()})

    def _get(self, kind: str, name: str) -> Any:
        found = self._collect()[kind]
        if name in found:
            return found[name][0]
        noun = _KINDS[kind][2]
        new = ALIASES[kind].get(name)
        if new is not None and new in found:
            warn_user(
                f"the {noun} key {name!r} is deprecated and will be removed in the "
                f"next release; use {new!r} (keys are `<distribution>:<ClassName>`).",
                DeprecationWarning,
            )
            return found[new][0]
        known = ", ".join(sorted(found)) or "none"
        hint = (
            " Plugin autoloading is off (ROLLAX_DISABLE_PLUGIN_AUTOLOAD is set), so "
            "only plugins registered by hand are known."
            if not self.autoload
            else ""
        )
        first_party = "; ".join(f"{d} ({w})" for d, w in FIRST_PARTY_PLUGINS.items())
        raise UnknownNameError(
            f"no {noun} named {name!r} is registered. Known {kind}: {known}.{hint} "
            f"{kind.capitalize()} come from plugins: install the package that provides "
            f"it (first-party plugins: {first_party}; from a clone of rollax, "
            "`pip install ./packages/core ./packages/<plugin>` installs one and "
            "`pip install ./packages/*` all) and run `rollax plugins` to see what is "
            "installed."
        )

    def runners(self) -> Mapping[str, type[AbstractRunner]]:
        """All registered runner classes, by name."""
        return self._mapping("runners")

    def steppers(self) -> Mapping[str, type[AbstractStepper]]:
        """All registered stepper classes, by name."""
        return self._mapping("steppers")

    def layers(self) -> Mapping[str, type[AbstractLayer]]:
        """All registered layer classes, by name."""
        return self._mapping("layers")

    def summarisers(self) -> Mapping[str, type[AbstractSummariser]]:
        """All registered summariser classes, by name."""
        return self._mapping("summarisers")

    def demos(self) -> Mapping[str, Demo]:
        """All registered demos, by name."""
        return self._mapping("demos")

    def get_runner(self, name: str) -> type[AbstractRunner]:
        """The runner class registered as `name`; `KeyError` if there is none."""
        return self._get("runners", name)

    def get_stepper(self, name: str) -> type[AbstractStepper]:
        """The stepper class registered as `name`; `KeyError` if there is none."""
        return self._get("steppers", name)

    def get_layer(self, name: str) -> type[AbstractLayer]:
        """The layer class registered as `name`; `KeyError` if there is none."""
        return self._get("layers", name)

    def get_summariser(self, name: str) -> type[AbstractSummariser]:
        """The summariser class registered as `name`; `KeyError` if there is none."""
        return self._get("summarisers", name)

    def get_demo(self, name: str) -> Demo:
        """The demo registered as `name`; `KeyError` if there is none."""
        return self._get("demos", name)

    def plugins(self) -> list[PluginInfo]:
        """Every plugin known to the registry, healthy or not, sorted by name."""
        collected = self._collect()
        names = set(self._plugin_names()) | set(self._load_errors)
        infos = []
        for plugin in sorted(names):
            dist, version = self._origin.get(plugin, (None, None))
            registered = {
                kind: tuple(sorted(k for k, (_, p) in found.items() if p == plugin))
                for kind, found in collected.items()
            }
            errors = self._load_errors.get(plugin, []) + self._collect_errors.get(
                plugin, []
            )
            infos.append(
                PluginInfo(
                    name=plugin,
                    distribution=dist,
                    version=version,
                    errors=tuple(errors),
                    **registered,
                )
            )
        return infos

    def _plugin_names(self) -> list[str]:
        return [
            name
            for name, plugin in self._pm.list_name_plugin()
            if plugin is not None and name is not None
        ]


def _hook_names() -> list[str]:
    return [hook for hook, _, _ in _KINDS.values()]


def _qualname(obj: Any) -> str:
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    return repr(obj)


def _check_item(item: Any, hook_name: str, base: type, noun: str) -> str | None:
    """Why `item` cannot be registered by `hook_name`, or `None` if it can."""
    if base is Demo:
        if isinstance(item, Demo):
            return None
        return (
            f"{hook_name}() returned {item!r}, which is not a rollax.Demo; wrap the "
            "demo function as rollax.Demo(name, description, run)"
        )
    if not isinstance(item, type):
        return (
            f"{hook_name}() returned {item!r}, which is not a class; return the "
            f"{noun} class itself, not an instance"
        )
    if not issubclass(item, base):
        return (
            f"{hook_name}() returned {_qualname(item)}, which does not subclass "
            f"rollax.{base.__name__}; derive it from rollax.{base.__name__}"
        )
    name = getattr(item, "name", None)
    if not isinstance(name, str) or not name:
        return (
            f"{hook_name}() returned {_qualname(item)}, which has no class-level "
            '`name`; add `name: ClassVar[str] = "..."`, the key it is registered under'
        )
    return None


def _call_hook(
    function, hook_name: str, base: type, noun: str
) -> tuple[list[Any], list[str]]:
    """Call one hook implementation; return the valid items and the problems."""
    try:
        result = function()
    except Exception as e:
        return [], [f"{hook_name}() raised {type(e).__name__}: {e}"]
    if result is None:
        return [], []
    if isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
        what = "objects" if base is Demo else "classes"
        return [], [
            f"{hook_name}() returned {result!r}; return a list of {noun} {what}"
        ]
    items, problems = [], []
    for item in result:
        problem = _check_item(item, hook_name, base, noun)
        if problem is None:
            items.append(item)
        else:
            problems.append(problem)
    return items, problems


registry = Registry()
"""The shared registry behind `rollax.runners()`, `rollax.get_runner()`, ..."""

runners = registry.runners
steppers = registry.steppers
layers = registry.layers
summarisers = registry.summarisers
demos = registry.demos
get_runner = registry.get_runner
get_stepper = registry.get_stepper
get_layer = registry.get_layer
get_summariser = registry.get_summariser
get_demo = registry.get_demo
plugins = registry.plugins
register_plugin = registry.register
unregister_plugin = registry.unregister

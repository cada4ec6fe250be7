"""Configuration (v2 schema, defaults, v1 upgrade, YAML) and world geometry."""

import copy
import itertools
import os
import random
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import yaml
from jaxtyping import Array, ArrayLike

from ._errors import check_positive
from ._growth_functions import OLD_GF_ID
from ._kernel_functions import OLD_K_ID

WORLD_DEFAULTS: dict[str, Any] = {
    "nb_dims": 2,
    "nb_channels": 1,
    "R": 13,
    "T": 10,
    "scale": 1.0,
    "get_state_fn_slug": "v1",
    "weighted_average": True,
}
RENDER_DEFAULTS: dict[str, Any] = {
    "size_power2": 7,
    "pixel_size_power2": 2,
    "pixel_border_size": 0,
    "colormaps": ["extended"],
}
RUN_DEFAULTS: dict[str, Any] = {
    "max_run_iter": 1024,
    "seed": 1,
    "nb_init_search": 16,
    "nb_mut_search": 8,
}


def st2fracs2float(st: str) -> list[float]:
    """Ring weights from a fraction string: `"1,2/3"` -> `[1.0, 0.666...]`.

    **Arguments:**

    - `st`: comma-separated numbers or fractions.

    **Returns:**

    The list of floats.
    """
    try:
        return [float(Fraction(part.strip())) for part in str(st).split(",")]
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"expected comma-separated numbers or fractions like '1,2/3', got {st!r}"
        ) from None


def _plain(config: Any) -> dict[str, Any]:
    """A plain dict of a mapping; Hydra/OmegaConf containers are converted (with
    interpolations resolved), so that struct configs can be completed."""
    if type(config).__module__.startswith("omegaconf"):
        # only when given one: no dependency on omegaconf
        from omegaconf import OmegaConf  # pyright: ignore[reportMissingImports]

        config = OmegaConf.to_container(config, resolve=True)
    return dict(config)


def update_config_v1_v2(config: Mapping[str, Any]) -> dict[str, Any]:
    """Upgrade a v1 configuration to the v2 schema (a new dict; input untouched).

    v1 kernels `{k: [{r, b, q, k_id, m, s, gf_id, h, c_in, c_out}]}` become a list of
    `{k_slug: circle_2d, k_params: [r, b], kf_slug, kf_params: [q], gf_slug,
    gf_params: [m, s], h, c_in, c_out}`; `update_fn_version` becomes
    `get_state_fn_slug`.

    **Arguments:**

    - `config`: a v1 (or already v2) configuration.

    **Returns:**

    The v2 configuration.
    """
    config = copy.deepcopy(_plain(config))
    if config.get("version", 1) == 2 and isinstance(config.get("kernels_params"), list):
        return config
    wp = config.setdefault("world_params", {})
    if "update_fn_version" in wp:
        wp["get_state_fn_slug"] = wp.pop("update_fn_version")
    kp = config.get("kernels_params", {})
    old = kp.get("k", []) if isinstance(kp, Mapping) else kp
    new = []
    for i, k in enumerate(old):
        if "k_slug" in k:
            new.append(dict(k))
            continue
        where = f"kernels_params.k[{i}]"
        try:
            b = k.get("b", "1")
            bs = st2fracs2float(b) if isinstance(b, str) else [float(v) for v in b]
            new.append(
                {
                    "k_slug": "circle_2d",
                    "k_params": [k.get("r", 1), bs],
                    "kf_slug": OLD_K_ID[int(k.get("k_id", 0))],
                    "kf_params": [k.get("q", 4)],
                    "gf_slug": OLD_GF_ID[int(k.get("gf_id", 0))],
                    "gf_params": [k["m"], k["s"]],
                    "h": k.get("h", 1),
                    "c_in": int(k.get("c_in", 0)),
                    "c_out": int(k.get("c_out", 0)),
                }
            )
        except KeyError as e:
            raise ValueError(
                f"{where}: cannot upgrade v1 kernel {k!r}: missing or unknown {e}; "
                f"expected m and s, k_id in {sorted(OLD_K_ID)}, gf_id in "
                f"{sorted(OLD_GF_ID)}"
            ) from None
    config["kernels_params"] = new
    algo = config.get("algo")
    if isinstance(algo, dict) and algo.get("init_slug") == "perlin_local":
        algo["init_slug"] = "perlin"
    config["version"] = 2
    return config


def get_container(config: Mapping[str, Any], main_path: str | None = None) -> dict:
    """A complete v2 configuration: defaults filled in, v1 upgraded, checked.

    The caller's configuration is never modified (a deep copy is returned).

    **Arguments:**

    - `config`: a configuration dict (e.g. loaded from YAML), or a Hydra/OmegaConf
        `DictConfig` (converted to a plain dict first).
    - `main_path`: optional directory recorded as `main_path` (for relative files).

    **Returns:**

    The completed configuration.
    """
    if not isinstance(config, Mapping):
        raise TypeError(f"expected a configuration dict, got {type(config).__name__}")
    config = update_config_v1_v2(config)
    if main_path is not None:
        config["main_path"] = main_path
    wp = config.setdefault("world_params", {})
    for k, v in WORLD_DEFAULTS.items():
        wp.setdefault(k, v)
    rp = config.setdefault("render_params", {})
    for k, v in RENDER_DEFAULTS.items():
        rp.setdefault(k, copy.deepcopy(v))
    nb_dims = wp["nb_dims"]
    if rp.get("world_size") in (None, "MISSING", "???"):
        rp["world_size"] = [2 ** int(rp["size_power2"])] * int(nb_dims)
    if rp.get("pixel_size") in (None, "MISSING", "???"):
        rp["pixel_size"] = 2 ** int(rp["pixel_size_power2"])
    runp = config.setdefault("run_params", {})
    for k, v in RUN_DEFAULTS.items():
        runp.setdefault(k, v)
    check_config(config)
    return config


def check_config(config: Mapping[str, Any]) -> None:
    """Raise a clear error naming the field for an invalid v2 configuration."""
    wp, rp = config["world_params"], config["render_params"]
    if wp["nb_dims"] not in (2, 3):
        raise ValueError(f"world_params.nb_dims must be 2 or 3, got {wp['nb_dims']!r}")
    nbc = wp["nb_channels"]
    if not isinstance(nbc, int) or nbc < 1:
        raise ValueError(
            f"world_params.nb_channels must be an integer >= 1, got {nbc!r}"
        )
    check_positive(wp["R"], "world_params.R (the kernel radius in pixels)")
    check_positive(wp["T"], "world_params.T (the time resolution)")
    check_positive(wp["scale"], "world_params.scale")
    ws = rp["world_size"]
    if (
        not isinstance(ws, (list, tuple))
        or len(ws) != wp["nb_dims"]
        or not all(isinstance(w, int) and w > 0 for w in ws)
    ):
        raise ValueError(
            f"render_params.world_size must be a list of {wp['nb_dims']} positive "
            f"integers (world_params.nb_dims), got {ws!r}"
        )
    kp = config.get("kernels_params")
    if not isinstance(kp, list) or not kp:
        raise ValueError(
            f"kernels_params must be a non-empty list of kernels, got {kp!r}"
        )
    for i, k in enumerate(kp):
        for key in ("c_in", "c_out"):
            c = k.get(key, 0) if isinstance(k, Mapping) else None
            if not isinstance(c, int) or not 0 <= c < nbc:
                raise ValueError(
                    f"kernels_params[{i}].{key} = {c!r} is not a channel of this "
                    f"world; expected an integer in [0, {nbc - 1}]"
                )
    mri = config.get("run_params", {}).get("max_run_iter", 1)
    if not isinstance(mri, int) or mri < 1:
        raise ValueError(
            f"run_params.max_run_iter must be a positive integer, got {mri!r}"
        )


def load_config(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a Leniax YAML configuration file (no Hydra needed) and complete it.

    **Arguments:**

    - `path`: the YAML file, or the name of a species shipped with the package
        (`"orbium"`, ...; see `lenia_runner.species.available()`).

    **Returns:**

    The completed v2 configuration (see `get_container`).
    """
    from . import species

    shipped = species.available()
    if not os.path.exists(path) and str(path).lower() in shipped:
        path = species.path(str(path))
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise FileNotFoundError(
            f"cannot read configuration {str(path)!r}: {e}; expected a YAML file or "
            f"the name of a shipped species, one of {shipped} (e.g. "
            "load_config('orbium'))"
        ) from e
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(
            f"malformed YAML in {str(path)!r}{where}: {getattr(e, 'problem', e)}; "
            "expected a mapping with world_params, render_params, kernels_params and "
            "run_params"
        ) from None
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{str(path)!r} holds a {type(data).__name__}, expected a mapping with "
            "world_params, render_params, kernels_params and run_params"
        )
    data = dict(data)
    data.pop("defaults", None)  # Hydra composition lists are not supported
    return get_container(data, main_path=str(path.parent))


def save_config(save_dir: str | os.PathLike[str], config: Mapping[str, Any]) -> Path:
    """Write `config` as `config.yaml` in `save_dir` and return the file's path."""
    save_dir = Path(save_dir)
    save_dir.mkdir(parents=True, exist_ok=True)
    out = save_dir / "config.yaml"

    def plain(x: Any) -> Any:
        if isinstance(x, Mapping):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [plain(v) for v in x]
        if isinstance(x, (np.ndarray, jax.Array)):
            return np.asarray(x).tolist()
        if isinstance(x, np.generic):
            return x.item()
        return x

    out.write_text(yaml.safe_dump(plain(config), sort_keys=False))
    return out


def check_dir(path: str | os.PathLike[str]) -> None:
    """Create `path` (and parents) if it does not exist."""
    Path(path).mkdir(parents=True, exist_ok=True)


def _split_key(key_string: str) -> list[str | int]:
    return [int(p) if p.lstrip("-").isdigit() else p for p in key_string.split(".")]


def get_param(dic: Any, key_string: str) -> Any:
    """The value at a dotted path, list indices included (`"kernels_params.0.h"`).

    **Arguments:**

    - `dic`: a nested dict/list.
    - `key_string`: the dotted path.

    **Returns:**

    The value found there.
    """
    cur = dic
    for part in _split_key(key_string):
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            raise KeyError(
                f"config has no {key_string!r}: {part!r} not found; expected a dotted "
                "path like 'kernels_params.0.gf_params.0'"
            ) from None
    return cur


def set_param(dic: Any, key_string: str, value: Any) -> None:
    """Set the value at a dotted path in place, creating what is missing.

    Missing dict keys become dicts (or lists when the next part is an index);
    lists too short for an index are extended, with `{}` on the way and `None`
    before a final index: `set_param({}, "a.2.b", 1)` gives
    `{"a": [{}, {}, {"b": 1}]}`.

    **Arguments:**

    - `dic`: a nested dict/list.
    - `key_string`: the dotted path, e.g. `"kernels_params.0.gf_params.1"`.
    - `value`: the value to set.
    """
    parts = _split_key(key_string)
    cur = dic
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(cur, list):
            if not isinstance(part, int) or part < -len(cur):
                raise KeyError(
                    f"cannot set {key_string!r}: {part!r} is not an index of the "
                    f"list at {'.'.join(map(str, parts[:i])) or 'the top'}; expected "
                    "a non-negative integer"
                )
            cur.extend(None if last else {} for _ in range(part + 1 - len(cur)))
        elif not isinstance(cur, dict):
            raise KeyError(
                f"cannot set {key_string!r}: "
                f"{'.'.join(map(str, parts[:i]))!r} is a "
                f"{type(cur).__name__}, not a dict or a list"
            )
        if last:
            cur[part] = value  # pyright: ignore[reportCallIssue, reportArgumentType]
        else:
            if isinstance(cur, dict) and part not in cur:
                cur[part] = [] if isinstance(parts[i + 1], int) else {}
            cur = cur[part]  # pyright: ignore[reportCallIssue, reportArgumentType]


def generate_beta_faces(nb_betas: int, denominator: int) -> list[list[list[float]]]:
    """All ring-weight vectors `b` on a grid, grouped by the position of their first 1.

    Each vector has `nb_betas` entries in `{0, 1/denominator, ..., 1}` with at
    least one entry equal to 1 (kernels are normalised, so scaling `b` changes
    nothing and a maximum of 1 loses no generality). Face `i` holds the vectors
    whose first 1 is entry `i`, in lexicographic order, with trailing zeros
    dropped (`[1, 0.5, 0]` is the two-ring `[1, 0.5]`). Face `i` has
    `denominator^i (denominator + 1)^(nb_betas - 1 - i)` vectors.

    **Arguments:**

    - `nb_betas`: the largest number of rings.
    - `denominator`: the grid's step is `1 / denominator`.

    **Returns:**

    `nb_betas` lists of ring-weight vectors.
    """
    for name, v, low in (("nb_betas", nb_betas, 1), ("denominator", denominator, 1)):
        if not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(
                f"generate_beta_faces: {name} must be an integer >= {low}, got {v!r}"
            )
    grid = [k / denominator for k in range(denominator + 1)]
    faces: list[list[list[float]]] = [[] for _ in range(nb_betas)]
    for values in itertools.product(grid, repeat=nb_betas):
        if 1.0 not in values:
            continue
        b = list(values)
        while b[-1] == 0:
            b.pop()
        faces[values.index(1.0)].append(b)
    return faces


def seed_everything(seed: int) -> Array:
    """Seed Python's and NumPy's generators and return a JAX key, as Leniax did.

    Python's `random` is seeded with `seed`; three numbers drawn from it then seed
    NumPy's global generator, set `PYTHONHASHSEED` (for child processes) and make
    the JAX key, so a given `seed` gives Leniax's key and NumPy state.

    **Arguments:**

    - `seed`: an integer.

    **Returns:**

    A JAX PRNG key (`jax.random.key`).
    """
    random.seed(seed)
    np.random.seed(random.randint(1, 1_000_000))
    os.environ["PYTHONHASHSEED"] = str(random.randint(1, 1_000_000))
    return jax.random.key(random.randint(1, 1_000_000))


def merge_cells(
    cells: Array, other_cells: Array, offset: Sequence[int] | None = None
) -> Array:
    """Add a pattern into a world, centred (plus an optional offset), periodically.

    **Arguments:**

    - `cells`: the world `[C, *world]`.
    - `other_cells`: the pattern `[C, *dims]` (each dim at most the world's).
    - `offset`: per-axis offset `[c, *dims]` (or `[*dims]`) from the centred
        position.

    **Returns:**

    The merged world.
    """
    cells = jnp.asarray(cells, jnp.float32)
    other = jnp.asarray(other_cells, jnp.float32)
    if other.ndim == cells.ndim - 1:
        other = other[None]
    if other.ndim != cells.ndim or other.shape[0] != cells.shape[0]:
        raise ValueError(
            f"expected a pattern of shape [C, *dims] = [{cells.shape[0]}, ...] with "
            f"{cells.ndim - 1} world dims, got {other.shape}"
        )
    if any(o > w for o, w in zip(other.shape[1:], cells.shape[1:], strict=True)):
        raise ValueError(
            f"the pattern {tuple(other.shape[1:])} is larger than the world "
            f"{tuple(cells.shape[1:])}; expected a pattern that fits: enlarge "
            "render_params.world_size or crop the pattern (utils.center_and_crop)"
        )
    starts = [
        (w - o) // 2 for o, w in zip(other.shape[1:], cells.shape[1:], strict=True)
    ]
    if offset is not None:
        off = list(offset)
        if len(off) == cells.ndim:
            off = off[1:]
        starts = [s + int(o) for s, o in zip(starts, off, strict=True)]
    idx = np.ix_(
        np.arange(other.shape[0]),
        *[
            (s + np.arange(o)) % w
            for s, o, w in zip(starts, other.shape[1:], cells.shape[1:], strict=True)
        ],
    )
    return cells.at[idx].add(other)


def center_world(
    cells: Array,
    field: Array,
    potential: Array,
    shift_idx: Array,
    axes: Sequence[int],
) -> tuple[Array, Array, Array]:
    """Roll cells, field and potential of each simulation by `-shift_idx`.

    **Arguments:**

    - `cells`, `field`, `potential`: `[N, C, *world]` arrays.
    - `shift_idx`: `[N, D]` integer shifts.
    - `axes`: the world axes (e.g. `(-2, -1)`).

    **Returns:**

    The three rolled arrays.
    """
    inner_axes = tuple(a - 1 if a > 0 else a for a in axes)

    def roll(x, s):
        return jnp.roll(x, -s, axis=inner_axes)

    def one(c, f, p, s):
        return roll(c, s), roll(f, s), roll(p, s)

    return jax.vmap(one)(cells, field, potential, shift_idx)


def crop_zero(kernels: ArrayLike) -> Array:
    """Crop the all-zero borders shared by stacked kernels `[n, *dims]`."""
    k = np.asarray(kernels)
    nz = np.argwhere(np.any(k != 0, axis=0))
    if nz.size == 0:
        return jnp.asarray(k)
    lo, hi = nz.min(axis=0), nz.max(axis=0) + 1
    sl = (slice(None), *tuple(slice(a, b) for a, b in zip(lo, hi, strict=True)))
    return jnp.asarray(k[sl])


def auto_center(cells: ArrayLike) -> Array:
    """Roll a world `[C, *world]` so that its centre of mass sits at the centre."""
    x = np.asarray(cells, dtype=np.float64)
    world = x.shape[1:]
    mass = x.sum()
    if mass <= 0:
        return jnp.asarray(cells)
    shifts = []
    for ax, n in enumerate(world):
        marginal = x.sum(axis=tuple(a for a in range(x.ndim) if a != ax + 1))
        # circular mean: robust to patterns crossing the border
        ang = 2 * np.pi * np.arange(n) / n
        c = np.angle(np.sum(marginal * np.exp(1j * ang))) * n / (2 * np.pi)
        shifts.append(round(n // 2 - c) % n)
    return jnp.roll(jnp.asarray(cells), shifts, axis=tuple(range(1, x.ndim)))


def center_and_crop(cells: ArrayLike) -> Array:
    """Centre a world's mass and crop its all-zero borders (`[C, *world]`)."""
    centred = auto_center(cells)
    return crop_zero(centred)

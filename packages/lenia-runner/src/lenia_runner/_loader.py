"""Cell pattern codecs: quantised gzip/base64 arrays and Bert Chan's Lenia RLE."""

import base64
import binascii
import gzip
import os
import re
import struct
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._constants import NB_CHARS

MAX_VAL = NB_CHARS**2 - 1
"""Number of quantisation levels of the compressed formats (12543)."""

DIM_DELIM = {0: "", 1: "$", 2: "%", 3: "#", 4: "@A", 5: "@B", 6: "@C", 7: "@D"}
"""RLE delimiters closing each dimension (1: row, 2: layer, ...)."""


def make_array_compressible(cells: Any) -> Array:
    """Quantise cells to the `MAX_VAL + 1` levels the compressed codecs store.

    The result is exactly what `decompress_array(compress_array(cells))` returns:
    level `q` is always the float32 product `float32(q) * float32(1 / MAX_VAL)`,
    computed alike by NumPy and by XLA (XLA:CPU's float32 division is not
    correctly rounded, so a quotient would differ by an ulp between the two).
    Concrete input is rounded in float64 (as `compress_array` does); traced input
    (inside `jit`) in its own float32.

    **Arguments:**

    - `cells`: values in [0, 1].

    **Returns:**

    `round(cells * MAX_VAL) / MAX_VAL` as float32.
    """
    try:
        x = np.asarray(cells, np.float64)
    except jax.errors.TracerArrayConversionError:
        q = jnp.round(jnp.asarray(cells, jnp.float32) * MAX_VAL)
        return q * _LEVEL
    return jnp.asarray(_from_levels(np.round(x * MAX_VAL)))


_LEVEL = np.float32(1 / MAX_VAL)


def _from_levels(q: Any) -> np.ndarray:
    """Levels to cells, `float32(q) * float32(1 / MAX_VAL)` (see above)."""
    return np.asarray(q, np.float32) * _LEVEL


def compress_array(cells: Any) -> str:
    """Encode cells as base64(gzip(count, int32 levels, shape)), Leniax's format.

    **Arguments:**

    - `cells`: values in [0, 1], any shape.

    **Returns:**

    The base64 text.
    """
    x = np.asarray(cells, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("compress_array: expected finite cells, got NaN or infinity")
    q = np.round(x * MAX_VAL).astype("<i4")
    payload = (
        struct.pack("<I", q.size)
        + q.reshape(-1).tobytes()
        + b"".join(struct.pack("<I", d) for d in q.shape)
    )
    return base64.encodebytes(gzip.compress(payload)).decode("ascii")


def decompress_array_gzip(b64_str: str) -> Array:
    """Decode the format of `compress_array`."""
    raw = gzip.decompress(base64.b64decode(b64_str.encode("ascii"), validate=False))
    if len(raw) < 4:
        raise ValueError("compressed cells are truncated: no element count")
    (n,) = struct.unpack("<I", raw[:4])
    end = 4 + 4 * n
    if len(raw) < end or (len(raw) - end) % 4:
        raise ValueError(
            f"compressed cells are corrupt: {n} values announced, {len(raw)} bytes"
        )
    values = np.frombuffer(raw[4:end], dtype="<i4")
    shape = tuple(struct.unpack(f"<{(len(raw) - end) // 4}I", raw[end:]))
    if int(np.prod(shape)) != n:
        raise ValueError(f"compressed cells are corrupt: shape {shape} for {n} values")
    return jnp.asarray(_from_levels(values.reshape(shape)))


def _char_index(ch: str) -> int:
    o = ord(ch)
    if ord("A") <= o <= ord("Z"):
        return o - ord("A")
    if ord("a") <= o <= ord("z"):
        return o - ord("a") + 25
    if o >= ord("À"):
        return o - ord("À") + 50
    raise ValueError(f"invalid character {ch!r} in a two-character cell code")


def _index_char(i: int) -> str:
    if i <= 25:
        return chr(ord("A") + i)
    if i <= 50:
        return chr(ord("a") + i - 25)
    return chr(ord("À") + i - 50)


def ch2val(c: str) -> int:
    """Value of a two-character cell code (`0 .. NB_CHARS**2 - 1`)."""
    if len(c) != 2:
        raise ValueError(f"expected a two-character code, got {c!r}")
    return _char_index(c[0]) * NB_CHARS + _char_index(c[1])


def val2ch(v: int) -> str:
    """The two-character code of a value (inverse of `ch2val`)."""
    return _index_char(v // NB_CHARS) + _index_char(v % NB_CHARS)


def char2val_deprecated(ch: str) -> int:
    """Value (0-255) of an RLE cell token: `.`/`b` 0, `o` 255, `A`-`X`, `pA`-`yO`."""
    if ch in (".", "b"):
        return 0
    if ch == "o":
        return 255
    if len(ch) == 1 and "A" <= ch <= "X":
        return ord(ch) - ord("A") + 1
    if len(ch) == 2 and "p" <= ch[0] <= "y" and "A" <= ch[1] <= "X":
        v = (ord(ch[0]) - ord("p")) * 24 + ord(ch[1]) - ord("A") + 25
        if v <= 255:
            return v
    raise ValueError(
        f"invalid RLE cell token {ch!r}; expected '.', 'b', 'o', 'A'-'X' or a "
        "two-character 'pA'-'yO'"
    )


def val2char_deprecated(v: int) -> str:
    """The RLE token of a value 0-255 (inverse of `char2val_deprecated`)."""
    if not 0 <= v <= 255:
        raise ValueError(f"RLE values must be in [0, 255], got {v}")
    if v == 0:
        return "."
    if v < 25:
        return chr(ord("A") + v - 1)
    return chr(ord("p") + (v - 25) // 24) + chr(ord("A") + (v - 25) % 24)


_TOKEN = re.compile(r"(\d*)([pqrstuvwxy][A-X]|@[A-Z]|[.boA-X$%#!])")


def deprecated_decompress_array(cells_code: str, nb_dims: int) -> Array:
    """Decode Bert Chan's Lenia RLE into an array with `nb_dims` dimensions.

    Rows end with `$`, 2-D layers with `%`, 3-D blocks with `#`; a count before a
    token repeats it; `!` ends the pattern. Missing outer dimensions have size 1
    and short rows are padded with zeros. Values are divided by 255.

    **Arguments:**

    - `cells_code`: the RLE text (whitespace ignored).
    - `nb_dims`: the number of dimensions of the result.

    **Returns:**

    The float32 array.
    """
    if nb_dims < 1:
        raise ValueError(f"nb_dims must be at least 1, got {nb_dims}")
    code = re.sub(r"\s+", "", cells_code)
    code = code.split("!", 1)[0]
    delims = {v: k for k, v in DIM_DELIM.items() if k}
    # stacks[d] collects finished items of dimension d (0: values of current row)
    stacks: list[list[Any]] = [[] for _ in range(max(nb_dims, 1))]
    pos = 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if not m:
            raise ValueError(
                f"malformed RLE at character {pos} ({code[pos : pos + 10]!r}); "
                "expected a run count followed by a cell token ('.', 'b', 'o', "
                "'A'-'X', 'pA'-'yO') or a delimiter ('$', '%', '#')"
            )
        count = int(m.group(1)) if m.group(1) else 1
        tok = m.group(2)
        pos = m.end()
        if tok in delims:
            dim = delims[tok]
            if dim >= nb_dims:
                raise ValueError(
                    f"RLE delimiter {tok!r} closes dimension {dim + 1}, but the "
                    f"pattern was expected to have {nb_dims} dimension(s)"
                )
            for d in range(dim):
                if d == 0 and dim > 1 and not stacks[0]:
                    continue  # e.g. '$%': the row was already closed
                stacks[d + 1].append(stacks[d])
                stacks[d] = []
                if d == dim - 1:
                    stacks[d + 1].extend([[]] * (count - 1))
        else:
            stacks[0].extend([char2val_deprecated(tok) / 255.0] * count)
    for d in range(nb_dims - 1):  # close everything still open
        if stacks[d]:
            stacks[d + 1].append(stacks[d])
            stacks[d] = []
    nested = stacks[nb_dims - 1]
    return jnp.asarray(_cubify(nested, nb_dims), dtype=jnp.float32)


def _cubify(nested: list[Any], nb_dims: int) -> np.ndarray:
    def shape_of(x: Any, d: int, out: list[int]) -> None:
        out[d] = max(out[d], len(x))
        if d < nb_dims - 1:
            for y in x:
                shape_of(y, d + 1, out)

    shape = [0] * nb_dims
    shape_of(nested, 0, shape)
    arr = np.zeros(shape, dtype=np.float32)

    def fill(x: Any, idx: tuple[int, ...]) -> None:
        if len(idx) == nb_dims - 1:
            arr[(*idx, slice(0, len(x)))] = x
        else:
            for i, y in enumerate(x):
                fill(y, (*idx, i))

    fill(nested, ())
    return arr


def deprecated_compress_array(cells: Any) -> str:
    """Encode an array (values in [0, 1]) in Bert Chan's Lenia RLE.

    **Arguments:**

    - `cells`: the array, any number of dimensions.

    **Returns:**

    The RLE text, ending with `!`.
    """
    x = np.rint(np.asarray(cells, dtype=np.float64) * 255)
    if not np.all(np.isfinite(x)) or x.min(initial=0) < 0 or x.max(initial=0) > 255:
        raise ValueError("deprecated_compress_array: expected finite cells in [0, 1]")
    x = x.astype(int)
    nb_dims = x.ndim

    def row(r: np.ndarray) -> str:
        vals = list(r)
        while vals and vals[-1] == 0:
            vals.pop()
        out, i = [], 0
        while i < len(vals):
            j = i
            while j < len(vals) and vals[j] == vals[i]:
                j += 1
            n = j - i
            out.append((str(n) if n > 1 else "") + val2char_deprecated(vals[i]))
            i = j
        return "".join(out)

    def enc(a: np.ndarray, d: int) -> str:
        if d == nb_dims - 1:
            return row(a)
        return DIM_DELIM[nb_dims - 1 - d].join(enc(s, d + 1) for s in a)

    return enc(x, 0) + "!"


def decompress_array(string_cells: str, nb_dims: int = 0) -> Array:
    """Decode cells from any of Leniax's text formats.

    Tries, in order: base64(gzip) of `compress_array`; the two-character
    `"<codes>::<shape>"` format; Bert Chan's RLE (needs `nb_dims`). Pickled data is
    refused (unsafe to load).

    **Arguments:**

    - `string_cells`: the encoded cells.
    - `nb_dims`: number of dimensions for RLE (channels included).

    **Returns:**

    The float32 array.
    """
    if not isinstance(string_cells, str):
        raise TypeError(
            f"expected encoded cells as str, got {type(string_cells).__name__}"
        )
    try:
        return decompress_array_gzip(string_cells)
    except (OSError, binascii.Error, ValueError, EOFError, struct.error):
        pass
    if "::" in string_cells:
        codes, _, shape_st = string_cells.partition("::")
        try:
            shape = [int(s) for s in shape_st.split(";")]
            vals = [ch2val(codes[i : i + 2]) for i in range(0, len(codes), 2)]
            return jnp.asarray(_from_levels(np.asarray(vals).reshape(shape)))
        except ValueError as e:
            raise ValueError(f"malformed '<codes>::<shape>' cells: {e}") from None
    if nb_dims < 1:
        raise ValueError(
            "cells are neither gzip/base64 nor '<codes>::<shape>'; to read them as "
            "Lenia RLE, pass nb_dims (expected the number of dimensions, channels "
            "included)"
        )
    return deprecated_decompress_array(string_cells, nb_dims)


def load_raw_cells(config: Mapping[str, Any], use_init_cells: bool = True) -> Array:
    """The initial pattern of a configuration as `[C, *dims]` float32.

    **Arguments:**

    - `config`: a v2 configuration.
    - `use_init_cells`: prefer `run_params.init_cells` (a full world) over
        `run_params.cells` (a pattern).

    **Returns:**

    The cells.
    """
    wp = config["world_params"]
    runp = config.get("run_params", {})
    nb_dims = int(wp["nb_dims"])
    key = "init_cells" if use_init_cells and "init_cells" in runp else "cells"
    if key not in runp:
        raise ValueError(
            "run_params has no 'cells' (nor 'init_cells'); expected an initial pattern"
        )
    cells = runp[key]
    if isinstance(cells, str):
        if cells.endswith((".npy", ".p")):
            path = os.path.join(config.get("main_path", "."), cells)
            if not cells.endswith(".npy"):
                raise ValueError(
                    f"run_params.{key} = {cells!r}: pickled frames are not loaded "
                    "(unsafe); save the array with numpy.save as a .npy file"
                )
            cells = jnp.asarray(np.load(path), jnp.float32)
        else:
            cells = decompress_array(cells, nb_dims + 1)
    else:
        cells = jnp.asarray(cells, jnp.float32)
    if cells.ndim == nb_dims:
        cells = cells[None]
    if cells.ndim != nb_dims + 1:
        raise ValueError(
            f"run_params.{key}: expected a pattern of shape [C, *dims] with "
            f"{nb_dims} dims, got {cells.shape}"
        )
    if cells.shape[0] != wp["nb_channels"]:
        raise ValueError(
            f"run_params.{key} has {cells.shape[0]} channel(s); expected "
            f"world_params.nb_channels = {wp['nb_channels']}"
        )
    return cells

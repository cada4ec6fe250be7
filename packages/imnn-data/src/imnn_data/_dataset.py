"""Reading per-device batches from user iterators (tf.data `as_numpy_iterator()`
or any Python iterator of numpy arrays), with shape and dtype checks."""

import os
import re
import struct
from collections.abc import Iterator
from typing import Any

import numpy as np


def _is_tf_error(e: BaseException) -> bool:
    return type(e).__module__.startswith("tensorflow")


def record_files(iterator: Any) -> list[tuple[str, str]]:
    """`(file, compression)` of every TFRecord file a tf.data iterator reads.

    Walks the dataset graph behind `dataset.as_numpy_iterator()` (or
    `iter(dataset)`) down to its `TFRecordDataset`s; empty when the iterator is
    not a tf.data one or reads no TFRecord files.
    """
    files: list[tuple[str, str]] = []
    explicit = getattr(iterator, "record_files", None)
    if explicit is not None:
        return list(explicit)
    dataset = getattr(iterator, "_dataset", None)
    stack = [dataset] if dataset is not None else []
    seen: set[int] = set()
    while stack:
        ds = stack.pop()
        if id(ds) in seen:
            continue
        seen.add(id(ds))
        names = getattr(ds, "_filenames", None)
        if names is not None and type(ds).__name__.startswith("TFRecordDataset"):
            compression = getattr(ds, "_compression_type", None)
            try:
                compression = "" if compression is None else compression.numpy()
                compression = (
                    compression.decode()
                    if isinstance(compression, bytes)
                    else str(compression)
                )
                for name in names:
                    name = name.numpy() if hasattr(name, "numpy") else name
                    name = name.decode() if isinstance(name, bytes) else str(name)
                    if (name, compression) not in files:
                        files.append((name, compression))
            except Exception:  # a symbolic file list: cannot be listed here
                pass
        try:
            stack.extend(reversed(list(ds._inputs())))
        except Exception:
            pass
    return files


def tf_message(e: Any) -> str:
    """TensorFlow's error message without its op and function-node decorations."""
    message = str(getattr(e, "message", e))
    message = re.sub(r"\{\{function_node [^}]*\}\}\s*", "", message)
    message = re.sub(r"\s*\[Op:\w+\].*$", "", message, flags=re.S)
    return message.strip()


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C of `data` (used here on 8-byte headers only)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def framing_problem(path: str) -> str | None:
    """What is wrong with the record framing of an uncompressed TFRecord file
    (each record: 8-byte length, 4-byte CRC of it, data, 4-byte CRC), or `None`.

    TensorFlow reads a file cut inside a length header as if it ended cleanly,
    silently dropping the rest; this scan (headers only, payloads are skipped and
    left to TensorFlow's check) reports it.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            offset = 0
            while offset < size:
                header = f.read(12)
                if len(header) < 12:
                    return (
                        f"truncated record at byte {offset}: {len(header)} bytes of "
                        "its 12-byte header"
                    )
                length, crc = struct.unpack("<QI", header)
                if masked_crc32c(header[:8]) != crc:
                    return f"corrupted record at byte {offset} (its length header)"
                end = offset + 8 + 4 + length + 4
                if end > size:
                    return (
                        f"truncated record at byte {offset}: it needs {end - offset} "
                        f"bytes, the file has {size - offset} left"
                    )
                f.seek(end)
                offset = end
    except OSError as e:
        return f"cannot be read: {e}"
    return None


def broken_record_files(files: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`(file, reason)` for each file of `files` that cannot be read to its end."""
    import tensorflow as tf

    broken = []
    for file, compression in files:
        if not compression:
            problem = framing_problem(file)
            if problem is not None:
                broken.append((file, problem))
                continue
        try:
            kind: Any = compression
            for _ in tf.data.TFRecordDataset(file, compression_type=kind):
                pass
        except tf.errors.OpError as e:
            broken.append((file, f"{type(e).__name__}: {tf_message(e)}"))
    return broken


class RecordReadError(ValueError):
    """A read of TFRecord files failed; the message names the damaged file."""


def read_error(
    name: str, e: BaseException, files: list[tuple[str, str]]
) -> RecordReadError:
    """The error to raise for a failed read of `name`: it names the damaged
    TFRecord file(s) among `files` where one is found."""
    kind = type(e).__name__
    message = tf_message(e)
    broken = broken_record_files(files) if files else []
    if broken:
        which = "; ".join(f"{file} ({reason})" for file, reason in broken)
        one = len(broken) == 1
        return RecordReadError(
            f"reading `{name}` failed: the TFRecord "
            f"{'file is' if one else 'files are'} truncated or corrupt: {which}. "
            f"Write the simulations of {'that file' if one else 'those files'} "
            "again (or leave them out)"
        )
    return RecordReadError(
        f"reading `{name}` failed ({kind}): {message}. "
        + (
            "Every TFRecord file it reads is intact, so the error is in the "
            "dataset's own steps (parsing, shapes)"
            if files
            else "If it reads TFRecord files, one is probably truncated or corrupt; "
            "`TFRecords.check_files(files)` names the broken one"
        )
    )


def next_batch(iterator: Any, name: str, i: int, n_steps: int) -> Any:
    """`next(iterator)` with errors that say which iterator failed and why."""
    try:
        return next(iterator)
    except StopIteration:
        raise ValueError(
            f"`{name}` ran out of batches at batch {i + 1} of {n_steps} in this "
            "pass; expected an infinite iterator: build it with `.repeat()` (and "
            "exactly the seed's take/batch layout)"
        ) from None
    except RecordReadError:
        raise
    except Exception as e:
        if _is_tf_error(e):
            raise read_error(name, e, record_files(iterator)) from e
        raise


def check_batch(value: Any, shape: tuple[int, ...], name: str, what: str) -> np.ndarray:
    """A numpy float batch of exactly `shape`."""
    array = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if array.shape != shape:
        raise ValueError(
            f"`{name}` yielded {what} of shape {array.shape}; expected {shape} = "
            "(n_per_device, *input_shape"
            + (", n_params)" if what.startswith("a derivative") else ")")
            + ". Build the dataset with `.batch(n_per_device)` and check "
            "input_shape"
        )
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"`{name}` yielded {what} of dtype {array.dtype}; expected floating "
            "point (float32): map the dataset through a parser that decodes to "
            "tf.float32"
        )
    return array


def _checked(value, shape, name, what, iterator):
    """`check_batch`, naming a damaged record file where that explains a wrong
    batch size (a file TensorFlow silently read short)."""
    try:
        return check_batch(value, shape, name, what)
    except ValueError:
        files = record_files(iterator)
        damaged = [(f, c) for f, c in files if not c and framing_problem(f)]
        if damaged:
            raise read_error(name, ValueError("short batch"), damaged) from None
        raise


def gather(
    iterators: list[Any],
    name: str,
    n_steps: int,
    shapes: tuple[tuple[int, ...], ...],
    whats: tuple[str, ...],
) -> Iterator[Any]:
    """Global batches: batch `i` of every device's iterator, concatenated."""
    first_shape, first_what = shapes[0], whats[0]
    paired = len(shapes) > 1
    for i in range(n_steps):
        parts = []
        for j, it in enumerate(iterators):
            label = f"{name}[{j}]"
            item = next_batch(it, label, i, n_steps)
            if paired:
                if not isinstance(item, tuple | list) or len(item) != len(shapes):
                    raise ValueError(
                        f"`{label}` must yield pairs (fiducial batch, derivative "
                        f"batch), got {type(item).__name__}; zip the two datasets"
                    )
                parts.append(
                    tuple(
                        _checked(v, s, label, w, it)
                        for v, s, w in zip(item, shapes, whats, strict=True)
                    )
                )
            else:
                parts.append(_checked(item, first_shape, label, first_what, it))
        if paired:
            yield tuple(
                np.concatenate([p[k] for p in parts]) for k in range(len(shapes))
            )
        else:
            yield np.concatenate(parts)

"""TFRecords: write simulations to TFRecord files the IMNN datasets read back.

TensorFlow is imported lazily, only when a record is written or parsed.
"""

import inspect
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._dataset import framing_problem, tf_message

_TF: Any = None


def _import_tf() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as e:
        raise ImportError(
            "TFRecords and the tf.data helpers need TensorFlow, an optional extra of "
            "imnn-data: `pip install 'imnn-data[tfrecords]'` (or tensorflow-cpu). "
            "Everything else, the Dataset classes fed by iterators of numpy batches "
            "included, works without it"
        ) from e
    return tf


def _tf() -> Any:
    """TensorFlow, imported on first use (it takes seconds)."""
    global _TF
    if _TF is None:
        _TF = _import_tf()
    return _TF


def _lead(example: Any, shape: tuple[int, ...]) -> tuple[int | None, ...]:
    """`shape`, with a leading unknown batch axis for a vector of examples."""
    return (None, *shape) if example.shape.rank == 1 else tuple(shape)


def _as_numpy(simulation: Any) -> np.ndarray:
    if hasattr(simulation, "numpy") and not isinstance(simulation, np.ndarray):
        simulation = simulation.numpy()
    return np.asarray(simulation)


class TFRecords:
    """Writer and parsers of simulation records compatible with the IMNN's.

    One `tf.train.Example` per simulation: `data` (raw little-endian float32 bytes,
    C order) and `seed` (int64); numerical-derivative records add `derivative`
    (0 below, 1 above the fiducial) and `parameter`. Files are named
    `{directory}/{filename}_{counter:0{padding}d}.tfrecords` and roll over to the
    next counter once they hold `record_size` MB. Records also carry their `shape`
    (int64 list), so parsing never depends on the writer's state; files without it
    (written by the original) are parsed with `input_shape`.

    `TFRecords.TFRecords` is the class itself, so the seed's
    `TFRecords.TFRecords(record_size=...)` spelling works too.

    **Arguments:**

    - `record_size`: approximate maximum size of one file, in MB (10⁶ bytes).
    - `padding`: zero padding of the file counter.
    - `input_shape`: shape of one simulation, used to give parsed tensors a static
        shape and to parse files without a `shape` feature; set from the first
        simulation written when not given.
    """

    TFRecords: "type[TFRecords]"

    def __init__(
        self,
        record_size: float = 150.0,
        padding: int = 5,
        input_shape: tuple[int, ...] | None = None,
    ):
        if isinstance(record_size, bool) or not isinstance(record_size, int | float):
            raise TypeError(
                f"`record_size` must be a number of MB, got {type(record_size).__name__}"
            )
        if not record_size > 0:
            raise ValueError(f"`record_size` must be positive (MB), got {record_size}")
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"`padding` must be an int >= 0, got {padding!r}")
        self.record_size = float(record_size)
        self.padding = padding
        self.input_shape = None if input_shape is None else tuple(input_shape)
        self._declared_shape = self.input_shape
        self.file: str | None = None
        self._writer: Any = None
        self._bytes = 0
        self._files: list[str] = []
        _tf()

    # ------------------------------------------------------------ features
    @staticmethod
    def _bytes_feature(value: Any) -> Any:
        """A `tf.train.Feature` holding the raw float32 bytes of `value`."""
        tf = _tf()
        data = np.ascontiguousarray(_as_numpy(value), dtype="<f4").tobytes()
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=[data]))

    @staticmethod
    def _int64_feature(value: Any) -> Any:
        """A `tf.train.Feature` holding int64 value(s)."""
        tf = _tf()
        values = np.atleast_1d(np.asarray(value, dtype=np.int64)).tolist()
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    def serialise(
        self,
        simulation: Any,
        seed: int,
        derivative: int | None = None,
        parameter: int | None = None,
    ) -> bytes:
        """One simulation as a serialised `tf.train.Example`.

        **Arguments:**

        - `simulation`: the simulation (array-like; stored as float32).
        - `seed`: its seed index.
        - `derivative`, `parameter`: for numerical-derivative records, 0 (below) or
            1 (above the fiducial) and the index of the perturbed parameter.

        **Returns:**

        The serialised example.
        """
        tf = _tf()
        array = _as_numpy(simulation)
        if not np.issubdtype(array.dtype, np.number):
            raise TypeError(
                f"a simulation must be a numeric array, got dtype {array.dtype} "
                f"(seed {seed})"
            )
        if self.input_shape is None:
            self.input_shape = array.shape
        features = {
            "data": self._bytes_feature(array),
            "seed": self._int64_feature(seed),
            "shape": self._int64_feature(list(array.shape)),
        }
        if derivative is not None:
            features["derivative"] = self._int64_feature(derivative)
            features["parameter"] = self._int64_feature(parameter)
        example = tf.train.Example(features=tf.train.Features(feature=features))
        return example.SerializeToString()

    # ------------------------------------------------------------ writing
    def check_func(self, get_simulation: Any, fiducial: bool) -> None:
        """Check `get_simulation` takes 1 (fiducial) or 3 (numerical) arguments."""
        n = 1 if fiducial else 3
        if not callable(get_simulation):
            raise TypeError(
                f"`get_simulation` must be a function, got {type(get_simulation).__name__}"
            )
        try:
            inspect.signature(get_simulation).bind(*range(n))
        except TypeError:
            form = (
                "get_simulation(seed)"
                if fiducial
                else ("get_simulation(seed, derivative, parameter)")
            )
            raise ValueError(
                f"`get_simulation` must take {n} argument(s) as {form} when "
                f"fiducial={fiducial}"
            ) from None
        except ValueError:
            pass

    def check_params(self, n_params: Any, fiducial: bool) -> None:
        """Numerical-derivative records need `n_params`."""
        if fiducial:
            return
        if n_params is None:
            raise ValueError(
                "`n_params` is necessary to write numerical-derivative records "
                "(fiducial=False); pass write_record(..., n_params=2)"
            )
        if isinstance(n_params, bool) or not isinstance(n_params, int) or n_params < 1:
            raise ValueError(f"`n_params` must be an int >= 1, got {n_params!r}")

    def get_file(
        self, directory: Any, filename: str | None, fiducial: bool, validation: bool
    ) -> str:
        """The file stem records are written to (without counter and suffix)."""
        if filename is None:
            filename = "fiducial" if fiducial else "derivative"
            if validation:
                filename = f"validation_{filename}"
        directory = Path("." if directory is None else directory)
        return str(directory / filename)

    def _path(self, counter: int) -> str:
        return f"{self.file}_{counter:0{self.padding}d}.tfrecords"

    def check_size(self, counter: int) -> bool:
        """Whether the file being written (number `counter`) is full."""
        return self._bytes >= self.record_size * 1e6

    def get_initial_seed(self, fiducial: bool, start: int) -> Any:
        """`start`, or `(start, 0, 0)` for numerical-derivative records."""
        return start if fiducial else (start, 0, 0)

    def get_seed(self, simulation: Any, fiducial: bool) -> int:
        """The seed index of `simulation` (an int, or `(seed, derivative, param)`)."""
        return simulation if fiducial else simulation[0]

    def _write(self, serialised: bytes) -> None:
        self._writer.write(serialised)
        # TFRecord framing: 8-byte length, 4-byte CRC, data, 4-byte CRC.
        self._bytes += len(serialised) + 16

    def fiducial_serialiser(
        self, seed: int, counter: int, get_simulation: Callable
    ) -> int:
        """Write the simulation of `seed` to the open file; return `seed + 1`."""
        self._write(self.serialise(get_simulation(seed), seed))
        return seed + 1

    def derivative_serialiser(
        self,
        simulation: tuple[int, int, int],
        counter: int,
        get_simulation: Callable,
        n_params: int,
    ) -> tuple[int, int, int]:
        """Write the perturbed simulations of one seed, from position `simulation`
        = `(seed, derivative, parameter)`, until the seed is complete or the file is
        full; return the next position."""
        seed, der, param = simulation
        while True:
            sim = get_simulation(seed, der, param)
            self._write(self.serialise(sim, seed, der, param))
            param += 1
            if param == n_params:
                param, der = 0, der + 1
            if der == 2:
                return seed + 1, 0, 0
            if self.check_size(counter):
                return seed, der, param

    def get_serialiser(
        self, fiducial: bool, get_simulation: Callable, n_params: int | None
    ) -> Callable:
        """The fiducial or numerical-derivative serialiser bound to its inputs."""
        if fiducial:
            return lambda sim, counter: self.fiducial_serialiser(
                sim, counter, get_simulation
            )
        n = int(n_params or 0)
        return lambda sim, counter: self.derivative_serialiser(
            sim, counter, get_simulation, n
        )

    def write_record(
        self,
        n_sims: int,
        get_simulation: Callable,
        fiducial: bool = True,
        n_params: int | None = None,
        validation: bool = False,
        directory: str | Path | None = None,
        filename: str | None = None,
        start: int = 0,
    ) -> list[str]:
        """Write simulations `start, ..., n_sims - 1` to a set of TFRecord files.

        **Arguments:**

        - `n_sims`: the seed index to stop before (the original's meaning: an end
            index, not a count).
        - `get_simulation`: `get_simulation(seed)` returning one simulation, or
            `get_simulation(seed, derivative, parameter)` for numerical-derivative
            records (`derivative` 0 below, 1 above the fiducial).
        - `fiducial`: fiducial (or exact-derivative) layout, else numerical.
        - `n_params`: number of parameters (numerical layout only).
        - `validation`: prefix default file names with `validation_`.
        - `directory`: where to write (default: the current directory).
        - `filename`: file stem (default `fiducial` or `derivative`).
        - `start`: first seed index.

        **Returns:**

        The paths of the files written, in order.

        **Raises:**

        `TypeError`/`ValueError` for bad arguments (never exits the interpreter).
        """
        tf = _tf()
        for value, name in ((n_sims, "n_sims"), (start, "start")):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"`{name}` must be an int, got {type(value).__name__}")
        if start < 0 or n_sims <= start:
            raise ValueError(
                f"nothing to write: seeds run from `start` ({start}) up to `n_sims` "
                f"({n_sims}) exclusive; expected 0 <= start < n_sims"
            )
        self.check_func(get_simulation, fiducial)
        self.check_params(n_params, fiducial)
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        self.file = self.get_file(directory, filename, fiducial, validation)
        serialiser = self.get_serialiser(fiducial, get_simulation, n_params)
        simulation = self.get_initial_seed(fiducial, start)
        counter = 0
        files = []
        while self.get_seed(simulation, fiducial) < n_sims:
            path = self._path(counter)
            files.append(path)
            self._bytes = 0
            with tf.io.TFRecordWriter(path) as writer:
                self._writer = writer
                while self.get_seed(simulation, fiducial) < n_sims:
                    simulation = serialiser(simulation, counter)
                    if self.check_size(counter):
                        break
            self._writer = None
            counter += 1
        self._files = files
        return files

    # ------------------------------------------------------------ parsing
    def _parse(self, example: Any, extra: bool = False) -> dict[str, Any]:
        tf = _tf()
        spec = {
            "data": tf.io.FixedLenFeature([], tf.string),
            "shape": tf.io.VarLenFeature(tf.int64),
        }
        if extra:
            spec["derivative"] = tf.io.FixedLenFeature([], tf.int64)
            spec["parameter"] = tf.io.FixedLenFeature([], tf.int64)
        if example.shape.rank == 0:
            parsed = tf.io.parse_single_example(example, spec)
        else:
            parsed = tf.io.parse_example(example, spec)
        parsed["shape"] = tf.sparse.to_dense(parsed["shape"])
        return parsed

    def _decode(self, data: Any, stored: Any, fallback: tuple[int, ...] | None) -> Any:
        tf = _tf()
        values = tf.io.decode_raw(data, tf.float32, little_endian=True)
        default = tf.constant(
            list(fallback) if fallback is not None else [-1], tf.int64
        )
        batched = data.shape.rank == 1
        if batched:  # a batch of examples: every record has the first one's shape
            stored = stored[0]
        shape = tf.cond(tf.size(stored) > 0, lambda: stored, lambda: default)
        if batched:
            shape = tf.concat([[-1], shape], 0)
        return tf.reshape(values, shape)

    def parser(self, example: Any) -> Any:
        """Decode one serialised simulation into a float32 tensor of its shape.

        **Arguments:**

        - `example`: a serialised `tf.train.Example` (a scalar string tensor), or a
            vector of them (parsing a batch at once is much faster).

        **Returns:**

        The simulation, `float32` of shape `input_shape` (`(n, *input_shape)` for a
        batch).
        """
        parsed = self._parse(example)
        out = self._decode(parsed["data"], parsed["shape"], self.input_shape)
        if self._declared_shape is not None:
            out = _tf().ensure_shape(out, _lead(example, self._declared_shape))
        return out

    def derivative_parser(self, example: Any, n_params: int | None = None) -> Any:
        """Decode one exact-derivative record (written in the fiducial layout).

        **Arguments:**

        - `example`: a serialised `tf.train.Example`, or a vector of them.
        - `n_params`: the number of parameters (required).

        **Returns:**

        `float32` of shape `input_shape + (n_params,)` (with a leading batch axis
        for a vector of examples).
        """
        if n_params is None:
            raise ValueError(
                "`n_params` is necessary to parse derivatives; use "
                "functools.partial(writer.derivative_parser, n_params=2)"
            )
        parsed = self._parse(example)
        fallback = None if self.input_shape is None else (*self.input_shape, n_params)
        out = self._decode(parsed["data"], parsed["shape"], fallback)
        if self._declared_shape is not None:
            out = _tf().ensure_shape(
                out, _lead(example, (*self._declared_shape, n_params))
            )
        return out

    def numerical_derivative_parser(
        self, example: Any, n_params: int | None = None
    ) -> Any:
        """Decode numerical-derivative records as [`write_record`][imnn_data.TFRecords.write_record] writes them.

        The writer stores one perturbed simulation per example, in (seed,
        below/above, parameter) order. Given one serialised example this returns
        that simulation (`input_shape`); given a batch of the `2 * n_params`
        examples of one seed (`dataset.batch(2 * n_params)`) it returns them as
        `(2, n_params, *input_shape)`, checking their order.

        **Arguments:**

        - `example`: a scalar, or a vector of `2 * n_params`, serialised examples.
        - `n_params`: the number of parameters (required).

        **Returns:**

        `float32` of shape `input_shape` or `(2, n_params, *input_shape)`.
        """
        tf = _tf()
        if n_params is None:
            raise ValueError(
                "`n_params` is necessary to parse numerical derivatives; use "
                "functools.partial(writer.numerical_derivative_parser, n_params=2)"
            )
        parsed = self._parse(example, extra=True)
        if example.shape.rank == 0:
            return self._decode(parsed["data"], parsed["shape"], self.input_shape)
        expected_der = np.repeat(np.arange(2), n_params)
        expected_par = np.tile(np.arange(n_params), 2)
        check = tf.debugging.Assert(
            tf.reduce_all(tf.equal(parsed["derivative"], expected_der))
            & tf.reduce_all(tf.equal(parsed["parameter"], expected_par)),
            [
                "numerical derivative records are not in (below/above, parameter) "
                f"order or not batched by 2 * n_params = {2 * n_params}: derivative=",
                parsed["derivative"],
                "parameter=",
                parsed["parameter"],
            ],
        )
        with tf.control_dependencies([check]):
            values = tf.io.decode_raw(parsed["data"], tf.float32, little_endian=True)
        first = parsed["shape"][0]
        fallback = tf.constant(
            list(self.input_shape) if self.input_shape is not None else [-1], tf.int64
        )
        shape = tf.cond(tf.size(first) > 0, lambda: first, lambda: fallback)
        out = tf.reshape(values, tf.concat([[2, n_params], shape], 0))
        if self._declared_shape is not None:
            out = tf.ensure_shape(out, (2, n_params, *self._declared_shape))
        return out

    # ------------------------------------------------------------ checking
    @staticmethod
    def check_files(files: str | Path | Sequence[str | Path]) -> int:
        """Read every record of every file; raise naming the first broken file.

        **Arguments:**

        - `files`: a path, a glob pattern, or a list of paths.

        **Returns:**

        The number of records read.

        **Raises:**

        `FileNotFoundError` if there is no file; `ValueError` naming the file that
        is truncated or corrupt.
        """
        tf = _tf()
        if isinstance(files, str | Path):
            import glob

            matched = sorted(glob.glob(str(files)))
            files = matched or [str(files)]
        count = 0
        for file in files:
            if not Path(file).is_file():
                raise FileNotFoundError(f"no TFRecord file {file}")
            problem = framing_problem(str(file))
            if problem is not None:
                raise ValueError(
                    f"TFRecord file {file} is truncated or corrupt (after {count} "
                    f"good records in total in the files before it): {problem}"
                )
            try:
                for _ in tf.data.TFRecordDataset(str(file)):
                    count += 1
            except tf.errors.OpError as e:
                raise ValueError(
                    f"TFRecord file {file} is truncated or corrupt (after "
                    f"{count} good records in total): {tf_message(e)}"
                ) from None
        return count


TFRecords.TFRecords = TFRecords


def no_autograph(function: Any) -> Any:
    """Mark `function` so that tf.data's AutoGraph calls it as it is: the parsers
    use explicit `tf.cond`, and AutoGraph's conversion cache can mix up methods."""
    function.autograph_info__ = {}
    return function


for _name in ("parser", "derivative_parser", "numerical_derivative_parser"):
    no_autograph(getattr(TFRecords, _name))

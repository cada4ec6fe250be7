"""Per-device tf.data iterators laid out exactly as the Dataset classes read them."""

import functools
import glob
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ._checks import check_divisible, check_int
from ._dataset import read_error
from ._tfrecords import TFRecords, _tf, no_autograph


def _files(files: str | Path | Sequence[str | Path], name: str) -> list[str]:
    if isinstance(files, str | Path):
        found = sorted(glob.glob(str(files)))
    else:
        found = [str(f) for f in files]
    if not found:
        raise FileNotFoundError(f"`{name}`: no TFRecord files match {files!r}")
    return found


class _RecordIterator:
    """A numpy iterator over records that names the broken file on a read error."""

    def __init__(self, iterator: Any, files: list[str], name: str):
        self._iterator = iterator
        self.name = name
        self.files = files
        self.record_files = [(f, "") for f in files]

    def __iter__(self) -> "_RecordIterator":
        return self

    def __next__(self) -> Any:
        tf = _tf()
        try:
            return next(self._iterator)
        except tf.errors.OpError as e:
            raise read_error(self.name, e, self.record_files) from e


def _finish(
    ds: Any, n_per_device: int, cache: bool, files: list[str], parse: Any, name: str
) -> Any:
    """Batch the raw records, parse each batch at once, repeat, prefetch."""
    tf = _tf()
    # no drop_remainder: a file read short gives a short batch, which the
    # Dataset classes report (naming the file), instead of silently shifted pairs
    ds = ds.batch(n_per_device).map(parse)
    if cache:
        ds = ds.cache()
    return _RecordIterator(
        ds.repeat().prefetch(tf.data.AUTOTUNE).as_numpy_iterator(), files, name
    )


def gradient_datasets(
    fiducial: str | Path | Sequence[str | Path],
    derivative: str | Path | Sequence[str | Path],
    n_s: int,
    n_d: int,
    n_params: int,
    n_devices: int,
    n_per_device: int,
    writer: TFRecords | None = None,
    cache: bool = False,
) -> tuple[list[Any], list[Any]]:
    """`(main, remaining)` iterator lists for [`imnn_data.DatasetGradientIMNN`][]
    from TFRecord files.

    The first `n_d` fiducial records are the ones with derivatives. Device `j`
    reads the `j`-th block of the `n_d` (fiducial, derivative) pairs and of the
    other `n_s - n_d` fiducial records (the seed's recipe pairs every device with
    the *first* derivative block, which is wrong for more than one device).

    **Arguments:**

    - `fiducial`, `derivative`: glob patterns or lists of record files (sorted).
    - `n_s`, `n_d`, `n_params`: as for the IMNN.
    - `n_devices`, `n_per_device`: the aggregation layout.
    - `writer`: the [`imnn_data.TFRecords`][] whose parsers to use.
    - `cache`: cache the parsed batches in host memory after the first epoch.

    **Returns:**

    `(main, remaining)`, lists of `n_devices` infinite numpy iterators.
    """
    tf = _tf()
    n_devices = check_int(n_devices, "n_devices")
    n_per_device = check_int(n_per_device, "n_per_device")
    check_divisible(n_d, "n_d", n_devices, n_per_device)
    check_divisible(n_s - n_d, "n_s - n_d", n_devices, n_per_device)
    writer = writer or TFRecords()
    fid_files = _files(fiducial, "fiducial")
    der_files = _files(derivative, "derivative")
    fid = tf.data.TFRecordDataset(fid_files)
    der = tf.data.TFRecordDataset(der_files)
    parse_der = functools.partial(writer.derivative_parser, n_params=n_params)

    @no_autograph
    def parse_pair(f, d):
        return writer.parser(f), parse_der(d)

    per_main, per_rest = n_d // n_devices, (n_s - n_d) // n_devices
    main = [
        _finish(
            tf.data.Dataset.zip(
                (
                    fid.skip(j * per_main).take(per_main),
                    der.skip(j * per_main).take(per_main),
                )
            ),
            n_per_device,
            cache,
            fid_files + der_files,
            parse_pair,
            f"main[{j}]",
        )
        for j in range(n_devices)
    ]
    remaining = [
        _finish(
            fid.skip(n_d + j * per_rest).take(per_rest),
            n_per_device,
            cache,
            fid_files,
            writer.parser,
            f"remaining[{j}]",
        )
        for j in range(n_devices)
    ]
    return main, remaining


def numerical_gradient_datasets(
    fiducial: str | Path | Sequence[str | Path],
    derivative: str | Path | Sequence[str | Path],
    n_s: int,
    n_d: int,
    n_params: int,
    n_devices: int,
    n_per_device: int,
    writer: TFRecords | None = None,
    cache: bool = False,
) -> tuple[list[Any], list[Any]]:
    """`(fiducial, derivative)` iterator lists for
    [`imnn_data.DatasetNumericalGradientIMNN`][] from TFRecord files written by
    [`imnn_data.TFRecords.write_record`][] (numerical layout for `derivative`).

    **Arguments:** as [`imnn_data.gradient_datasets`][].

    **Returns:**

    `(fiducial, derivative)`, lists of `n_devices` infinite numpy iterators.
    """
    tf = _tf()
    n_devices = check_int(n_devices, "n_devices")
    n_per_device = check_int(n_per_device, "n_per_device")
    check_divisible(n_s, "n_s", n_devices, n_per_device)
    n_der = 2 * n_params * n_d
    check_divisible(n_der, "2 * n_params * n_d", n_devices, n_per_device)
    writer = writer or TFRecords()
    fid_files = _files(fiducial, "fiducial")
    der_files = _files(derivative, "derivative")
    fid = tf.data.TFRecordDataset(fid_files)
    der = tf.data.TFRecordDataset(der_files)
    per_fid, per_der = n_s // n_devices, n_der // n_devices
    fiducial_its = [
        _finish(
            fid.skip(j * per_fid).take(per_fid),
            n_per_device,
            cache,
            fid_files,
            writer.parser,
            f"fiducial[{j}]",
        )
        for j in range(n_devices)
    ]
    derivative_its = [
        _finish(
            der.skip(j * per_der).take(per_der),
            n_per_device,
            cache,
            der_files,
            writer.parser,
            f"derivative[{j}]",
        )
        for j in range(n_devices)
    ]
    return fiducial_its, derivative_its

"""TFRecords: IMNN-compatible files, bit-exact round trips, clear errors."""

import functools

import numpy as np
import pytest

from imnn_data import (
    DatasetNumericalGradientIMNN,
    TFRecords,
    numerical_gradient_datasets,
)

tf = pytest.importorskip("tensorflow")


def _read(files, parser):
    return np.stack(
        list(tf.data.TFRecordDataset(files).map(parser).as_numpy_iterator())
    )


@pytest.fixture(scope="module")
def arrays():
    rng = np.random.default_rng(0)
    return {
        "fid": rng.normal(size=(30, 3, 4)).astype(np.float32),
        "der": rng.normal(size=(30, 3, 4, 2)).astype(np.float32),
        "num": rng.normal(size=(6, 2, 2, 3, 4)).astype(np.float32),
    }


def test_fiducial_round_trip_names_and_rollover(arrays, tmp_path):
    fid = arrays["fid"]
    writer = TFRecords(record_size=0.0005)  # 500 bytes: several files
    files = writer.write_record(30, lambda s: fid[s], directory=tmp_path)
    assert files[0].endswith("fiducial_00000.tfrecords") and len(files) > 2
    sizes = [(tmp_path / f).stat().st_size for f in files]
    assert all(s >= 500 for s in sizes[:-1])  # rolled over once full
    assert all(s < 500 + 150 for s in sizes)  # ... not later than one record
    reader = TFRecords()  # parsing does not depend on the writer's state
    back = _read(files, reader.parser)
    assert back.shape == fid.shape and back.dtype == np.float32
    np.testing.assert_array_equal(back, fid)  # bit-exact
    assert TFRecords.check_files(files) == 30
    # `start` and the validation prefix
    files = writer.write_record(
        30, lambda s: fid[s], directory=tmp_path, validation=True, start=10
    )
    assert files[0].endswith("validation_fiducial_00000.tfrecords")
    np.testing.assert_array_equal(_read(files, reader.parser), fid[10:])
    seeds = [
        tf.train.Example.FromString(r.numpy())
        .features.feature["seed"]
        .int64_list.value[0]
        for r in tf.data.TFRecordDataset(files)
    ]
    assert seeds == list(range(10, 30))
    assert TFRecords.TFRecords is TFRecords  # the seed's spelling


def test_exact_derivative_parser_with_a_fresh_writer(arrays, tmp_path):
    # the original reshapes to (*in, n_params, n_params) when derivatives are the
    # first thing a writer instance writes
    der = arrays["der"]
    writer = TFRecords()
    files = writer.write_record(
        30, lambda s: der[s], directory=tmp_path, filename="derivative"
    )
    back = _read(files, functools.partial(writer.derivative_parser, n_params=2))
    np.testing.assert_array_equal(back, der)


def test_numerical_derivative_round_trip(arrays, tmp_path):
    # the original's numerical_derivative_parser cannot read what its writer writes
    num = arrays["num"]
    writer = TFRecords(record_size=0.001)
    files = writer.write_record(
        6, lambda s, d, p: num[s, d, p], fiducial=False, n_params=2, directory=tmp_path
    )
    assert files[0].endswith("derivative_00000.tfrecords")
    reader = TFRecords(input_shape=(3, 4))
    grouped = np.stack(
        list(
            tf.data.TFRecordDataset(files)
            .batch(4)
            .map(functools.partial(reader.numerical_derivative_parser, n_params=2))
            .as_numpy_iterator()
        )
    )
    np.testing.assert_array_equal(grouped, num)
    flat = _read(
        files, functools.partial(reader.numerical_derivative_parser, n_params=2)
    )
    np.testing.assert_array_equal(flat, num.reshape((-1, 3, 4)))
    first = tf.train.Example.FromString(
        next(iter(tf.data.TFRecordDataset(files))).numpy()
    ).features.feature
    assert {"data", "seed", "derivative", "parameter"} <= set(first)


def test_reads_files_without_shape_feature(arrays, tmp_path):
    # records as the original writes them: data and seed only
    fid = arrays["fid"]
    path = str(tmp_path / "old_00000.tfrecords")
    with tf.io.TFRecordWriter(path) as w:
        for seed, sim in enumerate(fid):
            feature = {
                "data": tf.train.Feature(
                    bytes_list=tf.train.BytesList(
                        value=[sim.astype(np.float32).tobytes()]
                    )
                ),
                "seed": tf.train.Feature(int64_list=tf.train.Int64List(value=[seed])),
            }
            w.write(
                tf.train.Example(
                    features=tf.train.Features(feature=feature)
                ).SerializeToString()
            )
    np.testing.assert_array_equal(
        _read([path], TFRecords(input_shape=(3, 4)).parser), fid
    )


def test_writer_errors_raise_instead_of_exiting(arrays, tmp_path):
    writer = TFRecords()
    with pytest.raises(ValueError, match="`get_simulation` must take 3 argument"):
        writer.write_record(
            5,
            lambda s: arrays["fid"][s],
            fiducial=False,
            n_params=2,
            directory=tmp_path,
        )
    with pytest.raises(ValueError, match="`n_params` is necessary"):
        writer.write_record(
            5, lambda s, d, p: arrays["fid"][s], fiducial=False, directory=tmp_path
        )
    with pytest.raises(ValueError, match="nothing to write"):
        writer.write_record(5, lambda s: arrays["fid"][s], start=5, directory=tmp_path)
    with pytest.raises(ValueError, match="`record_size` must be positive"):
        TFRecords(record_size=0)


def test_broken_files_are_named(arrays, tmp_path, problem):
    fid = arrays["fid"]
    files = TFRecords(record_size=0.001).write_record(
        30, lambda s: fid[s], directory=tmp_path
    )
    data = (tmp_path / files[1]).read_bytes()
    (tmp_path / files[1]).write_bytes(data[:-7])  # truncated
    with pytest.raises(ValueError, match=f"{files[1]} is truncated or corrupt"):
        TFRecords.check_files(files)
    data = bytearray((tmp_path / files[0]).read_bytes())
    data[40] ^= 0xFF  # corrupt
    (tmp_path / files[0]).write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{files[0]} is truncated or corrupt"):
        TFRecords.check_files(str(tmp_path / "fiducial_*.tfrecords"))
    # read inside a fit: the iterator that failed and its broken files are named
    # (before issue 11, an iterator built by the user named no file at all)
    import jax
    import jax.numpy as jnp
    import optax

    broken = [
        tf.data.TFRecordDataset(files)
        .map(TFRecords().parser)
        .batch(10)
        .repeat()
        .as_numpy_iterator()
    ]
    dev = jax.devices()
    imnn = DatasetNumericalGradientIMNN(
        30,
        5,
        2,
        2,
        (3, 4),
        jnp.array([0.0, 1.0]),
        problem["model"],
        optax.adam(1e-3),
        jax.random.key(0),
        broken,
        broken,
        jnp.array([0.1, 0.1]),
        dev[0],
        dev[:1],
        10,
    )
    with pytest.raises(
        ValueError,
        match=r"(?s)reading `fiducial\[0\]` failed: the TFRecord files are truncated "
        f"or corrupt: {files[0]} \\(DataLossError: corrupted record at .*{files[1]}",
    ):
        imnn.get_summaries()
    # iterators built by the library name the broken file themselves
    fiducial, derivative = numerical_gradient_datasets(files, files, 30, 5, 2, 1, 10)
    imnn = DatasetNumericalGradientIMNN(
        30,
        5,
        2,
        2,
        (3, 4),
        jnp.array([0.0, 1.0]),
        problem["model"],
        optax.adam(1e-3),
        jax.random.key(0),
        fiducial,
        derivative,
        jnp.array([0.1, 0.1]),
        dev[0],
        dev[:1],
        10,
    )
    with pytest.raises(
        ValueError,
        match=r"reading `fiducial\[0\]` failed: the TFRecord files are truncated or "
        f"corrupt: {files[0]} ",
    ):
        imnn.get_summaries()


def test_numerical_records_feed_the_dataset_class(tmp_path, problem, h):
    # numerical records written by the writer, read by the library's per-device
    # layout on 2 devices, give the summaries of the in-memory class
    import jax
    import jax.numpy as jnp
    import optax

    from imnn_data import NumericalGradientIMNN

    δθ = jnp.array([0.1, 0.1])
    fid, nder = h.make_numerical(jax.random.key(3), 20, 10, δθ)
    writer = TFRecords(record_size=0.001)
    writer.write_record(20, lambda s: fid[s], directory=tmp_path)
    writer.write_record(
        10,
        lambda s, d, p: nder[s, d, p],
        fiducial=False,
        n_params=2,
        directory=tmp_path,
    )
    fiducial, derivative = numerical_gradient_datasets(
        tmp_path / "fiducial_*.tfrecords",
        tmp_path / "derivative_*.tfrecords",
        20,
        10,
        2,
        2,
        5,
    )
    dev = jax.devices()
    args = (
        20,
        10,
        2,
        2,
        (3, 4),
        jnp.array([0.0, 1.0]),
        problem["model"],
        optax.adam(1e-3),
        jax.random.key(0),
    )
    ds = DatasetNumericalGradientIMNN(
        *args, fiducial, derivative, δθ, dev[0], dev[:2], 5
    )
    ref = NumericalGradientIMNN(*args, fid, nder, δθ)
    x, dx = ds.get_summaries()
    x_ref, dx_ref = ref.get_summaries()
    np.testing.assert_allclose(x, x_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-4, atol=1e-5)


def _damage(path, how):
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2 + 3]))
    else:  # flip a byte of the second record's payload: its CRC no longer matches
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("kind", "index", "how"),
    [
        ("derivative", 1, "truncate"),
        ("fiducial", 2, "corrupt"),
        ("fiducial", 0, "truncate"),
    ],
)
def test_damaged_record_file_is_named_alone(tmp_path, problem, kind, index, how):
    """A truncated or corrupt file among several, read through DatasetGradientIMNN
    (the seed's own tf.data recipe and the library's `gradient_datasets`): the
    error names that file and no other."""
    import jax
    import jax.numpy as jnp
    import optax

    from imnn_data import DatasetGradientIMNN, gradient_datasets

    fid, der = problem["fid"], problem["der"]
    writer = TFRecords(record_size=0.0006)
    fid_files = writer.write_record(40, lambda s: fid[s], directory=tmp_path)
    der_files = writer.write_record(
        20, lambda s: der[s], directory=tmp_path, filename="derivative"
    )
    assert len(fid_files) >= 3 and len(der_files) >= 2
    files = {"fiducial": fid_files, "derivative": der_files}
    broken = files[kind][index]
    _damage(tmp_path / broken, how)
    others = [f for f in fid_files + der_files if f != broken]

    def dataset(names, parse):
        return tf.data.TFRecordDataset(names).map(parse)

    parse_der = functools.partial(writer.derivative_parser, n_params=2)
    main = [
        tf.data.Dataset.zip(
            (dataset(fid_files, writer.parser), dataset(der_files, parse_der))
        )
        .take(20)
        .batch(10)
        .repeat()
        .as_numpy_iterator()
    ]
    remaining = [
        dataset(fid_files, writer.parser)
        .skip(20)
        .take(20)
        .batch(10)
        .prefetch(tf.data.AUTOTUNE)
        .repeat()
        .as_numpy_iterator()
    ]
    dev = jax.devices()
    args = (40, 20, 2, 2, (3, 4), jnp.array([0.0, 1.0]), problem["model"])
    library = gradient_datasets(fid_files, der_files, 40, 20, 2, 1, 10, writer=writer)
    for m, r in ((main, remaining), library):
        imnn = DatasetGradientIMNN(
            *args, optax.adam(1e-3), jax.random.key(0), m, r, dev[0], dev[:1], 10
        )
        with pytest.raises(ValueError, match="truncated or corrupt") as info:
            imnn.fit(10.0, 0.1, max_iterations=2)
        message = str(info.value)
        assert broken in message, message
        assert not [f for f in others if f in message], message
        assert ("truncated record" if how == "truncate" else "corrupted") in message

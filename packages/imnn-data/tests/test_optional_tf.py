"""TensorFlow is an optional extra; `prefetch` does what the original's does."""

import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from imnn_data import AggregatedGradientIMNN, GradientIMNN

BLOCK_TF = """
import importlib.abc, sys
class _NoTF(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
sys.meta_path.insert(0, _NoTF())
"""


def test_everything_but_tfrecords_runs_without_tensorflow(tmp_path):
    code = BLOCK_TF + textwrap.dedent(
        f"""
        import sys
        import imnn_data, imnn_data.lfi, imnn_data.utils
        from imnn_data import _demo
        assert "tensorflow" not in sys.modules
        try:
            imnn_data.TFRecords()
        except ImportError as e:
            assert "imnn-data[tfrecords]" in str(e), e
        else:
            raise AssertionError("TFRecords() without TensorFlow did not raise")
        line = _demo.run({str(tmp_path)!r}, quick=True)
        assert "numpy batches" in line, line
        assert "tensorflow" not in sys.modules
        print("OK", line)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "OK DatasetGradientIMNN from numpy batches" in out.stdout


def test_prefetch_transfers_batches_ahead(problem):
    fid, der = problem["fid"], problem["der"]
    args = (40, 20, 2, 2, (3, 4), jnp.array([0.0, 1.0]), problem["model"])
    dev = jax.devices()
    ref = GradientIMNN(*args, optax.adam(1e-3), jax.random.key(0), fid, der)
    x_ref, dx_ref = ref.get_summaries()
    for prefetch, ahead in ((None, 0), (0, 0), (2, 2), (-1, 2), (10, 3)):
        imnn = AggregatedGradientIMNN(
            *args,
            optax.adam(1e-3),
            jax.random.key(0),
            fid,
            der,
            dev[0],
            dev[:1],
            5,
            prefetch=prefetch,
        )
        log = []
        put = imnn._put

        def counting_put(batch, put=put, log=log):
            log.append("put")
            return put(batch)

        imnn._put = counting_put
        batches = imnn._batches("main", False, None)
        next(batches)
        # when the first batch is handed out, `ahead` more are already in flight
        # (the main stream has n_d / n_per_device = 4 batches)
        assert log.count("put") == 1 + ahead, (prefetch, log)
        rest = list(batches)
        assert len(rest) == 3 and log.count("put") == 4
        imnn._put = put
        x, dx = imnn.get_summaries()
        np.testing.assert_allclose(x, x_ref, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="prefetch"):
        AggregatedGradientIMNN(
            *args,
            optax.adam(1e-3),
            jax.random.key(0),
            fid,
            der,
            dev[0],
            dev[:1],
            5,
            prefetch=-3,
        )

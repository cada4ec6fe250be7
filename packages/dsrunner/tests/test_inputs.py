"""Every input form, BrainPy's application order, and the corrected 'iter' inputs."""

import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp


class Box(bp.DynamicalSystem):
    """`a` receives the inputs; `b` copies `a` after each update."""

    def __init__(self, a0=0.0):
        super().__init__()
        self.a = bp.Variable(jnp.full(3, a0, jnp.float32))
        self.b = bp.Variable(jnp.zeros(3))

    def update(self):
        self.b.value = self.a.value


def _run(inputs, steps=3, a0=0.0, **kw):
    box = Box(a0)
    runner = bp.DSRunner(box, inputs=inputs, monitors=["a"], progress_bar=False, **kw)
    runner.run(steps * runner.dt)
    return runner.mon.a[:, 0], runner


def test_fix_ops_and_order():
    # category order fixed -> iter -> func, op order = + - * /; list order ignored
    a, _ = _run([("a", 2.0, "fix", "*"), ("a", 1.0, "fix", "=")])
    np.testing.assert_array_equal(a, [2, 2, 2])
    a, _ = _run([("a", lambda: 5.0, "func", "="), ("a", 1.0, "fix", "+")])
    np.testing.assert_array_equal(a, [5, 5, 5])
    a, _ = _run([("a", 4.0, "fix", "-")], a0=10.0)
    np.testing.assert_array_equal(a, [6, 2, -2])
    a, _ = _run([("a", 2.0, "fix", "/")], a0=8.0)
    np.testing.assert_array_equal(a, [4, 2, 1])


def test_plus_accumulates_on_uncleared_variable():
    a, _ = _run(("a", 3.0), a0=2.0)
    np.testing.assert_array_equal(a, [5, 8, 11])


def test_variable_target_and_vector_value():
    box = Box()
    runner = bp.DSRunner(
        box, inputs=[(box.a, np.array([1.0, 2.0, 3.0]), "fix", "=")], monitors=["b"],
        progress_bar=False,
    )  # fmt: skip
    runner.run(0.2)
    np.testing.assert_array_equal(runner.mon.b, [[1, 2, 3], [1, 2, 3]])


def test_iter_array_is_indexed_from_each_run_start():
    # BrainPy indexes by the global step: a second run(3) would see [5, 5, 5].
    a, runner = _run(("a", np.arange(1.0, 9.0), "iter", "="), steps=5)
    np.testing.assert_array_equal(a, [1, 2, 3, 4, 5])
    runner.run(0.3)
    np.testing.assert_array_equal(runner.mon.a[:, 0], [1, 2, 3])


def test_iter_python_iterator_is_consumed_per_step():
    # BrainPy calls next() once at trace time: [10, 10, 10].
    a, _ = _run(("a", iter([10.0, 20.0, 30.0]), "iter", "="))
    np.testing.assert_array_equal(a, [10, 20, 30])
    a, _ = _run(("a", [7.0, 8.0, 9.0], "iter", "="))
    np.testing.assert_array_equal(a, [7, 8, 9])


def test_func_input_reads_share():
    a, _ = _run(("a", lambda: bp.share["i"] * 1.0, "func", "="))
    np.testing.assert_array_equal(a, [0, 1, 2])


def test_callable_inputs():
    box = Box()

    def inp():
        box.a.value = box.a.value + bp.share["t"]

    runner = bp.DSRunner(box, inputs=inp, monitors=["a"], progress_bar=False, dt=0.5)
    runner.run(1.5)
    np.testing.assert_allclose(runner.mon.a[:, 0], [0.0, 0.5, 1.5])


def test_callable_inputs_with_shared_is_deprecated():
    box = Box()

    def inp(sha):
        box.a.value = jnp.full(3, sha["i"] * 1.0)

    with pytest.warns(DeprecationWarning):
        runner = bp.DSRunner(box, inputs=inp, monitors=["a"], progress_bar=False)
    runner.run(0.3)
    np.testing.assert_array_equal(runner.mon.a[:, 0], [0, 1, 2])


def test_run_inputs_are_passed_to_update():
    lif = bp.LIF(2, V_th=1e9)
    runner = bp.DSRunner(lif, monitors=["V"], progress_bar=False)
    x = np.ones((4, 2), np.float32) * 10.0
    out = runner.run(inputs=x)
    assert out.shape == (4, 2) and runner.mon.V.shape == (4, 2)
    assert np.all(np.diff(runner.mon.V[:, 0]) > 0)


@pytest.mark.parametrize(
    "inputs, match",
    [
        (("nope", 1.0), "unknown input target 'nope'.*expected one of"),
        (("a", 1.0, "fixx"), "unknown type 'fixx'"),
        (("a", 1.0, "fix", "%"), "unknown operation '%'"),
        (("a", np.ones(4)), r"shape \(4,\).*expected a shape that broadcasts"),
        (("a", 3.0, "func"), "expected a callable"),
        (("a", np.ones((5, 4)), "iter"), r"per-step value of shape \(4,\)"),
    ],
)
def test_bad_inputs_are_clear_errors(inputs, match):
    with pytest.raises((ValueError, AttributeError), match=match):
        bp.DSRunner(Box(), inputs=inputs, progress_bar=False)


def test_iter_too_short_is_an_error_before_compiling():
    box = Box()
    runner = bp.DSRunner(box, inputs=("a", np.ones(3), "iter"), progress_bar=False)
    with pytest.raises(ValueError, match="has 3 steps, expected at least 5"):
        runner.run(0.5)
    assert runner.num_compiles == 0
    with pytest.raises(ValueError, match="ran out after 2 values, expected 4"):
        bp.DSRunner(
            box, inputs=("a", iter([1.0, 2.0]), "iter"), progress_bar=False
        ).run(0.4)


def test_run_inputs_of_wrong_shape_are_a_clear_error():
    lif = bp.LIF(2)
    runner = bp.DSRunner(lif, monitors=["V"], progress_bar=False)
    v0 = np.asarray(lif.V.value)
    with pytest.raises(
        ValueError, match=r"input of shape \(3,\).*broadcasts to \(2,\)"
    ):
        runner.run(inputs=np.ones((4, 3), np.float32))
    np.testing.assert_array_equal(lif.V.value, v0)


def test_fun_inputs_deprecated():
    box = Box()

    def fun(sha):
        box.a.value = jnp.full(3, sha["i"] * 2.0)

    with pytest.warns(DeprecationWarning, match="fun_inputs"):
        runner = bp.DSRunner(box, fun_inputs=fun, monitors=["a"], progress_bar=False)
    runner.run(0.3)
    np.testing.assert_array_equal(runner.mon.a[:, 0], [0, 2, 4])


def test_external_variable_target_is_threaded_through_the_loop():
    ext = bp.Variable(jnp.zeros(3))
    box = Box()
    runner = bp.DSRunner(
        box, inputs=[(ext, 1.0, "fix", "+")], monitors={"ext": ext}, progress_bar=False
    )
    runner.run(0.3)
    np.testing.assert_array_equal(runner.mon.ext[:, 0], [1, 2, 3])
    np.testing.assert_array_equal(ext.value, [3, 3, 3])  # a concrete array again

"""Conformance test suites that plugins subclass in their own tests.

A plugin's test module subclasses a suite and provides its fixtures:

```python
import pytest
from rollax.testing import StepperTests

class TestMyStepper(StepperTests):
    @pytest.fixture
    def stepper(self):
        return MyStepper(rate=0.5)

    @pytest.fixture
    def state(self):
        return jnp.ones((1, 16))
```

Every test in the suite then runs against the plugin's implementation. Optional
fixtures (`batch`, `bad_state`, `key`, ...) have defaults that a subclass may
override, and class attributes (`rtol`, `atol`, `jittable`, ...) tune the checks.
"""

from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

from .._layer import AbstractLayer
from .._runner import AbstractRunner
from .._stepper import AbstractStepper
from .._summariser import AbstractSummariser
from ._helpers import (
    add_trailing_axis,
    assert_clear_error,
    assert_finite,
    assert_same_structure,
    assert_trees_close,
    assert_trees_equal,
    stack,
    unstack,
)


class _Suite:
    rtol: ClassVar[float] = 1e-5
    """Relative tolerance between eager, jitted and vmapped results."""
    atol: ClassVar[float] = 1e-6
    """Absolute tolerance between eager, jitted and vmapped results."""
    error_types: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError)
    """Exception types accepted for an input of the wrong shape."""

    @pytest.fixture
    def key(self):
        """The fixed PRNG key used by every test."""
        return jax.random.key(0)

    @staticmethod
    def _check_name(obj: Any, base: type) -> None:
        cls = type(obj)
        assert isinstance(obj, base), f"{cls.__name__} must subclass {base.__name__}"
        name = getattr(cls, "name", None)
        assert isinstance(name, str) and name, (
            f"{cls.__name__} needs a class-level `name`, its registry key"
        )


class StepperTests(_Suite):
    """Conformance suite for an [`rollax.AbstractStepper`][].

    Fixtures to provide: `stepper` (an instance) and `state` (one sample's state).
    Optional: `batch` (states stacked on a leading axis; default: `state` twice),
    `bad_state` (a state of the wrong shape; default: a spurious trailing axis).
    """

    @pytest.fixture
    def stepper(self) -> AbstractStepper:
        raise NotImplementedError("define a `stepper` fixture returning an instance")

    @pytest.fixture
    def state(self) -> Any:
        raise NotImplementedError("define a `state` fixture returning one state")

    @pytest.fixture
    def batch(self, state):
        return stack(state, state)

    @pytest.fixture
    def bad_state(self, state):
        return add_trailing_axis(state)

    def test_has_name(self, stepper):
        self._check_name(stepper, AbstractStepper)

    def test_step_preserves_structure(self, stepper, state, key):
        assert_same_structure(stepper(state, key=key), state)

    def test_step_is_finite(self, stepper, state, key):
        assert_finite(stepper(state, key=key), "the stepped state")

    def test_deterministic(self, stepper, state, key):
        assert_trees_equal(stepper(state, key=key), stepper(state, key=key))

    def test_jit(self, stepper, state, key):
        jitted = eqx.filter_jit(lambda s, x, k: s(x, key=k))
        assert_trees_close(
            jitted(stepper, state, key),
            stepper(state, key=key),
            rtol=self.rtol,
            atol=self.atol,
        )

    def test_vmap(self, stepper, batch, key):
        n = jax.tree.leaves(batch)[0].shape[0]
        keys = jax.random.split(key, n)
        out = jax.vmap(lambda x, k: stepper(x, key=k))(batch, keys)
        for i in range(n):
            assert_trees_close(
                unstack(out, i),
                stepper(unstack(batch, i), key=keys[i]),
                rtol=self.rtol,
                atol=self.atol,
            )

    def test_wrong_shape_is_a_clear_error(self, stepper, bad_state, key):
        with pytest.raises(self.error_types) as excinfo:
            stepper(bad_state, key=key)
        assert_clear_error(excinfo)


class RunnerTests(_Suite):
    """Conformance suite for an [`rollax.AbstractRunner`][].

    Fixtures to provide: `runner` (an instance) and `state` (one initial state).
    Optional: `num_steps` (default 4), `batch`, `bad_state`. Set `jittable = False`
    or `vmappable = False` for runners that orchestrate on the host.
    """

    jittable: ClassVar[bool] = True
    vmappable: ClassVar[bool] = True

    @pytest.fixture
    def runner(self) -> AbstractRunner:
        raise NotImplementedError("define a `runner` fixture returning an instance")

    @pytest.fixture
    def state(self) -> Any:
        raise NotImplementedError("define a `state` fixture returning one state")

    @pytest.fixture
    def num_steps(self) -> int:
        return 4

    @pytest.fixture
    def batch(self, state):
        return stack(state, state)

    @pytest.fixture
    def bad_state(self, state):
        return add_trailing_axis(state)

    def test_has_name(self, runner):
        self._check_name(runner, AbstractRunner)

    def test_run_returns_final_state_and_outputs(self, runner, state, num_steps, key):
        result = runner.run(state, num_steps, key=key)
        assert isinstance(result, tuple) and len(result) == 2, (
            "run must return a tuple (final_state, outputs)"
        )
        final, outputs = result
        assert_same_structure(final, state)
        assert_finite(final, "the final state")
        assert_finite(outputs, "the run's outputs")

    def test_deterministic(self, runner, state, num_steps, key):
        assert_trees_equal(
            runner.run(state, num_steps, key=key),
            runner.run(state, num_steps, key=key),
        )

    def test_jit(self, runner, state, num_steps, key):
        if not self.jittable:
            pytest.skip("runner orchestrates on the host (jittable = False)")
        jitted = eqx.filter_jit(lambda r, x, k: r.run(x, num_steps, key=k))
        assert_trees_close(
            jitted(runner, state, key),
            runner.run(state, num_steps, key=key),
            rtol=self.rtol,
            atol=self.atol,
        )

    def test_vmap(self, runner, batch, num_steps, key):
        if not self.vmappable:
            pytest.skip("runner orchestrates on the host (vmappable = False)")
        n = jax.tree.leaves(batch)[0].shape[0]
        keys = jax.random.split(key, n)
        out = jax.vmap(lambda x, k: runner.run(x, num_steps, key=k))(batch, keys)
        for i in range(n):
            assert_trees_close(
                unstack(out, i),
                runner.run(unstack(batch, i), num_steps, key=keys[i]),
                rtol=self.rtol,
                atol=self.atol,
            )

    def test_wrong_shape_is_a_clear_error(self, runner, bad_state, num_steps, key):
        with pytest.raises(self.error_types) as excinfo:
            runner.run(bad_state, num_steps, key=key)
        assert_clear_error(excinfo)


class LayerTests(_Suite):
    """Conformance suite for an [`rollax.AbstractLayer`][].

    Fixtures to provide: `layer` (an instance), `input_shape` and `inputs` (one
    input sample). Optional: `batch`, `bad_inputs`. Set `check_output_shape = False`
    when the output is not a single array of the shape `init` reports, and
    `differentiable = False` for layers without trainable float parameters.
    """

    check_output_shape: ClassVar[bool] = True
    differentiable: ClassVar[bool] = True

    @pytest.fixture
    def layer(self) -> AbstractLayer:
        raise NotImplementedError("define a `layer` fixture returning an instance")

    @pytest.fixture
    def input_shape(self) -> tuple[int, ...]:
        raise NotImplementedError("define an `input_shape` fixture")

    @pytest.fixture
    def inputs(self) -> Any:
        raise NotImplementedError("define an `inputs` fixture returning one sample")

    @pytest.fixture
    def batch(self, inputs):
        return stack(inputs, inputs)

    @pytest.fixture
    def bad_inputs(self, inputs):
        return add_trailing_axis(inputs)

    @pytest.fixture
    def initialised(self, layer, input_shape, key):
        return layer.init(key, input_shape)

    def test_has_name(self, layer):
        self._check_name(layer, AbstractLayer)

    def test_init_is_deterministic(self, layer, input_shape, key):
        out_shape, params = layer.init(key, input_shape)
        assert isinstance(out_shape, tuple), "init must return (output_shape, params)"
        again = layer.init(key, input_shape)
        assert again[0] == out_shape
        assert_trees_equal(again[1], params)

    def test_apply(self, layer, initialised, inputs, key):
        out_shape, params = initialised
        out = layer.apply(params, inputs, key=key)
        assert_finite(out, "the layer's output")
        if self.check_output_shape and isinstance(out, jax.Array):
            assert out.shape == tuple(out_shape), (
                f"init reported output shape {out_shape}, apply gave {out.shape}"
            )

    def test_deterministic(self, layer, initialised, inputs, key):
        params = initialised[1]
        assert_trees_equal(
            layer.apply(params, inputs, key=key), layer.apply(params, inputs, key=key)
        )

    def test_jit(self, layer, initialised, inputs, key):
        params = initialised[1]
        jitted = eqx.filter_jit(lambda lay, p, x, k: lay.apply(p, x, key=k))
        assert_trees_close(
            jitted(layer, params, inputs, key),
            layer.apply(params, inputs, key=key),
            rtol=self.rtol,
            atol=self.atol,
        )

    def test_vmap(self, layer, initialised, batch, key):
        params = initialised[1]
        out = jax.vmap(lambda x: layer.apply(params, x, key=key))(batch)
        n = jax.tree.leaves(batch)[0].shape[0]
        for i in range(n):
            assert_trees_close(
                unstack(out, i),
                layer.apply(params, unstack(batch, i), key=key),
                rtol=self.rtol,
                atol=self.atol,
            )

    def test_gradient_is_finite(self, layer, initialised, inputs, key):
        if not self.differentiable:
            pytest.skip("layer has no trainable float parameters")
        params = initialised[1]

        def loss(p):
            out = layer.apply(p, inputs, key=key)
            floats = [
                jnp.sum(x)
                for x in jax.tree.leaves(out)
                if jnp.issubdtype(jnp.result_type(x), jnp.floating)
            ]
            return sum(floats, jnp.zeros(()))

        grads = eqx.filter_grad(loss)(params)
        assert_finite(grads, "the gradient with respect to the parameters")

    def test_wrong_shape_is_a_clear_error(self, layer, initialised, bad_inputs, key):
        with pytest.raises(self.error_types) as excinfo:
            layer.apply(initialised[1], bad_inputs, key=key)
        assert_clear_error(excinfo)


class SummariserTests(_Suite):
    """Conformance suite for an [`rollax.AbstractSummariser`][].

    Fixtures to provide: `summariser` (an instance) and `data` (one sample).
    Optional: `batch`, `bad_data`.
    """

    @pytest.fixture
    def summariser(self) -> AbstractSummariser:
        raise NotImplementedError("define a `summariser` fixture")

    @pytest.fixture
    def data(self) -> Any:
        raise NotImplementedError("define a `data` fixture returning one sample")

    @pytest.fixture
    def batch(self, data):
        return stack(data, data)

    @pytest.fixture
    def bad_data(self, data):
        return add_trailing_axis(data)

    def test_has_name(self, summariser):
        self._check_name(summariser, AbstractSummariser)

    def test_summaries_are_a_finite_float_vector(self, summariser, data):
        out = summariser(data)
        assert out.ndim == 1, f"summaries must be a 1-D vector, got shape {out.shape}"
        assert jnp.issubdtype(out.dtype, jnp.floating)
        assert_finite(out, "the summaries")

    def test_report(self, summariser):
        report = summariser.report()
        assert hasattr(report, "items"), "report() must return a mapping"
        assert all(isinstance(k, str) for k in report)

    def test_deterministic(self, summariser, data):
        assert_trees_equal(summariser(data), summariser(data))

    def test_jit(self, summariser, data):
        jitted = eqx.filter_jit(lambda s, x: s(x))
        assert_trees_close(
            jitted(summariser, data), summariser(data), rtol=self.rtol, atol=self.atol
        )

    def test_vmap(self, summariser, batch):
        out = jax.vmap(summariser)(batch)
        n = jax.tree.leaves(batch)[0].shape[0]
        for i in range(n):
            assert_trees_close(
                out[i], summariser(unstack(batch, i)), rtol=self.rtol, atol=self.atol
            )

    def test_wrong_shape_is_a_clear_error(self, summariser, bad_data):
        with pytest.raises(self.error_types) as excinfo:
            summariser(bad_data)
        assert_clear_error(excinfo)

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

from typing import Any, ClassVar, NoReturn

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


def _missing(fixture: str, what: str) -> NoReturn:
    raise NotImplementedError(f"define a `{fixture}` fixture returning {what}")


class _Suite:
    """The checks every protocol shares.

    A suite names its fixtures after its protocol (`stepper`/`state`, ...) and maps
    them onto the generic `subject` (what is called), `sample`, `samples` (a batch)
    and `bad_sample`; `_apply(subject, sample, key)` makes one call.
    """

    protocol: ClassVar[type]
    names: ClassVar[dict[str, str]]
    """The suite's own fixtures behind `implementation`, `sample` and `bad_sample`."""
    rtol: ClassVar[float] = 1e-5
    """Relative tolerance between eager, jitted and vmapped results."""
    atol: ClassVar[float] = 1e-6
    """Absolute tolerance between eager, jitted and vmapped results."""
    error_types: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError)
    """Exception types accepted for an input of the wrong shape."""
    jittable: ClassVar[bool] = True
    vmappable: ClassVar[bool] = True

    @pytest.fixture
    def key(self):
        """The fixed PRNG key used by every test."""
        return jax.random.key(0)

    @pytest.fixture
    def implementation(self, request):
        return request.getfixturevalue(self.names["implementation"])

    @pytest.fixture
    def subject(self, implementation):
        return implementation

    @pytest.fixture
    def sample(self, request):
        return request.getfixturevalue(self.names["sample"])

    @pytest.fixture
    def samples(self, batch):
        return batch

    @pytest.fixture
    def bad_sample(self, request):
        return request.getfixturevalue(self.names["bad_sample"])

    @staticmethod
    def _apply(subject: Any, sample: Any, key: Any) -> Any:
        raise NotImplementedError

    def test_has_name(self, implementation):
        cls = type(implementation)
        assert isinstance(implementation, self.protocol), (
            f"{cls.__name__} must subclass {self.protocol.__name__}"
        )
        name = getattr(cls, "name", None)
        assert isinstance(name, str) and name, (
            f"{cls.__name__} needs a class-level `name`, its registry key"
        )

    def test_output_is_finite(self, subject, sample, key):
        assert_finite(self._apply(subject, sample, key), "the output")

    def test_deterministic(self, subject, sample, key):
        assert_trees_equal(
            self._apply(subject, sample, key), self._apply(subject, sample, key)
        )

    def test_jit(self, subject, sample, key):
        if not self.jittable:
            pytest.skip("orchestrates on the host (jittable = False)")
        jitted = eqx.filter_jit(self._apply)
        assert_trees_close(
            jitted(subject, sample, key),
            self._apply(subject, sample, key),
            rtol=self.rtol,
            atol=self.atol,
        )

    def test_vmap(self, subject, samples, key):
        if not self.vmappable:
            pytest.skip("orchestrates on the host (vmappable = False)")
        n = jax.tree.leaves(samples)[0].shape[0]
        keys = jax.random.split(key, n)
        out = jax.vmap(lambda x, k: self._apply(subject, x, k))(samples, keys)
        for i in range(n):
            assert_trees_close(
                unstack(out, i),
                self._apply(subject, unstack(samples, i), keys[i]),
                rtol=self.rtol,
                atol=self.atol,
            )

    def test_wrong_shape_is_a_clear_error(self, subject, bad_sample, key):
        with pytest.raises(self.error_types) as excinfo:
            self._apply(subject, bad_sample, key)
        assert_clear_error(excinfo)


class StepperTests(_Suite):
    """Conformance suite for an [`rollax.AbstractStepper`][].

    Fixtures to provide: `stepper` (an instance) and `state` (one sample's state).
    Optional: `batch` (states stacked on a leading axis; default: `state` twice),
    `bad_state` (a state of the wrong shape; default: a spurious trailing axis).
    """

    protocol = AbstractStepper
    names: ClassVar[dict[str, str]] = {
        "implementation": "stepper",
        "sample": "state",
        "bad_sample": "bad_state",
    }

    @pytest.fixture
    def stepper(self) -> AbstractStepper:
        _missing("stepper", "an instance")

    @pytest.fixture
    def state(self) -> Any:
        _missing("state", "one state")

    @pytest.fixture
    def batch(self, state):
        return stack(state, state)

    @pytest.fixture
    def bad_state(self, state):
        return add_trailing_axis(state)

    @staticmethod
    def _apply(subject, sample, key):
        return subject(sample, key=key)

    def test_step_preserves_structure(self, stepper, state, key):
        assert_same_structure(stepper(state, key=key), state)


class RunnerTests(_Suite):
    """Conformance suite for an [`rollax.AbstractRunner`][].

    Fixtures to provide: `runner` (an instance) and `state` (one initial state).
    Optional: `num_steps` (default 4), `batch`, `bad_state`. Set `jittable = False`
    or `vmappable = False` for runners that orchestrate on the host.
    """

    protocol = AbstractRunner
    names: ClassVar[dict[str, str]] = {
        "implementation": "runner",
        "sample": "state",
        "bad_sample": "bad_state",
    }

    @pytest.fixture
    def runner(self) -> AbstractRunner:
        _missing("runner", "an instance")

    @pytest.fixture
    def state(self) -> Any:
        _missing("state", "one initial state")

    @pytest.fixture
    def num_steps(self) -> int:
        return 4

    @pytest.fixture
    def batch(self, state):
        return stack(state, state)

    @pytest.fixture
    def bad_state(self, state):
        return add_trailing_axis(state)

    @pytest.fixture
    def subject(self, runner, num_steps):
        return runner, num_steps

    @staticmethod
    def _apply(subject, sample, key):
        runner, num_steps = subject
        return runner.run(sample, num_steps, key=key)

    def test_run_returns_final_state_and_outputs(self, runner, state, num_steps, key):
        result = runner.run(state, num_steps, key=key)
        assert isinstance(result, tuple) and len(result) == 2, (
            "run must return a tuple (final_state, outputs)"
        )
        assert_same_structure(result[0], state)


class LayerTests(_Suite):
    """Conformance suite for an [`rollax.AbstractLayer`][].

    Fixtures to provide: `layer` (an instance), `input_shape` and `inputs` (one
    input sample). Optional: `batch`, `bad_inputs`. Set `check_output_shape = False`
    when the output is not a single array of the shape `init` reports, and
    `differentiable = False` for layers without trainable float parameters.
    """

    protocol = AbstractLayer
    names: ClassVar[dict[str, str]] = {
        "implementation": "layer",
        "sample": "inputs",
        "bad_sample": "bad_inputs",
    }
    check_output_shape: ClassVar[bool] = True
    differentiable: ClassVar[bool] = True

    @pytest.fixture
    def layer(self) -> AbstractLayer:
        _missing("layer", "an instance")

    @pytest.fixture
    def input_shape(self) -> tuple[int, ...]:
        _missing("input_shape", "the shape of one input sample")

    @pytest.fixture
    def inputs(self) -> Any:
        _missing("inputs", "one input sample")

    @pytest.fixture
    def batch(self, inputs):
        return stack(inputs, inputs)

    @pytest.fixture
    def bad_inputs(self, inputs):
        return add_trailing_axis(inputs)

    @pytest.fixture
    def initialised(self, layer, input_shape, key):
        return layer.init(key, input_shape)

    @pytest.fixture
    def subject(self, layer, initialised):
        return layer, initialised[1]

    @staticmethod
    def _apply(subject, sample, key):
        layer, params = subject
        return layer.apply(params, sample, key=key)

    def test_init_is_deterministic(self, layer, input_shape, key):
        out_shape, params = layer.init(key, input_shape)
        assert isinstance(out_shape, tuple), "init must return (output_shape, params)"
        again = layer.init(key, input_shape)
        assert again[0] == out_shape
        assert_trees_equal(again[1], params)

    def test_output_shape(self, layer, initialised, inputs, key):
        out_shape, params = initialised
        out = layer.apply(params, inputs, key=key)
        if self.check_output_shape and isinstance(out, jax.Array):
            assert out.shape == tuple(out_shape), (
                f"init reported output shape {out_shape}, apply gave {out.shape}"
            )

    def test_gradient_is_finite(self, layer, initialised, inputs, key):
        if not self.differentiable:
            pytest.skip("layer has no trainable float parameters")

        def loss(params):
            out = layer.apply(params, inputs, key=key)
            floats = [
                jnp.sum(x)
                for x in jax.tree.leaves(out)
                if jnp.issubdtype(jnp.result_type(x), jnp.floating)
            ]
            return sum(floats, jnp.zeros(()))

        grads = eqx.filter_grad(loss)(initialised[1])
        assert_finite(grads, "the gradient with respect to the parameters")


class SummariserTests(_Suite):
    """Conformance suite for an [`rollax.AbstractSummariser`][].

    Fixtures to provide: `summariser` (an instance) and `data` (one sample).
    Optional: `batch`, `bad_data`.
    """

    protocol = AbstractSummariser
    names: ClassVar[dict[str, str]] = {
        "implementation": "summariser",
        "sample": "data",
        "bad_sample": "bad_data",
    }

    @pytest.fixture
    def summariser(self) -> AbstractSummariser:
        _missing("summariser", "an instance")

    @pytest.fixture
    def data(self) -> Any:
        _missing("data", "one data sample")

    @pytest.fixture
    def batch(self, data):
        return stack(data, data)

    @pytest.fixture
    def bad_data(self, data):
        return add_trailing_axis(data)

    @staticmethod
    def _apply(subject, sample, key):
        del key
        return subject(sample)

    def test_summaries_are_a_float_vector(self, summariser, data):
        out = summariser(data)
        assert out.ndim == 1, f"summaries must be a 1-D vector, got shape {out.shape}"
        assert jnp.issubdtype(out.dtype, jnp.floating)

    def test_report(self, summariser):
        report = summariser.report()
        assert hasattr(report, "items"), "report() must return a mapping"
        assert all(isinstance(k, str) for k in report)

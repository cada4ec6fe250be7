import jax.numpy as jnp
import pytest

import rollax
from rollax.testing import LayerTests, RunnerTests, StepperTests, SummariserTests


@pytest.mark.parametrize(
    "cls",
    [
        rollax.AbstractStepper,
        rollax.AbstractRunner,
        rollax.AbstractLayer,
        rollax.AbstractSummariser,
    ],
)
def test_protocols_are_abstract(cls):
    with pytest.raises(TypeError):
        cls()


def test_missing_method_keeps_class_abstract():
    class Incomplete(rollax.AbstractStepper):
        name = "incomplete"

    with pytest.raises(TypeError):
        Incomplete()  # pyright: ignore[reportAbstractUsage]


class TestDecay(StepperTests):
    @pytest.fixture
    def stepper(self, toys):
        return toys.Decay(jnp.array(0.5))

    @pytest.fixture
    def state(self):
        return jnp.array([1.0, 2.0, 3.0])

    @pytest.fixture
    def batch(self):
        return jnp.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 4.0]])


class TestDecayRunner(RunnerTests):
    @pytest.fixture
    def runner(self, toys):
        return toys.DecayRunner(toys.Decay(jnp.array(0.9)))

    @pytest.fixture
    def state(self):
        return jnp.array([1.0, 2.0, 3.0])


class TestDense(LayerTests):
    @pytest.fixture
    def layer(self, toys):
        return toys.Dense(width=4)

    @pytest.fixture
    def input_shape(self):
        return (2,)

    @pytest.fixture
    def inputs(self):
        return jnp.array([0.5, -1.0])


class TestMoments(SummariserTests):
    @pytest.fixture
    def summariser(self, toys):
        return toys.Moments()

    @pytest.fixture
    def data(self):
        return jnp.arange(5.0)


class TestSuiteCatchesAWrongShapeError:
    """The conformance suite fails a stepper that crashes obscurely on bad shapes."""

    def test_unclear_error_fails_the_check(self):
        from rollax.testing._helpers import assert_clear_error

        class Info:
            value = IndexError("tuple index out of range")

        with pytest.raises(AssertionError, match="should say what shape"):
            assert_clear_error(Info())


def test_structure_check_fails_on_dtype_change():
    from rollax.testing import assert_same_structure

    with pytest.raises(AssertionError, match="dtype"):
        assert_same_structure(jnp.zeros(3, jnp.int32), jnp.zeros(3))

"""Fixtures: fresh registries and toy implementations of the four protocols."""

import types
from typing import ClassVar

import jax
import jax.numpy as jnp
import pytest
from jaxtyping import Array, Float

import rollax


def check_shape(x, expected):
    if jnp.shape(x) != expected:
        raise ValueError(f"expected shape {expected}, got {jnp.shape(x)}")


class Decay(rollax.AbstractStepper):
    name: ClassVar[str] = "test-decay"
    rate: Float[Array, ""]

    def __call__(self, state, *, key=None):
        check_shape(state, (3,))
        out = state * self.rate
        if key is not None:
            out = out + 0.01 * jax.random.normal(key, state.shape)
        return out


class DecayRunner(rollax.AbstractRunner):
    name: ClassVar[str] = "test-decay-runner"
    stepper: Decay

    def run(self, state, num_steps, *, key=None):
        check_shape(state, (3,))
        keys = jax.random.split(jax.random.key(0) if key is None else key, num_steps)

        def body(x, k):
            x = self.stepper(x, key=k)
            return x, x

        return jax.lax.scan(body, state, keys)


class Dense(rollax.AbstractLayer):
    name: ClassVar[str] = "test-dense"
    width: int

    def init(self, key, input_shape):
        (n,) = input_shape
        return (self.width,), {"w": jax.random.normal(key, (self.width, n))}

    def apply(self, params, inputs, *, key=None):
        check_shape(inputs, (params["w"].shape[1],))
        return jnp.tanh(params["w"] @ inputs)


class Moments(rollax.AbstractSummariser):
    name: ClassVar[str] = "test-moments"

    def __call__(self, data):
        check_shape(data, (5,))
        return jnp.stack([data.mean(), data.var()])

    def report(self):
        return {"summaries": ("mean", "variance")}


class ToyPlugin:
    """A plugin object with one hook of each kind."""

    @rollax.hookimpl
    def register_steppers(self):
        return [Decay]

    @rollax.hookimpl
    def register_runners(self):
        return [DecayRunner]

    @rollax.hookimpl
    def register_layers(self):
        return [Dense]

    @rollax.hookimpl
    def register_summarisers(self):
        return [Moments]

    @rollax.hookimpl
    def register_demos(self):
        return [rollax.Demo("toy", "writes one file", _toy_demo)]


def _toy_demo(outdir, *, quick=False):
    (outdir / "out.txt").write_text("quick" if quick else "full")
    return "wrote out.txt\nsecond line is dropped"


@pytest.fixture
def registry():
    """A fresh registry that loads no installed plugins."""
    return rollax.Registry(autoload=False)


@pytest.fixture
def toys():
    """The toy classes, by name."""
    return types.SimpleNamespace(
        Decay=Decay,
        DecayRunner=DecayRunner,
        Dense=Dense,
        Moments=Moments,
        ToyPlugin=ToyPlugin,
    )

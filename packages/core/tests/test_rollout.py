"""rollax.rollout: numbers, compile-once, progress, sharding and bad input."""

import inspect
import warnings
from typing import ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import Array, Float

import rollax


class NoisyDecay(rollax.AbstractStepper):
    """x <- rate * x + 1 + scale * N(0, 1): simple enough to redo by hand in numpy."""

    name: ClassVar[str] = "test-noisy-decay"
    rate: Float[Array, ""]
    scale: float = 0.0

    def __call__(self, state, *, key=None):
        out = state * self.rate + 1.0
        if key is not None:
            out = out + self.scale * jax.random.normal(key, state.shape)
        return out


def reference(stepper, state, num_steps, key=None, every=1):
    """The loop written out step by step, eagerly, with the documented per-step keys."""
    states = []
    for i in range(num_steps):
        k = None if key is None else jax.random.fold_in(key, i)
        state = stepper(state) if k is None else stepper(state, key=k)
        if (i + 1) % every == 0:
            states.append(np.asarray(state))
    return np.asarray(state), np.asarray(states).reshape(-1, *np.shape(state))


@pytest.fixture
def stepper():
    return NoisyDecay(jnp.float32(0.9), scale=0.1)


@pytest.mark.parametrize(
    "num_steps, every", [(0, 1), (1, 1), (10, 3), (37, 4), (64, 8)]
)
def test_rollout_equals_the_loop_written_out(stepper, num_steps, every):
    state = jnp.arange(3.0)
    key = jax.random.key(0)
    final, outputs = rollax.rollout(
        stepper,
        state,
        num_steps,
        key=key,
        monitor=lambda s: s,
        every=every,
        chunk_size=8,
    )
    want_final, want_outputs = reference(stepper, state, num_steps, key, every)
    assert outputs is not None
    np.testing.assert_allclose(final, want_final, rtol=1e-6)
    assert outputs.shape == (num_steps // every, 3)
    np.testing.assert_allclose(outputs, want_outputs, rtol=1e-6)


def test_a_plain_function_with_a_pytree_state():
    def step(state):
        return {"x": state["x"] + 1, "count": state["count"] + jnp.int32(1)}

    final, outputs = rollax.rollout(step, {"x": jnp.zeros(2), "count": jnp.int32(0)}, 5)
    assert outputs is None
    assert int(final["count"]) == 5
    np.testing.assert_array_equal(final["x"], [5.0, 5.0])


@pytest.mark.parametrize("chunk_size", [1, 3, 8, 1000])
def test_numbers_do_not_depend_on_chunking_or_progress(stepper, chunk_size):
    state, key = jnp.arange(3.0), jax.random.key(1)
    monitor = jnp.sum
    base = rollax.rollout(
        stepper, state, 50, key=key, monitor=monitor, every=2, chunk_size=2
    )
    other = rollax.rollout(
        stepper,
        state,
        50,
        key=key,
        monitor=monitor,
        every=2,
        chunk_size=chunk_size,
        progress=True,
    )
    for a, b in zip(jax.tree.leaves(base), jax.tree.leaves(other), strict=True):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_counts_steps(stepper, capsys):
    rollax.rollout(stepper, jnp.zeros(3), 40, progress=True, chunk_size=16)
    err = capsys.readouterr().err
    assert "40/40" in err


class CompileCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, event: str, duration_secs: float, **kwargs: str | int) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            self.count += 1


def test_any_num_steps_reuses_the_compiled_program(stepper):
    counter = CompileCounter()
    jax.monitoring.register_event_duration_secs_listener(counter)
    try:
        state, key = jnp.zeros(3), jax.random.key(0)
        monitor = jnp.mean
        for n in (100, 3):  # warm-up: one program with the monitor, one without
            rollax.rollout(stepper, state, n, key=key, monitor=monitor, chunk_size=64)
            rollax.rollout(stepper, state, n, key=key, chunk_size=64)
        warm = counter.count
        for n in (257, 1000, 5, 64, 129):  # new lengths, new parameter values
            rollax.rollout(stepper, state, n, key=key, monitor=monitor, chunk_size=64)
            other = NoisyDecay(jnp.float32(0.5), scale=0.1)
            rollax.rollout(other, state, n + 1, key=key, chunk_size=64)
        loops = counter.count - warm
    finally:
        jax.monitoring.clear_event_listeners()
    assert loops == 0, loops


def test_new_parameter_values_do_not_recompile():
    counter = CompileCounter()
    state = jnp.zeros(3)
    rollax.rollout(NoisyDecay(jnp.float32(0.9)), state, 10)
    jax.monitoring.register_event_duration_secs_listener(counter)
    try:
        for rate in (0.1, 0.5, 0.99):
            rollax.rollout(NoisyDecay(jnp.float32(rate)), state, 10)
            rollax.rollout(NoisyDecay(jnp.float32(rate)), state, 13)
    finally:
        jax.monitoring.clear_event_listeners()
    assert counter.count == 0


def test_sharded_batch_equals_unsharded(stepper):
    devices = np.array(jax.devices())
    if devices.size < 2:
        pytest.skip("needs several (simulated) devices")
    mesh = Mesh(devices, ("batch",))
    sharding = NamedSharding(mesh, PartitionSpec("batch"))
    state = jnp.arange(devices.size * 3.0).reshape(devices.size, 3)
    batched = jax.vmap(stepper)
    key = None
    plain = rollax.rollout(
        batched, state, 30, key=key, monitor=lambda s: s[:, 0], every=5
    )
    sharded = rollax.rollout(
        batched,
        state,
        30,
        key=key,
        monitor=lambda s: s[:, 0],
        every=5,
        sharding=sharding,
    )
    assert sharded[0].sharding.is_equivalent_to(sharding, 2)
    np.testing.assert_array_equal(plain[0], sharded[0])
    np.testing.assert_array_equal(plain[1], sharded[1])


@pytest.mark.parametrize(
    "num_steps, error",
    [(-1, ValueError), (2.5, TypeError), ("10", TypeError), (True, TypeError)],
)
def test_bad_num_steps_is_refused(stepper, num_steps, error):
    with pytest.raises(error, match="num_steps"):
        rollax.rollout(stepper, jnp.zeros(3), num_steps)


def test_a_whole_float_num_steps_is_accepted(stepper):
    final, _ = rollax.rollout(stepper, jnp.zeros(3), 4.0)  # pyright: ignore[reportArgumentType]
    np.testing.assert_allclose(final, reference(stepper, jnp.zeros(3), 4)[0], rtol=1e-6)


def test_a_monitor_returning_a_non_array_is_refused(stepper):
    with pytest.raises(TypeError, match="monitor must return an array"):
        rollax.rollout(stepper, jnp.zeros(3), 4, monitor=lambda s: "mass")
    with pytest.raises(TypeError, match="monitor must return an array"):
        rollax.rollout(stepper, jnp.zeros(3), 4, monitor=lambda s: None)


def test_a_stepper_that_changes_the_state_shape_is_refused():
    with pytest.raises(ValueError, match=r"changes state leaf .* from \(3,\) float32"):
        rollax.rollout(lambda s: jnp.concatenate([s, s]), jnp.zeros(3), 4)


def test_a_key_for_a_stepper_without_key_is_refused():
    with pytest.raises(TypeError, match="takes no `key`"):
        rollax.rollout(lambda s: s, jnp.zeros(3), 4, key=jax.random.key(0))


def test_save_and_load_pytree_round_trip(tmp_path):
    tree = {"V": jnp.arange(4.0), "spikes": jnp.array([True, False]), "t": jnp.int32(7)}
    rollax.save_pytree(tmp_path / "state.npz", tree)
    loaded = rollax.load_pytree(tmp_path / "state.npz", tree)
    for a, b in zip(jax.tree.leaves(tree), jax.tree.leaves(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype


def test_load_pytree_names_the_leaf_that_differs(tmp_path):
    tree = {"V": jnp.arange(4.0), "w": jnp.zeros((2, 2))}
    rollax.save_pytree(tmp_path / "s.npz", tree)
    with pytest.raises(
        ValueError, match=r"leaf \['w'\] has shape \(2, 2\).*expected \(3, 2\)"
    ):
        rollax.load_pytree(tmp_path / "s.npz", {"V": tree["V"], "w": jnp.zeros((3, 2))})
    with pytest.raises(ValueError, match=r"missing leaves \[\"\['u'\]\"\]"):
        rollax.load_pytree(tmp_path / "s.npz", {"V": tree["V"], "u": tree["w"]})


def test_warn_user_points_at_the_users_line():
    # A function of a library package "fakelib" that warns through rollax.warn_user.
    namespace = {"__name__": "fakelib._internals", "rollax": rollax}
    exec(
        compile(
            "def deep():\n    rollax.warn_user('careful', RuntimeWarning)\n"
            "def api():\n    deep()\n",
            "fakelib/_internals.py",
            "exec",
        ),
        namespace,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        namespace["api"]()
        line = inspect.currentframe().f_lineno - 1  # pyright: ignore[reportOptionalMemberAccess]
    assert (caught[0].filename, caught[0].lineno) == (__file__, line)


def test_is_concrete():
    assert rollax.is_concrete(jnp.ones(2), 3.0)
    seen = []
    jax.jit(lambda x: seen.append(rollax.is_concrete(x)) or x)(jnp.ones(2))
    assert seen == [False]

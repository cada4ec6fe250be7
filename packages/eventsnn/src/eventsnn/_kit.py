"""jaxsnn's training kit: losses, encoders and the training step (`jaxsnn.event.loss`,
`jaxsnn.event.encode`, `jaxsnn.event.training`), on eventsnn's spikes."""

import logging
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float, Int

from ._kit_data import data_loader
from ._types import EventPropSpike, LIFState

log = logging.getLogger("eventsnn.event.training")


# ---------------------------------------------------------------------------------
# losses (one sample; vmap for a batch)


def max_over_time(output: LIFState) -> Float[Array, "*batch n"]:
    """The largest membrane potential of each neuron over the time axis.

    **Arguments:**

    - `output`: a `LIFState` with `V` of shape `(*batch, time, n)`.

    **Returns:**

    Shape `(*batch, n)`.
    """
    return jnp.max(output.V, axis=-2)


def nll_loss(output: Float[Array, " n"], targets: Float[Array, " n"]) -> Array:
    """Negative log-likelihood of the class whose target is smallest (the earliest
    target time), with the softmax over `max(output, 0)`.

    **Arguments:**

    - `output`: one value per class (e.g. [`eventsnn.event.loss.max_over_time`][]).
    - `targets`: per class; the argmin is the correct class.

    **Returns:**

    `-log softmax(max(output, 0))[argmin(targets)]`.
    """
    label = jnp.argmin(targets)
    logp = jax.nn.log_softmax(jnp.maximum(output, 0.0))
    return -logp[label]


def target_time_loss(
    first_spikes: Float[Array, " n"], target: Float[Array, " n"], tau_mem: float
) -> Array:
    """`-sum log(1 + exp(-|t - t_target| / tau_mem))`: lowest at the targets; a
    neuron that never spikes (`inf`) adds 0.

    **Arguments:**

    - `first_spikes`: first-spike time per output neuron.
    - `target`: target time per output neuron.
    - `tau_mem`: the time scale.

    **Returns:**

    The loss (a scalar, `<= 0`).
    """
    return -jnp.sum(jnp.log1p(jnp.exp(-jnp.abs(first_spikes - target) / tau_mem)))


def ttfs_loss(
    first_spikes: Float[Array, " n"], target: Float[Array, " n"], tau_mem: float
) -> Array:
    """Time-to-first-spike cross-entropy: `-log softmax(-t / tau_mem)` of the
    correct class (the argmin of `target`), with `|t|` capped at `2 tau_mem`.

    **Arguments:**

    - `first_spikes`: first-spike time per output neuron.
    - `target`: target times; the argmin is the correct class.
    - `tau_mem`: the time scale.

    **Returns:**

    The loss (a scalar, `>= 0`). jaxsnn returns the opposite, `log p` (`<= 0`),
    whose minimisation makes the correct neuron spike *later*; its own examples
    never use it.
    """
    label = jnp.argmin(target)
    t = jnp.minimum(jnp.abs(first_spikes), 2.0 * tau_mem)
    return -jax.nn.log_softmax(-t / tau_mem)[label]


def mse_loss(
    first_spikes: Float[Array, " n"], target: Float[Array, " n"], tau_mem: float
) -> Array:
    """`sum ((min(t, 2 tau_mem) - t_target) / tau_mem)^2`.

    **Arguments:**

    - `first_spikes`: first-spike time per output neuron (`inf`: no spike).
    - `target`: target time per output neuron.
    - `tau_mem`: the time scale.

    **Returns:**

    The loss (a scalar).
    """
    err = (jnp.minimum(first_spikes, 2.0 * tau_mem) - target) / tau_mem
    return jnp.sum(jnp.square(err))


def first_spike(
    spikes: EventPropSpike, size: int, n_outputs: int | None = None
) -> Float[Array, "*batch n_outputs"]:
    """The first spike time of each output neuron, `inf` where it does not spike.

    Two call forms, as in jaxsnn's two releases:

    - `first_spike(spikes, n_outputs)` (0.3): neurons `0..n_outputs-1` by their
        index in `spikes` (a layer's own spikes with local indices, as from
        [`eventsnn.local_spikes`][]);
    - `first_spike(spikes, size, n_outputs)` (0.2): global indices, the outputs
        are the last `n_outputs` of `size` neurons (`size - n_outputs..size-1`).

    **Arguments:**

    - `spikes`: events of shape `(*batch, n_events)`.
    - `size`: see above.
    - `n_outputs`: see above.

    **Returns:**

    Shape `(*batch, n_outputs)`.
    """
    if n_outputs is None:
        start, n_outputs = 0, size
    else:
        start = size - n_outputs
    neuron = jnp.arange(n_outputs) + start
    hit = spikes.idx[..., :, None] == neuron
    return jnp.min(jnp.where(hit, spikes.time[..., :, None], jnp.inf), axis=-2)


# ---------------------------------------------------------------------------------
# encoders


def spatio_temporal_encode(
    inputs: Float[Array, "*batch n"],
    t_late: float,
    duplication: int | None,
    duplicate_neurons: bool,
) -> EventPropSpike:
    """Values in `[0, 1]` to one spike each at `value * t_late`, sorted in time.

    **Arguments:**

    - `inputs`: values, shape `(*batch, n)`.
    - `t_late`: the time that encodes 1.
    - `duplication`: repeat every value this many times (`None`: once).
    - `duplicate_neurons`: give the copies their own input neurons (`n * dup`
        neurons) instead of the same neuron.

    **Returns:**

    An [`eventsnn.EventPropSpike`][] with zero currents, shape `(*batch, n * dup)`.
    """
    n = inputs.shape[-1]
    idx = jnp.arange(n, dtype=jnp.int32)
    if duplication is not None:
        inputs = jnp.repeat(inputs, duplication, axis=-1)
        idx = (
            jnp.arange(n * duplication, dtype=jnp.int32)
            if duplicate_neurons
            else jnp.repeat(idx, duplication)
        )
    order = jnp.argsort(inputs, axis=-1, stable=True)
    times = jnp.take_along_axis(inputs, order, axis=-1) * t_late
    idx = jnp.take(idx, order)
    return EventPropSpike(times, idx, jnp.zeros_like(times))


def target_temporal_encode(
    targets: Int[Array, " *batch"],
    correct_target_time: float,
    wrong_target_time: float,
    n_classes: int,
) -> Float[Array, "*batch n_classes"]:
    """Class labels to target spike times: `correct_target_time` for the label's
    neuron, `wrong_target_time` for the others.

    **Arguments:**

    - `targets`: integer labels.
    - `correct_target_time`, `wrong_target_time`: the two target times.
    - `n_classes`: number of output neurons.

    **Returns:**

    Shape `(*batch, n_classes)`.
    """
    one_hot = jax.nn.one_hot(targets, n_classes, dtype=bool)
    return jnp.where(one_hot, correct_target_time, wrong_target_time)


def target_one_hot_encode(
    target: Int[Array, ""], scale: float, n_classes: int
) -> Float[Array, " n_classes"]:
    """A label to `scale` times its one-hot vector.

    **Arguments:**

    - `target`: an integer label.
    - `scale`: the value of the label's entry.
    - `n_classes`: the length of the vector.

    **Returns:**

    Shape `(n_classes,)`.
    """
    return jax.nn.one_hot(target, n_classes) * scale


def encode(
    dataset: tuple[Any, ...],
    input_encoder: Callable | None = None,
    target_encoder: Callable | None = None,
) -> tuple[Any, Any]:
    """Apply encoders to a dataset's inputs and targets.

    **Arguments:**

    - `dataset`: `(inputs, targets)` or `(inputs, targets, name)`.
    - `input_encoder`, `target_encoder`: functions of the whole array, or `None`.

    **Returns:**

    `(encoded_inputs, encoded_targets)`.
    """
    inputs, targets = dataset[0], dataset[1]
    if input_encoder is not None:
        inputs = input_encoder(inputs)
    if target_encoder is not None:
        targets = target_encoder(targets)
    return inputs, targets


# ---------------------------------------------------------------------------------
# training


class OptState(NamedTuple):
    """The training state carried from step to step.

    **Arguments:**

    - `opt_state`: the optax optimizer state.
    - `params`: the network's parameters (e.g. its list of weights).
    - `rng`: a PRNG key (shuffling in [`eventsnn.event.training.epoch`][]).
    """

    opt_state: Any
    params: Any
    rng: Any


def update(
    optimizer: optax.GradientTransformation,
    loss_fn: Callable,
    state: OptState,
    batch: Any,
) -> tuple[OptState, tuple[Any, Any]]:
    """One optimisation step, in the form `jax.lax.scan` wants.

    **Arguments:**

    - `optimizer`: an optax optimizer.
    - `loss_fn`: `loss_fn(params, batch) -> (loss, aux)`.
    - `state`: the [`eventsnn.event.training.OptState`][].
    - `batch`: one batch.

    **Returns:**

    `(new_state, ((loss, aux), grad))`. Unlike jaxsnn 0.2, the gradient is not
    divided by `tau_syn` (scale the learning rate instead).
    """
    value, grad = jax.value_and_grad(loss_fn, has_aux=True)(state.params, batch)
    updates, opt_state = optimizer.update(grad, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    return OptState(opt_state, params, state.rng), (value, grad)


def epoch(
    update_fn: Callable,
    test_fn: Callable[[Any, Any], tuple[Any, str]],
    trainset: Any,
    testset: Any,
    batch_size_train: int,
    batch_size_test: int,
    state: OptState,
    i: int,
) -> tuple[OptState, tuple[Any, Any, float]]:
    """One epoch: shuffle, scan `update_fn` over the batches, then test.

    **Arguments:**

    - `update_fn`: `update_fn(state, batch) -> (state, recording)`, e.g.
        `functools.partial(update, optimizer, loss_fn)`.
    - `test_fn`: `test_fn(params, batched_testset) -> (result, text)`.
    - `trainset`, `testset`: `(inputs, targets)` with samples on axis 0.
    - `batch_size_train`, `batch_size_test`: batch sizes.
    - `state`: the [`eventsnn.event.training.OptState`][].
    - `i`: the epoch number (for the log).

    **Returns:**

    `(state, (test_result, params, seconds))`; `seconds` is the training time of
    the epoch, measured after the results are ready (jaxsnn times only the
    dispatch).
    """
    rng, train_rng, test_rng = jax.random.split(state.rng, 3)
    batches = data_loader(trainset, batch_size_train, rng=train_rng)
    start = time.perf_counter()
    state, _ = jax.lax.scan(update_fn, state, batches)
    jax.block_until_ready(state)
    seconds = time.perf_counter() - start
    state = OptState(state.opt_state, state.params, rng)
    test_result, text = test_fn(
        state.params, data_loader(testset, batch_size_test, rng=test_rng)
    )
    log.info("epoch %d: %s, %.2f s", i, text, seconds)
    return state, (test_result, state.params, seconds)

"""EventProp training of a 5-120-3 network on the Yin-Yang set."""

import dataclasses
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from tqdm.auto import tqdm

from ._data import yinyang_dataset
from ._layers import EventPropLIF, serial
from ._loss import accuracy, first_spike, silent_label_penalty, ttfs_cross_entropy
from ._params import LIFParameters


@dataclasses.dataclass
class YinYangResult:
    """What [`eventsnn.train_yinyang`][] found.

    **Arguments:**

    - `weights`: the trained weights (one `WeightInput` per layer).
    - `params`, `t_max`, `n_spikes`, `sizes`: the network's configuration.
    - `history`: per epoch `epoch`, `loss`, `train_accuracy`, `test_accuracy`,
        `seconds` (wall time of the epoch, measured after `block_until_ready`).
    - `test_spikes`, `test_labels`: the test set, for plots.
    - `apply_fn`: the network's apply function.
    - `last_recording`: the events of each layer for the last test batch.
    """

    weights: list
    params: LIFParameters
    t_max: float
    n_spikes: tuple[int, int]
    sizes: tuple[int, int, int]
    history: list[dict]
    test_spikes: object
    test_labels: object
    apply_fn: Callable
    last_recording: list | None = None

    @property
    def test_accuracy(self) -> float:
        return self.history[-1]["test_accuracy"] if self.history else float("nan")


def yinyang_network(
    hidden: int = 120,
    n_spikes_hidden: int = 125,
    params: LIFParameters | None = None,
    *,
    mean: tuple[float, float] = (2.0, 1.0),
    std: tuple[float, float] = (3.0, 1.0),
):
    """The Yin-Yang network: 5 inputs, `hidden` EventProp LIF neurons, 3 outputs.

    **Arguments:**

    - `hidden`: number of hidden neurons.
    - `n_spikes_hidden`: event budget of the hidden layer (the output layer gets
        `n_spikes_hidden + 3`); the default, 5 inputs + 120 single spikes, never
        overflows, which keeps the loss free of budget-edge jumps.
    - `params`: neuron parameters (default `v_th=1`, `v_reset=-1000`: one spike per
        neuron, as in jaxsnn's example).
    - `mean`, `std`: initial weight statistics of the two layers.

    **Returns:**

    `(init_fn, apply_fn, params, t_max, (n_hidden_budget, n_out_budget))`.
    """
    params = params or LIFParameters(v_th=1.0, v_reset=-1000.0)
    t_max = 4.0 * float(params.tau_syn)  # pyright: ignore[reportArgumentType]
    budgets = (n_spikes_hidden, n_spikes_hidden + 3)
    init_fn, apply_fn = serial(
        EventPropLIF(hidden, budgets[0], t_max, params, mean=mean[0], std=std[0]),
        EventPropLIF(3, budgets[1], t_max, params, mean=mean[1], std=std[1]),
    )
    return init_fn, apply_fn, params, t_max, budgets


def train_yinyang(
    *,
    epochs: int = 40,
    n_train: int = 4992,
    n_test: int = 1000,
    batch_size: int = 64,
    hidden: int = 120,
    n_spikes_hidden: int = 125,
    learning_rate: float = 3e-3,
    lr_decay: float = 0.96,
    seed: int = 0,
    progress: bool = True,
    max_batches: int | None = None,
    loss: str = "ce",
    softmax_tau: float | None = 5e-4,
    reg: float = 0.1,
    mean: tuple[float, float] = (2.0, 1.0),
    std: tuple[float, float] = (3.0, 1.0),
    params: LIFParameters | None = None,
    clip: float | None = None,
    t_cap: float | None = 2.0,
    silent_reg: float = 100.0,
) -> YinYangResult:
    """Train the Yin-Yang network with EventProp gradients and Adam.

    **Arguments:**

    - `epochs`, `n_train`, `n_test`, `batch_size`: the budget.
    - `hidden`, `n_spikes_hidden`: network size and hidden event budget.
    - `learning_rate`, `lr_decay`: Adam with an exponential decay per epoch.
    - `seed`: the random seed of data and weights.
    - `progress`: show a tqdm progress bar.
    - `max_batches`: stop each epoch after this many batches (for quick runs).
    - `loss`: `"ce"` (cross-entropy of first-spike times) or `"mse"` (squared
        distance of first-spike times to targets: early for the label, late
        otherwise).
    - `softmax_tau`: time scale of the `"ce"` softmax (`None`: `tau_syn`).
    - `reg`: weight of a regulariser `exp(t_label / 4 tau_syn) - 1` that pulls the
        correct output's spike earlier.
    - `mean`, `std`: initial weight statistics of the two layers.
    - `params`: neuron parameters (default: see [`eventsnn.yinyang_network`][]).
    - `t_cap`: in units of `tau_syn`, cap the first-spike times of the wrong
        outputs seen by the loss.
    - `silent_reg`: weight of [`eventsnn.silent_label_penalty`][], which brings
        back an output neuron that fell silent for its own class.
    - `clip`: clip each gradient entry to `[-clip, clip]` (EventProp gradients spike when
        a neuron barely reaches threshold).

    **Returns:**

    A [`eventsnn.YinYangResult`][].
    """
    init_fn, apply_fn, params, t_max, budgets = yinyang_network(
        hidden, n_spikes_hidden, params, mean=mean, std=std
    )
    tau = float(params.tau_syn)  # pyright: ignore[reportArgumentType]
    ce_tau = softmax_tau or tau
    k_data, k_test, k_w, k_shuffle = jax.random.split(jax.random.PRNGKey(seed), 4)
    train_x, train_y = yinyang_dataset(k_data, n_train, tau_syn=tau)
    test_x, test_y = yinyang_dataset(k_test, n_test, tau_syn=tau)
    n_in = int(train_x.time.shape[-1])
    _, weights = init_fn(k_w, n_in)
    out_start = n_in + hidden
    hidden_idx = jnp.arange(hidden) + n_in
    n_batches = n_train // batch_size
    if max_batches is not None:
        n_batches = min(n_batches, max_batches)
    schedule = optax.exponential_decay(learning_rate, max(n_batches, 1), lr_decay)
    optimizer = optax.adam(schedule)
    if clip is not None:
        optimizer = optax.chain(optax.clip(clip), optimizer)
    opt_state = optimizer.init(weights)

    def loss_fn(w, x, y):
        _, _, out, rec = apply_fn(w, x)
        times = first_spike(out, out_start, 3, t_max)
        if loss == "mse":
            target = jnp.where(jax.nn.one_hot(y, 3) > 0, 1.5 * tau, 3.0 * tau)
            err = (jnp.minimum(times, 4.0 * tau) - target) / tau
            return jnp.mean(jnp.sum(err**2, axis=-1)), (times, rec)
        seen = times
        if t_cap is not None:
            # no gradient pushes a wrong output later than t_cap: it stays active
            # instead of falling silent (a silent neuron has no gradient); the
            # label's own time is not capped, so it is always pulled earlier
            is_label = jax.nn.one_hot(y, 3) > 0
            seen = jnp.where(is_label, times, jnp.minimum(times, t_cap * tau))
        value = ttfs_cross_entropy(seen, y, ce_tau)
        if reg:
            t_label = jnp.take_along_axis(seen, y[:, None], axis=-1)
            value = value + reg * jnp.mean(jnp.exp(t_label / (4.0 * tau)) - 1.0)
        if silent_reg:
            fired = jnp.any(rec[0].idx[..., :, None] == hidden_idx, axis=-2)
            penalty = silent_label_penalty(times, y, t_max, fired, w[-1].input)
            value = value + silent_reg * penalty
        return value, (times, rec)

    # one compiled function serves training and evaluation (fewer compiles)
    value_and_grad = jax.jit(jax.value_and_grad(loss_fn, has_aux=True))

    @jax.jit
    def apply_updates(w, state, grads):
        updates, state = optimizer.update(grads, state, w)
        return optax.apply_updates(w, updates), state

    def batches(x, y, order, n):
        for b in range(n):
            sel = order[b * batch_size : (b + 1) * batch_size]
            yield jax.tree.map(lambda a, s=sel: a[s], x), y[sel]

    n_test_batches = max(n_test // batch_size, 1)
    history = []
    last_rec = None
    bar = tqdm(range(epochs), desc="yin-yang", disable=not progress)
    for epoch in bar:
        start = time.perf_counter()
        perm = jax.random.permutation(jax.random.fold_in(k_shuffle, epoch), n_train)
        losses, accs = [], []
        for x, y in batches(train_x, train_y, perm, n_batches):
            (value, (first, _)), grads = value_and_grad(weights, x, y)
            weights, opt_state = apply_updates(weights, opt_state, grads)
            losses.append(value)
            accs.append(accuracy(first, y))
        jax.block_until_ready(weights)
        seconds = time.perf_counter() - start
        test_accs = []
        for x, y in batches(test_x, test_y, jnp.arange(n_test), n_test_batches):
            (_, (first, last_rec)), _ = value_and_grad(weights, x, y)
            test_accs.append(accuracy(first, y))
        row = {
            "epoch": epoch + 1,
            "loss": float(np.mean(np.asarray(losses))),
            "train_accuracy": float(np.mean(np.asarray(accs))),
            "test_accuracy": float(np.mean(np.asarray(test_accs))),
            "seconds": seconds,
        }
        history.append(row)
        bar.set_postfix(loss=f"{row['loss']:.3f}", test=f"{row['test_accuracy']:.3f}")
    return YinYangResult(
        weights=weights,
        params=params,
        t_max=t_max,
        n_spikes=budgets,
        sizes=(n_in, hidden, 3),
        history=history,
        test_spikes=test_x,
        test_labels=test_y,
        apply_fn=apply_fn,
        last_recording=last_rec,
    )

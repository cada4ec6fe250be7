class BudgetOverflowWarning(UserWarning):
    """A layer's event budget `n_spikes` ran out before `t_max`.

    Events after the budget were dropped; raise the layer's `n_spikes`. Inside
    `jax.jit` the same information is in the `overflow` field of the returned
    [`eventsnn.EventPropSpike`][].
    """

"""imnn_data.utils: the original's helpers, as the seed's example uses them."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from imnn_data.utils import (
    add_nested_pytrees,
    container,
    jacfwd,
    jacrev,
    value_and_jacfwd,
    value_and_jacrev,
)


def f(x):
    return jnp.asarray([x[0], 5 * x[2], 4 * x[1] ** 2 - 2 * x[2], x[2] * jnp.sin(x[0])])


def jac_by_hand(x):
    x0, x1, x2 = x
    return np.array(
        [
            [1, 0, 0],
            [0, 0, 5],
            [0, 8 * x1, -2],
            [x2 * np.cos(x0), 0, np.sin(x0)],
        ]
    )


@pytest.mark.parametrize("transform", [value_and_jacfwd, value_and_jacrev])
def test_value_and_jacobian(transform):
    x = np.array([1.0, 2.0, 3.0])
    value, jac = jax.jit(transform(f))(jnp.asarray(x))
    np.testing.assert_allclose(value, [1, 15, 10, 3 * np.sin(1)], rtol=1e-6)
    np.testing.assert_allclose(jac, jac_by_hand(x), rtol=1e-6, atol=1e-6)
    plain = jacfwd if transform is value_and_jacfwd else jacrev
    np.testing.assert_allclose(plain(f)(jnp.asarray(x)), jac_by_hand(x), rtol=1e-6)
    # several arguments and auxiliary output
    g = transform(lambda a, b: (a * b, a + b), argnums=(0, 1), has_aux=True)
    (value, aux), (da, db) = g(jnp.array([2.0, 3.0]), jnp.array([5.0, 7.0]))
    np.testing.assert_allclose(value, [10, 21])
    np.testing.assert_allclose(aux, [7, 10])
    np.testing.assert_allclose(da, np.diag([5.0, 7.0]))
    np.testing.assert_allclose(db, np.diag([2.0, 3.0]))


def test_seed_example_simulations_and_derivatives():
    # the seed's recipe: value_and_jacfwd(simulator, argnums=1) vmapped over keys
    def simulator(key, θ):
        return θ[0] + jax.random.normal(key, shape=(10,)) * jnp.sqrt(θ[1])

    keys = jax.random.split(jax.random.key(0), 4)
    θ = jnp.repeat(jnp.array([[0.0, 1.0]]), 4, axis=0)
    sims, ders = jax.vmap(value_and_jacfwd(simulator, argnums=1))(keys, θ)
    assert sims.shape == (4, 10) and ders.shape == (4, 10, 2)
    noise = np.stack([np.asarray(jax.random.normal(k, (10,))) for k in keys])
    np.testing.assert_allclose(sims, noise, rtol=1e-6)
    np.testing.assert_allclose(ders[..., 0], 1.0)
    np.testing.assert_allclose(ders[..., 1], noise / 2, rtol=1e-6)  # d√v/dv = 1/2


def test_add_nested_pytrees_and_container():
    a = {"w": jnp.ones((2, 3)), "b": [jnp.arange(3.0)]}
    b = {"w": 2 * jnp.ones((2, 3)), "b": [jnp.ones(3)]}
    total = add_nested_pytrees(a, b, a)
    np.testing.assert_allclose(total["w"], 4.0)
    np.testing.assert_allclose(total["b"][0], 2 * np.arange(3.0) + 1)
    with pytest.raises(ValueError, match="structure"):
        add_nested_pytrees(a, {"w": 1.0})
    with pytest.raises(ValueError, match="shape"):
        add_nested_pytrees(a, {"w": jnp.ones(2), "b": [jnp.ones(3)]})
    c = container(n_params=2)
    assert c.all is None and c.n_params == 2 and c.ϵ is None
    with pytest.raises(TypeError, match="callable"):
        value_and_jacfwd(3)  # pyright: ignore[reportArgumentType]

"""The four runners: shapes, agreement, the Leniax defect fixes, sharding, compiles."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from lenia_runner import helpers, initializations, orbium_config, runner
from lenia_runner._runner import _run_scan_jit
from lenia_runner.statistics import build_compute_stats_fn

STEPS = 64


@pytest.fixture(scope="module")
def setup():
    cfg = orbium_config((64, 64), STEPS)
    K, gf, w, _mapping, update_fn, stats_fn, cfg = helpers.build_all(cfg)
    key = jax.random.key(3)
    _, cells0 = initializations.perlin(key, 4, [64, 64], 13, gf)
    T = jnp.float32(10)
    return dict(
        K=K,
        gf=gf,
        w=w,
        update_fn=update_fn,
        stats_fn=stats_fn,
        cells0=cells0,
        T=T,
        key=key,
        cfg=cfg,
    )


def _pos(s, cells, T):
    """The leading positional arguments of the runners."""
    return s["key"], cells, s["K"], s["gf"], s["w"], T


def _scan(s, cells, **kw):
    return runner.run_scan(
        *_pos(s, cells, s["T"]),
        STEPS,
        13,
        s["update_fn"],
        s["stats_fn"],
        **kw,
    )


@pytest.fixture(scope="module")
def batch_run(setup):
    return _scan(setup, setup["cells0"])


def test_run_scan_shapes(setup, batch_run):
    cells, field, potential, stats = batch_run
    assert cells.shape == (STEPS, 4, 1, 64, 64)
    assert field.shape == cells.shape and potential.shape == (STEPS, 4, 1, 64, 64)
    np.testing.assert_array_equal(cells[0], setup["cells0"])
    assert stats["N"].shape == (4,)
    assert stats["channel_mass"].shape == (STEPS, 4, 1)
    for k, v in stats.items():
        if k not in ("N", "channel_mass"):
            assert v.shape == (STEPS, 4), k
        assert np.all(np.isfinite(v)), k


def test_single_and_batched_runs_give_the_same_N(setup, batch_run):
    """Leniax's "replication issue": batched and single runs must agree."""
    N_batch = np.asarray(batch_run[3]["N"])
    for i in range(4):
        one = _scan(setup, setup["cells0"][i : i + 1], keep_frames=False)
        assert float(one[3]["N"][0]) == N_batch[i]
        np.testing.assert_allclose(
            one[3]["mass"][:, 0], batch_run[3]["mass"][:, i], rtol=1e-5, atol=1e-6
        )
    # the vmapped runner over configurations, too
    s = setup
    stack = lambda x: jnp.stack([x, x])  # noqa: E731
    stats, final = runner.run_scan_mem_optimized(
        s["key"],
        jnp.stack([s["cells0"], s["cells0"][::-1]]),
        stack(s["K"]),
        stack(s["gf"]),
        stack(s["w"]),
        jnp.array([10.0, 10.0]),
        STEPS,
        13,
        s["update_fn"],
        s["stats_fn"],
    )
    np.testing.assert_array_equal(stats["N"][0], N_batch)
    np.testing.assert_array_equal(stats["N"][1], N_batch[::-1])
    assert stats["mass"].shape == (2, STEPS, 4) and final.shape == (2, 4, 1, 64, 64)


def test_run_loop_agrees_with_run_scan(setup, batch_run):
    """Leniax's `run` used other heuristics and N = last index; ours agrees with scan."""
    s = setup
    i = int(np.argmax(batch_run[3]["N"]))
    cells, _field, _potential, stats = runner.run(
        *_pos(s, s["cells0"][i : i + 1], s["T"]),
        STEPS,
        13,
        s["update_fn"],
        s["stats_fn"],
    )
    assert cells.shape == (STEPS, 1, 1, 64, 64)
    assert float(stats["N"][0]) == float(batch_run[3]["N"][i])
    np.testing.assert_allclose(cells[:, 0], batch_run[0][:, i], atol=1e-4)
    np.testing.assert_allclose(
        stats["mass_speed"][:, 0],
        batch_run[3]["mass_speed"][:, i],
        rtol=1e-3,
        atol=1e-4,
    )
    # a dying pattern: stat_trunc stops early and still reports the scan's N
    dying = jnp.zeros((1, 1, 64, 64)).at[0, 0, 30:34, 30:34].set(0.05)
    scan_N = float(_scan(s, dying, keep_frames=False)[3]["N"][0])
    cells_t, _, _, stats_t = runner.run(
        *_pos(s, dying, s["T"]),
        STEPS,
        13,
        s["update_fn"],
        s["stats_fn"],
        stat_trunc=True,
    )
    assert float(stats_t["N"][0]) == scan_N < 10
    assert cells_t.shape[0] == 11  # stops at START_CHECK_STOP = 10


@pytest.fixture(scope="module")
def pair(setup, batch_run):
    """Two configurations differing only in T (10 and 5), 16 steps."""
    s = setup
    i = int(np.argmax(batch_run[3]["N"]))
    cells = jnp.stack([s["cells0"][i : i + 1]] * 2)
    stack = lambda x: jnp.stack([x, x])  # noqa: E731
    args = (cells, stack(s["K"]), stack(s["gf"]), stack(s["w"]), jnp.array([10.0, 5.0]))
    stats, final = runner.run_scan_mem_optimized(
        s["key"], *args, 16, 13, s["update_fn"], s["stats_fn"]
    )
    return i, args, stats, final


def test_statistics_use_each_configurations_T(setup, pair):
    s = setup
    i, args, stats1, _ = pair
    # the T = 5 configuration runs at half the rate: its own speed, not one at T = 10
    cfg5 = dict(s["cfg"], world_params=dict(s["cfg"]["world_params"], T=5))
    _, _, _, _, upd5, stats_fn5, _ = helpers.build_all(cfg5)
    single = runner.run_scan(
        s["key"], s["cells0"][i : i + 1], s["K"], s["gf"], s["w"], 5.0, 16, 13, upd5,
        stats_fn5, keep_frames=False,
    )  # fmt: skip
    np.testing.assert_allclose(
        stats1["mass_speed"][1, :, 0],
        single[3]["mass_speed"][:, 0],
        rtol=1e-4,
        atol=1e-5,
    )
    # Leniax's behaviour (T baked into the stats function) with compat=True
    compat_fn = build_compute_stats_fn(
        s["cfg"]["world_params"], s["cfg"]["render_params"], compat=True
    )
    cells, K, gf, w, T = args
    stats_c, _ = runner.run_scan_mem_optimized(
        s["key"], cells, K, gf, w, T, 16, 13, s["update_fn"], compat_fn
    )
    ours = np.asarray(stats1["mass_speed"][1, 1:, 0])
    moving = ours > 1e-3
    assert moving.sum() >= 3
    ratio = np.asarray(stats_c["mass_speed"][1, 1:, 0])[moving] / ours[moving]
    np.testing.assert_allclose(ratio, 2.0, rtol=1e-4)


def test_no_spurious_step_zero_speed(setup, batch_run):
    stats = batch_run[3]
    np.testing.assert_array_equal(stats["mass_speed"][0], 0.0)
    np.testing.assert_array_equal(stats["mass_angle_speed"][:2], 0.0)
    assert np.all(stats["mass_speed"][1:].max(axis=0) > 0)
    s = setup
    off = jnp.roll(s["cells0"][:1], (10, 7), axis=(-2, -1))
    compat_fn = build_compute_stats_fn(
        s["cfg"]["world_params"], s["cfg"]["render_params"], compat=True
    )
    leniax_like = runner.run_scan(
        *_pos(s, off, s["T"]),
        STEPS,
        13,
        s["update_fn"],
        compat_fn,
        keep_frames=False,
    )
    assert float(leniax_like[3]["mass_speed"][0, 0]) > 1.0  # |c_0| / R * T: spurious


def test_stats_every_and_final_only_modes(setup, batch_run):
    cells, _, _, stats = _scan(setup, setup["cells0"], stats_every=4)
    assert cells.shape == (STEPS // 4, 4, 1, 64, 64)
    np.testing.assert_allclose(cells, batch_run[0][::4], atol=1e-5)
    np.testing.assert_allclose(
        stats["mass"], batch_run[3]["mass"][::4], rtol=1e-5, atol=1e-6
    )
    assert stats["mass"].shape == (STEPS // 4, 4)
    assert np.all(np.asarray(stats["N"]) % 4 == 0)
    final, f, p, stats_final = _scan(setup, setup["cells0"], keep_frames=False)
    assert f is None and p is None and final.shape == (4, 1, 64, 64)
    np.testing.assert_array_equal(stats_final["N"], batch_run[3]["N"])
    frames, _, _, no_stats = _scan(setup, setup["cells0"], stats_every=0)
    assert no_stats == {} and frames.shape == batch_run[0].shape
    with pytest.raises(ValueError, match="multiple of stats_every"):
        _scan(setup, setup["cells0"], stats_every=5)


def test_sharded_runner_equals_single_device(setup, pair):
    """2 configurations on 8 devices (padded): same numbers as one device."""
    assert len(jax.devices()) == 8, (
        "needs XLA_FLAGS=--xla_force_host_platform_device_count=8"
    )
    s = setup
    _, args, ref_stats, ref_final = pair
    lead = lambda x: x.reshape((2, 1, *x.shape[1:]))  # noqa: E731  [N_dev, N_sols]
    cells, K, gf, w, T = (lead(a) for a in args)
    stats, final = runner.run_scan_mem_optimized_pmap(
        s["key"], cells, K, gf, w, T, 16, 13, s["update_fn"], s["stats_fn"]
    )
    assert final.shape == (2, 1, 1, 1, 64, 64)
    assert stats["mass"].shape == (2, 1, 16, 1)
    np.testing.assert_allclose(final.reshape(ref_final.shape), ref_final, atol=1e-5)
    np.testing.assert_array_equal(
        np.asarray(stats["N"]).reshape(ref_stats["N"].shape), ref_stats["N"]
    )
    for k in ("mass", "mass_speed", "inertia"):
        np.testing.assert_allclose(
            np.asarray(stats[k]).reshape(ref_stats[k].shape), ref_stats[k], rtol=1e-4,
            atol=1e-5,
        )  # fmt: skip


def test_no_recompilation_for_new_values_or_rebuilt_config(setup, batch_run):
    s = setup
    before = _run_scan_jit._cache_size()  # pyright: ignore[reportAttributeAccessIssue]
    K2, gf2, w2, _, upd2, stats2, _ = helpers.build_all(orbium_config((64, 64), STEPS))
    assert upd2 == s["update_fn"] and hash(upd2) == hash(s["update_fn"])
    assert stats2 == s["stats_fn"]
    runner.run_scan(
        s["key"],
        s["cells0"] * 0.9,
        K2,
        gf2 * 1.01,
        w2,
        jnp.float32(11),
        STEPS,
        14,
        upd2,
        stats2,
    )
    # a different kernel radius on the FFT path keeps the kernels' shape
    cfg = orbium_config((64, 64), STEPS)
    cfg["world_params"]["R"] = 11
    K3, gf3, w3, _, upd3, _, _ = helpers.build_all(cfg)
    runner.run_scan(
        s["key"], s["cells0"], K3, gf3, w3, s["T"], STEPS, 11, upd3, s["stats_fn"]
    )
    assert _run_scan_jit._cache_size() == before  # pyright: ignore[reportAttributeAccessIssue]


def test_clear_errors_for_bad_runner_input(setup):
    s = setup
    with pytest.raises(
        ValueError, match=r"expected cells0 of shape \[N_init, nb_channels"
    ):
        _scan(s, s["cells0"][0, 0])
    with pytest.raises(ValueError, match="T"):
        runner.run_scan(
            *_pos(s, s["cells0"], 0.0),
            STEPS,
            13,
            s["update_fn"],
            s["stats_fn"],
        )
    with pytest.raises(ValueError, match="max_run_iter"):
        runner.run_scan(
            *_pos(s, s["cells0"], s["T"]),
            0,
            13,
            s["update_fn"],
            s["stats_fn"],
        )
    with pytest.raises(
        ValueError, match=r"expected gf_params of shape \[nb_kernels, n_params\]"
    ):
        runner.run_scan(
            s["key"], s["cells0"], s["K"], s["gf"][0], s["w"], s["T"], 4, 13,
            s["update_fn"], s["stats_fn"],
        )  # fmt: skip
    with pytest.raises(ValueError, match="N_sols, nb_channels, nb_kernels"):
        runner.run_scan_mem_optimized(
            s["key"], s["cells0"][None], s["K"][None], s["gf"][None], s["w"], s["T"][None],
            4, 13, s["update_fn"], s["stats_fn"],
        )  # fmt: skip
    with pytest.raises(ValueError, match="kernels are for 1 channel"):
        runner.run_scan(
            *_pos(s, jnp.zeros((1, 2, 64, 64)), s["T"]),
            4,
            13,
            s["update_fn"],
            s["stats_fn"],
        )


def _growth_problem(rule):
    """Recover the growth mean m = 0.15 from a short rollout (32x32, R = 5)."""
    cfg = orbium_config((32, 32), 8)
    cfg["world_params"]["R"] = 5
    cfg["world_params"]["get_state_fn_slug"] = rule
    K, gf, w, _, update_fn, _, _ = helpers.build_all(cfg)
    cells0 = jax.random.uniform(jax.random.key(0), (1, 1, 32, 32)) * 0.4

    def rollout(m):
        params = gf.at[0, 0].set(m)

        def body(c, key):
            return update_fn(key, c, K, params, w, 0.1)[0], None

        final, _ = jax.lax.scan(body, cells0, jax.random.split(jax.random.key(1), 8))
        return final

    target = rollout(0.15)

    def loss(m):
        return jnp.mean((rollout(m) - target) ** 2)

    return jax.jit(loss), jax.jit(jax.grad(loss))


@pytest.fixture(scope="module")
def growth_problem():
    return _growth_problem("v1")


def test_gradient_through_a_rollout(growth_problem):
    # without clipping the gradient is exact: it matches finite differences
    loss, grad = _growth_problem("simple")
    for m in (0.14, 0.16):
        fd = (float(loss(m + 1e-3)) - float(loss(m - 1e-3))) / 2e-3
        np.testing.assert_allclose(float(grad(m)), fd, rtol=0.05)
    # Lenia's clipped rule: the straight-through gradient is finite and non-zero
    loss, grad = growth_problem
    for m in (0.13, 0.17):
        g = float(grad(m))
        assert np.isfinite(g) and g != 0
    assert float(loss(0.15)) == 0.0


def test_optax_learns_the_growth_mean(growth_problem):
    optax = pytest.importorskip("optax")
    loss, grad = growth_problem
    opt = optax.adam(2e-3)
    m = jnp.float32(0.17)
    state = opt.init(m)
    first = float(loss(m))
    for _ in range(15):
        updates, state = opt.update(grad(m), state)
        m = optax.apply_updates(m, updates)
    assert float(loss(m)) < 0.5 * first
    assert abs(float(m) - 0.15) < abs(0.17 - 0.15)


@pytest.mark.parametrize("compat", [False, True])
@pytest.mark.parametrize("every", [1, 4])
def test_split_statistics_equal_step_by_step_statistics(setup, every, compat):
    """The scan runners reduce inside the loop and finish after it: the same numbers
    as a Leniax-style statistics function called at every step, for an Orbium
    that starts across the world's border and glides (the re-centring matters)."""
    from lenia_runner import orbium_cells

    s = setup
    world = helpers.create_init_cells([64, 64], 1, [orbium_cells()])
    world = jnp.roll(world, (29, 25), axis=(-2, -1))
    cfg = s["cfg"]
    stats_fn = build_compute_stats_fn(
        cfg["world_params"], cfg["render_params"], compat=compat
    )

    def step_by_step(*args, **kw):  # not a StatsFn: the runner calls it per step
        return stats_fn(*args, **kw)

    def scan(fn):
        return runner.run_scan(
            *_pos(s, world, s["T"]), STEPS, 13, s["update_fn"], fn,
            keep_frames=False, stats_every=every,
        )[3]  # fmt: skip

    split, ref = scan(stats_fn), scan(step_by_step)
    assert set(split) == set(ref)
    assert float(ref["mass_speed"][-1, 0]) > 0.3  # it moves
    for k, v in ref.items():  # float32 rounding of e.g. angles ~100 degrees
        scale = 1 + float(np.max(np.abs(v)))
        np.testing.assert_allclose(split[k], v, rtol=1e-5, atol=1e-5 * scale, err_msg=k)


def test_the_packaged_orbium_glides(setup):
    from lenia_runner import orbium_cells

    world = helpers.create_init_cells([64, 64], 1, [orbium_cells()])
    _final, _, _, stats = _scan(setup, world, keep_frames=False)
    assert float(stats["N"][0]) == STEPS
    mass = np.asarray(stats["mass"][:, 0])
    np.testing.assert_allclose(mass, mass[0], rtol=0.05)
    assert np.all(np.asarray(stats["mass_speed"][2:, 0]) > 0.3)


def test_runners_work_inside_jit_and_grad(setup):
    s = setup
    world = helpers.create_init_cells([64, 64], 1, [jnp.full((1, 12, 12), 0.3)])

    def final_mass(m):
        final, _, _, _ = runner.run_scan(
            s["key"], world, s["K"], s["gf"].at[0, 0].set(m), s["w"], s["T"], 8, 13,
            s["update_fn"], s["stats_fn"], keep_frames=False,
        )  # fmt: skip
        return final.sum()

    g = jax.jit(jax.grad(final_mass))(0.15)
    assert np.isfinite(g) and g != 0
    with pytest.raises(ValueError, match="NaN"):
        _scan(s, world.at[0, 0, 0, 0].set(jnp.nan))

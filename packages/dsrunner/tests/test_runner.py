"""DSRunner behaviour: compile once, chunks, timing, modes, state I/O, errors."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dsrunner as bp
from dsrunner._runner import _MAX_CHUNK


def _lif(n=3, **kw):
    return bp.LifRef(
        n, V_rest=-60.0, V_th=-50.0, V_reset=-60.0, tau=20.0, tau_ref=5.0,
        V_initializer=bp.init.Constant(-60.0), **kw,
    )  # fmt: skip


def _runner(model, **kw):
    kw.setdefault("progress_bar", False)
    kw.setdefault("monitors", ["V", "spike"])
    kw.setdefault("inputs", ("input", 12.0))
    return bp.DSRunner(model, **kw)


def test_compiles_once_across_runs_and_durations():
    runner = _runner(_lif())
    runner.run(10.0)
    assert runner.num_compiles == 1 and runner.timing["compile"] > 0
    runner.run(10.0)
    runner.run(12.0)  # another duration in the same chunk bucket
    assert runner.num_compiles == 1
    assert runner.timing["compile"] == 0.0
    runner.run(30.0, shared_args={"gain": 2.0})
    runner.run(30.0, shared_args={"gain": 3.0})  # traced value: no recompile
    assert runner.num_compiles == 2  # one new (bucket, shared signature) pair


def test_chunked_equals_single_chunk():
    a = _runner(_lif())
    a.run(100.0)
    b = _runner(_lif(), chunk_size=64)
    b.run(100.0)
    np.testing.assert_array_equal(a.mon.V, b.mon.V)
    np.testing.assert_array_equal(a.mon.spike, b.mon.spike)
    assert b.num_compiles == 1  # 15 full chunks and a padded remainder share code


def test_results_are_ready_and_state_is_committed():
    lif = _lif()
    runner = _runner(lif, monitors=None)
    out = runner.run(50.0)
    assert out.shape == (500, 3)
    assert all(x.is_ready() for x in jax.tree.leaves(out))
    # is_ready is a method of jax's concrete array, missing from jax.Array's stub
    assert lif.V.value.is_ready()  # pyright: ignore[reportAttributeAccessIssue]
    assert float(lif.V.value[0]) != -60.0


def test_no_global_dt_side_effect():
    before = bp.get_dt()
    runner = _runner(_lif(), dt=0.5, monitors={"dt": lambda: bp.share["dt"]})
    assert bp.get_dt() == before
    runner.run(2.0)
    np.testing.assert_array_equal(runner.mon.dt, [0.5] * 4)
    assert bp.get_dt() == before


def test_step_count_rounding_and_warning():
    runner = _runner(_lif())
    runner.run(0.7)  # BrainPy: int(0.7 / 0.1) == 6 steps
    assert len(runner.mon.ts) == 7
    with pytest.warns(UserWarning, match="not a whole number of steps"):
        runner.run(0.75)
    assert len(runner.mon.ts) == 7


@pytest.mark.parametrize("dt", [0.0, -0.1, float("nan"), "0.1", True])
def test_bad_dt(dt):
    with pytest.raises(bp.RunningError, match="dt"):
        _runner(_lif(), dt=dt)


@pytest.mark.parametrize("duration", [0.0, -1.0, 0.05, float("inf")])
def test_bad_duration(duration):
    runner = _runner(_lif())
    with pytest.raises(bp.RunningError, match="duration"):
        runner.run(duration)
    assert runner.num_compiles == 0


def test_bad_constructor_arguments():
    with pytest.raises(bp.RunningError, match="DynamicalSystem"):
        bp.DSRunner(object())  # pyright: ignore[reportArgumentType]
    with pytest.raises(ValueError, match="jit"):
        _runner(_lif(), jit="yes")
    with pytest.raises(ValueError, match="progress_bar"):
        _runner(_lif(), progress_bar=1)
    with pytest.raises(ValueError, match="data_first_axis"):
        _runner(_lif(), data_first_axis="X")
    with pytest.raises(ValueError, match="numpy_mon_after_run"):
        _runner(_lif(), memory_efficient=True, numpy_mon_after_run=False)
    with pytest.raises(ValueError, match="duration or inputs"):
        _runner(_lif()).run()


def test_eval_time_and_timing():
    runner = _runner(_lif())
    t, out = runner.run(5.0, eval_time=True)
    assert t > 0 and out.shape == (50, 3)
    assert set(runner.timing) == {"compile", "execute", "total"}


def test_jit_false_matches_jit():
    a = _runner(_lif())
    a.run(5.0)
    b = _runner(_lif(), jit={"predict": False})
    b.run(5.0)
    np.testing.assert_allclose(a.mon.V, b.mon.V, rtol=1e-6)
    assert b.num_compiles == 0


def test_numpy_mon_after_run_false_keeps_jax_arrays():
    runner = _runner(_lif(), numpy_mon_after_run=False)
    runner.run(1.0)
    assert isinstance(runner.mon.V, jax.Array) and isinstance(runner.mon.ts, jax.Array)


def test_memory_efficient_same_result_small_chunks():
    a = _runner(_lif())
    a.run(20.0)
    b = _runner(_lif(), memory_efficient=True, chunk_size=32)
    b.run(20.0)
    np.testing.assert_array_equal(a.mon.V, b.mon.V)


def test_progress_bar_runs(capsys):
    runner = _runner(_lif(), progress_bar=True)
    runner.run(1.0)
    assert "Running 10 steps" in capsys.readouterr().err


def test_batching_data_first_axis():
    lif = _lif(3, mode=bp.BatchingMode(2))
    runner = bp.DSRunner(lif, monitors=["V"], progress_bar=False)
    assert runner.data_first_axis == "B"
    out = runner.run(inputs=jnp.full((2, 7, 3), 12.0))
    assert out.shape == (2, 7, 3) and runner.mon.V.shape == (2, 7, 3)
    assert runner.mon.ts.shape == (7,)
    runner_t = bp.DSRunner(
        _lif(3, mode=bp.BatchingMode(2)), monitors=["V"], progress_bar=False,
        data_first_axis="T",
    )  # fmt: skip
    out_t = runner_t.run(inputs=jnp.full((7, 2, 3), 12.0))
    assert out_t.shape == (7, 2, 3)
    np.testing.assert_array_equal(runner_t.mon.V, np.moveaxis(runner.mon.V, 0, 1))


def test_reset_state():
    lif = _lif()
    runner = _runner(lif)
    runner.run(5.0)
    v = np.asarray(lif.V.value)
    runner.reset_state()
    assert runner.i0 == 0
    np.testing.assert_array_equal(lif.V.value, v)  # model untouched
    runner.run(5.0, reset_state=True)
    first = runner.mon.V
    runner.run(5.0, reset_state=True)
    np.testing.assert_array_equal(runner.mon.V, first)


def test_update_changing_dtype_is_a_clear_error_and_state_is_kept():
    class Bad(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.x = bp.Variable(jnp.zeros(2))

        def update(self):
            self.x._value = self.x.value.astype(jnp.int32)

    bad = Bad()
    runner = bp.DSRunner(bad, monitors=["x"], progress_bar=False)
    with pytest.raises(bp.MathError, match=r"changed Variable .*x"):
        runner.run(1.0)
    assert bad.x.value.dtype == jnp.float32 and runner.i0 == 0


def test_failed_run_leaves_state_untouched():
    lif = _lif()
    calls = []

    def boom():
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return lif.V.value

    runner = _runner(lif, monitors={"v": boom}, jit=False)
    v0 = np.asarray(lif.V.value)
    with pytest.raises(KeyboardInterrupt):
        runner.run(1.0)
    np.testing.assert_array_equal(lif.V.value, v0)
    assert runner.i0 == 0


def test_variable_assignment_is_shape_and_dtype_strict():
    v = bp.Variable(jnp.zeros(3))
    with pytest.raises(bp.MathError, match=r"shape \(4,\).*expected the same shape"):
        v.value = jnp.zeros(4)
    with pytest.raises(bp.MathError, match="dtype int32"):
        v.value = jnp.zeros(3, jnp.int32)
    v.value = 1.0  # a Python scalar is cast and broadcast
    v += 1
    v[0] = 5.0
    np.testing.assert_array_equal(v.value, [5, 2, 2])


def test_save_and_load_states_round_trip(tmp_path):
    lif = _lif()
    runner = _runner(lif)
    runner.run(40.0)
    path = tmp_path / "state.npz"
    runner.save_states(path)
    saved = {k: np.asarray(v.value) for k, v in runner.vars().items()}
    runner.run(10.0)
    runner.load_states(path)
    for k, v in runner.vars().items():
        np.testing.assert_array_equal(v.value, saved[k])
    other = bp.DSRunner(bp.LIF(3), progress_bar=False)
    with pytest.raises(ValueError, match="missing keys"):
        other.load_states(path)


def test_state_dict_round_trip():
    lif = _lif()
    runner = _runner(lif)
    runner.run(10.0)
    sd = runner.state_dict()
    v = np.asarray(lif.V.value)
    runner.run(10.0)
    res = runner.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    np.testing.assert_array_equal(lif.V.value, v)
    with pytest.warns(UserWarning, match="unexpected"):
        runner.load_state_dict({**sd, "ghost": {}})


def test_nodes_vars_devices_and_pytree():
    lif = _lif(name="myLIF")
    runner = _runner(lif)
    assert "myLIF" in runner.nodes() and runner.name in runner.nodes()
    assert {"myLIF.V", "myLIF.spike", "myLIF.t_last_spike"} <= set(runner.vars())
    assert "target.V" in runner.vars(method="relative")
    assert runner.train_vars() == {}
    runner.cpu()
    assert lif.V.value.devices() == {jax.devices("cpu")[0]}
    runner.to(jax.devices()[-1])
    assert lif.V.value.devices() == {jax.devices()[-1]}
    leaves, treedef = jax.tree_util.tree_flatten(runner)
    again = jax.tree_util.tree_unflatten(treedef, leaves)
    assert isinstance(again, bp.DSRunner) and again.dt == runner.dt
    assert "dt=0.1" in repr(runner) and "data_first_axis='T'" in repr(runner)


def test_checkpoint_resume_includes_counter_and_rng(tmp_path):
    def make():
        net = bp.Network(p=bp.PoissonGroup(20, freqs=300.0, seed=3), n=_lif(4))
        return net, bp.DSRunner(net, monitors=["p.spike"], progress_bar=False)

    _, runner = make()
    runner.run(5.0)
    runner.save_checkpoint(tmp_path / "ck.npz")
    runner.run(5.0)
    expected, ts = runner.mon["p.spike"], runner.mon.ts
    _, runner2 = make()
    runner2.load_checkpoint(tmp_path / "ck.npz")
    assert runner2.i0 == 50
    runner2.run(5.0)
    np.testing.assert_array_equal(runner2.mon["p.spike"], expected)
    np.testing.assert_array_equal(runner2.mon.ts, ts)
    assert expected.sum() > 0


def test_no_warnings_in_plain_run():
    runner = _runner(_lif())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        runner.run(1.0)


def test_register_implicit_vars_and_nodes():
    class Holder(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.register_implicit_vars({"w": bp.Variable(jnp.ones(2))})
            self.register_implicit_nodes([_lif(2, name="inner")])

        def update(self):
            self.implicit_vars["w"].value = self.implicit_vars["w"].value * 2

    h = Holder()
    assert "w" in h.vars(method="relative") and "inner" in h.nodes()
    runner = bp.DSRunner(h, monitors={"w": h.implicit_vars["w"]}, progress_bar=False)
    runner.run(0.3)
    np.testing.assert_array_equal(runner.mon.w[:, 0], [2, 4, 8])
    with pytest.raises(TypeError, match="expected a Variable"):
        h.register_implicit_vars(w2=3.0)


def test_hundred_runs_reuse_one_executable():
    runner = _runner(_lif())
    for _ in range(100):
        runner.run(1.0)
    assert runner.num_compiles == 1 and runner.i0 == 1000
    np.testing.assert_allclose(runner.mon.ts, np.arange(990, 1000) * 0.1)


def test_eager_spike_train_matches_compiled():
    kw = dict(monitors={"s": bp.Monitor("spike", spikes=True)}, inputs=("input", 30.0))
    a = _runner(_lif(), **kw)
    a.run(10.0)
    b = _runner(_lif(), jit=False, **kw)
    b.run(10.0)
    np.testing.assert_array_equal(a.mon.s.steps, b.mon.s.steps)
    np.testing.assert_array_equal(a.mon.s.indices, b.mon.s.indices)
    assert len(a.mon.s.steps) > 0


def test_reset_with_new_batch_size_keeps_monitors_valid():
    lif = _lif(3, mode=bp.BatchingMode(2))
    runner = bp.DSRunner(lif, monitors=["V"], progress_bar=False)
    runner.run(inputs=jnp.full((2, 4, 3), 12.0))
    runner.run(inputs=jnp.full((5, 4, 3), 12.0), reset_state=True)
    assert lif.V.shape == (5, 3) and runner.mon.V.shape == (5, 4, 3)
    assert runner.i0 == 4


def test_changed_parameters_are_not_stale():
    """Cached executables must not hide a parameter changed between runs."""
    lif = _lif(1)
    runner = _runner(lif)
    runner.run(100.0)
    assert runner.mon.spike.sum() == 2
    lif.V_th = -55.0  # a lower threshold: more spikes
    runner.run(100.0, reset_state=True)
    assert runner.mon.spike.sum() > 2 and runner.num_compiles == 2
    lif.V_th = -50.0
    runner.run(100.0, reset_state=True)
    assert runner.mon.spike.sum() == 2 and runner.num_compiles == 2  # cache hit


def test_large_arrays_are_arguments_not_constants():
    pre = bp.PoissonGroup(40, freqs=500.0)
    post = bp.LIF(40, V_th=1e9)
    comm = bp.EventCSRLinear(bp.FixedProb(0.5, pre=40, post=40, seed=0), 1.0)
    proj = bp.ProjAlignPostMg2(pre, None, comm, bp.Expon.desc(40), bp.CUBA.desc(), post)
    net = bp.Network(pre=pre, post=post, proj=proj)
    runner = bp.DSRunner(net, monitors=["proj.syn.g"], progress_bar=False)
    runner.run(2.0)
    g1 = runner.mon["proj.syn.g"]
    comm.table = comm.table * False  # no connections: same shape, new values
    runner.run(2.0, reset_state=True)
    assert runner.num_compiles == 1
    assert g1.sum() > 0 and runner.mon["proj.syn.g"].sum() == 0


def test_long_run_of_a_small_model_reuses_one_chunk_program():
    # one fixed chunk length whatever the run length (it used to grow with the
    # run, one compile per power of two); full chunks and the remainder share
    # code, and the result equals a run in other chunk lengths
    class Wrap(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.n = _lif(1)

        def update(self):
            return self.n(12.0)

    one = bp.DSRunner(Wrap(), progress_bar=False)
    a = one.run(20_000.0)  # 200,000 steps
    assert one.chunk_steps == _MAX_CHUNK and one.num_compiles == 1
    many = bp.DSRunner(Wrap(), progress_bar=False, chunk_size=1 << 14)
    b = many.run(20_000.0)  # 12 full chunks and a partial one
    assert many.num_compiles == 1
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert np.asarray(a).shape == (200_000, 1) and np.asarray(a).sum() > 10
    one.run(15_000.0)
    assert one.num_compiles == 1
    np.testing.assert_allclose(one.mon.ts[[0, -1]], [20_000.0, 34_999.9])


def _count_backend_compiles():
    """A list that grows by one entry per XLA compilation from now on."""
    events: list[str] = []
    jax.monitoring.register_event_duration_secs_listener(
        lambda event, duration_secs, **kw: (
            events.append(event) if "backend_compile" in event else None
        )
    )
    return events


@pytest.mark.parametrize("bar", [False, True])
def test_any_duration_reuses_compiled_code_after_warm_up(bar):
    """Issue 11.9: after run(1000.) and run(3.), run(257.3) compiles nothing: no
    chunk program, and no device slice/concatenate of the outputs either."""

    class Wrap(bp.DynamicalSystem):
        def __init__(self):
            super().__init__()
            self.n = _lif(3)

        def update(self):
            return self.n(12.0)

    runner = bp.DSRunner(Wrap(), monitors=["n.V", "n.spike"], progress_bar=bar)
    runner.run(1000.0)
    runner.run(3.0)
    events = _count_backend_compiles()
    for duration in (257.3, 512.1, 77.7, 1000.0):
        out = runner.run(duration)
        assert np.asarray(out).shape == (round(duration / 0.1), 3)
    assert events == [] and runner.num_compiles == 1
    # run inputs of new lengths are cut on the host: no compile either
    inp = bp.DSRunner(_lif(2), monitors=["V"], progress_bar=bar)
    inp.run(inputs=np.full((700, 2), 12.0, np.float32))
    inp.run(inputs=np.full((3, 2), 12.0, np.float32))
    events.clear()
    inp.run(inputs=np.full((1234, 2), 12.0, np.float32))
    inp.run(inputs=np.full((5, 2), 12.0, np.float32))
    assert events == [] and inp.num_compiles == 1


def test_chunk_length_does_not_depend_on_run_length_or_progress_bar():
    runs = {}
    for bar in (False, True):
        runner = _runner(_lif(), progress_bar=bar)
        for duration in (3.0, 2000.0):
            runner.run(duration)
            runs[bar, duration] = (runner.chunk_steps, runner.mon.V.copy())
    (chunk,) = {k for k, _ in runs.values()}  # one chunk length for every run
    assert 64 <= chunk <= _MAX_CHUNK
    for duration in (3.0, 2000.0):
        np.testing.assert_array_equal(runs[False, duration][1], runs[True, duration][1])

"""The `rollax demo apebench-lite` demonstration."""

import json
import time
from pathlib import Path

import rollax


def run_demo(outdir: Path, *, quick: bool = False) -> str:
    """Train `Conv;26;10;relu` on 1-D `diff_adv` with `one`; write metrics and pictures.

    **Arguments:**

    - `outdir`: existing directory for the outputs (CSV, JSON, PNG).
    - `quick`: a handful of updates on a small grid (a smoke test of a few seconds).

    **Returns:**

    A one-line summary.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._scenarios import scenario_dict
    from ._utils import (
        melt_loss,
        melt_metrics,
        plot_loss,
        plot_metrics,
    )

    outdir = Path(outdir)
    if quick:
        kwargs = dict(
            num_points=32,
            num_train_samples=4,
            train_temporal_horizon=10,
            num_test_samples=4,
            test_temporal_horizon=20,
            optim_config="adam;10;constant;1e-3",
            record_loss_every=2,
        )
        net = "Conv;8;2;relu"
    else:
        kwargs = dict(
            num_train_samples=20,
            test_temporal_horizon=100,
            optim_config="adam;1_500;warmup_cosine;0.0;1e-3;300",
            record_loss_every=25,
        )
        net = "Conv;26;10;relu"
    scenario = scenario_dict["diff_adv"](
        report_metrics="mean_nRMSE,mean_correlation", **kwargs
    )
    start = time.perf_counter()
    df, _ = scenario(network_config=net, train_config="one", num_seeds=2)
    seconds = time.perf_counter() - start
    metrics = melt_metrics(df, ["mean_nRMSE", "mean_correlation"])
    loss = melt_loss(df)
    metrics.to_csv(outdir / "metrics.csv", index=False)
    loss.to_csv(outdir / "loss.csv", index=False)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.3), layout="constrained")
    plot_loss(loss, ax=axes[0])
    plot_metrics(metrics, ax=axes[1])
    axes[0].set_title("training loss (median and range of the seeds)")
    axes[1].set_title("test error along the rollout")
    fig.suptitle(f"{scenario.get_scenario_name()}: emulator {net}")
    fig.savefig(outdir / "loss_and_error.png", dpi=100)
    plt.close(fig)

    import numpy as np

    ref = np.asarray(scenario.get_ref_sample_data()[0])
    pred = np.asarray(df["sample_rollout_000"].iloc[0])
    fig = rollout_figure(ref, pred, f"{net} (seed 0)", scenario.get_scenario_name())
    fig.savefig(outdir / "rollout.png", dpi=100)
    plt.close(fig)

    t_last = scenario.test_temporal_horizon
    summary = {
        "scenario": scenario.get_scenario_name(),
        "network": net,
        "train": "one",
        "num_training_steps": scenario.num_training_steps,
        "seconds": round(seconds, 2),
        "mean_nRMSE_t1": float(df["mean_nRMSE_0001"].mean()),
        f"mean_nRMSE_t{t_last}": float(df[f"mean_nRMSE_{t_last:04d}"].mean()),
        "parameters": scenario.get_parameter_count(net),
    }
    (outdir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return (
        f"{net} on {summary['scenario']} ({summary['num_training_steps']} updates, "
        f"2 seeds, {seconds:.0f} s): mean nRMSE {summary['mean_nRMSE_t1']:.3f} at "
        f"step 1, {summary[f'mean_nRMSE_t{t_last}']:.3f} at step {t_last}"
    )


DEMO = rollax.Demo(
    name="apebench-lite",
    description="train a conv net emulator of 1-D advection and test its rollout",
    run=run_demo,
)


def rollout_figure(ref, pred, model: str, scenario: str):
    """Reference, emulator and their difference as space-time pictures.

    **Arguments:**

    - `ref`, `pred`: trajectories `(T, C, N)` (the first channel is drawn).
    - `model`: the emulator's name, for its panel's title.
    - `scenario`: the scenario's name, for the figure's title.

    **Returns:**

    The matplotlib figure (three panels with colour bars).
    """
    import matplotlib.pyplot as plt
    import numpy as np

    from ._utils import plot_spatio_temporal

    ref, pred = np.asarray(ref), np.asarray(pred)
    n = min(len(ref), len(pred))
    if len(ref) != len(pred):  # with or without the initial state: align the ends
        ref, pred = ref[-n:], pred[-n:]
    fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), layout="constrained")
    plot_spatio_temporal(ref, ax=axes[0], title="reference solver")
    plot_spatio_temporal(pred, ax=axes[1], title=f"emulator {model}")
    diff = pred - ref
    lim = float(np.abs(diff).max()) or 1.0
    plot_spatio_temporal(diff, ax=axes[2], vlim=(-lim, lim),
                         title="difference (emulator - reference)")  # fmt: skip
    for ax, label in zip(fig.axes[3:], ("u", "u", "error"), strict=False):
        ax.set_ylabel(label)
    fig.suptitle(f"{scenario}: one test trajectory (x: time step, y: grid point)")
    return fig

"""The rollax demo: the COBA E/I network of 4000 LIF neurons for 1 s."""

import json
from pathlib import Path
from typing import Any

import numpy as np

from ._einet import EINet
from ._monitor import Monitor
from ._runner import DSRunner


def run_demo(outdir: Path, *, quick: bool = False) -> str:
    """Simulate the COBA network, write a raster, traces and firing rates.

    **Arguments:**

    - `outdir`: an existing directory for `raster.png`, `traces.png`,
        `rates.json` and `rates.csv`.
    - `quick`: a 400-neuron network for 100 ms instead of 4000 neurons for 1 s.

    **Returns:**

    A one-line summary with the firing rates.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ._plot import line_plot

    ne, ni, duration = (320, 80, 100.0) if quick else (3200, 800, 1000.0)
    # Sparser networks need stronger synapses to stay balanced: keep the in-degree.
    scale = 3200 / ne
    net = EINet(ne, ni, we=0.6 * scale, wi=6.7 * scale) if quick else EINet(ne, ni)
    runner = DSRunner(
        net,
        monitors={
            "E.spike": Monitor(net.E.spike, spikes=True),
            "I.spike": Monitor(net.I.spike, spikes=True),
            "E.V": Monitor(net.E.V, index=[0, 1, 2]),
        },
        progress_bar=False,
    )
    runner.run(duration)
    sec = duration / 1000.0
    rate_e = len(runner.mon["E.spike"].times) / ne / sec
    rate_i = len(runner.mon["I.spike"].times) / ni / sec
    fig = raster_figure(runner.mon["E.spike"], runner.mon["I.spike"], ne, ni, duration)
    fig.savefig(outdir / "raster.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3), layout="constrained")
    line_plot(runner.mon.ts, runner.mon["E.V"], ax=ax, ylabel="V (mV)", legend="E")
    ax.set_xlabel("time (ms)")
    ax.set_title("Membrane potential of three excitatory neurons")
    ax.legend(["E neuron 0", "E neuron 1", "E neuron 2"], loc="upper right")
    fig.savefig(outdir / "traces.png", dpi=100)
    plt.close(fig)
    info = {
        "neurons": ne + ni,
        "duration_ms": duration,
        "dt_ms": runner.dt,
        "rate_exc_hz": rate_e,
        "rate_inh_hz": rate_i,
        "compile_s": runner.timing["compile"],
        "execute_s": runner.timing["execute"],
    }
    (outdir / "rates.json").write_text(json.dumps(info, indent=2))
    counts = np.bincount(runner.mon["E.spike"].indices, minlength=ne) / sec
    np.savetxt(outdir / "rates.csv", counts, delimiter=",", header="rate_hz",
               comments="", fmt="%.3f")  # fmt: skip
    return (
        f"COBA {ne + ni} LIF neurons, {duration:g} ms: excitatory {rate_e:.1f} Hz, "
        f"inhibitory {rate_i:.1f} Hz (compile {info['compile_s']:.2f} s, run "
        f"{info['execute_s']:.2f} s)"
    )


def raster_figure(
    e_spikes: Any,
    i_spikes: Any,
    ne: int,
    ni: int,
    duration: float,
    *,
    shown: int = 250,
    bin_ms: float = 5.0,
) -> Any:
    """Raster of a subsample of an E/I network over its population rates.

    **Arguments:**

    - `e_spikes`, `i_spikes`: spike trains (`.times` in ms, `.indices`) of the
        excitatory and inhibitory groups.
    - `ne`, `ni`: the group sizes.
    - `duration`: the simulated time (ms).
    - `shown`: number of neurons drawn, split in proportion to the group sizes
        (thousands of neurons would fill the raster solid).
    - `bin_ms`: bin width of the population rates.

    **Returns:**

    The matplotlib figure: the raster (E blue, I red) above the rates in Hz.
    """
    import matplotlib.pyplot as plt

    n_e = max(1, round(shown * ne / (ne + ni)))
    n_i = max(1, shown - n_e)
    fig, (ax, ax_rate) = plt.subplots(
        2,
        1,
        figsize=(8, 5.5),
        sharex=True,
        height_ratios=(3, 1.3),
        layout="constrained",
    )
    bins = np.arange(0.0, duration + bin_ms, bin_ms)
    for train, n, n_shown, offset, colour, label in (
        (e_spikes, ne, n_e, 0, "tab:blue", "excitatory"),
        (i_spikes, ni, n_i, n_e, "tab:red", "inhibitory"),
    ):
        times = np.asarray(train.times, dtype=float)
        idx = np.asarray(train.indices)
        keep = idx < n_shown
        ax.scatter(times[keep], idx[keep] + offset, s=1.5, c=colour, marker="|",
                   linewidths=0.6, label=f"{label} ({n_shown} of {n})")  # fmt: skip
        counts, _ = np.histogram(times, bins)
        rate = counts / n / (bin_ms / 1000.0)
        ax_rate.plot(bins[:-1] + bin_ms / 2, rate, color=colour,
                     label=f"{label}, mean {len(times) / n / duration * 1000:.1f} Hz")  # fmt: skip
    ax.set_ylim(-1, n_e + n_i)
    ax.set_ylabel("neuron (subsample)")
    ax.set_title(
        f"COBA E/I network of {ne + ni} LIF neurons: spikes of {n_e + n_i} of them"
    )
    ax.legend(loc="upper right", markerscale=6, framealpha=0.9)
    ax_rate.set_xlabel("time (ms)")
    ax_rate.set_ylabel(f"rate (Hz, {bin_ms:g} ms bins)")
    ax_rate.set_xlim(0, duration)
    ax_rate.legend(loc="upper right", fontsize="small", framealpha=0.9)
    return fig

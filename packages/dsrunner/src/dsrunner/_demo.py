"""The rollax demo: the COBA E/I network of 4000 LIF neurons for 1 s."""

import json
from pathlib import Path

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

    from ._plot import line_plot, raster_plot

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
    fig, ax = plt.subplots(figsize=(8, 4))
    raster_plot(None, runner.mon["E.spike"], ax=ax, markersize=1.0,
                title=f"COBA network: excitatory raster ({ne} neurons)")  # fmt: skip
    fig.tight_layout()
    fig.savefig(outdir / "raster.png", dpi=100)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 3))
    line_plot(runner.mon.ts, runner.mon["E.V"], ax=ax, ylabel="V (mV)", legend="E")
    fig.tight_layout()
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

"""The hook implementations rollax finds through the entry point."""

import csv
from pathlib import Path

import jax
import jax.numpy as jnp

import rollax

from ._stepper import NoisyDecay


@rollax.hookimpl
def register_steppers():
    return [NoisyDecay]


def _demo(outdir: Path, *, quick: bool = False) -> str:
    steps = 100 if quick else 1000
    stepper = NoisyDecay(size=4, tau=1.0, sigma=0.2, dt=0.01)

    def body(x, key):
        x = stepper(x, key=key)
        return x, x

    keys = jax.random.split(jax.random.key(0), steps)
    _, trajectory = jax.lax.scan(body, jnp.ones(4), keys)
    with open(outdir / "trajectory.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["step", "x0", "x1", "x2", "x3"])
        for i, row in enumerate(trajectory.tolist()):
            writer.writerow([i + 1, *row])
    return (
        f"{steps} steps of an OU process; final mean {float(trajectory[-1].mean()):.3f}"
    )


@rollax.hookimpl
def register_demos():
    return [
        rollax.Demo(
            name="rollax-toy-plugin",
            description="An Ornstein-Uhlenbeck trajectory written to CSV.",
            run=_demo,
        )
    ]

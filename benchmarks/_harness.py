"""The benchmarks' shared harness.

Every benchmark script describes its work as `Case`s, each with our function and, where
the original library can run, the original's function doing the same work. `compare`
warms both up, then times them interleaved (ours, original, ours, original, ...) and
keeps the best of N of each: interleaving spreads the noise of a shared machine over
both sides, and the best run is the one least disturbed by it. The ratio is always
rollax time / original time, so lower is better.

A figure recorded in the research notes is used only when the original cannot run in
this environment, and is then labelled "recorded", never silently.

An original that needs another environment (Leniax and IMNN run on JAX 0.4) is driven
through `Worker`: a persistent process of that environment's Python that runs the
original's cases on request and reports the seconds it measured itself.
"""

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class Timed:
    """The result of a call that measured itself (a `Worker` call): its seconds are
    used instead of the harness's clock, which would include the round trip."""

    seconds: float


@dataclasses.dataclass
class Case:
    """One piece of work, done by us and by the original.

    - `name`: what is measured, as printed.
    - `ours`: does the work once; returns something `jax.block_until_ready` accepts.
    - `original`: the same work through the original library, or `None` when it cannot
        run here.
    - `recorded`: the original's seconds from the research notes, printed (labelled
        "recorded") only when `original` is `None`.
    - `per`: `(count, unit)` to print the time per unit (per step, per sample) as well.
    - `once`: time a single cold call, without warm-up (compile times).
    """

    name: str
    ours: Callable[[], Any]
    original: Callable[[], Any] | None = None
    recorded: float | None = None
    per: tuple[float, str] | None = None
    once: bool = False


def _block(value: Any) -> Any:
    try:
        import jax

        return jax.block_until_ready(value)
    except ImportError:  # pragma: no cover - a worker without jax
        return value


def _seconds(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    value = _block(fn())
    elapsed = time.perf_counter() - start
    return value.seconds if isinstance(value, Timed) else elapsed


def measure(cases: Sequence[Case], repeats: int) -> list[dict[str, Any]]:
    """Best-of-`repeats` seconds of each side of each case, interleaved."""
    rows = []
    for case in cases:
        sides = {"ours": case.ours}
        if case.original is not None:
            sides["original"] = case.original
        if case.once:
            best = {side: _seconds(fn) for side, fn in sides.items()}
        else:
            for fn in sides.values():
                _seconds(fn)  # compile and warm up
            times: dict[str, list[float]] = {side: [] for side in sides}
            for _ in range(repeats):
                for side, fn in sides.items():
                    times[side].append(_seconds(fn))
            best = {side: min(t) for side, t in times.items()}
        original, source = best.get("original"), "same run"
        if original is None and case.recorded is not None:
            original, source = case.recorded, "recorded"
        elif original is None:
            source = "-"
        rows.append(
            {
                "case": case.name,
                "ours_s": best["ours"],
                "original_s": original,
                "source": source,
                "ratio": best["ours"] / original if original else None,
                "per": case.per,
            }
        )
    return rows


def difference(name: str, long: dict, short: dict, per=None) -> dict[str, Any]:
    """A row of the cost of the extra work of `long` over `short` (best times of each,
    e.g. 2T and T steps): it removes what a call costs besides that work."""
    ours = long["ours_s"] - short["ours_s"]
    original = None
    if long["original_s"] is not None and short["original_s"] is not None:
        original = long["original_s"] - short["original_s"]
    return {
        "case": name,
        "ours_s": ours,
        "original_s": original,
        "source": long["source"],
        "ratio": ours / original if original and original > 0 else None,
        "per": per,
    }


def _format_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds <= 0:
        return f"{seconds:.2g} s (noise)"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.2f}" if ratio >= 0.01 else f"{ratio:.1e}"


def report(
    title: str, ours: str, original: str, rows: list[dict[str, Any]], note: str = ""
):
    """Print the rows as a table: times, per-unit times, source and the ratio."""
    print(f"\n== {title} ==")
    if note:
        print(note)
    header = ("case", ours, original, "original from", f"ratio {ours}/{original}")
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        ours_text, original_text = (
            _format_seconds(row["ours_s"]),
            _format_seconds(row["original_s"]),
        )
        if row["per"]:
            count, unit = row["per"]
            ours_text += f" ({_format_seconds(row['ours_s'] / count)}/{unit})"
            if row["original_s"] is not None:
                original_text += (
                    f" ({_format_seconds(row['original_s'] / count)}/{unit})"
                )
        ratio = _format_ratio(row["ratio"])
        if row["source"] == "recorded":
            ratio += " (recorded)"
        lines.append((row["case"], ours_text, original_text, row["source"], ratio))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for i, line in enumerate(lines):
        print(
            "  ".join(
                cell.ljust(width) for cell, width in zip(line, widths, strict=True)
            )
        )
        if i == 0:
            print("  ".join("-" * width for width in widths))
    print(
        "(best of interleaved runs; ratio = rollax time / original time, lower is better)"
    )


def write_json(path: str | None, results: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(results, indent=2, default=str) + "\n")


class Worker:
    """The original library in its own environment: a persistent process of `python`
    that imports `script` (a file defining `CASES`, a dict of name -> zero-argument
    function) and times one call of a case on request."""

    def __init__(self, python: str, script: Path, *args: str):
        env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "3"}
        self.process = subprocess.Popen(
            [python, "-u", str(HERE / "_worker.py"), str(script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        ready = self._read()
        if "error" in ready:
            self.close()
            raise RuntimeError(ready["error"])
        self.info: dict[str, Any] = ready

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("@@ "):
                return json.loads(line[3:])
        raise RuntimeError(f"the worker exited with code {self.process.wait()}")

    def case(self, name: str) -> Callable[[], Timed]:
        def call() -> Timed:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"case": name}) + "\n")
            self.process.stdin.flush()
            answer = self._read()
            if "error" in answer:
                raise RuntimeError(f"{name}: {answer['error']}")
            return Timed(answer["seconds"])

        return call

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def keep_script_folder_off_path() -> None:
    """Scripts named like a package (eventsnn.py, dsrunner.py) must not shadow it."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

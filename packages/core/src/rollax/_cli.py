"""The `rollax` command: list plugins and run their demos."""

import argparse
import contextlib
import functools
import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from .__about__ import __version__
from ._registry import PluginInfo, Registry, registry as default_registry

_KIND_FIELDS = ("runners", "steppers", "layers", "summarisers", "demos")

# Native log noise of the libraries the demos import (TensorFlow's C++ start-up
# messages, which also make absl warn about logging before its initialisation).
# The oneDNN notice is printed before TensorFlow reads its log level, so only
# switching oneDNN off silences it; TensorFlow only feeds data here (tf.data,
# TFRecords): no number a demo computes with JAX changes. Set before any plugin is
# loaded; a value the user set is kept.
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "GRPC_VERBOSITY": "ERROR",
}


@contextlib.contextmanager
def _progress_bars_off(off: bool):
    """While active (if `off`), tqdm bars are disabled unless a caller insists."""
    if not off:
        yield
        return
    from tqdm import std

    original = std.tqdm.__init__
    std.tqdm.__init__ = functools.partialmethod(original, disable=True)  # pyright: ignore[reportAttributeAccessIssue]
    try:
        yield
    finally:
        std.tqdm.__init__ = original


def _registered(info: PluginInfo) -> str:
    parts = [
        f"{kind}: {', '.join(names)}"
        for kind in _KIND_FIELDS
        if (names := getattr(info, kind))
    ]
    return "; ".join(parts) or "(nothing)"


def format_plugins(infos: Sequence[PluginInfo]) -> str:
    """A plain-text table of plugins, their versions and what they registered."""
    if not infos:
        return (
            "No rollax plugins are installed. From a clone of rollax, install one "
            "(`pip install ./packages/core ./packages/lenia-runner`) or all of them "
            "(`pip install ./packages/*`)."
        )
    rows = [("plugin", "version", "registered")]
    for info in infos:
        registered = _registered(info)
        if info.errors:
            registered = "BROKEN: " + " | ".join(info.errors)
        rows.append((info.name, info.version or "-", registered))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows]
    lines.insert(1, f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 10}")
    return "\n".join(lines)


def _cmd_plugins(args: argparse.Namespace, reg: Registry) -> int:
    infos = reg.plugins()
    print(format_plugins(infos))
    return 1 if any(info.errors for info in infos) else 0


def _cmd_demo(args: argparse.Namespace, reg: Registry) -> int:
    available = reg.demos()
    if args.list:
        width = max((len(n) for n in available), default=0)
        for name in sorted(available):
            print(f"{name:<{width}}  {available[name].description}")
        return 0
    names = args.names or sorted(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        print(
            f"rollax demo: unknown demo(s) {', '.join(unknown)}; available: "
            f"{', '.join(sorted(available)) or 'none (install a plugin)'}",
            file=sys.stderr,
        )
        return 2
    if not names:
        print(
            "rollax demo: no demos installed; install the plugins (from a clone "
            "of rollax: `pip install ./packages/*`) and try again",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    failed = 0
    # One line per demo and the demo's own progress bar under it: no bar around the
    # demos (a bar inside a bar). --no-progress switches the demos' bars off.
    for i, name in enumerate(names, 1):
        demo = available[name]
        print(f"[{i}/{len(names)}] {name}: {demo.description}", flush=True)
        start = time.perf_counter()
        try:
            with _progress_bars_off(args.no_progress):
                summary = demo(out / name, quick=args.quick)
            status = "ok"
        except Exception as e:
            failed += 1
            summary = f"FAILED: {type(e).__name__}: {e}"
            status = "failed"
            traceback.print_exc(file=sys.stderr)
        seconds = time.perf_counter() - start
        results.append(
            {
                "name": name,
                "status": status,
                "summary": summary,
                "seconds": round(seconds, 2),
                "outputs": str(out / name),
            }
        )
        print(f"    {name}: {summary} [{seconds:.1f} s, {out / name}]", flush=True)
    (out / "summary.json").write_text(json.dumps(results, indent=2) + "\n")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rollax",
        description="rollax: JAX simulation and learning libraries and their plugins.",
    )
    parser.add_argument("--version", action="version", version=f"rollax {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plugins", help="list installed plugins and what they provide")
    p.set_defaults(func=_cmd_plugins)
    d = sub.add_parser("demo", help="run the demos of installed plugins")
    d.add_argument("names", nargs="*", help="demos to run (default: all)")
    d.add_argument(
        "--out", default="rollax-demo", help="output directory (default: ./rollax-demo)"
    )
    d.add_argument(
        "--quick", action="store_true", help="a smaller budget, for smoke tests"
    )
    d.add_argument(
        "--no-progress", action="store_true", help="hide the demos' progress bars"
    )
    d.add_argument(
        "--list", action="store_true", help="list the installed demos and what they do"
    )
    d.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None, *, registry: Registry | None = None) -> int:
    """Entry point of the `rollax` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    for key, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    return args.func(args, registry or default_registry)


if __name__ == "__main__":
    raise SystemExit(main())

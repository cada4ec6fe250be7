"""Runs an original library's benchmark cases in its own environment, for the harness.

Usage (by `_harness.Worker`): `python _worker.py CASES_SCRIPT [ARGS...]`. The script
defines `CASES`, a dict of name -> zero-argument function (it may read `sys.argv`). On
stdin, one JSON request per line, `{"case": name}`; on stdout, one line `@@ {...}` per
answer with the seconds of one call (blocked until its arrays are ready). This file
needs only the standard library and the original's own environment.
"""

import json
import runpy
import sys
import time
import traceback
from pathlib import Path


def _say(payload):
    print("@@ " + json.dumps(payload), flush=True)


def main():
    # This folder holds scripts named like the originals (imnn.py): keep it off the path.
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    script = sys.argv[1]
    sys.argv = [script, *sys.argv[2:]]
    try:
        namespace = runpy.run_path(script, run_name="__benchmark_cases__")
        cases = namespace["CASES"]
    except Exception:
        _say({"error": traceback.format_exc(limit=3)})
        return
    try:
        import jax

        block = jax.block_until_ready
        version = jax.__version__
    except ImportError:
        block, version = (lambda x: x), None
    _say({"ready": True, "jax": version, **namespace.get("INFO", {})})
    for line in sys.stdin:
        name = json.loads(line)["case"]
        try:
            start = time.perf_counter()
            block(cases[name]())
            _say({"seconds": time.perf_counter() - start})
        except Exception:
            _say({"error": traceback.format_exc(limit=3)})


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Run jaxsnn 0.2.1's own tests (tests/sw/event and tests/sw/base/dataset) against
# eventsnn: the tests are copied to a scratch folder whose conftest.py makes every
# `import jaxsnn...` load `eventsnn...` instead. Nothing of jaxsnn is imported.
#
# Usage: scripts/original-tests/jaxsnn.sh [pytest args]
#   JAXSNN_SRC  a checkout of jaxsnn at tag v0.2.1 (default /work/ref/jaxsnn-v021u)
#   PYTHON      a python with eventsnn installed (default: the hatch test env's)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=${JAXSNN_SRC:-/work/ref/jaxsnn-v021u}
py=${PYTHON:-$(cd "$root" && hatch env find hatch-test 2>/dev/null | head -1)/bin/python}
if [ ! -d "$src/tests/sw/event" ]; then
  echo "no jaxsnn 0.2.1 tests under $src (set JAXSNN_SRC)" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/base"
cp -r "$src/tests/sw/event" "$tmp/event"
cp -r "$src/tests/sw/base/dataset" "$tmp/base/dataset"
cat > "$tmp/conftest.py" <<'PY'
"""Alias `jaxsnn` (and every `jaxsnn.x.y`) to `eventsnn` (`eventsnn.x.y`)."""
import importlib
import importlib.abc
import importlib.util
import sys


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname == "jaxsnn" or fullname.startswith("jaxsnn."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("eventsnn" + spec.name[len("jaxsnn"):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())

# the 0.2.1 test files themselves call jax.tree_map, removed from current JAX
import jax  # noqa: E402

if not hasattr(jax, "tree_map"):
    try:
        jax.tree_map = jax.tree.map
    except AttributeError:  # a module __getattr__ that refuses the name
        pass
PY
cd "$tmp"
JAX_PLATFORMS=cpu MPLBACKEND=Agg "$py" -m pytest -q -p no:cacheprovider \
  --rootdir "$tmp" -o addopts="" --continue-on-collection-errors event base "$@"

#!/usr/bin/env bash
# Run Leniax's own test suite (its repository's tests/) against lenia-runner.
#
# usage: scripts/original-tests/leniax.sh LENIAX_CHECKOUT [PYTHON] [-- PYTEST ARGS]
#
# LENIAX_CHECKOUT is a checkout of https://github.com/morgangiraud/leniax (its
# tests/ folder is read, nothing in it is changed). PYTHON (default: python) is an
# interpreter with lenia-runner installed plus pytest, hydra-core and omegaconf
# (Leniax's tests compose their configurations with Hydra). The tests are copied
# to a temporary folder whose conftest.py makes `import leniax` import
# lenia_runner (`leniax.X` -> `lenia_runner.X`); the last line printed is
# "leniax tests on lenia-runner: P passed of 35" (Leniax's suite has 35 tests;
# tests of a file that does not import, e.g. Leniax's QD module, count as failed).
set -euo pipefail
src=${1:?usage: leniax.sh LENIAX_CHECKOUT [PYTHON] [-- PYTEST ARGS]}
shift
py=python
if [[ $# -gt 0 && $1 != -- ]]; then py=$1; shift; fi
[[ ${1:-} == -- ]] && shift
[[ -d $src/tests ]] || { echo "leniax.sh: $src/tests not found; expected a Leniax checkout" >&2; exit 2; }
"$py" -c "import lenia_runner, pytest, hydra, omegaconf" || {
  echo "leniax.sh: $py needs lenia-runner, pytest, hydra-core and omegaconf" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$src/tests" "$work/tests"
cat > "$work/tests/conftest.py" <<'PY'
"""Make `leniax` and its submodules import lenia_runner's."""

import importlib
import importlib.abc
import importlib.util
import sys

import lenia_runner


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "leniax" or name.startswith("leniax."):
            target_name = "lenia_runner" + name[len("leniax"):]
            if importlib.util.find_spec(target_name) is None:
                return None  # a module lenia-runner does not have: ImportError
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("lenia_runner" + spec.name[len("leniax"):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Alias())
sys.modules["leniax"] = lenia_runner
PY
cd "$work/tests"
set +e
JAX_PLATFORMS=${JAX_PLATFORMS:-cpu} "$py" -m pytest -p no:cacheprovider -o addopts= \
  -q -rfE --tb=line --continue-on-collection-errors --rootdir "$work/tests" "$@" . 2>&1 | tee "$work/out.txt"
set -e
passed=$(grep -Eo '[0-9]+ passed' "$work/out.txt" | tail -1 | grep -Eo '[0-9]+' || echo 0)
echo "leniax tests on lenia-runner: ${passed} passed of 35"

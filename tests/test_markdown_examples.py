"""Every code block of every README and documentation page runs as written.

Each page's Python blocks are run by pytest-markdown-docs (`pytest --markdown-docs
PAGE`) in a fresh process, in an empty working directory, with one CPU device as a
user has. A block that only shows a module tested elsewhere is marked
```` ```{.python notest} ```` (the form mkdocs' superfences renders).
Shell commands (`console` blocks) are not run here; the install commands are run
by `tests/test_install.py`.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [
        ROOT / "README.md",
        *ROOT.glob("packages/*/README.md"),
        *(p for p in ROOT.glob("docs/**/*.md") if "site" not in p.parts),
    ]
)
FENCE = re.compile(r"^```(\S*)(.*)$", re.M)
SECONDS = 300  # "a minute or two" on a quiet 2-core CPU; slack for a loaded one


def _python_fences(page: Path) -> list[str]:
    """The info strings of the page's Python fences (opening fences only)."""
    infos, inside = [], False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            if not inside:
                infos.append(line[3:].strip())
            inside = not inside
    # `{.python notest}`: the brace form of mkdocs' superfences
    infos = [i.strip("{}").replace(".python", "python", 1) for i in infos]
    return [i for i in infos if i.split(" ")[0] in ("python", "py", "python3")]


def test_pages_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in PAGES}
    assert {"README.md", "docs/quickstart.md", "packages/core/README.md"} <= names
    assert len(names) >= 20


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_code_blocks_run(page: Path, tmp_path: Path):
    fences = _python_fences(page)
    if not any("notest" not in f for f in fences):
        pytest.skip("no runnable Python block on this page")
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    env.update(JAX_PLATFORMS="cpu", MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--markdown-docs",
            "--markdown-docs-syntax=superfences",  # also reads `{.python notest}`
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",  # the blocks of a page run in order
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-W",
            "error::UserWarning",
            str(page),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert elapsed < SECONDS, f"{page.name}'s examples took {elapsed:.0f} s"

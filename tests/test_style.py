"""The tree is `ruff check` clean and `ruff format`-formatted (CI runs this with the unit tests).

Keeping the tree formatted is the lead's job at merge time (one `ruff format .` over the whole tree,
so parallel branches do not conflict); until then this test reports what ruff would change.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    try:
        return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, timeout=120)
    except FileNotFoundError:
        pytest.fail("ruff is not installed: pip install -e '.[test]'", pytrace=False)


@pytest.mark.parametrize(
    "args",
    [("check", "."), ("format", "--check", ".")],
    ids=" ".join,
)
def test_ruff(args):
    result = _ruff(*args)
    if "No module named ruff" in result.stderr:
        pytest.fail("ruff is not installed: pip install -e '.[test]'", pytrace=False)
    assert result.returncode == 0, (
        f"`ruff {' '.join(args)}` failed; fix it (for format: run `ruff format .`):\n"
        f"{result.stdout}{result.stderr}"
    )

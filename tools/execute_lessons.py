"""Execute lesson notebooks in place from a clean kernel, as they must be committed.

    python tools/execute_lessons.py lessons/01_convolution.ipynb [more.ipynb ...]
    python tools/execute_lessons.py --check lessons/*.ipynb   # verify only, change nothing

After executing it verifies what the course requires of a committed notebook and exits non-zero
if any fails: no error outputs, no stderr output (TensorFlow log noise), execution counts 1..n in
order.  Widget views are dropped from the saved outputs (their model state is not saved, so a
fresh JupyterLab could not draw them anyway); the text/plain part, which nbval compares, stays.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
import translate
from notebook_hygiene import notebook_problems

from course_utils._env import course_env

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def execute(path: Path, timeout: int) -> float:
    from nbclient import NotebookClient

    runs = str(path.parent.resolve() / "runs")
    for key, val in course_env(kernels=True, COURSE_RUNS_DIR=runs).items():
        os.environ.setdefault(key, val)
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
    )
    t0 = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - t0
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if "data" in o and WIDGET_MIME in o["data"]:
                del o["data"][WIDGET_MIME]
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--check", action="store_true", help="only verify, do not execute")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = ap.parse_args()
    failed = False
    for path in args.notebooks:
        if not args.check:
            secs = execute(path, args.timeout)
            print(f"executed {path} in {secs:.1f} s")
            if path.resolve().parent == translate.Paths().lessons:
                translate.main([path.stem[:2]])  # the Chinese edition gets the new outputs
        found = notebook_problems(nbformat.read(path, as_version=4))
        for p in found:
            print(f"{path}: {p}")
        failed |= bool(found)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

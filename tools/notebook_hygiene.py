"""Is a saved notebook clean?  The one rule used by ``tools/execute_lessons.py``, the browser
harness (``tests/browser/lab.py``) and ``tests/test_lessons.py``: what a committed lesson must look
like.  Test tooling, not part of the installed package: scripts in ``tools/`` import it as
``notebook_hygiene`` (their folder is on ``sys.path``), and pytest puts ``tools/`` on the path too
(``pythonpath`` in ``pyproject.toml``)."""

from __future__ import annotations

__all__ = ["notebook_problems"]


def notebook_problems(nb: dict) -> list[str]:
    """Problems of a saved notebook (a dict or ``nbformat`` node); an empty list if it is clean.

    A clean notebook has no empty code cell, its code cells were run once each, in order
    (execution counts 1..n), and no output is an error or text on stderr (TensorFlow log noise).

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": "1 + 1", "execution_count": 2, "outputs": []}
    >>> notebook_problems({"cells": [cell]})
    ['cell 0: execution count 2, expected 1 (every cell run once, in order)']
    """
    out, count = [], 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if not "".join(cell["source"]).strip():
            out.append(f"cell {i}: empty code cell")
            continue
        count += 1
        if cell.get("execution_count") != count:
            out.append(
                f"cell {i}: execution count {cell.get('execution_count')}, expected {count} "
                "(every cell run once, in order)"
            )
        for o in cell.get("outputs", []):
            if o["output_type"] == "error":
                out.append(f"cell {i}: error output {o['ename']}: {o['evalue']}")
            elif o["output_type"] == "stream" and o["name"] == "stderr":
                text = "".join(o["text"]).strip()
                if text:
                    out.append(f"cell {i}: stderr output: {text[:200]!r}")
    return out

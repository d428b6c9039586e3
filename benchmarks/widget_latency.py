"""Median latency of every explorer's update step vs the naive interact pattern, same run.

    python benchmarks/widget_latency.py [--repeats 15] [--naive-repeats 3] [--only NAME]

For each explorer: the median time of its pure update step (compute + PNG encode: what a slider
move costs in the kernel) and of the naive pattern (Python-loop compute + fresh matplotlib
figure), and their ratio.  Exits 1 if an explorer misses its target.  These machines are noisy:
the ratio, measured in one run, is the figure to compare.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import latency_cases  # noqa: E402

import course_utils  # noqa: E402,F401  (environment defaults, before anything imports TensorFlow)


def median_ms(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--naive-repeats", type=int, default=3)
    ap.add_argument("--only", default=None, help="substring of the explorer names to run")
    args = ap.parse_args()
    cases = []
    for mod in sorted(pkgutil.iter_modules(latency_cases.__path__), key=lambda m: m.name):
        cases += importlib.import_module(f"latency_cases.{mod.name}").cases()
    if args.only:
        cases = [c for c in cases if args.only.lower() in c.name.lower()]
    print(f"{'explorer':<48} {'fast ms':>8} {'naive ms':>9} {'ratio':>7} {'target':>8}")
    ok = True
    for c in cases:
        fast = median_ms(c.fast, args.repeats)
        naive = median_ms(c.naive, args.naive_repeats)
        good = fast <= c.target_ms
        ok &= good
        print(
            f"{c.name:<48} {fast:8.2f} {naive:9.1f} {naive / fast:6.0f}x "
            f"{'<=' if good else '>'}{c.target_ms:5.0f}ms"
        )
    print("all explorers within target" if ok else "SOME EXPLORERS MISS THEIR TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""GPU training speed of the full profile: float32 vs the chosen mixed precision, both with XLA.

    python benchmarks/gpu_training.py                       # TensorFlow (the default backend)
    KERAS_BACKEND=jax python benchmarks/gpu_training.py     # JAX
    python benchmarks/gpu_training.py --steps 100           # more timed steps

Builds the seed's network (the ``full`` profile: 128x128 input, 64 base filters, batch 32) with
``course_utils.training.build_model`` twice, once in ``float32`` and once in the precision
``training.choose_precision()`` picks for this GPU (``mixed_bfloat16`` on compute capability >= 8.0,
else ``mixed_float16`` with loss scaling), both with ``jit_compile=True``.  Each trains one untimed
epoch (compilation), then timed epochs of ``--steps`` steps, alternating the two so that a change in
the machine's load hits both alike; prints img/s of each (median) and the ratio mixed / float32.

Without a GPU it says so and exits 0: there is nothing to measure.  ``--allow-cpu`` runs it on the
CPU anyway with a small profile (``--profile quick``), to check the script itself.
"""

from __future__ import annotations  # noqa: I001  (course_utils is imported before keras)

import argparse
import statistics
import sys
import time

import course_utils  # noqa: F401  (environment defaults, e.g. TF_CPP_MIN_LOG_LEVEL, before keras)
import keras
from course_utils.data import make_shapes
from course_utils.training import PROFILES, build_model, choose_precision, detect_device


def rate(model, x, y, batch: int) -> float:
    """Images per second of one epoch of ``model.fit`` over ``x``."""
    t = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    return len(x) / (time.perf_counter() - t)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", choices=sorted(PROFILES), default="full")
    ap.add_argument("--steps", type=int, default=50, help="timed steps per epoch (default 50)")
    ap.add_argument("--reps", type=int, default=3, help="timed epochs per precision (default 3)")
    ap.add_argument(
        "--precision",
        default=None,
        help="the mixed precision to compare (default: training.choose_precision())",
    )
    ap.add_argument(
        "--allow-cpu",
        action="store_true",
        help="run even without a GPU (checks the script; the numbers mean little)",
    )
    args = ap.parse_args(argv)
    device = detect_device()
    print(f"backend {keras.backend.backend()}, device {device}")
    if device != "gpu" and not args.allow_cpu:
        print(
            "no GPU visible to Keras: nothing to measure (this benchmark compares GPU "
            "precisions; see README 'GPU' for the setup). Exiting."
        )
        return 0
    mixed = args.precision or (choose_precision() if device == "gpu" else "mixed_bfloat16")
    prof = PROFILES[args.profile]
    steps_per_execution = min(8, args.steps)
    n = prof.batch_size * args.steps
    x, y = make_shapes(n, size=prof.image_size, seed=0)
    print(
        f"profile {prof.describe()}; {args.steps} steps of batch {prof.batch_size} per timed "
        f"epoch, jit_compile=True, steps_per_execution={steps_per_execution}"
    )
    models = {}
    for precision in ("float32", mixed):
        keras.utils.set_random_seed(0)
        models[precision] = build_model(
            prof, precision=precision, jit_compile=True, steps_per_execution=steps_per_execution
        )
        rate(models[precision], x, y, prof.batch_size)  # compile / warm-up, untimed
    rates = {p: [] for p in models}
    order = list(models)
    for rep in range(args.reps):
        for p in order[:: 1 if rep % 2 == 0 else -1]:
            rates[p].append(rate(models[p], x, y, prof.batch_size))
    med = {p: statistics.median(v) for p, v in rates.items()}
    for p, v in rates.items():
        print(f"  {p:<15} {med[p]:8.1f} img/s  (epochs: {', '.join(f'{r:.1f}' for r in v)})")
    print(f"  ratio {mixed} / float32: {med[mixed] / med['float32']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

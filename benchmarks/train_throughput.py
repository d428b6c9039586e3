"""Training speed of the course pipeline vs the seed note's recipe, and time to quality.

    python benchmarks/train_throughput.py                 # (a) throughput and (b) time to quality
    python benchmarks/train_throughput.py --skip-quality  # (a) only, about a minute
    python benchmarks/train_throughput.py --cap 300       # time cap of the seed run in (b)

(a) Images per second on the *same* model (64x64 input, 16 base filters) and the *same* data and
    batch size (32, the seed's), in the same process, alternating the two recipes:
    - seed: one-hot masks, ``categorical_crossentropy``, ``compile(optimizer="adam",
      metrics=["accuracy"])``, ``model.fit`` on arrays;
    - course: ``course_utils.training.build_model`` (sparse labels, accuracy + mean IoU + Dice
      metrics, ``steps_per_execution=8``) with ``model.fit`` on arrays, the call ``train()`` makes.
    The first epoch of each (tracing) is not timed; then back-to-back pairs of one epoch each,
    alternating which recipe goes first.  Prints the median rates and the median of the per-pair
    ratios course / seed (robust to the machine's load changing between pairs).
(b) Seconds of training until validation mean IoU >= 0.90 on held-out shapes:
    - the quick profile (``course_utils.training.train("quick")``);
    - the seed recipe unchanged (128x128, 64 base filters, batch 32, one-hot, categorical CE)
      on the same kind of data, stopped at a time cap.

TensorFlow's oneDNN CPU kernels are on (TensorFlow's default; about 3.5x faster training on CPU
than with ``TF_ENABLE_ONEDNN_OPTS=0``); the header line says which setting was measured.
"""

from __future__ import annotations  # noqa: I001  (course_utils is imported before keras)

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace

import course_utils  # noqa: F401  (environment defaults, e.g. TF_CPP_MIN_LOG_LEVEL, before keras)
import keras
import numpy as np
from course_utils.data import make_shapes
from course_utils.metrics import mean_iou
from course_utils.models import unet
from course_utils.training import PROFILES, build_model, train


class StopAtQuality(keras.callbacks.Callback):
    """Stop when ``monitor`` reaches ``threshold`` or when ``time_limit`` seconds have passed.

    ``reached_at`` is the wall time (seconds since training began) of the first epoch whose
    ``monitor`` was >= ``threshold`` (``None`` if never).
    """

    def __init__(
        self, threshold: float = 0.9, monitor: str = "val_mean_iou", time_limit: float | None = None
    ):
        super().__init__()
        self.threshold, self.monitor, self.time_limit = threshold, monitor, time_limit
        self.reached_at = None
        self.reached_epoch = None
        self.elapsed = 0.0

    def on_train_begin(self, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed = time.perf_counter() - self._t0
        if (logs or {}).get(self.monitor, -np.inf) >= self.threshold:
            self.reached_at, self.reached_epoch = self.elapsed, epoch + 1
            self.model.stop_training = True
        elif self.time_limit is not None and self.elapsed >= self.time_limit:
            self.model.stop_training = True


def seed_model(size: int, base_filters: int) -> keras.Model:
    """The seed note's compile call, verbatim."""
    model = unet((size, size, 3), num_classes=2, base_filters=base_filters)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def one_hot(masks: np.ndarray, num_classes: int = 2) -> np.ndarray:
    return np.eye(num_classes, dtype="float32")[masks]


def throughput(n: int, size: int, base_filters: int, batch: int, reps: int) -> dict:
    x, y = make_shapes(n, size=size, seed=0)
    y1 = one_hot(y)
    keras.utils.set_random_seed(0)
    seed = seed_model(size, base_filters)
    course = build_model(
        replace(PROFILES["quick"], image_size=size, base_filters=base_filters, batch_size=batch)
    )

    def run_seed():
        seed.fit(x, y1, batch_size=batch, epochs=1, verbose=0)

    def run_course():
        course.fit(x, y, batch_size=batch, epochs=1, verbose=0)  # the call train() makes

    run_seed()  # tracing / warm-up
    run_course()
    rates = {"seed": [], "course": []}
    order = [("seed", run_seed), ("course", run_course)]
    for rep in range(reps):  # back to back pairs, alternating who goes first: a change in the
        for name, fn in order[:: 1 if rep % 2 == 0 else -1]:  # machine's load hits both alike
            t = time.perf_counter()
            fn()
            rates[name].append(n / (time.perf_counter() - t))
    pair_ratios = [c / s for c, s in zip(rates["course"], rates["seed"], strict=True)]
    return {k: statistics.median(v) for k, v in rates.items()} | {
        "all": rates,
        "ratio": statistics.median(pair_ratios),
        "pair_ratios": pair_ratios,
    }


class _ValIoU(keras.callbacks.Callback):
    """Validation mean IoU (NumPy) after each epoch, for a model compiled without IoU metrics."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def on_epoch_end(self, epoch, logs=None):
        pred = self.model.predict(self.x, batch_size=32, verbose=0).argmax(-1)
        logs["val_mean_iou"] = mean_iou(self.y, pred, 2)
        print(
            f"  seed recipe epoch {epoch + 1}: val mean IoU {logs['val_mean_iou']:.4f}", flush=True
        )


class _BatchCap(keras.callbacks.Callback):
    def __init__(self, cap):
        super().__init__()
        self.cap = cap

    def on_train_begin(self, logs=None):
        self.t0 = time.perf_counter()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if time.perf_counter() - self.t0 > self.cap:
            self.model.stop_training = True


def time_to_quality(target: float, cap: float, quick_cap: float) -> dict:
    out = {}
    stop = StopAtQuality(target, time_limit=quick_cap)
    with tempfile.TemporaryDirectory() as tmp:
        res = train("quick", out_dir=tmp, epochs=100, verbose=1, callbacks=[stop])
    out["quick"] = (
        stop.reached_at,
        stop.reached_epoch,
        res.history["val_mean_iou"][-1],
        stop.elapsed,
    )

    p = PROFILES["full"]
    x, y = make_shapes(PROFILES["quick"].n_train, size=p.image_size, seed=0)
    xv, yv = make_shapes(PROFILES["quick"].n_val, size=p.image_size, seed=1000)
    keras.utils.set_random_seed(0)
    model = seed_model(p.image_size, p.base_filters)
    stop, batch_cap = StopAtQuality(target, time_limit=cap), _BatchCap(cap)
    model.fit(
        x,
        one_hot(y),
        batch_size=32,
        epochs=100,
        verbose=0,
        callbacks=[_ValIoU(xv, yv), stop, batch_cap],
    )
    seconds = time.perf_counter() - batch_cap.t0
    print(
        f"  seed recipe trained {32 * batch_cap.batches} images in {seconds:.0f} s "
        f"({32 * batch_cap.batches / seconds:.1f} img/s incl. validation)"
    )
    best = model.predict(xv, batch_size=32, verbose=0).argmax(-1)
    out["seed"] = (
        stop.reached_at,
        stop.reached_epoch,
        mean_iou(yv, best, 2),
        time.perf_counter() - stop._t0,
    )
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=256, help="images per timed epoch in (a)")
    ap.add_argument("--reps", type=int, default=12, help="timed epochs per recipe in (a)")
    ap.add_argument("--cap", type=float, default=300.0, help="time cap (s) for the seed run in (b)")
    ap.add_argument(
        "--quick-cap", type=float, default=300.0, help="time cap (s) for the quick profile in (b)"
    )
    ap.add_argument("--skip-quality", action="store_true", help="only measure (a)")
    args = ap.parse_args(argv)
    print(
        f"backend {keras.backend.backend()}, {os.cpu_count()} CPU(s), "
        f"oneDNN {'off' if os.environ.get('TF_ENABLE_ONEDNN_OPTS') == '0' else 'on'}, load average "
        f"{os.getloadavg()[0]:.1f} (other processes slow both recipes alike)"
    )

    print("\n(a) throughput: 64x64 input, 16 base filters, batch 32, same data")
    r = throughput(args.n, 64, 16, 32, args.reps)
    ratio = r["ratio"]
    print(
        f"  seed recipe (one-hot, categorical CE, arrays): {r['seed']:7.1f} img/s  "
        f"(runs: {', '.join(f'{v:.0f}' for v in r['all']['seed'])})"
    )
    print(
        f"  course pipeline (sparse, IoU+Dice, arrays)  : {r['course']:7.1f} img/s  "
        f"(runs: {', '.join(f'{v:.0f}' for v in r['all']['course'])})"
    )
    of_medians = r["course"] / r["seed"]
    print(
        f"  ratio course / seed: {ratio:.2f} as the median of the {len(r['pair_ratios'])} "
        f"back-to-back pairs ({', '.join(f'{v:.2f}' for v in r['pair_ratios'])}), "
        f"{of_medians:.2f} as the ratio of the medians; target >= 0.95 for both"
    )
    ok = min(ratio, of_medians) >= 0.95
    if not args.skip_quality:
        print("\n(b) time to quality: seconds of training until validation mean IoU >= 0.90")
        q = time_to_quality(0.90, args.cap, args.quick_cap)
        for name, label in (
            ("quick", "quick profile (64x64, 8 filters, batch 8)"),
            ("seed", "seed recipe (128x128, 64 filters, batch 32)"),
        ):
            at, ep, last, elapsed = q[name]
            if at is None:
                print(
                    f"  {label}: not reached within {elapsed:.0f} s "
                    f"(val mean IoU at the end {last:.4f})"
                )
            else:
                print(f"  {label}: {at:.1f} s (epoch {ep}, val mean IoU {last:.4f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

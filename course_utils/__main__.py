"""Command line: ``python -m course_utils doctor``, ``... train ...`` and ``... predict ...``.

Parsing the arguments imports no Keras, so ``--help`` and a mistyped option answer at once; a
command imports what it needs when it runs (``doctor``: the report's checks; ``train`` and
``predict``: Keras, then :mod:`course_utils.training`).
"""

from __future__ import annotations

import argparse
import os
import sys

from ._env import (
    THREADS_PER_SIMULATED_DEVICE,
    simulated_cpu_devices,
    start_keras,
    xla_cpu_threads,
)

#: ``--profile`` choices: ``auto`` and the names of ``training.PROFILES`` (a test checks they agree)
PROFILE_CHOICES = ("auto", "quick", "full")
#: ``--precision`` choices: ``auto`` and ``training.PRECISIONS`` (a test checks they agree)
PRECISION_CHOICES = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _non_negative(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return int(text)


def _add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        choices=PROFILE_CHOICES,
        default="auto",
        help="quick: 64x64, 8 filters, for a CPU (under a minute); full: the "
        "seed's 128x128 net with 64 filters, for a GPU; auto (default) "
        "picks full when a GPU is visible (with --data nuclei: lesson 10's recipe)",
    )
    parser.add_argument(
        "--data",
        default="shapes",
        help="shapes (synthetic, default), photos (shapes cut from real photos), "
        "nuclei (lesson 10's real cells: tiles, held-out quadrant, scored against Otsu), "
        "pets:PATH (your Oxford-IIIT Pet folder) or folder:PATH (your own images: "
        "PATH/images and PATH/masks, paired by file name, split 70/15/15 by a shuffle "
        "seeded with --seed)",
    )
    parser.add_argument(
        "--image-size",
        type=_positive,
        default=None,
        dest="image_size",
        help="side of the square the images are resized to (nuclei: the tile size; "
        "default: the profile's, 64 for quick); divisible by 4",
    )
    parser.add_argument(
        "--num-classes",
        type=_positive,
        default=None,
        dest="num_classes",
        help="classes of your masks (default 2: every non-zero value is foreground); "
        "with more, mask values are class indices 0..N-1",
    )
    parser.add_argument(
        "--augment",
        action="store_true",
        default=None,
        help="warp every training image anew each epoch: elastic deformation, flips, "
        "90-degree rotations (always on for nuclei)",
    )
    parser.add_argument(
        "--epochs", type=_positive, default=None, help="total epochs (default: the profile's)"
    )
    parser.add_argument(
        "--out", default=None, help="run folder (default: $COURSE_RUNS_DIR/PROFILE or runs/PROFILE)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out from its last finished epoch",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="delete an earlier run in --out and start again"
    )
    parser.add_argument("--seed", type=_non_negative, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--n-train",
        type=_positive,
        default=None,
        dest="n_train",
        help="number of training images (default: the profile's)",
    )
    parser.add_argument(
        "--base-filters",
        type=_positive,
        default=None,
        dest="base_filters",
        help="filters of the first level (default: the profile's)",
    )
    parser.add_argument(
        "--precision",
        choices=PRECISION_CHOICES,
        default="auto",
        help="auto (default): float32 on a CPU, mixed_bfloat16 on GPUs with "
        "compute capability >= 8.0, mixed_float16 (with loss scaling) on "
        "older GPUs",
    )
    parser.add_argument(
        "--distribute",
        action="store_true",
        help="train data-parallel over all visible devices (JAX: keras."
        "distribution.DataParallel; TensorFlow: MirroredStrategy); the "
        "batch is per device",
    )
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines")


def make_parser() -> argparse.ArgumentParser:
    """The ``python -m course_utils`` argument parser (builds without importing Keras)."""
    parser = argparse.ArgumentParser(
        prog="python -m course_utils",
        description="U-Net from scratch: course utilities.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{doctor,train,predict}")
    sub.add_parser("doctor", help="check the environment (versions, backend, GPU, widgets)")
    train_parser = sub.add_parser(
        "train",
        help="train the U-Net outside a notebook (see --help)",
        description="Train the course's U-Net with checkpoints, CSV history and resume.",
    )
    _add_train_arguments(train_parser)
    predict_parser = sub.add_parser(
        "predict",
        help="segment images with a trained run (see --help)",
        description="For each image: its mask (a PNG of the image's own size) and an overlay "
        "of the predicted outlines on the image, written to --out.",
    )
    predict_parser.add_argument(
        "--run", required=True, help="a run folder written by train (holds model.keras, run.json)"
    )
    predict_parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files to segment")
    predict_parser.add_argument(
        "--out", default=None, help="folder for the masks and overlays (default: RUN/predictions)"
    )
    return parser


def _simulated_devices_threads(args: argparse.Namespace) -> None:
    """Before JAX starts: with ``--distribute`` on JAX's simulated CPU devices, give XLA's CPU
    thread pool :data:`~course_utils._env.THREADS_PER_SIMULATED_DEVICE` threads per device
    (``PJRT_NPROC``), and say so; with fewer, its all-reduce can deadlock."""
    n = simulated_cpu_devices()
    if not args.distribute or os.environ.get("KERAS_BACKEND") != "jax" or n < 2:
        return
    need = THREADS_PER_SIMULATED_DEVICE * n
    if "PJRT_NPROC" in os.environ or xla_cpu_threads() >= need:
        return  # the user's choice, or enough cores; training checks it
    os.environ["PJRT_NPROC"] = str(need)
    if not args.quiet:
        print(
            f"{n} simulated CPU devices: PJRT_NPROC={need} (XLA's CPU thread pool, "
            f"{THREADS_PER_SIMULATED_DEVICE} threads per device; with one per core, "
            f"{xla_cpu_threads({})} here, the devices' all-reduce can deadlock)"
        )


def _train(args: argparse.Namespace) -> int:
    _simulated_devices_threads(args)
    start_keras()
    from .training import train

    fields = ("n_train", "base_filters", "image_size")
    overrides = {k: getattr(args, k) for k in fields if getattr(args, k)}
    try:
        result = train(
            profile=args.profile,
            data=args.data,
            epochs=args.epochs,
            out_dir=args.out,
            resume=args.resume,
            overwrite=args.overwrite,
            seed=args.seed,
            verbose=0 if args.quiet else 1,
            precision=args.precision,
            distribute=args.distribute,
            augment=args.augment,
            num_classes=args.num_classes,
            **overrides,
        )
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0


def _predict(args: argparse.Namespace) -> int:
    start_keras()
    from .training import predict_files

    try:
        for done in predict_files(args.run, args.images, args.out):
            h, w = done["size"]
            print(
                f"{done['image']}: {h}x{w}, {done['foreground']:.1%} foreground -> "
                f"{done['mask']}, {done['overlay']}"
            )
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .diagnostics import doctor

        return 0 if doctor() else 1
    if args.command == "train":
        return _train(args)
    if args.command == "predict":
        return _predict(args)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

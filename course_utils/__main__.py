"""Command line: ``python -m course_utils doctor`` and ``python -m course_utils train ...``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils",
        description="U-Net from scratch: course utilities.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{doctor,train}")
    sub.add_parser("doctor", help="check the environment (versions, backend, GPU, widgets)")
    train_parser = sub.add_parser(
        "train",
        help="train the U-Net outside a notebook (see --help)",
        description="Train the course's U-Net with checkpoints, CSV history and resume.",
    )
    try:
        from .training import add_cli_arguments
    except ImportError:  # training module not available
        add_cli_arguments = None
    if add_cli_arguments is not None:
        add_cli_arguments(train_parser)
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from .diagnostics import doctor

        return 0 if doctor() else 1
    if args.command == "train":
        if add_cli_arguments is None:
            parser.error("training is not available in this installation")
        from .training import run_cli

        return int(run_cli(args) or 0)
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Checkers for lesson 09 (training): a 10x learning rate, and the best epoch of the student's run.

Both work on histories (dicts ``column -> list``, as ``training.train`` returns and
``history.csv`` holds) and describe what *that* history shows, not canned numbers.
"""

from __future__ import annotations

import math

from ._base import Feedback, call_student, student_check

__all__ = [
    "LR_OUTCOMES",
    "learning_rate_outcome",
    "check_learning_rate_prediction",
    "check_best_epoch",
]

LR_OUTCOMES = ("faster", "same", "worse")


def _column(history: dict, key: str, who: str) -> list[float]:
    if not isinstance(history, dict) or key not in history or not len(history[key]):
        got = sorted(history) if isinstance(history, dict) else type(history).__name__
        raise ValueError(
            f"{who} must be a history dict with a non-empty {key!r} list, e.g. "
            f"run.history; got {got}."
        )
    return [float(v) for v in history[key]]


def learning_rate_outcome(fast: dict, base: dict, margin: float = 0.03) -> tuple[str, str]:
    """Compare a short run (``fast``) with the first epochs of ``base``: ``(outcome, description)``.

    Both are compared after the fast run's last epoch ``n`` (base at its epoch ``n``).
    ``outcome`` is ``"worse"`` when the fast loss became nan, or its validation mean IoU is more
    than ``margin`` lower, or its training loss more than 10 % higher without a better IoU;
    ``"faster"`` in the mirrored cases; ``"same"`` otherwise. (On the all-background plateau the
    IoU of both runs reads 0.44; the loss still tells them apart.)

    Examples
    --------
    >>> base = {"val_mean_iou": [0.44, 0.44, 0.70], "loss": [0.37, 0.30, 0.19]}
    >>> learning_rate_outcome({"val_mean_iou": [0.44, 0.44, 0.44], "loss": [0.5, 0.36, 0.36]},
    ...                       base)[0]
    'worse'
    """
    f_iou = _column(fast, "val_mean_iou", "fast")
    b_iou = _column(base, "val_mean_iou", "base")
    f_loss = _column(fast, "loss", "fast")
    n = len(f_iou)
    if n > len(b_iou):
        raise ValueError(
            f"the fast run has {n} epochs but the base run only {len(b_iou)}: "
            "compare runs of at most the base run's length."
        )
    b_loss = _column(base, "loss", "base")
    text = (
        f"After {n} epoch{'s' * (n > 1)} the fast run's validation mean IoU is "
        f"{f_iou[-1]:.2f} (loss {f_loss[-1]:.3f}); the base run had {b_iou[n - 1]:.2f} "
        f"(loss {b_loss[n - 1]:.3f}) after the same epoch. Fast run, epoch by epoch: "
        f"val mean IoU {[round(v, 2) for v in f_iou]}."
    )
    if any(math.isnan(v) for v in f_loss + f_iou):
        return "worse", text + " Its loss became nan: the training diverged."
    d, ratio = f_iou[-1] - b_iou[n - 1], f_loss[-1] / max(b_loss[n - 1], 1e-12)
    if d < -margin or (ratio > 1.1 and d <= margin):
        stuck = n > 1 and max(f_iou) - min(f_iou) < 0.01
        return "worse", text + (
            " Its score never moved from the first epoch's: stuck." if stuck else ""
        )
    if d > margin or (ratio < 0.9 and d >= -margin):
        return "faster", text
    return "same", text


_WHY = {
    "worse": "Adam moves every weight by up to about the learning rate per step; ten times larger "
    "steps overshoot the valley the gradient points into (watch the first epoch's loss), "
    "and a ReLU pushed below zero for every input passes no gradient any more. The net "
    "can fall back to the easy answer, background everywhere (validation mean IoU about "
    "0.44, the all-background score), and stay there.",
    "faster": "The larger steps crossed the early plateau sooner here. Try more epochs before "
    "trusting it: large rates often stall or bounce later, where small steps are needed.",
    "same": "Adam divides each step by a running size of the gradient, so it is less sensitive to "
    "the learning rate than plain gradient descent; a short run cannot tell the two apart.",
}


def check_learning_rate_prediction(prediction: str, fast: dict, base: dict) -> Feedback:
    """Was ``prediction`` (``"faster"``, ``"same"`` or ``"worse"``) what the 10x run did?

    ``fast`` and ``base`` are histories; the verdict comes from :func:`learning_rate_outcome`.

    Examples
    --------
    >>> base = {"val_mean_iou": [0.44, 0.44, 0.70], "loss": [0.37, 0.30, 0.19]}
    >>> fast = {"val_mean_iou": [0.44, 0.44, 0.44], "loss": [0.5, 0.36, 0.36]}
    >>> bool(check_learning_rate_prediction("worse", fast, base))
    True
    """
    if prediction not in LR_OUTCOMES:
        return Feedback(
            False,
            f"set prediction to one of {list(LR_OUTCOMES)} before running the "
            f"check (got {prediction!r}).",
        )
    outcome, what = learning_rate_outcome(fast, base)
    why = _WHY[outcome]
    if prediction == outcome:
        return Feedback(
            True, f"You predicted {prediction!r}, and that is what happened. {what} {why}"
        )
    return Feedback(False, f"You predicted {prediction!r}; this run says {outcome!r}. {what} {why}")


@student_check
def check_best_epoch(fn, history: dict) -> Feedback:
    """``fn(history)`` -> the 1-based epoch with the highest ``val_mean_iou`` of ``history``.

    ``history`` is the student's own run; the function is also tried on a second history whose
    best epoch is not the last one (so "return the last epoch" does not pass by luck).

    Examples
    --------
    >>> run = {"epoch": [1, 2, 3], "mean_iou": [0.4, 0.8, 0.9], "val_mean_iou": [0.44, 0.89, 0.93]}
    >>> bool(check_best_epoch(lambda h: h["epoch"][h["val_mean_iou"].index(max(h["val_mean_iou"]))],
    ...                       run))
    True
    """
    epochs = _column(history, "epoch", "history")
    scores = _column(history, "val_mean_iou", "history")
    trick = {
        "epoch": [1, 2, 3, 4, 5],
        "mean_iou": [0.50, 0.70, 0.85, 0.95, 0.93],
        "val_mean_iou": [0.48, 0.71, 0.90, 0.88, 0.89],
    }
    for name, hist in (("your run", history), ("a second history", trick)):
        ep = [int(v) for v in hist["epoch"]]
        val = [float(v) for v in hist["val_mean_iou"]]
        want = ep[val.index(max(val))]
        got = call_student(fn, {k: list(v) for k, v in hist.items()})
        if got == want and not isinstance(got, bool):
            continue
        where = (
            f"On {name} (val_mean_iou by epoch: "
            f"{', '.join(f'{e}: {v:.3f}' for e, v in zip(ep, val, strict=True))}) you "
            f"returned {got!r}; the best validation epoch is {want} ({max(val):.3f})."
        )
        train_key = "mean_iou" if "mean_iou" in hist else None
        if got == want - 1:
            hint = " That is the 0-based index; epochs count from 1 (history['epoch'])."
        elif isinstance(got, float) and math.isclose(got, max(val)):
            hint = " That is the best value; the question asks for the epoch at which it happened."
        elif train_key and got == ep[hist[train_key].index(max(hist[train_key]))]:
            hint = (
                " That epoch is best on the *training* metric 'mean_iou'; choose by "
                "'val_mean_iou', which the network never trained on."
            )
        elif got == ep[-1]:
            hint = " That is simply the last epoch; the best one need not be the last."
        else:
            hint = " Look for the position of max(history['val_mean_iou'])."
        return Feedback(False, where + hint)
    best = epochs[scores.index(max(scores))]
    last = (
        " It is also the last epoch: this run was still improving when it stopped."
        if best == epochs[-1]
        else f" The {len(epochs) - int(best)} epoch(s) after it scored lower on validation."
    )
    return Feedback(
        True,
        f"Right: in your run epoch {int(best)} has the best validation mean IoU "
        f"({max(scores):.3f}).{last} That epoch is the one to keep; "
        "its score on the test split is the honest estimate.",
    )

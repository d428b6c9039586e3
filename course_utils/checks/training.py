"""Checkers for lesson 09 (training): a 10x learning rate, and which epoch a run keeps.

Both work on histories (dicts ``column -> list``, as ``training.train`` returns and
``history.csv`` holds): the first describes what the student's own runs show, the second asks
which epoch ``restore_best_weights`` keeps in a printed history.
"""

from __future__ import annotations

import math

import numpy as np

from ._base import Feedback, dict_answer

__all__ = [
    "LR_OUTCOMES",
    "learning_rate_outcome",
    "check_learning_rate_prediction",
    "KEPT_EPOCH_HISTORY",
    "KEPT_EPOCH_RESUMED_AFTER",
    "KEPT_EPOCH_QUESTIONS",
    "kept_epochs",
    "check_kept_epochs",
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


#: the history of exercise 2: a run of ``train(epochs=6)`` interrupted after epoch 3 and resumed
#: with ``resume=True`` (made up for the exercise, with numbers like the lesson's own run)
KEPT_EPOCH_HISTORY = {
    "epoch": [1, 2, 3, 4, 5, 6],
    "loss": [0.392, 0.171, 0.071, 0.058, 0.051, 0.046],
    "mean_iou": [0.440, 0.703, 0.871, 0.902, 0.918, 0.930],
    "val_loss": [0.281, 0.090, 0.052, 0.047, 0.049, 0.050],
    "val_mean_iou": [0.441, 0.851, 0.915, 0.902, 0.910, 0.907],
}
#: after this epoch the run of :data:`KEPT_EPOCH_HISTORY` was interrupted and resumed
KEPT_EPOCH_RESUMED_AFTER = 3

#: the three questions of exercise 2, and what each one asks
KEPT_EPOCH_QUESTIONS = {
    "one_fit": "had the run not been interrupted: one fit with EarlyStopping(monitor="
    "'val_mean_iou', mode='max', restore_best_weights=True) keeps the weights of epoch ...",
    "resumed": "the run as it happened, interrupted and resumed: model.keras holds epoch ...",
    "val_loss": "one fit with EarlyStopping(monitor='val_loss', mode='min', "
    "restore_best_weights=True) keeps epoch ...",
}


def kept_epochs(history: dict | None = None, resumed_after: int | None = None) -> dict[str, int]:
    """The answers of exercise 2 for ``history`` (default :data:`KEPT_EPOCH_HISTORY`).

    ``restore_best_weights`` keeps the epoch with the best monitored value among the epochs *its
    own* ``fit`` ran: after a resume (``resumed_after`` epochs done before), only the later ones.

    Examples
    --------
    >>> kept_epochs({"epoch": [1, 2, 3], "val_mean_iou": [0.5, 0.9, 0.8],
    ...              "val_loss": [0.3, 0.2, 0.1]}, resumed_after=1)
    {'one_fit': 2, 'resumed': 2, 'val_loss': 3}
    """
    if history is None:
        history, resumed_after = KEPT_EPOCH_HISTORY, KEPT_EPOCH_RESUMED_AFTER
    epochs = [int(e) for e in _column(history, "epoch", "history")]
    iou = _column(history, "val_mean_iou", "history")
    loss = _column(history, "val_loss", "history")
    later = [i for i, e in enumerate(epochs) if e > (resumed_after or 0)]
    if not later:
        raise ValueError(f"resumed_after={resumed_after} leaves no epoch to resume.")
    return {
        "one_fit": epochs[iou.index(max(iou))],
        "resumed": epochs[max(later, key=lambda i: (iou[i], -i))],
        "val_loss": epochs[loss.index(min(loss))],
    }


def check_kept_epochs(answer) -> Feedback:
    """Check the predicted epochs of exercise 2 (keys in :data:`KEPT_EPOCH_QUESTIONS`).

    Examples
    --------
    >>> check_kept_epochs({"one_fit": 3, "resumed": 5, "val_loss": 4}).passed
    True
    >>> "resumed" in check_kept_epochs({"one_fit": 3, "resumed": 3, "val_loss": 4}).message
    True
    """
    bad = dict_answer(answer, KEPT_EPOCH_QUESTIONS)
    if bad is not None:
        return bad
    h = KEPT_EPOCH_HISTORY
    want = kept_epochs()
    last = h["epoch"][-1]
    train_best = h["epoch"][h["mean_iou"].index(max(h["mean_iou"]))]
    for key, right in want.items():
        got = answer[key]
        if isinstance(got, bool) or not isinstance(got, (int, float, np.integer, np.floating)):
            return Feedback(False, f"answer[{key!r}] must be an epoch number, got {got!r}.")
        if float(got) == right:
            continue
        first_resumed = KEPT_EPOCH_RESUMED_AFTER + 1
        specific = {
            "one_fit": {
                want["val_loss"]: "That epoch has the lowest val_loss; this EarlyStopping "
                "monitors val_mean_iou, and with mode='max' the highest wins.",
                want["resumed"]: "That is the best epoch after the interruption. Without one, "
                "a single fit sees every epoch: which has the highest val_mean_iou?",
                train_best: "That epoch is best on the *training* metric mean_iou. "
                "EarlyStopping watches the validation score it is given, val_mean_iou.",
            },
            "resumed": {
                want["one_fit"]: "That epoch has the best score of the whole run, but the "
                "resumed call's EarlyStopping is a new one: it sees only the epochs of its own "
                "fit, after the interruption. And that epoch's weights are gone: the run folder "
                "keeps only the latest checkpoint.",
                last: "That is the last epoch: the checkpoint a resume would continue from. "
                "restore_best_weights keeps the best epoch the resumed call saw, which need "
                "not be its last.",
                first_resumed: "That is the first epoch after resuming. restore_best_weights "
                "keeps the best epoch the resumed call saw, which need not be its first.",
            },
            "val_loss": {
                want["one_fit"]: "That epoch has the best val_mean_iou; this EarlyStopping "
                "monitors val_loss with mode='min': the lowest loss wins, and the two need "
                "not agree.",
            },
        }[key]
        if not float(got).is_integer():
            hint = "Answer with the epoch's number (as in history['epoch']), not its score."
        elif int(got) in specific:
            hint = specific[int(got)]
        elif got == right - 1 or got == 0:
            hint = (
                "Epochs count from 1 here, as in history['epoch'] (Keras' own best_epoch "
                "attribute counts from 0)."
            )
        elif got not in h["epoch"]:
            hint = "That epoch is not in the history."
        else:
            hint = {
                "one_fit": "Find the highest val_mean_iou among all the epochs of the run.",
                "resumed": "The resumed call's EarlyStopping compares only the epochs its own "
                "fit ran, after the interruption: which of those has the highest val_mean_iou?",
                "val_loss": "Find the lowest val_loss among all the epochs of the run.",
            }[key]
        return Feedback(False, f"answer[{key!r}] = {got!r} is not right. {hint}")
    return Feedback(
        True,
        f"Right. One fit keeps epoch {want['one_fit']}, the best validation mean IoU of the run. "
        f"The resumed run keeps epoch {want['resumed']}: its EarlyStopping started afresh after "
        f"epoch {KEPT_EPOCH_RESUMED_AFTER} and saw only the later epochs, whose weights it could "
        f"still restore. Monitoring val_loss keeps epoch {want['val_loss']}: the lowest loss "
        "and the best IoU need not fall on the same epoch, so choose the monitor that measures "
        "what you care about.",
    )

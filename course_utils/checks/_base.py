"""Feedback objects returned by every exercise checker."""

from __future__ import annotations

import functools
import html
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Feedback",
    "student_check",
    "call_student",
    "student_value",
    "integer_answer",
    "check_size_formula",
    "check_number",
    "dict_answer",
    "refuse_library_answer",
    "PASS_MARK",
    "FAIL_MARK",
]

#: the marks feedback starts with: in DejaVu Sans (and most fonts), unlike the emoji they replace,
#: which a system without an emoji font draws as empty boxes
PASS_MARK, FAIL_MARK = "\u2713", "\u2717"  # check mark, ballot x


@dataclass
class Feedback:
    """Result of a check: ``passed`` plus a friendly, specific ``message``.

    Shown as coloured HTML in Jupyter, as plain text elsewhere; ``bool(feedback)`` is ``passed``.
    It starts with :data:`PASS_MARK` or :data:`FAIL_MARK` (U+2713, U+2717: in every common font).
    """

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return (PASS_MARK if self.passed else FAIL_MARK) + " " + self.message

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.passed else "#b35900"
        icon = PASS_MARK if self.passed else FAIL_MARK
        body = html.escape(self.message).replace("\n", "<br>")
        return f'<div style="color:{color}">{icon} {body}</div>'


class StudentError(Exception):
    """Raised by :func:`call_student` to carry a friendly description of the student's error."""


def call_student(fn: Callable, *args, **kwargs):
    """Call the student's function; turn its exceptions into a short, friendly description."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise StudentError(
            "your function still raises NotImplementedError: replace that line with your code."
        ) from None
    except Exception as err:  # noqa: BLE001 - any student error becomes feedback
        last = traceback.extract_tb(err.__traceback__)[-1]
        raise StudentError(
            f"calling your function with {_fmt_args(args, kwargs)} raised "
            f"{type(err).__name__}: {err} (line {last.lineno}: {last.line})"
        ) from None


def student_check(check: Callable[..., Feedback]) -> Callable[..., Feedback]:
    """Decorate a checker: a :class:`StudentError` raised while it runs (by :func:`call_student`
    or :func:`student_value`) becomes its ``Feedback``, so a checker needs no ``try`` per call.

    Examples
    --------
    >>> @student_check
    ... def check_double(fn):
    ...     return Feedback(student_value(fn, 2) == 4, "checked")
    >>> check_double(lambda x: None).message
    'your function returned None: did you forget `return`?'
    """

    @functools.wraps(check)
    def checked(*args, **kwargs) -> Feedback:
        try:
            return check(*args, **kwargs)
        except StudentError as err:
            return Feedback(False, str(err))

    return checked


def student_value(fn: Callable, *args, forgot: str = "`return`"):
    """:func:`call_student`, and a :class:`StudentError` when the function returns ``None``
    (it forgot ``forgot``)."""
    got = call_student(fn, *args)
    if got is None:
        raise StudentError(f"your function returned None: did you forget {forgot}?")
    return got


def _names_used(fn) -> set[str]:
    """The global and attribute names ``fn``'s code (and the functions defined inside it) uses."""
    code = getattr(fn, "__code__", None)
    names: set[str] = set()
    todo = [code] if code is not None else []
    while todo:
        c = todo.pop()
        names.update(c.co_names)
        todo.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return names


def refuse_library_answer(fn: Callable, names, exercise: str) -> None:
    """Raise :class:`StudentError` (so the checker reports it) when ``fn`` calls one of ``names``:
    the course's own functions that answer the exercise, so calling them would skip it.

    Only the names written in ``fn`` itself (and in the functions defined inside it) are read,
    and ``fn``'s own name (one of the library's functions passed as it is); ``exercise`` says what
    to do instead.

    Examples
    --------
    >>> import numpy as np
    >>> def show(fn):
    ...     try:
    ...         refuse_library_answer(fn, ["absolute"], "build it from ReLUs.")
    ...     except StudentError as err:
    ...         print(err)
    >>> show(lambda x: np.absolute(x))
    your function calls `absolute`, which answers this exercise for you: build it from ReLUs.
    >>> show(np.abs)
    that is `absolute`, which answers this exercise for you: build it from ReLUs.
    >>> show(lambda x: x * (x > 0))
    """
    own = getattr(fn, "__name__", "")
    if own in names:
        raise StudentError(f"that is `{own}`, which answers this exercise for you: {exercise}")
    used = sorted(_names_used(fn) & set(names))
    if used:
        raise StudentError(
            f"your function calls `{used[0]}`, which answers this exercise for you: {exercise}"
        )


def integer_answer(got, want: int, case: str, float_hint: str) -> Feedback | None:
    """Feedback when ``got`` is not a whole number; ``None`` when it is an int (compare it next).

    Parameters
    ----------
    got : the student's return value
    want : the right answer, used in the message when ``got`` is a float
    case : the arguments, e.g. ``"for n=5, k=3, s=1, p=0"``
    float_hint : how to get a whole number, e.g. ``"use floor division `//`."``

    Examples
    --------
    >>> integer_answer(4, 4, "for n=5", "use `//`.") is None
    True
    >>> integer_answer(4.0, 4, "for n=5", "use `//`.").message
    'for n=5 you returned 4.0, a float. Sizes are whole numbers: use `//`.'
    """
    if got is None:
        return Feedback(False, "your function returned None: did you forget `return`?")
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool):
        return None
    if isinstance(got, (float, np.floating)):
        if got == want:
            return Feedback(
                False,
                f"{case} you returned {got!r}, a float. Sizes are whole numbers: {float_hint}",
            )
        return Feedback(
            False,
            f"{case} you returned {got!r}; expected {want}. Sizes are whole numbers: {float_hint}",
        )
    return Feedback(False, f"{case} expected an integer, got {type(got).__name__} {got!r}.")


@student_check
def check_size_formula(
    fn, cases, want, *, names: str, float_hint: str, wrong=(), fallback: str, whole: bool = False
) -> Feedback | None:
    """Run a student's size formula ``fn(*case)`` on every case; ``None`` when all are right.

    Otherwise the feedback names the first case that fails and, as the hint, the first
    ``(wrong_formula, message)`` of ``wrong`` that gives the student's number there (with
    ``whole=True``: that gives *all* the student's numbers, so one lucky case does not decide),
    else ``fallback``.  Shared by the size checkers, so they differ only in their formulas and
    hints.

    Examples
    --------
    >>> conv = lambda n, k: n - k + 1
    >>> check_size_formula(conv, [(5, 3)], conv, names="n k", float_hint="use `//`.",
    ...                    fallback="count positions.") is None
    True
    >>> check_size_formula(lambda n, k: n - k, [(5, 3)], conv, names="n k", float_hint="",
    ...                    wrong=[(lambda n, k: n - k, "forgot + 1.")], fallback="").message
    'for n=5, k=3 you returned 2; expected 3. forgot + 1.'
    """
    answers = []
    for args in cases:
        case = "for " + ", ".join(f"{n}={v}" for n, v in zip(names.split(), args, strict=True))
        got = call_student(fn, *args)
        expected = want(*args)
        bad = integer_answer(got, expected, case, float_hint)
        if bad is not None:  # a Feedback (falsy: it did not pass)
            return bad
        answers.append((case, args, got, expected))
        if got != expected and not whole:
            break
    failed = [a for a in answers if a[2] != a[3]]
    if not failed:
        return None
    case, args, got, expected = failed[0]
    explains = [a for a in answers if whole] or [failed[0]]
    hint = next(
        (msg for formula, msg in wrong if all(g == formula(*a) for _, a, g, _ in explains)),
        fallback,
    )
    return Feedback(False, f"{case} you returned {got}; expected {expected}. {hint}")


def check_number(
    answer, want: int, *, case: str, float_hint: str, right: str, hints: dict, fallback: str
) -> Feedback:
    """Feedback on a whole number the student worked out (a count, a receptive field).

    ``...`` left in place, a float or a non-number get their own message; the right answer gets
    ``right``; a wrong one the message of ``hints[answer]`` (the usual slips, by the number they
    give), else ``fallback``.

    Examples
    --------
    >>> check_number(5, 5, case="here", float_hint="", right="yes", hints={}, fallback="").message
    'yes'
    >>> check_number(4, 5, case="here", float_hint="", right="", hints={4: "off by one."},
    ...              fallback="").message
    'you answered 4; that is not it: off by one.'
    """
    if answer is ...:
        return Feedback(False, "replace `...` with your answer, a whole number.")
    bad = integer_answer(answer, want, case, float_hint)
    if bad is not None:
        return bad
    if answer == want:
        return Feedback(True, right)
    return Feedback(False, f"you answered {answer}; that is not it: {hints.get(answer, fallback)}")


def dict_answer(answer, keys) -> Feedback | None:
    """Feedback when ``answer`` is not a dict with every key in ``keys`` answered (no ``...``
    left); ``None`` when it is (then check the values).

    Examples
    --------
    >>> dict_answer({"a": 1}, ["a"]) is None
    True
    >>> dict_answer({"a": ...}, ["a"]).message
    "not answered yet: replace the `...` of ['a'] with numbers."
    """
    keys = list(keys)
    if not isinstance(answer, dict):
        return Feedback(False, f"answer must be a dict with the keys {keys}.")
    missing = [k for k in keys if k not in answer]
    if missing:
        return Feedback(False, f"your dict misses the key(s) {missing}.")
    todo = [k for k in keys if answer[k] is Ellipsis]
    if todo:
        return Feedback(False, f"not answered yet: replace the `...` of {todo} with numbers.")
    return None


def _fmt_args(args, kwargs) -> str:
    parts = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _short(v) -> str:
    shape = getattr(v, "shape", None)
    if shape is not None and len(shape) > 0:
        return f"<array of shape {tuple(shape)}>"
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."

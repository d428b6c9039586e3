"""The Examples sections of course_utils' docstrings are correct (run as doctests)."""

import doctest
import importlib
import pkgutil

import pytest

import course_utils

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(course_utils.__path__, "course_utils.")
    if not m.name.endswith("__main__")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"

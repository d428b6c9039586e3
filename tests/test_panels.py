"""Panels: all pictures of an explorer in one widget, so an update is one message."""

import pytest

from course_utils.widgets import FilterLearningExplorer
from course_utils.widgets.panels import Panels

PNG = b"\x89PNG"


def test_show_replaces_named_pictures_only():
    p = Panels({"a": "first", "b": "second"}, width=100)
    assert p.pictures == [b"", b""] and p.widths == [100, 100] and p.captions == ["first", "second"]
    assert p.colorbar("a") == b""
    p.show({"a": b"1"}, widths={"a": 40}, colorbars={"a": b"bar"})
    p.show({"b": b"2"})
    assert p.pictures == [b"1", b"2"] and p.widths == [40, 100]
    assert p.colorbar("a") == b"bar" and p.colorbar("b") == b""
    p.show({"a": b"3"})  # no colour bar given this time: none shown
    assert p.picture("a") == b"3" and p.colorbar("a") == b""


def test_bad_names_say_what_exists():
    p = Panels({"a": "first"})
    with pytest.raises(ValueError, match=r"unknown picture\(s\) \['z'\]; have \['a'\]"):
        p.show({"z": b"1"})
    with pytest.raises(ValueError, match="1 to 8 pictures, got 0"):
        Panels({})


def test_one_message_per_update():
    """A slider move sends its pictures in one comm message, and only those that changed."""
    ex = FilterLearningExplorer(image="camera", lr=0.1, step=20, steps=60)
    before = list(ex.panels.pictures)
    sent = []
    ex.panels.send_state = lambda key=None: sent.append(set(key or ()))
    ex.set(step=30)
    changed = {
        f"p{i}" for i, (a, b) in enumerate(zip(before, ex.panels.pictures, strict=True)) if a != b
    }
    assert len(sent) == 1 and sent[0] == changed, sent
    assert "p" + str(ex.panels.names.index("target")) not in changed  # the target stays
    assert all(png.startswith(PNG) for png in ex.panels.pictures)
    assert ex.panels.picture("output") == ex.frame.images["output"]

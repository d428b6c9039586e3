"""Panels: all pictures of an explorer in one widget, so an update is one message."""

import ipywidgets as W
import pytest

from course_utils.widgets import (
    CheckerboardExplorer,
    FilterLearningExplorer,
    KernelExplorer,
    MaskMetricsExplorer,
    PoolingExplorer,
    ReluExplorer,
    ScatterExplorer,
    SkipExplorer,
)
from course_utils.widgets.panels import MAX_PICTURES, SENT_KEYS, Panels, control_key

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


def test_every_picture_slot_syncs_on_its_own():
    """MAX_PICTURES pictures and colour bars, each its own synced trait (p0.., c0..)."""
    names = {f"n{i}": f"caption {i}" for i in range(MAX_PICTURES)}
    p = Panels(names)
    p.show({n: bytes([i]) for i, n in enumerate(names)}, colorbars={"n7": b"bar"})
    assert p.pictures == [bytes([i]) for i in range(MAX_PICTURES)] and p.colorbar("n7") == b"bar"
    synced = set(p.keys)
    assert {f"p{i}" for i in range(MAX_PICTURES)} | {f"c{i}" for i in range(MAX_PICTURES)} <= synced
    with pytest.raises(ValueError, match=f"1 to {MAX_PICTURES} pictures"):
        Panels({f"n{i}": "" for i in range(MAX_PICTURES + 1)})


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
    assert len(sent) == 1 and sent[0] == changed | {"info", "key"}, sent  # the line goes along
    assert "p" + str(ex.panels.names.index("target")) not in changed  # the target stays
    assert all(png.startswith(PNG) for png in ex.panels.pictures)
    assert ex.panels.picture("output") == ex.frame.images["output"]


# ---- frames sent ahead of the slider -----------------------------------------------------------
def _ready(ex):
    """Play the browser's part: a view says ready; returns the frames messages sent after it."""
    msgs = []
    ex.panels.send = lambda content, buffers=None: msgs.append((content, buffers))
    ex.panels._on_custom(ex.panels, {"kind": "ready"}, [])
    return msgs


def _frames(msgs):
    """key -> (pictures, bars, widths, info) from "frames" messages, resolving "same as shown"."""
    out = {}
    for content, buffers in msgs:
        assert content["kind"] == "frames"
        b = 0
        for f in content["frames"]:
            pics, bars = [], []
            for same_pic, same_bar in f["same"]:
                pic, bar = buffers[b], buffers[b + 1]
                b += 2
                pics.append(None if same_pic else pic)  # None: the picture shown when sent
                bars.append(None if same_bar else bar)
                assert not same_pic or pic == b""  # a picture shown is not sent twice
            out[f["key"]] = (pics, bars, f["widths"], f["info"])
        assert b == len(buffers)
    return out


def test_control_key_matches_what_the_browser_writes():
    """JSON.stringify of [selection index | value, ...]: integral floats lose their ".0"."""
    ws = [
        W.SelectionSlider(options=[("a", 0.5), ("b", 1.5)], value=1.5),
        W.IntSlider(value=-3, min=-5),
        W.FloatText(value=2.0),
        W.FloatText(value=-0.25),
        W.ToggleButtons(options=["valid", "same"], value="same"),
    ]
    assert control_key(ws) == "[1,-3,2,-0.25,1]"
    assert control_key(ws, [0.5, 4, 0.0, 1e-3, "valid"]) == "[0,4,0,0.001,0]"
    with pytest.raises(ValueError, match="one value per widget"):
        control_key(ws, [1])


def test_nothing_is_sent_ahead_without_a_view():
    """No browser (nbval, a script): no frames computed ahead, no messages."""
    ex = CheckerboardExplorer(kernel_size=3, stride=2)
    sent = []
    ex.panels.send = lambda content, buffers=None: sent.append(content)
    ex.set(stride=3)
    assert ex.panels.sent is None and ex._send_ahead() == 0 and sent == []


def test_frames_ahead_are_the_frames_the_kernel_shows_there():
    """A view says ready: the frames one step along each slider arrive, keyed, and each is
    byte for byte what the explorer shows when the slider gets there."""
    ex = MaskMetricsExplorer(radius=40, shift_x=12)

    def shown():
        return list(ex.panels.pictures), [ex.panels.colorbar(n) for n in ex.panels.names]

    pics0, bars0 = shown()
    frames = _frames(_ready(ex))
    sliders = ["radius", "shift_x", "shift_y", "softness", "threshold"]
    assert len(frames) == 2 * len(sliders)  # every slider sits inside its range
    assert ex.key() in ex.panels.sent and ex.key() not in frames  # the browser holds it
    for name in sliders:
        for values in ex.frames_ahead([name]):
            pics, bars, widths, info = frames[ex.key(values)]
            ex.set(**{name: values[name]})
            assert ex.panels.key == ex.key(values)
            got = [s if p is None else p for p, s in zip(pics, pics0, strict=True)]
            got_bars = [s if b is None else b for b, s in zip(bars, bars0, strict=True)]
            assert (got, got_bars) == shown() and widths == ex.panels.widths and info == ex.info
            ex.set(radius=40, shift_x=12, shift_y=0, softness=3.0, threshold=0.5)
            assert shown() == (pics0, bars0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: KernelExplorer(image="camera", preset="Sobel x (vertical edges)", stride=2),
        lambda: ReluExplorer(image="camera", preset="Sobel x (vertical edges)"),
        lambda: PoolingExplorer(image="camera", pool_size=2, stride=2),
        lambda: ScatterExplorer(size=4, kernel="ones 3x3", stride=2, count=6),
        lambda: CheckerboardExplorer(kernel_size=3, stride=2),
        lambda: SkipExplorer(image="shapes", poolings=2),
        lambda: FilterLearningExplorer(image="camera", lr=0.1, step=20, steps=60),
    ],
    ids=["kernel", "relu", "pooling", "scatter", "checkerboard", "skip", "learn"],
)
def test_every_explorer_sends_ahead_what_it_then_shows(make):
    """Each explorer's step depends on its keyed controls only: a frame sent ahead is the one
    shown when the controls reach its key (even where an observer adjusts another control)."""
    ex = make()
    start = ex.values()
    frames = _frames(_ready(ex))
    assert frames, "no frame sent ahead"
    pics0 = list(ex.panels.pictures)
    compared = 0
    for values in ex.frames_ahead():
        key = ex.key(values)
        ex.set(**values)
        if ex.panels.key != key:  # an observer clamped another control: another state
            ex.set(**start)
            continue
        pics = frames[key][0]
        assert [s if p is None else p for p, s in zip(pics, pics0, strict=True)] == list(
            ex.panels.pictures
        ), key
        assert frames[key][3] == ex.info
        compared += 1
        ex.set(**start)
        assert list(ex.panels.pictures) == pics0
    assert compared == len(frames), (compared, sorted(frames))


def test_a_slider_move_sends_the_next_frame_along_it_once():
    ex = FilterLearningExplorer(image="camera", lr=0.1, step=20, steps=60)
    msgs = _ready(ex)
    first = _frames(msgs)
    assert set(first) == {ex.key({"step": 19}), ex.key({"step": 21})} | {
        ex.key({"lr": 0.03}),
        ex.key({"lr": 0.2}),
    }
    msgs.clear()
    ex.controls["step"].value = 21  # as the browser's slider does
    assert set(_frames(msgs)) == {ex.key({"step": 22})}  # 20 is known there already
    msgs.clear()
    ex.controls["step"].value = 20
    assert msgs == []  # nothing new to send
    # a second view (or a reloaded page) starts empty: everything is sent again
    assert len(_frames(_ready(ex))) == 4


def test_the_kernel_forgets_old_keys_before_the_browser_does():
    ex = FilterLearningExplorer(image="camera", lr=0.1, step=0, steps=60)
    _ready(ex)
    for lr in (0.1, 0.2):  # 122 frames shown, more sent ahead
        ex.controls["lr"].value = lr
        for s in range(61):
            ex.controls["step"].value = s
    assert len(ex.panels.sent) == SENT_KEYS
    assert ex.key() in ex.panels.sent and ex.key({"step": 0, "lr": 0.1}) not in ex.panels.sent


def test_custom_weights_are_part_of_the_key():
    """Editing a weight changes the pictures, so it changes the key: no stale frame is shown."""
    ex = KernelExplorer(image="camera", preset="Sobel x (vertical edges)")
    _ready(ex)
    before = ex.key()
    ex.weights[0].value = 2.0  # switches to "custom"
    assert ex.key() != before and ex.panels.key == ex.key()
    assert ex.key({"stride": 2}) in ex.panels.sent  # the next stride, with these weights


def test_a_keyed_frame_needs_every_picture():
    p = Panels({"a": "first", "b": "second"}, width=100)
    with pytest.raises(ValueError, match="needs every picture"):
        p.show({"a": b"1"}, key="[1]")

"""LinkedView and its index math: the window/taps/sum of one output pixel equal what ``ops`` computes.

``course_utils.linked_math`` is the Python copy of the math ``widgets/static/linked.js`` does in
the browser; ``test_js_math_matches_python`` runs the JavaScript itself (with Node.js) on the same
cases, so the two cannot drift apart.  The browser test (tests/browser/test_linked.py) checks the
drawn result in JupyterLab.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

from course_utils import linked_math as L
from course_utils import ops
from course_utils.widgets.linked import LinkedView

RNG = np.random.default_rng(13)
CONV_CASES = [  # (input shape, kernel shape, stride, padding)
    ((9, 9), (3, 3), 1, "valid"),
    ((9, 9), (3, 3), 1, "same"),
    ((9, 11), (3, 3), 2, "same"),
    ((8, 8), (3, 3), 2, "same"),  # asymmetric: the odd extra zero goes bottom/right
    ((10, 7), (2, 4), 3, "same"),
    ((8, 8), (5, 5), 4, "same"),
    ((7, 7), (3, 3), 2, 1),
    ((6, 9), (1, 1), 2, "valid"),
    ((16, 16), (4, 4), 4, "valid"),
]
POOL_CASES = [((8, 8), 2, 2), ((9, 9), 3, 2), ((7, 10), 2, 3), ((8, 8), 4, 4), ((6, 6), 3, 1)]
TRANSPOSE_CASES = [
    ((4, 4), (3, 3), 2),
    ((3, 5), (2, 2), 2),
    ((4, 3), (4, 4), 2),
    ((3, 3), (2, 3), 3),
    ((5, 5), (3, 3), 1),
    ((2, 4), (1, 1), 3),
]


DETAIL_CASES = [  # (op, window shape, stride, padding, detail) on a 40 x 36 map
    ("conv", (3, 3), 1, "same", (10, 12, 16, 16)),
    ("conv", (3, 3), 1, "same", (0, 20, 16, 16)),  # at the top and right edges: real padding
    ("conv", (5, 5), 2, "same", (24, 0, 16, 16)),
    ("conv", (3, 3), 4, "valid", (9, 7, 16, 16)),  # stride > kernel: unread pixels
    ("maxpool", (2, 2), 3, "valid", (5, 4, 16, 16)),
    ("maxpool", (3, 3), 1, "valid", (8, 8, 12, 12)),
    ("avgpool", (2, 2), 2, "valid", (3, 6, 16, 16)),
]


def _js_case(v: LinkedView, n_out: int, n_in: int) -> dict:
    """linked.js's state of a view (what readState makes of the synced traits), and pixels to
    ask about: output pixels in view, input pixels drawn (full-map coordinates)."""
    (h, w), (oy, ox), (r0, c0) = v.x_shape, v.origin, v.out_origin
    st = {
        "op": v.op,
        "h": h,
        "w": w,
        "kh": v.kernel_shape[0],
        "kw": v.kernel_shape[1],
        "oh": v.out_shape[0],
        "ow": v.out_shape[1],
        "oy": oy,
        "ox": ox,
        "H": v.full_shape[0],
        "W": v.full_shape[1],
        "R0": r0,
        "C0": c0,
        "margin": v.margin,
        "detail": v.detail,
        "readRows": v.read_rows,
        "readCols": v.read_cols,
        "x": np.frombuffer(v.x, "<f4").tolist(),
        "k": np.frombuffer(v.kernel, "<f4").tolist(),
        "argmax": np.frombuffer(v.argmax, "<i4").tolist(),
        "s": v.stride,
        "pads": v.pads,
        "pool": v.pool_size,
        "bias": v.bias,
    }
    outs = [(r + r0, c + c0) for r, c in _pixels(tuple(v.out_shape), n_out)]
    ins = [(i + oy, j + ox) for i, j in _pixels((h, w), n_in)]
    return {"st": st, "outs": outs, "ins": ins, "view": v}


def _pads(shape, kshape, stride, padding):
    """(top, bottom, left, right) by ops' padding rule, as LinkedView sends them."""
    (t, b), (left, r) = (
        ops.pad_amounts(n, k, stride, padding) for n, k in zip(shape, kshape, strict=True)
    )
    return t, b, left, r


def _pixels(shape, n=12):
    """Random output pixels plus the four corners."""
    h, w = shape
    corners = [(0, 0), (0, w - 1), (h - 1, 0), (h - 1, w - 1)]
    return corners + [
        (int(r), int(c)) for r, c in zip(RNG.integers(0, h, n), RNG.integers(0, w, n), strict=True)
    ]


# ---- the index math against ops ------------------------------------------------------------------
@pytest.mark.parametrize(("shape", "kshape", "stride", "padding"), CONV_CASES, ids=str)
def test_conv_arithmetic_sums_to_ops_conv2d(shape, kshape, stride, padding):
    x, k = RNG.normal(size=shape), RNG.normal(size=kshape)
    pads = _pads(shape, kshape, stride, padding)
    want = ops.conv2d(x, k, stride, padding)
    assert (
        L.output_shape("conv", shape, kernel_shape=kshape, stride=stride, pads=pads) == want.shape
    )
    for r, c in _pixels(want.shape):
        a = L.conv_arithmetic(x, k, r, c, stride=stride, pads=pads, bias=0.25)
        assert a.value == pytest.approx(want[r, c] + 0.25, abs=1e-9)
        assert len(a.terms) == kshape[0] * kshape[1]
        assert sum(t.product for t in a.terms) == pytest.approx(want[r, c], abs=1e-9)
        r0, c0, r1, c1 = a.window
        assert (r1 - r0, c1 - c0) == kshape
        for t in a.terms:  # every tap reads the pixel under it, or a padding zero
            assert (r0 + t.a, c0 + t.b) == (t.i, t.j)
            inside = 0 <= t.i < shape[0] and 0 <= t.j < shape[1]
            assert t.pad is (not inside)
            assert t.x == (x[t.i, t.j] if inside else 0.0) and t.w == k[t.a, t.b]


def test_same_padding_is_asymmetric_like_tensorflow():
    v = LinkedView(np.ones((8, 8)), "conv", kernel=np.ones((3, 3)), stride=2, padding="same")
    assert v.pads == [0, 1, 0, 1] == list(ops.pad_amounts(8, 3, 2, "same") * 2)
    a = L.conv_arithmetic(np.ones((8, 8)), np.ones((3, 3)), 3, 3, stride=2, pads=(0, 1, 0, 1))
    assert a.window == (6, 6, 9, 9) and sum(t.pad for t in a.terms) == 5 and a.value == 4.0


@pytest.mark.parametrize(("shape", "p", "stride"), POOL_CASES, ids=str)
def test_pool_arithmetic_is_ops_max_pool2d(shape, p, stride):
    x = RNG.normal(size=shape)
    want = ops.max_pool2d(x, p, stride)
    for r, c in _pixels(want.shape):
        a = L.pool_arithmetic(x, r, c, pool_size=p, stride=stride)
        assert a.value == want[r, c]
        assert a.window == (r * stride, c * stride, r * stride + p, c * stride + p)
        assert x[a.argmax] == want[r, c] and len(a.terms) == p * p


@pytest.mark.parametrize(("shape", "p", "stride"), POOL_CASES, ids=str)
def test_avgpool_arithmetic_is_ops_avg_pool2d(shape, p, stride):
    x = RNG.normal(size=shape)
    want = ops.avg_pool2d(x, p, stride)
    for r, c in _pixels(want.shape):
        a = L.arithmetic("avgpool", x, r, c, pool_size=p, stride=stride)
        assert a.op == "avgpool" and a.argmax is None and len(a.terms) == p * p
        assert a.value == pytest.approx(want[r, c], abs=1e-12)
        assert a.window == (r * stride, c * stride, r * stride + p, c * stride + p)


def test_pool_argmax_is_the_first_of_equal_values():
    a = L.pool_arithmetic(np.ones((4, 4)), 1, 0, pool_size=2)
    assert a.argmax == (2, 0) and a.value == 1.0


@pytest.mark.parametrize(("shape", "kshape", "stride"), TRANSPOSE_CASES, ids=str)
def test_transpose_arithmetic_sums_to_ops_conv2d_transpose(shape, kshape, stride):
    x, k = RNG.normal(size=shape), RNG.normal(size=kshape)
    want = ops.conv2d_transpose(x, k, stride, "valid")
    assert L.output_shape("transpose", shape, kernel_shape=kshape, stride=stride) == want.shape
    for r, c in [(r, c) for r in range(want.shape[0]) for c in range(want.shape[1])]:
        a = L.transpose_arithmetic(x, k, r, c, stride=stride)
        assert a.value == pytest.approx(want[r, c], abs=1e-9)
        for t in a.terms:  # the stamp of (i, j) puts kernel[a, b] on (s*i + a, s*j + b)
            assert (stride * t.i + t.a, stride * t.j + t.b) == (r, c)


def test_transpose_pixel_without_stamp_when_kernel_is_smaller_than_stride():
    a = L.transpose_arithmetic(np.ones((2, 2)), np.ones((1, 1)), 1, 1, stride=3)
    assert a.terms == [] and a.value == 0.0 and a.window == (0, 0, 0, 0)


@pytest.mark.parametrize("op", ["conv", "maxpool", "avgpool", "transpose"])
def test_projective_field_is_exactly_the_outputs_that_read_the_pixel(op):
    shape, kshape, stride, pool = (9, 8), (3, 2), 2, 3
    pads = _pads(shape, kshape, stride, "same") if op == "conv" else (0, 0, 0, 0)
    x = RNG.normal(size=shape)
    oshape = L.output_shape(
        op, shape, kernel_shape=kshape, pool_size=pool, stride=stride, pads=pads
    )
    readers: dict[tuple[int, int], set] = {}
    for r, c in itertools.product(range(oshape[0]), range(oshape[1])):
        a = L.arithmetic(
            op, x, r, c, kernel=np.ones(kshape), stride=stride, pads=pads, pool_size=pool
        )
        for t in a.terms:
            if not t.pad:
                readers.setdefault((t.i, t.j), set()).add((r, c))
    for i, j in itertools.product(range(shape[0]), range(shape[1])):
        got = L.projective_field(
            op, shape, i, j, kernel_shape=kshape, pool_size=pool, stride=stride, pads=pads
        )
        assert set(got) == readers.get((i, j), set()), (op, i, j)
        assert got == sorted(got)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: L.conv_arithmetic(np.ones((4, 4)), np.ones((3, 3)), 0, 0, stride=0),
            "stride must be an integer >= 1",
        ),
        (lambda: L.output_shape("conv", (4, 4, 1), kernel_shape=(3, 3)), "must be 2-D"),
        (
            lambda: L.conv_arithmetic(np.ones((4, 4)), np.ones((3, 3)), 2, 0),
            r"outside the output 2x2",
        ),
        (lambda: L.pool_arithmetic(np.ones((2, 2)), 0, 0, pool_size=3), "larger than the input"),
        (lambda: L.arithmetic("medianpool", np.ones((2, 2)), 0, 0), "op must be one of"),
        (lambda: L.pool_arithmetic(np.ones((2, 2)), 0, 0, mode="min"), 'mode must be "max"'),
        (
            lambda: L.projective_field("conv", (4, 4), 4, 0, kernel_shape=(3, 3)),
            "outside the input",
        ),
    ],
)
def test_math_validation_messages(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---- the JavaScript does the same math ----------------------------------------------------------
def _node() -> str:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("node not found: the JavaScript math cannot be checked", pytrace=False)
        pytest.skip("node (Node.js) not found; the browser test checks the JavaScript instead")
    return node


def test_js_math_matches_python(tmp_path):
    """linked.js's arithmetic() and projectiveField() give Python's windows, terms and sums."""
    node = _node()
    from course_utils.widgets import linked as linked_module

    js = linked_module._STATIC / "linked.js"
    cases = []
    setups = (
        [("conv", s, k, st, p) for s, k, st, p in CONV_CASES[2:6]]
        + [("maxpool", s, (p, p), st, "valid") for s, p, st in POOL_CASES[:3]]
        + [("avgpool", s, (p, p), st, "valid") for s, p, st in POOL_CASES[1:4]]
        + [("transpose", s, k, st, "valid") for s, k, st in TRANSPOSE_CASES[:4]]
        + [("maxpool", s, (p, p), st, "ties") for s, p, st in POOL_CASES[:3]]
    )
    for op, shape, kshape, stride, padding in setups:
        ties = padding == "ties"  # small whole numbers: most windows have a tied maximum
        v = LinkedView(
            RNG.integers(0, 3, size=shape) if ties else RNG.normal(size=shape),
            op,
            kernel=RNG.normal(size=kshape),
            stride=stride,
            padding="valid" if ties else padding,
            pool_size=kshape[0],
            bias=0.5 if op == "conv" else 0.0,
        )
        cases.append(_js_case(v, 6, 4))
    for op, kshape, stride, padding, det in DETAIL_CASES:
        x = RNG.normal(size=(40, 36))
        v = LinkedView(
            x,
            op,
            kernel=RNG.normal(size=kshape) if op == "conv" else None,
            stride=stride,
            padding=padding,
            pool_size=kshape[0],
            detail=det,
        )
        cases.append(_js_case(v, 8, 10))
    driver = tmp_path / "driver.mjs"
    driver.write_text(
        f"import {{ arithmetic, projectiveField, fieldNote }} from {json.dumps(js.as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "const cases = JSON.parse(readFileSync(0, 'utf8'));\n"
        "const st2 = (st) => ({...st, x: Float32Array.from(st.x), k: Float32Array.from(st.k),\n"
        "  argmax: Int32Array.from(st.argmax)});\n"
        "console.log(JSON.stringify(cases.map((c) => ({\n"
        "  ar: c.outs.map(([r, q]) => arithmetic(st2(c.st), r, q)),\n"
        "  pf: c.ins.map(([i, j]) => projectiveField(st2(c.st), i, j)),\n"
        "  note: c.ins.map(([i, j]) => fieldNote(st2(c.st), i, j,\n"
        "    projectiveField(st2(c.st), i, j).length)),\n"
        "}))));\n"
    )
    payload = json.dumps([{k: c[k] for k in ("st", "outs", "ins")} for c in cases])
    res = subprocess.run(
        [node, str(driver)], input=payload, capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    checked = 0
    for case, answer in zip(cases, got, strict=True):
        v = case["view"]
        for (r, c), ar in zip(case["outs"], answer["ar"], strict=True):
            want = v.explain(r, c)
            assert tuple(ar["window"]) == want.window, (v, r, c)
            assert ar["value"] == pytest.approx(want.value, abs=1e-9)
            drawn = v.output[r - v.out_origin[0], c - v.out_origin[1]]
            assert ar["value"] == pytest.approx(drawn, abs=1e-5)  # what ops drew
            assert ar["value"] == pytest.approx(v.full_output[r, c], abs=1e-5)
            assert [(t["i"], t["j"]) for t in ar["terms"]] == [(t.i, t.j) for t in want.terms]
            if want.argmax is not None:
                assert tuple(ar["argmax"]) == want.argmax
            checked += 1
        rows, cols = L.coverage(
            v.op,
            v.full_shape,
            kernel_shape=v.kernel_shape,
            pool_size=v.pool_size,
            stride=v.stride,
            pads=v.pads,
        )
        for (i, j), pf, note in zip(case["ins"], answer["pf"], answer["note"], strict=True):
            field = v.projective_field(i, j)
            assert [tuple(p) for p in pf] == field
            read = rows[i] and cols[j]
            assert note == (None if field else "never-read" if not read else "outside-view")
    assert checked == sum(len(c["outs"]) for c in cases) > 80
    notes = [n for a in got for n in a["note"]]
    assert "never-read" in notes and None in notes  # both kinds of click were checked


def test_js_colours_are_the_static_pictures(tmp_path):
    """linked.js colours each map with the scale and palette Python sent: viz.to_png's colours."""
    node = _node()
    from course_utils import viz
    from course_utils.widgets import linked as linked_module

    x = RNG.normal(size=(6, 7))
    views = [
        LinkedView(x, "conv", kernel=RNG.normal(size=(3, 3))),  # signed: blue-white-red
        LinkedView(np.abs(x), "maxpool", cmap="auto"),  # positive: grey
        LinkedView(x, "avgpool", fixed_range=(-1, 3)),  # one fixed scale
        LinkedView(np.abs(x), "conv", kernel=np.ones((2, 2)), cmap="diverging"),
    ]
    cases = []
    for v in views:
        for name, arr in (("input", v._x), ("output", v.output), ("kernel", v._k)):
            if name in v.scales:
                cases.append({"spec": v.scales[name], "values": arr.ravel().tolist()})
    palettes = {k: p for v in views for k, p in v.palettes.items()}
    driver = tmp_path / "colours.mjs"
    driver.write_text(
        f"import {{ scale }} from {json.dumps(linked_module._STATIC.joinpath('linked.js').as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "const { cases, palettes } = JSON.parse(readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(cases.map((c) => {\n"
        "  const sc = scale(c.spec, palettes);\n"
        "  return Array.from(Float32Array.from(c.values), (v) => sc.rgb(v));\n"
        "})));\n"
    )
    res = subprocess.run(
        [node, str(driver)],
        input=json.dumps({"cases": cases, "palettes": palettes}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert [c["spec"][0] for c in cases[:3]] == ["RdBu_r", "RdBu_r", "RdBu_r"]  # conv: signed
    assert views[1].scales["input"][0] == "gray"
    for case, rgb in zip(cases, got, strict=True):
        cmap, lo, hi = case["spec"]
        values = np.asarray(case["values"], np.float32).astype(np.float64)[None]
        want = viz.to_rgb8(values, cmap, (lo, hi))[0]
        np.testing.assert_array_equal(np.asarray(rgb), want)


# ---- the widget's synced state ------------------------------------------------------------------
def _f32(b: bytes, shape) -> np.ndarray:
    return np.frombuffer(b, "<f4").reshape(shape)


def test_conv_view_state():
    x, k = RNG.random((16, 16)), RNG.normal(size=(3, 3))
    v = LinkedView(x, "conv", kernel=k, stride=2, padding="same", bias=-0.1)
    assert (v.op, v.x_shape, v.kernel_shape, v.out_shape) == ("conv", [16, 16], [3, 3], [8, 8])
    assert v.pads == [0, 1, 0, 1] and v.stride == 2 and v.bias == pytest.approx(-0.1)
    assert len(v.x) == 16 * 16 * 4 and len(v.kernel) == 9 * 4 and len(v.out) == 8 * 8 * 4
    np.testing.assert_array_equal(_f32(v.x, (16, 16)), x.astype(np.float32))
    np.testing.assert_array_equal(_f32(v.kernel, (3, 3)), k.astype(np.float32))
    want = ops.conv2d(x.astype(np.float32), k.astype(np.float32), 2, "same") - 0.1
    np.testing.assert_allclose(_f32(v.out, (8, 8)), want, atol=1e-6)
    assert repr(v) == "LinkedView(conv: 16x16 -> 8x8, kernel 3x3, stride 2, padding 'same')"
    assert v.hover == {} and v.selected == {}


def test_maxpool_view_state_and_default_stride():
    x = RNG.random((12, 12))
    v = LinkedView(x, "maxpool", pool_size=3)
    assert v.stride == 3 and v.out_shape == [4, 4] and v.kernel == b"" and v.pads == [0, 0, 0, 0]
    np.testing.assert_array_equal(_f32(v.out, (4, 4)), ops.max_pool2d(x, 3).astype(np.float32))
    assert repr(v) == "LinkedView(maxpool: 12x12 -> 4x4, pool 3, stride 3)"


def test_avgpool_view_state():
    x = RNG.random((12, 12))
    v = LinkedView(x, "avgpool", pool_size=2)
    assert v.stride == 2 and v.out_shape == [6, 6] and v.kernel == b""
    np.testing.assert_allclose(_f32(v.out, (6, 6)), ops.avg_pool2d(x, 2), atol=1e-6)
    assert v.explain(1, 2).value == pytest.approx(v.output[1, 2])
    assert repr(v) == "LinkedView(avgpool: 12x12 -> 6x6, pool 2, stride 2)"


def test_transpose_view_state():
    x, k = RNG.random((4, 5)), RNG.random((3, 3))
    v = LinkedView(x, "transpose", kernel=k)
    assert v.stride == 2 and v.out_shape == [9, 11] and len(v.out) == 9 * 11 * 4
    np.testing.assert_allclose(_f32(v.out, (9, 11)), ops.conv2d_transpose(x, k, 2), atol=1e-6)


def test_update_changes_parameters_in_place_and_clears_hover():
    v = LinkedView(RNG.random((32, 32)), "conv", kernel=np.ones((3, 3)))
    v.hover = {"out": [1, 1], "sum": 3.0}
    v.update(stride=4, padding="same", fixed_range=(0, 9), cmap="grey")
    assert v.out_shape == [8, 8] and v.fixed_range == [0.0, 9.0] and v.cmap == "grey"
    assert v.hover == {}
    assert v.kernel_shape == [3, 3]  # kept
    v.update(fixed_range=())
    assert v.fixed_range == []
    v.update(op="maxpool", pool_size=4)
    assert v.stride == 4 and v.out_shape == [8, 8] and v.kernel == b""


def test_true_relative_sizes_are_the_output_shape():
    """The front-end draws both maps with one pixel scale, so sizes follow the shapes."""
    v = LinkedView(RNG.random((256, 256)), "conv", kernel=np.ones((3, 3)), stride=4, padding="same")
    assert v.out_shape == [64, 64]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"x": np.ones((4, 4, 3)), "kernel": np.ones((3, 3))},
            r"pass one channel, e.g. x\[..., 0\]",
        ),
        ({"x": np.ones((4, 4)), "op": "conv"}, "needs a kernel"),
        ({"x": np.ones((4, 4)), "op": "minpool"}, "op must be one of"),
        ({"x": np.ones((4, 4)), "kernel": np.ones((5, 5))}, "larger than the padded input"),
        ({"x": np.ones((4, 4)), "kernel": np.ones((20, 20))}, "between 1 and 16 rows"),
        ({"x": np.ones((2000, 4)), "kernel": np.ones((3, 3))}, "crop or downsample"),
        ({"x": np.full((4, 4), np.nan), "kernel": np.ones((3, 3))}, "NaN or infinite"),
        ({"x": np.array([["a"]]), "kernel": np.ones((1, 1))}, "numeric array"),
        ({"x": np.ones((4, 4)), "op": "maxpool", "pool_size": 5}, "larger than the input"),
        (
            {"x": np.ones((4, 4)), "op": "maxpool", "padding": "same"},
            'supports padding="valid" only',
        ),
        (
            {"x": np.ones((4, 4)), "op": "transpose", "kernel": np.ones((2, 2)), "bias": 1.0},
            'bias is for op="conv" only',
        ),
        (
            {"x": np.ones((4, 4)), "kernel": np.ones((3, 3)), "stride": 0},
            "stride must be an integer",
        ),
        ({"x": np.ones((4, 4)), "kernel": np.ones((3, 3)), "fixed_range": (1, 0)}, "lo < hi"),
        ({"x": np.ones((4, 4)), "kernel": np.ones((3, 3)), "cmap": "jet"}, "cmap must be one of"),
        ({"x": np.ones((4, 4)), "kernel": np.ones((3, 3)), "labels": ("a",)}, "two strings"),
    ],
)
def test_view_validation_messages(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinkedView(**kwargs)


def test_front_end_files_are_package_data(tmp_path):
    """The built wheel carries the front-ends and the server extension's config."""
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from course_utils.widgets import linked as linked_module

    assert linked_module._STATIC.joinpath("linked.js").is_file()
    assert linked_module._STATIC.joinpath("linked.css").is_file()
    assert "export default" in LinkedView._esm.__str__()
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=Path(__file__).parents[1],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("course_utils-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for f in ("linked.js", "linked.css", "panels.js", "panels.css"):
        assert f"course_utils/widgets/static/{f}" in names, f
    # installing the course enables nothing in Jupyter (no server extension, no config)
    assert not [n for n in names if "etc/jupyter" in n], sorted(names)[-5:]


def test_saved_notebooks_carry_a_static_picture_at_true_relative_sizes():
    import base64
    import io

    from PIL import Image

    v = LinkedView(RNG.random((64, 64)), "conv", kernel=np.ones((3, 3)), stride=4, padding="same")
    data, _ = v._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"].startswith("LinkedView(conv: 64x64 -> 16x16")
    img = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    scale = 384 // 64
    assert img.size == (64 * scale + 24 + 16 * scale, 64 * scale)  # output 1/4 of the input


# ---- a detail of a larger map: the full map's numbers, with the real neighbours -----------------
@pytest.mark.parametrize(("op", "kshape", "stride", "padding", "det"), DETAIL_CASES, ids=str)
def test_detail_view_shows_the_full_maps_values(op, kshape, stride, padding, det):
    """Every output in view is the full map's value, and its arithmetic reads the real pixels
    (zeros only where the full map's own padding is), never zeros around the detail."""
    x = RNG.normal(size=(40, 36))
    k = RNG.normal(size=kshape)
    v = LinkedView(
        x, op, kernel=k if op == "conv" else None, stride=stride, padding=padding,
        pool_size=kshape[0], detail=det,
    )  # fmt: skip
    full = {
        "conv": lambda: ops.conv2d(x, k, stride, padding),
        "maxpool": lambda: ops.max_pool2d(x, kshape[0], stride),
        "avgpool": lambda: ops.avg_pool2d(x, kshape[0], stride),
    }[op]()
    (r0, c0), (oh, ow) = v.out_origin, v.out_shape
    np.testing.assert_allclose(v.output, full[r0 : r0 + oh, c0 : c0 + ow], atol=1e-5)
    y0, x0, dh, dw = det
    (oy, ox), (h, w), (t, b, left, right) = v.origin, v.x_shape, v.margin
    np.testing.assert_array_equal(_f32(v.x, (h, w)), x[oy : oy + h, ox : ox + w].astype("f4"))
    assert oy <= y0 and ox <= x0 and oy + h >= y0 + dh and ox + w >= x0 + dw  # detail drawn
    assert v.detail == [y0, x0, y0 + dh, x0 + dw]
    # zeros are drawn only beyond the image's edge
    assert (t == 0 or oy == 0) and (left == 0 or ox == 0)
    assert (b == 0 or oy + h == 40) and (right == 0 or ox + w == 36)
    for r in range(r0, r0 + oh):
        for c in range(c0, c0 + ow):
            a = v.explain(r, c)
            assert a.value == pytest.approx(full[r, c], abs=1e-5)
            wr0, wc0, wr1, wc1 = a.window
            assert (
                oy - t <= wr0 and wr1 <= oy + h + b and ox - left <= wc0 and wc1 <= ox + w + right
            )
            for term in a.terms:
                inside = 0 <= term.i < 40 and 0 <= term.j < 36
                assert term.pad is (not inside)
            # the window is anchored in the detail
            ai, aj = wr0 + (kshape[0] - 1) // 2, wc0 + (kshape[1] - 1) // 2
            assert y0 <= ai < y0 + dh and x0 <= aj < x0 + dw
    # every full-map output anchored in the detail is in view
    n_in_view = 0
    for r in range(full.shape[0]):
        for c in range(full.shape[1]):
            pads = v.pads
            ai = r * stride - pads[0] + (kshape[0] - 1) // 2
            aj = c * stride - pads[2] + (kshape[1] - 1) // 2
            anchored = y0 <= ai < y0 + dh and x0 <= aj < x0 + dw
            assert anchored is (r0 <= r < r0 + oh and c0 <= c < c0 + ow)
            n_in_view += anchored
    assert n_in_view == oh * ow


def test_detail_at_the_border_reads_real_neighbours_not_zeros():
    """The issue's case: output[2, 0] of a 16x16 detail was summed with 3 zeros around the
    detail; now its window reads the real column left of it, and equals the full map."""
    x = RNG.random((64, 64))
    k = ops.KERNEL_PRESETS["Sobel x (vertical edges)"]
    v = LinkedView(x, "conv", kernel=k, padding="same", detail=(20, 24, 16, 16))
    a = v.explain(22, 24)  # the detail's row 2, column 0
    assert [t.pad for t in a.terms] == [False] * 9
    assert {(t.i, t.j) for t in a.terms if t.j == 23} == {(21, 23), (22, 23), (23, 23)}
    assert a.value == pytest.approx(ops.conv2d(x, k, 1, "same")[22, 24], abs=1e-5)
    alone = ops.conv2d(x[20:36, 24:40], k, 1, "same")[2, 0]  # the old view's number
    assert abs(alone - a.value) > 1e-3
    assert v.margin == [0, 0, 0, 0] and v.origin == [19, 23] and v.x_shape == [18, 18]
    # a detail in the image's corner: its outer ring is the full map's own zero padding
    corner = LinkedView(x, "conv", kernel=k, padding="same", detail=(0, 0, 16, 16))
    assert corner.margin == [1, 0, 1, 0] and corner.origin == [0, 0]
    assert sum(t.pad for t in corner.explain(0, 0).terms) == 5


def test_coverage_is_what_the_windows_read():
    for shape, kshape, stride, padding in CONV_CASES:
        pads = _pads(shape, kshape, stride, padding)
        rows, cols = L.coverage("conv", shape, kernel_shape=kshape, stride=stride, pads=pads)
        out = ops.conv2d(np.zeros(shape), np.ones(kshape), stride, padding)
        for i, j in itertools.product(range(shape[0]), range(shape[1])):
            one = np.zeros(shape)
            one[i, j] = 1.0  # read <=> the output changes when the pixel changes
            changed = np.any(ops.conv2d(one, np.ones(kshape), stride, padding) != out)
            assert bool(rows[i] and cols[j]) is bool(changed), (shape, kshape, stride, i, j)
    for n, p, s in [(7, 2, 3), (32, 2, 3), (9, 3, 2), (10, 4, 4)]:
        rows, _ = L.coverage("maxpool", (n, 5), pool_size=p, stride=s)
        np.testing.assert_array_equal(rows, ops.window_coverage(n, p, s))


def test_detail_view_dims_unread_pixels_and_reports_them():
    x = RNG.random((64, 64))
    v = LinkedView(x, "maxpool", pool_size=2, stride=3, detail=(20, 20, 16, 16))
    oy, ox = v.origin
    rows = np.array(v.read_rows, bool)
    np.testing.assert_array_equal(rows, ops.window_coverage(64, 2, 3)[oy : oy + v.x_shape[0]])
    gap = next(i for i in range(oy, oy + v.x_shape[0]) if not rows[i - oy])
    assert gap % 3 == 2 and v.projective_field(gap, 25) == []
    assert v.projective_field(21, 22) == [(7, 7)]


def test_detail_validation():
    x = np.ones((32, 32))
    with pytest.raises(ValueError, match="must lie inside the input"):
        LinkedView(x, "conv", kernel=np.ones((3, 3)), detail=(20, 20, 16, 16))
    with pytest.raises(ValueError, match='not "transpose"'):
        LinkedView(x, "transpose", kernel=np.ones((3, 3)), detail=(0, 0, 8, 8))
    with pytest.raises(ValueError, match="row, col, height, width"):
        LinkedView(x, "conv", kernel=np.ones((3, 3)), detail=(0, 0, 8))
    v = LinkedView(x, "conv", kernel=np.ones((3, 3)), detail=(8, 8, 8, 8))
    with pytest.raises(ValueError, match="not in this view"):
        v.explain(0, 0)
    v.update(detail=())  # back to the whole map
    assert v.x_shape == [32, 32] and v.out_shape == [30, 30] and v.detail == []
    assert repr(v) == "LinkedView(conv: 32x32 -> 30x30, kernel 3x3, stride 1, padding 'valid')"
    v.update(detail=(8, 8, 8, 8))
    assert repr(v) == (
        "LinkedView(conv: detail 8x8 at (8, 8) of 32x32 -> output 8x8 at (7, 7), kernel 3x3, "
        "stride 1, padding 'valid')"
    )
